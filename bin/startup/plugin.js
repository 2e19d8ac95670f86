// The commands a vendor's CLI runs when it mounts handshake as an oclif plugin (docs/embedding.md), loaded as fast
// as handshake's own bin loads them: oclif's manifest (rewritten by scripts/bundle.js) points each command at a
// two-line module in dist/plugin/, which takes its class from here; here is one bundle of every command, the SDK
// and their dependencies but oclif (dist/plugin.cjs: the vendor's own @oclif/core runs them, as it ran them from
// dist/commands), compiled from V8's code cache, with undici's WebAssembly parser compiled by V8's baseline tier
// alone (bin/startup/hooks.js). Unbundled, the same command loaded ≈ 400 modules (bench/NOTES.md, step 23).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envPrefixFor } from '../../dist/commands/_lib/branding.js';
import { codeCacheDir, loadBundle } from './code-cache.js';
import { compileWasm, defaultV8Flags, HOOKS, setHook } from './hooks.js';

const pjson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
if (globalThis[Symbol.for(HOOKS.compileWasm)] === undefined) setHook('compileWasm', compileWasm);

/**
 * The host CLI's code-cache directory, by its bin as handshake's cache is (src/cache/cache.ts): oclif keeps the
 * running config in its cache singleton before it loads a command. handshake's own directory when that cannot be
 * read (an @oclif/core of handshake's own, not the host's).
 */
function hostCodeCacheDir() {
  try {
    const require = createRequire(import.meta.url);
    const cache = require(join(dirname(require.resolve('@oclif/core')), 'cache.js'));
    const bin = cache.default.getInstance().get('config')?.bin;
    if (typeof bin === 'string' && bin) return codeCacheDir(envPrefixFor(bin), bin);
  } catch {}
  return codeCacheDir();
}

export const { COMMANDS } = loadBundle(fileURLToPath(new URL('../../dist/plugin.cjs', import.meta.url)), {
  version: pjson.version,
  name: 'plugin',
  dir: hostCodeCacheDir(),
  beforeWrite: defaultV8Flags,
  extraName: '__handshakeImportHook', // the bundle's import() (scripts/esbuild-plugins/dynamic-import.js)
  extra: (specifier) => import(specifier),
});
