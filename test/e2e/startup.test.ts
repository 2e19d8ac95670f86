import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { join } from 'node:path';
import { Config } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { copyBuiltPackage, linkVendorCli, ROOT, runCli, sandbox } from '../helpers/cli.js';
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

  // V8 does not checksum a code cache in a release build: damaged bytes given to it crash the process (exit 133,
  // 139) or hang it, on every later run. bin/startup/code-cache.js checks a CRC-32 of the data before V8 sees it.
  it('a damaged code cache (a zeroed page, flipped bits, cut short) is never given to V8: the run compiles afresh and rewrites it', async () => {
    const server = await versionServer({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy' });
    const box = sandbox();
    try {
      const check = () => runCli(['compat', 'check', '--json', '--server', server.url], { env: box.env, timeoutMs: 60_000 });
      expect((await check()).code).toBe(0);
      const dir = join(box.env.HANDSHAKE_CACHE_DIR as string, 'code-cache');
      const [file] = readdirSync(dir).filter((f) => f.startsWith('cli-'));
      const cache = join(dir, file as string);
      const good = readFileSync(cache);
      const page = 4096;
      const zeroed = (at: number) => Buffer.concat([good.subarray(0, at), Buffer.alloc(page), good.subarray(at + page)]);
      const flipped = Buffer.from(good);
      for (let i = 0; i < 8; i++) flipped[1000 + i * 97] = (flipped[1000 + i * 97] as number) ^ 0x5a;
      const half = Math.floor(good.length / 2);
      const damages: [string, Buffer][] = [
        ['a 4 KiB page zeroed in the middle', zeroed(Math.floor(good.length / page / 2) * page)],
        ['the first 4 KiB page zeroed', zeroed(0)],
        ['eight bytes with bits flipped', flipped],
        ['cut short', good.subarray(0, half)],
        // What a crash can leave when the file's size reached the disk before its data.
        ['cut short and zero-filled to its length', Buffer.concat([good.subarray(0, half), Buffer.alloc(good.length - half)])],
      ];
      for (const [what, bytes] of damages) {
        writeFileSync(cache, bytes);
        const r = await check();
        expect(r.code, what).toBe(0);
        expect(r.stderr, what).toBe('');
        expect(JSON.parse(r.stdout).status, what).toBe('compatible');
        const after = readdirSync(dir).filter((f) => f.startsWith('cli-') || f.endsWith('.tmp'));
        expect(after, what).toEqual([file]);
        expect(readFileSync(cache).equals(bytes), `${what}: rewritten`).toBe(false);
      }
    } finally {
      await server.close();
      box.cleanup();
    }
  });

  it('a FIFO where the code cache belongs is passed over, not waited on', async () => {
    const box = sandbox();
    try {
      const show = () => runCli(['compat', 'show', '--json'], { env: box.env, timeoutMs: 60_000 });
      expect((await show()).code).toBe(0);
      const dir = join(box.env.HANDSHAKE_CACHE_DIR as string, 'code-cache');
      const [file] = readdirSync(dir).filter((f) => f.startsWith('cli-'));
      execFileSync('sh', ['-c', 'rm -f "$1" && mkfifo "$1"', 'sh', join(dir, file as string)]);
      const r = await show();
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).source).toBe('bundled');
      expect(statSync(join(dir, file as string)).isFile()).toBe(true); // replaced by a good cache
    } finally {
      box.cleanup();
    }
  });

  it("the code cache is keyed by the bundle's content: a same-length change with its mtime restored runs the new code", async () => {
    // Nix stores every file at mtime 1, and SOURCE_DATE_EPOCH builds give every build the same times.
    const box = sandbox();
    try {
      const bin = copyBuiltPackage(box.dir, { linkModules: true });
      const bundle = join(box.dir, 'dist', 'cli.cjs');
      const nix = new Date(1000);
      utimesSync(bundle, nix, nix);
      const show = () => runCli(['compat', 'show'], { env: box.env, bin, timeoutMs: 60_000 });
      const before = await show();
      expect(before.code).toBe(0);
      expect(before.stdout).toContain('Recommended server');
      const source = readFileSync(bundle, 'latin1');
      expect(source).toContain('["Recommended server"');
      writeFileSync(bundle, source.replace('["Recommended server"', '["RECOMMENDED SERVER"'), 'latin1');
      utimesSync(bundle, nix, nix);
      const after = await show();
      expect(after.code).toBe(0);
      expect(after.stdout).toContain('RECOMMENDED SERVER');
      expect(after.stdout).not.toContain('Recommended server');
    } finally {
      box.cleanup();
    }
  });

  it('a full disk leaves nothing in the code cache directory (no temporary file), and every run still works', async (ctx) => {
    const box = sandbox();
    const mount = join(box.dir, 'small');
    mkdirSync(mount);
    try {
      // 256 KiB: room for the directories and the handshake cache, not for a code cache of ≈ 0.7 MB.
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount], { stdio: 'ignore' });
    } catch {
      box.cleanup();
      ctx.skip(); // mounting needs root (CI runs as root)
      return;
    }
    try {
      const env = { ...box.env, HANDSHAKE_CACHE_DIR: join(mount, 'handshake') };
      for (let i = 0; i < 2; i++) {
        const r = await runCli(['compat', 'show', '--json'], { env, timeoutMs: 60_000 });
        expect(r.code).toBe(0);
        expect(r.stderr).toBe('');
        expect(JSON.parse(r.stdout).source).toBe('bundled');
        expect(readdirSync(join(mount, 'handshake', 'code-cache'))).toEqual([]);
      }
    } finally {
      execFileSync('umount', [mount]);
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

  it("a vendor CLI that mounts handshake runs its commands from a bundle (dist/plugin.cjs) with a code cache in the vendor's cache dir", async () => {
    // Unbundled (dist/commands), a mounted check loaded ≈ 400 modules: 2.6× the vendor's --version (bench/mounted.js).
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, { relativePath: string[]; isESM: boolean }>;
    };
    for (const [id, c] of Object.entries(manifest.commands)) {
      expect(c.relativePath.slice(0, 2), id).toEqual(['dist', 'plugin']);
      expect(readFileSync(join(ROOT, ...c.relativePath), 'utf8'), id).toContain(`COMMANDS[${JSON.stringify(id)}]`);
    }
    const box = sandbox();
    try {
      const bin = await linkVendorCli();
      const r = await runCli(['compat', 'show', '--json'], { env: box.env, bin, timeoutMs: 60_000 });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const dir = join(box.env.XDG_CACHE_HOME as string, 'acme', 'code-cache');
      expect(readdirSync(dir).filter((f) => f.startsWith('plugin-') && f.endsWith('.v8'))).toHaveLength(1);
      const again = await runCli(['compat', 'show', '--json'], { env: box.env, bin, timeoutMs: 60_000 });
      expect(again.stdout).toBe(r.stdout);
    } finally {
      box.cleanup();
    }
  });

  it('help, the command of @oclif/plugin-help, still runs under the bundled oclif', async () => {
    const r = await runCli(['help', 'compat', 'check']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('USAGE');
    expect(r.stdout).toContain('compat check');
  });
});
