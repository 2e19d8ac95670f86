import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  appliedRevision,
  defaultMigrationsDir,
  migrate,
  openDatabase,
  ReferenceServerError,
  type RunningServer,
  startServer,
} from '../../examples/reference-server/index.js';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';

/**
 * Creating a PGlite database costs seconds (initdb), opening one about 300 ms:
 * one database is initialised at 0003 here and each test works on a copy.
 */
const root = mkdtempSync(join(tmpdir(), 'ref-lifecycle-'));
const template = join(root, 'template');
let counter = 0;
const running: RunningServer[] = [];

beforeAll(async () => {
  const result = await migrate({ dataDir: template, to: '0003_add_insight_meta_cache' });
  expect(result).toMatchObject({ status: 'migrated', from: null, revision: '0003_add_insight_meta_cache', backup: null });
}, 60_000);

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh copy of the database at 0003. */
function dataDirAt0003(): string {
  const dir = join(root, `data-${++counter}`);
  cpSync(template, dir, { recursive: true });
  return dir;
}

async function start(opts: Parameters<typeof startServer>[0]): Promise<RunningServer> {
  const server = await startServer(opts);
  running.push(server);
  return server;
}

async function versionDocument(url: string) {
  const res = await fetch(`${url}/api/v1/config/version`);
  expect(res.status).toBe(200);
  return versionDocumentSchema.parse(await res.json());
}

async function tableExists(dataDir: string, table: string): Promise<boolean> {
  const db = await openDatabase(dataDir);
  try {
    const { rows } = await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
    return rows[0]?.t != null;
  } finally {
    await db.close();
  }
}

describe('a server at 0003 with two migrations pending', () => {
  it('reports its revision, version and pending migrations, with the headers on ordinary routes', async () => {
    const server = await start({ dataDir: dataDirAt0003(), deployment: 'docker-compose' });
    const doc = await versionDocument(server.url);
    expect(doc).toMatchObject({
      server_version: '1.2.0',
      schema_revision: '0003_add_insight_meta_cache',
      deployment: 'docker-compose',
      migration_status: 'idle',
    });
    // 1.2.0 is the release of 0003: its database lacks none of that release's migrations.
    expect(doc.pending_migrations).toEqual([]);

    const projects = await fetch(`${server.url}/api/v1/projects`);
    expect(projects.status).toBe(200);
    expect(projects.headers.get('x-schema-revision')).toBe('0003_add_insight_meta_cache');
    expect(projects.headers.get('x-server-version')).toBe('1.2.0');
    const missing = await fetch(`${server.url}/api/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-schema-revision')).toBe('0003_add_insight_meta_cache');
  });

  it.each([
    ['1.3.0', ['0004_split_events_table']],
    ['1.4.0', ['0004_split_events_table', '0005_add_retention_policy']],
    ['1.4.2', ['0004_split_events_table', '0005_add_retention_policy']],
  ])(
    'as release %s (a new release on an old schema) lists that release’s migrations as pending, not later ones',
    async (version, pending) => {
      const server = await start({ dataDir: dataDirAt0003(), version });
      const doc = await versionDocument(server.url);
      expect(doc).toMatchObject({ server_version: version, schema_revision: '0003_add_insight_meta_cache' });
      expect(doc.pending_migrations.map((p) => p.revision)).toEqual(pending);
      expect(doc.pending_migrations.every((p) => p.description)).toBe(true);
    },
  );

  it('an older release on a newer database (a rollback without a downgrade) has nothing pending', async () => {
    const dataDir = dataDirAt0003();
    expect(await migrate({ dataDir })).toMatchObject({ revision: '0005_add_retention_policy' });
    const server = await start({ dataDir, version: '1.3.0' });
    expect(await versionDocument(server.url)).toMatchObject({ schema_revision: '0005_add_retention_policy', pending_migrations: [] });
  });
});

describe('migrate in a restart window', () => {
  it('backs up, applies each pending migration, and the restarted server on the same port reports the head', async () => {
    const dataDir = dataDirAt0003();
    const before = await start({ dataDir });
    const posted = await fetch(`${before.url}/api/v1/events`, {
      method: 'POST',
      body: JSON.stringify({ type: 'deploy', payload: { sha: 'abc123' }, tags: { env: 'prod' } }),
    });
    expect(posted.status).toBe(201);
    const port = before.port;
    await before.close();

    const result = await migrate({ dataDir });
    expect(result).toMatchObject({
      status: 'migrated',
      from: '0003_add_insight_meta_cache',
      revision: '0005_add_retention_policy',
      applied: ['0004_split_events_table', '0005_add_retention_policy'],
      failed: null,
    });
    expect(result.backup && existsSync(result.backup)).toBe(true);
    expect(result.restore).toContain(result.backup);
    const backupDb = await openDatabase(result.backup as string);
    expect(await appliedRevision(backupDb)).toBe('0003_add_insight_meta_cache');
    await backupDb.close();

    const after = await start({ dataDir, port });
    expect(after.port).toBe(port);
    const doc = await versionDocument(after.url);
    expect(doc).toMatchObject({ server_version: '1.4.0', schema_revision: '0005_add_retention_policy', migration_status: 'idle' });
    expect(doc.pending_migrations).toEqual([]);
    const events = await fetch(`${after.url}/api/v1/events`);
    expect(events.headers.get('x-schema-revision')).toBe('0005_add_retention_policy');
    // The payload moved to event_payloads with 0004 and is still served.
    expect(((await events.json()) as { events: { payload: unknown }[] }).events[0]?.payload).toEqual({ sha: 'abc123' });
  });

  it('stops at --to, and does nothing (no backup) when already there', async () => {
    const dataDir = dataDirAt0003();
    expect(await migrate({ dataDir, to: '0004_split_events_table' })).toMatchObject({
      status: 'migrated',
      revision: '0004_split_events_table',
      applied: ['0004_split_events_table'],
    });
    const backups = () => readdirSync(root).filter((n) => n.startsWith(`${dataDir.split('/').pop()}.backup-`));
    expect(backups()).toHaveLength(1);
    expect(await migrate({ dataDir, to: '0004_split_events_table' })).toMatchObject({ status: 'up_to_date', applied: [], backup: null });
    expect(backups()).toHaveLength(1);
  });

  it('refuses to run while the server has the data directory, and refuses a downgrade', async () => {
    const dataDir = dataDirAt0003();
    await start({ dataDir });
    await expect(migrate({ dataDir })).rejects.toThrow(ReferenceServerError);
    await running.pop()?.close();
    await expect(migrate({ dataDir, to: '0002_add_event_tags' })).rejects.toMatchObject({ exitCode: 2 });
  });

  it('refuses --at on a data directory at another revision instead of changing it', async () => {
    const dataDir = dataDirAt0003();
    await expect(start({ dataDir, at: '0005_add_retention_policy' })).rejects.toMatchObject({ exitCode: 2 });
    // It released the directory: it can be served as it is.
    expect((await start({ dataDir, at: '0003_add_insight_meta_cache' })).schemaRevision).toBe('0003_add_insight_meta_cache');
  });
});

describe('a migration that fails', () => {
  /** The shipped 0001-0003 and a 0004 that creates its table, then fails on a typo. */
  function brokenMigrations(): string {
    const dir = join(root, `broken-migrations-${++counter}`);
    cpSync(defaultMigrationsDir(), dir, { recursive: true, filter: (src) => !/000[45]_/.test(src) });
    writeFileSync(
      join(dir, '0004_split_events_table.sql'),
      [
        '-- description: events split into events and event_payloads',
        '-- server_version: 1.3.0',
        'CREATE TABLE event_payloads (event_id bigint PRIMARY KEY REFERENCES events (id), payload jsonb NOT NULL);',
        'INSERT INTO event_payloads (event_id, payload) SELECT id, paylod FROM events;',
        'ALTER TABLE events DROP COLUMN payload;',
      ].join('\n'),
    );
    return dir;
  }

  it('is rolled back, recorded as failed for the server to report, and names the backup', async () => {
    const dataDir = dataDirAt0003();
    const migrationsDir = brokenMigrations();
    const result = await migrate({ dataDir, migrationsDir });
    expect(result).toMatchObject({
      status: 'failed',
      from: '0003_add_insight_meta_cache',
      revision: '0003_add_insight_meta_cache',
      applied: [],
    });
    expect(result.failed?.revision).toBe('0004_split_events_table');
    expect(result.failed?.error).toMatch(/paylod/);
    expect(result.backup && existsSync(result.backup)).toBe(true);
    expect(result.restore).toContain(result.backup);

    // Rolled back: the table the step created is gone, and events keep their payload column.
    expect(await tableExists(dataDir, 'event_payloads')).toBe(false);
    const server = await start({ dataDir, migrationsDir, version: '1.3.0' });
    const doc = await versionDocument(server.url);
    expect(doc).toMatchObject({ schema_revision: '0003_add_insight_meta_cache', migration_status: 'failed', server_version: '1.3.0' });
    expect(doc.pending_migrations.map((p) => p.revision)).toEqual(['0004_split_events_table']);
    expect((await fetch(`${server.url}/api/v1/events`)).status).toBe(200);
    await running.pop()?.close();

    // Fixed and run again: applied, and the status clears.
    cpSync(join(defaultMigrationsDir(), '0004_split_events_table.sql'), join(migrationsDir, '0004_split_events_table.sql'));
    expect(await migrate({ dataDir, migrationsDir })).toMatchObject({ status: 'migrated', revision: '0004_split_events_table' });
    const fixed = await start({ dataDir, migrationsDir });
    expect(await versionDocument(fixed.url)).toMatchObject({ schema_revision: '0004_split_events_table', migration_status: 'idle' });
  });
});

describe('the database', () => {
  it('holds only the postgres database and runs with 16 MB of shared buffers: copies and opens cost a third (README “The data directory”)', async () => {
    const db = await openDatabase(dataDirAt0003());
    try {
      expect((await db.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows).toEqual([{ shared_buffers: '16MB' }]);
      // A copy of the template: only the database PGlite serves, not initdb's template0 and template1.
      expect((await db.query<{ datname: string }>('SELECT datname FROM pg_database')).rows).toEqual([{ datname: 'postgres' }]);
    } finally {
      await db.close();
    }
  });
});

describe('bearer-token auth', () => {
  it('guards the API but never the version endpoint, and keeps the headers on the 401', async () => {
    const server = await start({ dataDir: dataDirAt0003(), token: 's3cret-token' });
    const denied = await fetch(`${server.url}/api/v1/projects`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('x-schema-revision')).toBe('0003_add_insight_meta_cache');
    expect((await fetch(`${server.url}/api/v1/projects`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${server.url}/api/v1/projects`, { headers: { authorization: 'Bearer s3cret-token' } })).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/config/version`)).status).toBe(200);
  });
});
