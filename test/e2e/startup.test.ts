import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { join } from 'node:path';
import { Config } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, sandbox } from '../helpers/cli.js';
import { versionServer } from '../helpers/http-server.js';

// bin/run.js starts fast two ways: `--version` without loading oclif, every command from one bundle (dist/cli.cjs),
// compiled from V8's code cache after the first run.
describe('startup', () => {
  it('the code cache lives in a 0700 directory, and one others can write to is never read or written', async () => {
    const box = sandbox();
    try {
      const own = join(box.dir, 'own');
      expect((await runCli(['compat', 'show'], { env: { ...box.env, HANDSHAKE_CACHE_DIR: own } })).code).toBe(0);
      expect(statSync(join(own, 'code-cache')).mode & 0o777).toBe(0o700);
      const shared = join(box.dir, 'shared');
      mkdirSync(join(shared, 'code-cache'), { recursive: true });
      chmodSync(join(shared, 'code-cache'), 0o777);
      const r = await runCli(['compat', 'show'], { env: { ...box.env, HANDSHAKE_CACHE_DIR: shared } });
      expect(r.code).toBe(0);
      expect(readdirSync(join(shared, 'code-cache'))).toEqual([]);
    } finally {
      box.cleanup();
    }
  });

  it('--version prints the line oclif prints (config.userAgent)', async () => {
    const config = await Config.load(ROOT);
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${config.userAgent}\n`);
  });

  it('the bundle holds every command of the oclif manifest, and only those', async () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> };
    // Object.keys does not run the getters: no command is evaluated here.
    const { COMMANDS } = createRequire(import.meta.url)(join(ROOT, 'dist', 'cli.cjs')) as { COMMANDS: Record<string, unknown> };
    expect(Object.keys(COMMANDS).sort()).toEqual(Object.keys(manifest.commands).sort());
  });

  it('the bundle requires nothing but Node built-ins (everything else is inside it, or imported on demand)', () => {
    const source = readFileSync(join(ROOT, 'dist', 'cli.cjs'), 'utf8');
    const required = [...source.matchAll(/\brequire\(["']([^"'.][^"']*)["']\)/g)].map((m) => m[1] as string);
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const isBuiltin = (s: string) => builtins.has(s) || s.startsWith('node:');
    expect(required.length).toBeGreaterThan(0);
    // typescript and ts-node: oclif's development mode only (a plugin run from TypeScript sources).
    expect(required.filter((s) => !isBuiltin(s) && s !== 'typescript' && s !== 'ts-node')).toEqual([]);
  });

  it('keeps a V8 code cache under the cache dir, and a broken or unwritable one costs nothing but time', async () => {
    const server = await versionServer({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy' });
    const box = sandbox();
    try {
      const check = (env: Record<string, string>) =>
        runCli(['compat', 'check', '--json', '--server', server.url], { env: { ...box.env, ...env } });
      expect((await check({})).code).toBe(0);
      const dir = join(box.env.HANDSHAKE_CACHE_DIR as string, 'code-cache');
      const files = readdirSync(dir).filter((f) => f.startsWith('cli-'));
      expect(files).toHaveLength(1);
      writeFileSync(join(dir, files[0] as string), 'not V8 cached data');
      const broken = await check({});
      expect(broken.code).toBe(0);
      expect(broken.stderr).toBe('');
      expect(JSON.parse(broken.stdout).status).toBe('compatible');
      // A cache dir that cannot be created (a file stands in its way).
      const blocked = join(box.dir, 'a-file');
      writeFileSync(blocked, '');
      const unwritable = await check({ HANDSHAKE_CACHE_DIR: join(blocked, 'cache') });
      expect(unwritable.code).toBe(0);
      expect(JSON.parse(unwritable.stdout).status).toBe('compatible');
    } finally {
      await server.close();
      box.cleanup();
    }
  });

  it('the code cache a check writes is the one the next check uses (V8 accepts it: it is not written again)', async () => {
    // V8 rejects a code cache made under other flags than its own; bin/run.js sets --liftoff-only for undici's
    // WebAssembly compile and puts the defaults back before the cache is written. A rejected cache is rewritten.
    const server = await versionServer({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy' });
    const box = sandbox();
    try {
      const check = () => runCli(['compat', 'check', '--json', '--server', server.url], { env: box.env });
      expect((await check()).code).toBe(0);
      const dir = join(box.env.HANDSHAKE_CACHE_DIR as string, 'code-cache');
      const [file] = readdirSync(dir).filter((f) => f.startsWith('cli-'));
      const cache = join(dir, file as string);
      const old = new Date('2001-01-01T00:00:00Z');
      utimesSync(cache, old, old); // a rewrite (a temporary file renamed over it) would carry the time of the run
      for (let i = 0; i < 2; i++) expect((await check()).code).toBe(0);
      expect(readdirSync(dir).filter((f) => f.startsWith('cli-'))).toEqual([file]);
      expect(statSync(cache).mtime.getTime()).toBe(old.getTime());
    } finally {
      await server.close();
      box.cleanup();
    }
  });

  it('the version document speaks English in a process that builds no classic zod schema (it and the cache use zod/mini)', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = `const { versionDocumentSchema } = await import(${JSON.stringify(join(ROOT, 'dist/src/protocol/version-document.js'))});
      const r = versionDocumentSchema.safeParse({ server_version: '1.0.0', api_version: 'x'.repeat(65) });
      process.stdout.write(r.error.issues[0].message);`;
    const message = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(message).toContain('64'); // the limit, in zod's English message; with no locale zod says "Invalid input"
  });

  it("the bundle leaves out undici's index (fetch, WebSocket, caches, mocks): import undici's parts from src/transport/undici.ts", () => {
    const source = readFileSync(join(ROOT, 'dist', 'cli.cjs'), 'utf8');
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
