import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  appliedRevision,
  lastRun,
  migrate,
  openDatabase,
  type RunningServer,
  type ServerProcess,
  spawnServe,
  startServer,
  stopAll,
} from '../../examples/reference-server/index.js';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';

/**
 * The admin migration endpoint on the reference server's real PGlite
 * database, in process and as an operator runs it (a spawned `serve`, killed
 * with SIGKILL in the middle of a migration).
 */
const root = mkdtempSync(join(tmpdir(), 'ref-admin-'));
const template = join(root, 'template');
const ADMIN = 'admin-token-7f3c9a2e51d04b68';
const ORDINARY = 'ordinary-token-1234';
const REV3 = '0003_add_insight_meta_cache';
const REV4 = '0004_split_events_table';
const REV5 = '0005_add_retention_policy';
let counter = 0;
const running: RunningServer[] = [];
const logs: string[] = [];

beforeAll(async () => {
  expect(await migrate({ dataDir: template, to: REV3 })).toMatchObject({ status: 'migrated', revision: REV3 });
}, 60_000);
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  await stopAll();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function dataDirAt0003(): string {
  const dir = join(root, `data-${++counter}`);
  cpSync(template, dir, { recursive: true });
  return dir;
}

async function start(opts: Partial<Parameters<typeof startServer>[0]> & { dataDir: string }): Promise<RunningServer> {
  const server = await startServer({ version: '1.4.0', token: ORDINARY, adminToken: ADMIN, log: (l) => logs.push(l), ...opts });
  running.push(server);
  return server;
}

/** Every answer these tests read, to check the admin token is in none. */
const answers: string[] = [];
async function call(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  answers.push(`${res.status} ${JSON.stringify([...res.headers])} ${text}`);
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
}
const post = (url: string, token: string | null, body: unknown = { target_revision: REV5 }) =>
  call(`${url}/api/v1/admin/migrations`, {
    method: 'POST',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
async function version(url: string) {
  const r = await call(`${url}/api/v1/config/version`);
  expect(r.status).toBe(200);
  versionDocumentSchema.parse(r.body);
  return r.body;
}
const auth = { authorization: `Bearer ${ORDINARY}` };

async function tables(dataDir: string): Promise<{ revision: string | null; payloads: boolean; retention: boolean; last: unknown }> {
  const db = await openDatabase(dataDir);
  try {
    const has = async (t: string) => (await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [t])).rows[0]?.t != null;
    return {
      revision: await appliedRevision(db),
      payloads: await has('event_payloads'),
      retention: await has('retention_policies'),
      last: await lastRun(db),
    };
  } finally {
    await db.close();
  }
}

describe('the ordinary API (issue 15)', () => {
  it('POST /api/v1/projects answers, at 0003 and at 0005, and the server keeps answering after it', async () => {
    const dataDir = dataDirAt0003();
    const s3 = await start({ dataDir, version: null, adminToken: null });
    expect((await call(`${s3.url}/api/v1/projects`, { method: 'POST', headers: auth, body: '{"name":"x"}' })).status).toBe(201);
    expect((await call(`${s3.url}/api/v1/projects`, { headers: auth })).status).toBe(200);
    await running.pop()?.close();
    await migrate({ dataDir });
    const s5 = await start({ dataDir, version: null, adminToken: null });
    expect((await call(`${s5.url}/api/v1/projects`, { method: 'POST', headers: auth, body: '{"name":"y"}' })).status).toBe(201);
    const listed = await call(`${s5.url}/api/v1/projects`, { headers: auth });
    expect((listed.body['projects'] as { name: string }[]).map((p) => p.name)).toEqual(['default', 'x', 'y']);
  });

  it('POST /api/v1/events accepts {"name": "deploy"} (the api --help example) as well as {"type"}; two different ones are a 400', async () => {
    const server = await start({ dataDir: dataDirAt0003(), version: null, adminToken: null });
    const send = (body: unknown) => call(`${server.url}/api/v1/events`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    expect((await send({ name: 'deploy' })).status).toBe(201);
    expect((await send({ type: 'rollback' })).status).toBe(201);
    expect((await send({ type: 'a', name: 'b' })).status).toBe(400);
    expect((await send({})).status).toBe(400);
    const events = await call(`${server.url}/api/v1/events`, { headers: auth });
    expect((events.body['events'] as { type: string }[]).map((e) => e.type)).toEqual(['rollback', 'deploy']);
  });
});

describe('the admin migration endpoint, in process', () => {
  it('is off without an admin token: no migrate capability, and the path is an ordinary 404', async () => {
    const server = await start({ dataDir: dataDirAt0003(), adminToken: null });
    // Feature flags (capabilities.retention from 1.4.0) may be there; the admin endpoint's path must not.
    expect(await version(server.url)).not.toHaveProperty('capabilities.migrate');
    expect((await post(server.url, ADMIN)).status).toBe(401); // the ordinary token check: the route is the app's
    expect((await post(server.url, ORDINARY)).status).toBe(404);
    expect(await version(server.url)).toMatchObject({ schema_revision: REV3, migration_status: 'idle' });
  });

  it('401, 403, 422 and 409 start nothing; the admin token with the head backs up and applies the release’s migrations', async () => {
    const dataDir = dataDirAt0003();
    const server = await start({ dataDir });
    const before = await version(server.url);
    expect(before).toMatchObject({ capabilities: { migrate: '/api/v1/admin/migrations' }, schema_revision: REV3 });
    expect((before['pending_migrations'] as unknown[]).length).toBe(2);

    expect((await post(server.url, null)).status).toBe(401);
    expect((await post(server.url, 'not-the-admin-token')).status).toBe(401);
    expect((await post(server.url, ORDINARY)).status).toBe(403);
    expect((await post(server.url, ADMIN, { target_revision: REV4 })).status).toBe(409);
    expect((await post(server.url, ADMIN, '{')).status).toBe(422);
    expect((await post(server.url, ADMIN, { target_revision: REV5, sql: 'DROP TABLE projects' })).status).toBe(422);
    expect(await version(server.url)).toMatchObject({ schema_revision: REV3, migration_status: 'idle' });
    expect(readdirSync(root).filter((n) => n.startsWith(`data-${counter}.backup-`))).toEqual([]);

    const started = await post(server.url, ADMIN);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ migration_status: 'running', migration_progress: { total: 2 } });
    await server.handshake.migrations?.whenIdle();
    const after = await version(server.url);
    expect(after).toMatchObject({ schema_revision: REV5, migration_status: 'idle', pending_migrations: [], migration_progress: null });
    const backups = readdirSync(root).filter((n) => n.startsWith(`data-${counter}.backup-`));
    expect(backups).toHaveLength(1);
    await running.pop()?.close();
    expect(await tables(join(root, backups[0] as string))).toMatchObject({ revision: REV3, payloads: false });
    expect(await tables(dataDir)).toMatchObject({ revision: REV5, payloads: true, retention: true });
  });

  it('a failed backup applies nothing and ends in migration_status: failed, also after a restart', async () => {
    const dataDir = dataDirAt0003();
    const notADirectory = join(root, `backup-target-${counter}`);
    writeFileSync(notADirectory, 'a file where the backup directory should be');
    const server = await start({ dataDir, backupDir: notADirectory });
    // The run holds the event loop for seconds (the backup, the reopen): a client told Keep-Alive timeout=5 (Node's
    // default) may send its next request on a connection the late timer then closes (ECONNRESET). A minute.
    expect((await call(`${server.url}/api/v1/config/version`)).headers.get('keep-alive')).toBe('timeout=65');
    expect((await post(server.url, ADMIN)).status).toBe(202);
    await server.handshake.migrations?.whenIdle();
    expect(await version(server.url)).toMatchObject({ schema_revision: REV3, migration_status: 'failed' });
    // The API is back (no maintenance mode after the run), on the reopened database.
    expect((await call(`${server.url}/api/v1/projects`, { headers: auth })).status).toBe(200);
    await running.pop()?.close();
    expect(await tables(dataDir)).toMatchObject({ revision: REV3, payloads: false, retention: false, last: { status: 'failed' } });
    const restarted = await start({ dataDir });
    expect(await version(restarted.url)).toMatchObject({ schema_revision: REV3, migration_status: 'failed' });
  });
});

describe('the admin migration endpoint, as an operator runs it', { timeout: 120_000 }, () => {
  /** Polls the version document until `done` says so (no clock in the assertion: the test's own timeout bounds it). */
  async function until(url: string, done: (doc: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    for (;;) {
      const doc = await version(url);
      if (done(doc)) return doc;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const env = (extra: Record<string, string | undefined> = {}) => ({ ...process.env, REF_ADMIN: ADMIN, REF_TOKEN: ORDINARY, ...extra });
  const args = (dataDir: string, port = '0') => [
    '--data',
    dataDir,
    '--port',
    port,
    '--version',
    '1.4.0',
    '--token-env',
    'REF_TOKEN',
    '--admin-token-env',
    'REF_ADMIN',
  ];

  it('503s every other route while it runs; a SIGKILL mid-migration leaves a whole revision, and the restart tells the truth', async () => {
    const dataDir = dataDirAt0003();
    const slow: ServerProcess = await spawnServe(args(dataDir), { env: env({ REFERENCE_SERVER_MIGRATION_DELAY_MS: '2000' }) });
    expect((await post(slow.url, ADMIN)).status).toBe(202);
    // Inside 0005's transaction, after 0004 committed.
    const mid = await until(slow.url, (d) => (d['migration_progress'] as { applied?: number } | null)?.applied === 1);
    expect(mid).toMatchObject({ migration_status: 'running', schema_revision: REV4, migration_progress: { total: 2, current: REV5 } });
    for (const path of ['/api/v1/projects', '/api/v1/health', '/nothing']) {
      const r = await call(`${slow.url}${path}`, { headers: auth });
      expect(r.status, path).toBe(503);
      expect(r.headers.get('retry-after'), path).toMatch(/^\d+$/);
      expect(r.body, path).toMatchObject({ error: 'migrating', migration_progress: { applied: 1, total: 2 } });
    }
    expect((await post(slow.url, ADMIN)).status).toBe(409);
    slow.child.kill('SIGKILL');
    await slow.exited;

    // Nothing of 0005 is left: 0004 whole, 0005 not begun as far as the database knows.
    expect(await tables(dataDir)).toMatchObject({
      revision: REV4,
      payloads: true,
      retention: false,
      last: { revision: REV5, status: 'running' },
    });
    const restarted = await spawnServe(args(dataDir, String(slow.port)), { env: env() });
    const truth = await version(restarted.url);
    expect(truth).toMatchObject({ schema_revision: REV4, migration_status: 'failed' });
    expect((truth['pending_migrations'] as { revision: string }[]).map((p) => p.revision)).toEqual([REV5]);
    expect(restarted.stderr()).toMatch(/0005_add_retention_policy\) was interrupted/);

    // The admin runs it again: done, idle, nothing pending.
    expect((await post(restarted.url, ADMIN, { target_revision: REV5 })).status).toBe(202);
    const done = await until(restarted.url, (d) => d['migration_status'] !== 'running');
    expect(done).toMatchObject({ schema_revision: REV5, migration_status: 'idle', pending_migrations: [] });
    expect(await restarted.stop()).toBe(0);
    for (const text of [slow.stderr(), restarted.stderr()]) expect(text).not.toContain(ADMIN);
  });

  it('refuses an unset or weak admin token variable, and one equal to the API token, before anything starts', async () => {
    const dataDir = join(root, `never-${++counter}`);
    for (const extra of [
      { REF_ADMIN: '' },
      { REF_ADMIN: 'short' },
      { REF_ADMIN: ORDINARY.padEnd(20, 'x'), REF_TOKEN: ORDINARY.padEnd(20, 'x') },
    ]) {
      await expect(spawnServe(args(dataDir), { env: env(extra) })).rejects.toThrow(/exited with 2/);
    }
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('the admin token', () => {
  it('is in no answer and no log line of these tests', () => {
    expect(answers.length).toBeGreaterThan(20);
    for (const text of [...answers, ...logs]) expect(text).not.toContain(ADMIN);
  });
});
