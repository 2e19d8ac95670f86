import { describe, expect, it } from 'vitest';
import { detectInstallMethod } from '../../src/session/install-method.js';

describe('install method detection', () => {
  it.each([
    ['/usr/local/lib/node_modules/handshake-compat', 'npm'],
    ['/home/ada/.nvm/versions/node/v20.20.2/lib/node_modules/handshake-compat', 'npm'],
    ['/home/ada/.local/share/pnpm/global/5/.pnpm/handshake-compat@0.9.0/node_modules/handshake-compat', 'pnpm'],
    ['/home/ada/.config/yarn/global/node_modules/handshake-compat', 'yarn'],
    ['/opt/homebrew/Cellar/handshake/0.9.0/libexec/lib/node_modules/handshake-compat', 'homebrew'],
    ['/home/ada/.npm/_npx/1a2b3c/node_modules/handshake-compat', 'npx'],
    ['/home/ada/.local/share/handshake/client/0.9.0', 'standalone'],
    ['/home/ada/src/handshake', 'npm'],
  ] as const)('%s → %s', (path, method) => {
    expect(detectInstallMethod(path)).toBe(method);
  });
});
