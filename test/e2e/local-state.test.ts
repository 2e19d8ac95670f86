// What handshake keeps on disk never costs a user a command or a server (docs/commands.md, "Local state"):
// concurrent config writers lose nothing, a symlinked config is written through, a stale lock is taken over;
// a FIFO or /dev/zero where a file is read is refused or ignored, never a hang.
// Spawned, but for the two symlinked-config cases (run in process, test/helpers/in-process.ts): the subjects are
// several processes at once, a lock of a killed one, a read that would block or fill the test's own process, and
// relative paths resolved against the process's working directory (docs/architecture.md "One IO").
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheKey } from '../../src/cache/cache.js';
import { runCli, type sandbox, sandboxAfterAll } from '../helpers/cli.js';
import { type TestServer, versionServer } from '../helpers/http-server.js';
import { runInProcess } from '../helpers/in-process.js';

const box = sandboxAfterAll();
const configFile = (b: ReturnType<typeof sandbox>) => join(b.env.XDG_CONFIG_HOME as string, 'handshake', 'config.json');

describe('the config file under concurrent writers', () => {
  it('eight `server add` at once keep all eight servers and their tokens', async () => {
    const b = box();
    const names = Array.from({ length: 8 }, (_, i) => `s${i}`);
    const runs = await Promise.all(
      names.map((name, i) =>
        runCli(['server', 'add', name, `http://127.0.0.1:${9000 + i}`, '--with-token'], {
          env: b.env,
          input: `token-of-${name}\n`,
          timeoutMs: 90_000,
        }),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(readFileSync(configFile(b), 'utf8')) as { servers: Record<string, { url: string; token?: string }> };
    expect(Object.keys(config.servers).sort()).toEqual(names);
    for (const [i, name] of names.entries()) {
      expect(config.servers[name]).toEqual({ url: `http://127.0.0.1:${9000 + i}`, token: `token-of-${name}` });
    }
    expect(statSync(configFile(b)).mode & 0o777).toBe(0o600);
  }, 120_000);

  it('a lock left by a killed writer is taken over', async () => {
    const b = box();
    const file = configFile(b);
    mkdirSync(`${file}.lock`, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, old, old);
    const r = await runCli(['server', 'add', 'prod', 'http://127.0.0.1:9'], { env: b.env, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).servers.prod.url).toBe('http://127.0.0.1:9');
  }, 90_000);

  it('a symlinked config is written through, the link kept', async () => {
    const b = box();
    const file = configFile(b);
    const real = join(b.dir, 'dotfiles', 'handshake.json');
    mkdirSync(join(b.dir, 'dotfiles'));
    mkdirSync(join(b.env.XDG_CONFIG_HOME as string, 'handshake'), { recursive: true });
    writeFileSync(real, '{"servers":{"a":{"url":"http://127.0.0.1:1"}}}\n', { mode: 0o600 });
    symlinkSync(real, file);
    const r = await runInProcess(['server', 'add', 'b', 'http://127.0.0.1:2'], { env: b.env });
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(readlinkSync(file)).toBe(real);
    expect(Object.keys(JSON.parse(readFileSync(real, 'utf8')).servers).sort()).toEqual(['a', 'b']);
  });

  it('a symlinked config pointing nowhere is refused naming both, exit 2', async () => {
    const b = box();
    const file = configFile(b);
    mkdirSync(join(b.env.XDG_CONFIG_HOME as string, 'handshake'), { recursive: true });
    const gone = join(b.dir, 'nowhere.json');
    symlinkSync(gone, file);
    const r = await runInProcess(['server', 'add', 'b', 'http://127.0.0.1:2'], { env: b.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(gone);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
  });
});

describe('files a user or another process controls: regular files only, capped, never a hang', () => {
  const doc = { server_version: '1.4.2', schema_revision: '0005_add_retention_policy', pending_migrations: [] };
  let server: TestServer;
  beforeAll(async () => {
    server = await versionServer(doc, { 'X-Server-Version': '1.4.2', 'X-Schema-Revision': '0005_add_retention_policy' });
  });
  afterAll(() => server.close());
  /** Puts a FIFO (nothing ever writes to it) or a symbolic link to /dev/zero at `path`. */
  function plant(path: string, kind: 'fifo' | 'zero'): void {
    mkdirSync(dirname(path), { recursive: true });
    if (kind === 'fifo') execFileSync('mkfifo', [path]);
    else symlinkSync('/dev/zero', path);
  }
  const kinds = ['fifo', 'zero'] as const;
  // A hang is killed at 30 s and shows as code null; /dev/zero read whole would take the memory first.
  const opts = (env: Record<string, string>) => ({ env, timeoutMs: 30_000 });

  for (const kind of kinds) {
    it(`a config file that is ${kind === 'fifo' ? 'a FIFO' : '/dev/zero'}: server list is exit 2 naming it; compat check --server URL still runs`, async () => {
      const b = box();
      plant(configFile(b), kind);
      const list = await runCli(['server', 'list'], opts(b.env));
      expect(list.code, list.stderr).toBe(2);
      expect(list.stderr).toContain(configFile(b));
      const check = await runCli(['compat', 'check', '--server', server.url], opts(b.env));
      expect(check.code, check.stderr).toBe(0);
    }, 90_000);

    it(`a cache entry that is ${kind === 'fifo' ? 'a FIFO' : '/dev/zero'} is ignored: api answers`, async () => {
      const b = box();
      plant(join(b.env.HANDSHAKE_CACHE_DIR as string, `${cacheKey(new URL(server.url))}.json`), kind);
      const r = await runCli(['api', '/api/v1/projects', '--server', server.url], opts(b.env));
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(doc);
    }, 60_000);

    it(`--compat and -d @ naming ${kind === 'fifo' ? 'a FIFO' : 'a link to /dev/zero'}: exit 2 naming the file`, async () => {
      const b = box();
      const file = join(b.dir, `planted-${kind}`);
      plant(file, kind);
      const compat = await runCli(['compat', 'check', '--server', server.url, '--compat', file], opts(b.env));
      expect(compat.code, compat.stderr).toBe(2);
      expect(compat.stderr).toContain(file);
      const viaEnv = await runCli(['compat', 'show'], opts({ ...b.env, HANDSHAKE_COMPAT_FILE: file }));
      expect(viaEnv.code, viaEnv.stderr).toBe(2);
      expect(viaEnv.stderr).toContain(file);
      const body = await runCli(['api', '/api/v1/projects', '--server', server.url, '-X', 'POST', '-d', `@${file}`], opts(b.env));
      expect(body.code, body.stderr).toBe(2);
      expect(body.stderr).toContain(file);
      expect(server.requests.filter((q) => q.method === 'POST')).toEqual([]);
    }, 90_000);
  }
});

describe('directory variables', () => {
  const cases: [string, string, string[]][] = [
    ['HANDSHAKE_CACHE_DIR', ' ', ['compat', 'check', '--server', 'http://127.0.0.1:9']],
    ['HANDSHAKE_CACHE_DIR', 'rel/cache', ['compat', 'check', '--server', 'http://127.0.0.1:9']],
    ['XDG_CACHE_HOME', ' ', ['compat', 'check', '--server', 'http://127.0.0.1:9']],
    ['XDG_CONFIG_HOME', ' ', ['server', 'add', 'prod', 'http://127.0.0.1:9']],
    ['XDG_CONFIG_HOME', 'rel/config', ['server', 'list']],
  ];
  for (const [name, value, args] of cases) {
    it(`${name}=${JSON.stringify(value)} is a usage error naming it, and creates nothing (${args.slice(0, 2).join(' ')})`, async () => {
      const b = box();
      const cwd = join(b.dir, 'cwd');
      mkdirSync(cwd);
      const env = { ...b.env, [name]: value };
      if (name === 'XDG_CACHE_HOME') delete (env as Record<string, string>).HANDSHAKE_CACHE_DIR;
      const r = await runCli(args, { env, cwd });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(name);
      expect(readdirSync(cwd)).toEqual([]);
    });
  }
});
