import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Config } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

// bin/run.js starts fast two ways: `--version` without loading oclif, every command from one bundle (dist/cli.js).
describe('startup', () => {
  it('--version prints the line oclif prints (config.userAgent)', async () => {
    const config = await Config.load(ROOT);
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${config.userAgent}\n`);
  });

  it('the bundle holds every command of the oclif manifest, and only those', async () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> };
    const { COMMANDS } = (await import(pathToFileURL(join(ROOT, 'dist', 'cli.js')).href)) as { COMMANDS: Record<string, unknown> };
    expect(Object.keys(COMMANDS).sort()).toEqual(Object.keys(manifest.commands).sort());
  });

  it('the bundle imports nothing but Node built-ins up front (everything else is inside it, or loaded on demand)', () => {
    const source = readFileSync(join(ROOT, 'dist', 'cli.js'), 'utf8');
    const staticImports = [...source.matchAll(/^import\s[^;]*?from\s*["']([^"']+)["']/gm)].map((m) => m[1]);
    expect(staticImports.length).toBeGreaterThan(0);
    expect(staticImports.filter((s) => !s?.startsWith('node:'))).toEqual([]);
  });

  it("the bundle leaves out undici's index (fetch, WebSocket, caches, mocks): import undici's parts from src/transport/undici.ts", () => {
    const source = readFileSync(join(ROOT, 'dist', 'cli.js'), 'utf8');
    expect(source).toContain('node_modules/undici/lib/dispatcher/env-http-proxy-agent.js');
    expect(source).not.toContain('node_modules/undici/index.js');
  });

  it('help, the command of @oclif/plugin-help, still runs under the bundled oclif', async () => {
    const r = await runCli(['help', 'compat', 'check']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('USAGE');
    expect(r.stdout).toContain('compat check');
  });
});
