import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, sandboxAfterAll } from '../helpers/cli.js';
import { closedPort, type TestServer, versionServer } from '../helpers/http-server.js';
import { runInProcess } from '../helpers/in-process.js';

const HEAD = '0005_add_retention_policy';
const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});
async function serve(doc: Record<string, unknown>) {
  const s = await versionServer(doc);
  servers.push(s);
  return s;
}
const box = sandboxAfterAll();
const configFile = (b: ReturnType<typeof box>) => join(b.env.XDG_CONFIG_HOME as string, 'handshake', 'config.json');

/*
 * What the server commands say and decide runs in process (test/helpers/in-process.ts); the first test (the whole
 * add, list, use, remove round with a token piped in) and the /proc case (a loop would hang the test's own process)
 * stay spawned.
 */

interface ListDoc {
  current: string | null;
  servers: { name: string; url: string; token: string; current: boolean }[];
}

describe('named servers', () => {
  it('add, list, use, remove: the file is 0600 and no token is ever printed', async () => {
    const b = box();
    const env = b.env;
    expect((await runCli(['server', 'add', 'prod', 'http://127.0.0.1:9/'], { env })).code).toBe(0);
    const add = await runCli(['server', 'add', 'staging', 'http://127.0.0.1:8', '--with-token', '--json'], {
      env,
      input: 'sentinel-token-xyz\n',
    });
    expect(add.code).toBe(0);
    const listed = parseJson<ListDoc>(await runCli(['server', 'list', '--json'], { env }));
    expect(listed.current).toBe('prod');
    expect(listed.servers).toEqual([
      { name: 'prod', url: 'http://127.0.0.1:9', token: 'not set', current: true },
      { name: 'staging', url: 'http://127.0.0.1:8', token: 'set', current: false },
    ]);
    expect(statSync(configFile(b)).mode & 0o777).toBe(0o600);
    const used = await runCli(['server', 'use', 'staging', '--json'], { env });
    expect(parseJson<ListDoc>(used).current).toBe('staging');
    const human = await runCli(['server', 'list'], { env });
    const removed = await runCli(['server', 'remove', 'staging', '--json'], { env });
    expect(parseJson<ListDoc>(removed).servers.map((s) => s.name)).toEqual(['prod']);
    for (const r of [add, used, human, removed]) expect(r.stdout + r.stderr).not.toContain('sentinel-token-xyz');
  });

  it('refuses a URL with credentials, a bad name and an unknown server, exit 2', async () => {
    const env = box().env;
    expect((await runInProcess(['server', 'add', 'prod', 'http://u:secretpw@127.0.0.1:9'], { env })).code).toBe(2);
    expect((await runInProcess(['server', 'add', 'Prod!', 'http://127.0.0.1:9'], { env })).code).toBe(2);
    const unknown = await runInProcess(['server', 'use', 'nope', '--json'], { env });
    expect(unknown.code).toBe(2);
    expect(parseJson<{ error: { remedy: string } }>(unknown).error.remedy).toContain('server add nope');
  });

  it('--server NAME uses that server and its stored token; the current server is the default', async () => {
    const s = await serve({ server_version: '1.4.2', schema_revision: HEAD });
    const env = box().env;
    await runInProcess(['server', 'add', 'prod', s.url, '--with-token'], { env, input: 'prod-token' });
    const byName = await runInProcess(['compat', 'check', '--server', 'prod', '--json'], { env });
    expect(parseJson<{ status: string }>(byName).status).toBe('compatible');
    const byDefault = await runInProcess(['compat', 'check', '--json'], { env });
    expect(parseJson<{ status: string }>(byDefault).status).toBe('compatible');
    expect(s.requests.map((r) => r.headers.authorization)).toEqual(['Bearer prod-token', 'Bearer prod-token']);
  });

  it('warns on stderr when the config file holding a token is readable by others', async () => {
    const s = await serve({ server_version: '1.4.2', schema_revision: HEAD });
    const b = box();
    await runInProcess(['server', 'add', 'prod', s.url, '--with-token'], { env: b.env, input: 'prod-token' });
    chmodSync(configFile(b), 0o644);
    const r = await runInProcess(['compat', 'check', '--json'], { env: b.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('chmod 600');
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  });

  it('reads the first release’s {server, token} file', async () => {
    const s = await serve({ server_version: '1.4.2', schema_revision: HEAD });
    const b = box();
    const file = configFile(b);
    (await import('node:fs')).mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, JSON.stringify({ server: s.url, token: 'legacy-token' }), { mode: 0o600 });
    const r = await runInProcess(['compat', 'check', '--json'], { env: b.env });
    expect(parseJson<{ status: string }>(r).status).toBe('compatible');
    expect(s.requests.at(-1)?.headers.authorization).toBe('Bearer legacy-token');
    expect(readFileSync(file, 'utf8')).toContain('legacy-token');
  });
});

describe('compat check --all: the fleet view', () => {
  it('checks every server concurrently, one row each, exit code the worst', async () => {
    const ok = await serve({ server_version: '1.4.2', schema_revision: HEAD });
    const behind = await serve({ server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' });
    const newer = await serve({ server_version: '1.5.0', schema_revision: HEAD });
    const env = { ...box().env, HANDSHAKE_TOKEN: 'env-token-must-not-spread' };
    await runInProcess(['server', 'add', 'a-ok', ok.url], { env });
    await runInProcess(['server', 'add', 'b-behind', behind.url], { env });
    await runInProcess(['server', 'add', 'c-newer', newer.url], { env });

    const r = await runInProcess(['compat', 'check', '--all', '--json'], { env });
    const rows = parseJson<Array<{ name: string; status: string; server: { url: string; version: string } }>>(r);
    expect(rows.map((x) => [x.name, x.status])).toEqual([
      ['a-ok', 'compatible'],
      ['b-behind', 'schema_behind'],
      ['c-newer', 'server_newer'],
    ]);
    expect(rows[1]?.server.url).toBe(behind.url);
    expect(r.code).toBe(3);
    for (const s of [ok, behind, newer]) expect(s.requests[0]?.headers.authorization).toBeUndefined();

    const human = await runInProcess(['compat', 'check', '--all'], { env });
    expect(human.code).toBe(3);
    for (const name of ['a-ok', 'b-behind', 'c-newer']) expect(human.stdout).toContain(name);
    expect(human.stdout).toContain('handshake server upgrade');
  });

  it('an unreachable server makes the fleet exit 4; all compatible exits 0; --strict counts warnings', async () => {
    const ok = await serve({ server_version: '1.4.2', schema_revision: HEAD });
    const newer = await serve({ server_version: '1.5.0', schema_revision: HEAD });
    const env = box().env;
    await runInProcess(['server', 'add', 'ok', ok.url], { env });
    expect((await runInProcess(['compat', 'check', '--all'], { env })).code).toBe(0);
    await runInProcess(['server', 'add', 'newer', newer.url], { env });
    expect((await runInProcess(['compat', 'check', '--all'], { env })).code).toBe(0);
    expect((await runInProcess(['compat', 'check', '--all', '--strict'], { env })).code).toBe(3);
    await runInProcess(['server', 'add', 'down', `http://127.0.0.1:${await closedPort()}`], { env });
    expect((await runInProcess(['compat', 'check', '--all', '--json'], { env })).code).toBe(4);
  });
});

describe('named servers: mistakes are usage errors that say what to do', () => {
  it('server add refuses to replace a name with another URL unless --force', async () => {
    const b = box();
    const env = b.env;
    expect((await runInProcess(['server', 'add', 'prod', 'http://127.0.0.1:9'], { env })).code).toBe(0);
    const again = await runInProcess(['server', 'add', 'prod', 'http://127.0.0.1:8'], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
    expect(readFileSync(configFile(b), 'utf8')).toContain('127.0.0.1:9');
    const forced = await runInProcess(['server', 'add', 'prod', 'http://127.0.0.1:8', '--force'], { env });
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/[Rr]eplaced/);
    expect(readFileSync(configFile(b), 'utf8')).toContain('127.0.0.1:8');
  });

  it('server add with a scheme-less URL blames the URL argument and suggests the URL', async () => {
    const r = await runInProcess(['server', 'add', 'bad', 'localhost:8080'], { env: box().env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('http://localhost:8080');
    expect(r.stderr).not.toContain('--server');
  });

  it('server use/remove of an unknown name list the configured names instead of "Pass a full URL"', async () => {
    const b = box();
    await runInProcess(['server', 'add', 'prod', 'http://127.0.0.1:9'], { env: b.env });
    for (const cmd of ['use', 'remove']) {
      const r = await runInProcess(['server', cmd, 'nope'], { env: b.env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('prod');
      expect(r.stderr).not.toMatch(/full URL/i);
    }
  });

  it('an empty server list hints at server add', async () => {
    const r = await runInProcess(['server', 'list'], { env: box().env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/server add NAME URL/);
  });

  it('a broken config file is named with its line and column', async () => {
    const b = box();
    await runInProcess(['server', 'add', 'prod', 'http://127.0.0.1:9'], { env: b.env });
    writeFileSync(configFile(b), '{\n  "servers": {\n    "prod": { "url": "http://127.0.0.1:9" },\n  }\n}\n');
    const r = await runInProcess(['server', 'list'], { env: b.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(configFile(b));
    expect(r.stderr).toMatch(/line 4, column 3/);
  });

  it('XDG_CONFIG_HOME under /proc: server add fails at once naming the variable (no endless mkdir)', async () => {
    const b = box();
    const r = await runCli(['server', 'add', 'prod', 'http://127.0.0.1:9'], {
      env: { ...b.env, XDG_CONFIG_HOME: '/proc/handshake-test/config' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('XDG_CONFIG_HOME');
  });

  it('--server localhost:8080 asks "did you mean http://localhost:8080?"', async () => {
    const r = await runInProcess(['compat', 'check', '--server', 'localhost:8080', '--json'], { env: box().env });
    expect(r.code).toBe(2);
    expect(parseJson<{ error: { message: string } }>(r).error.message).toContain('http://localhost:8080');
  });
});
