import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import {
  type AdminMigrationOptions,
  createHandshakeServer,
  createMigrationController,
  HandshakeServerError,
  type MigrationRunContext,
  type RevisionSource,
} from '../../src/server/index.js';
import { listen, type TestServer } from '../helpers/http.js';

const ADMIN = 'adm1n-t0ken-0123456789';
const ORDINARY = 'ordinary-token-abcdef';
const CHAIN = ['0003_add_insight_meta_cache', '0004_split_events_table', '0005_add_retention_policy'];
const HEAD = '0005_add_retention_policy';

function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A server at 0003 whose release's head is 0005, with a runner the test
 * drives: each run waits on `gate` before "applying", then moves the source.
 */
function fixture(overrides: Partial<AdminMigrationOptions> = {}) {
  const db = { applied: CHAIN[0] as string, status: 'idle' as 'idle' | 'failed' };
  const runs: MigrationRunContext[] = [];
  const gate = deferred();
  const started = deferred();
  const applied: string[] = [];
  const source: RevisionSource = {
    applied: async () => db.applied,
    pending: async () => CHAIN.slice(CHAIN.indexOf(db.applied) + 1).map((revision) => ({ revision, description: null })),
    status: async () => db.status,
  };
  const controller = createMigrationController({
    adminToken: ADMIN,
    ordinaryToken: ORDINARY,
    head: () => HEAD,
    run: async (ctx) => {
      runs.push(ctx);
      ctx.progress({ applied: 0, total: 2, current: null });
      started.resolve();
      await gate.promise; // the backup; it throws when the test rejects the gate
      for (const [i, revision] of CHAIN.slice(1).entries()) {
        ctx.progress({ applied: i, total: 2, current: revision });
        db.applied = revision;
        applied.push(revision);
        ctx.progress({ applied: i + 1, total: 2, current: null, schemaRevision: revision });
      }
    },
    ...overrides,
  });
  return { db, runs, gate, started, applied, source, controller };
}

/** The app behind the middleware: 200 on /api/v1/projects, 404 elsewhere. */
function app(req: IncomingMessage, res: ServerResponse): void {
  res.statusCode = req.url === '/api/v1/projects' ? 200 : 404;
  res.setHeader('content-type', 'application/json');
  res.end(res.statusCode === 200 ? '{"projects":[]}' : '{"error":"not found"}');
}

const servers: TestServer[] = [];
/** Every status line, header and body any test received, to check the admin token never appears in one. */
const seen: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(f: ReturnType<typeof fixture>) {
  const hs = createHandshakeServer({ serverVersion: '1.4.0', revisions: f.source, migrations: f.controller });
  await hs.refresh();
  const server = await listen((req, res) => hs.middleware(req, res, () => app(req, res)));
  servers.push(server);
  const call = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(server.url + path, init);
    const text = await res.text();
    seen.push(`${res.status} ${JSON.stringify([...res.headers])} ${text}`);
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  };
  const post = (token: string | null, body: unknown = { target_revision: HEAD }) =>
    call('/api/v1/admin/migrations', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const version = async () => {
    const r = await call('/api/v1/config/version');
    expect(r.status).toBe(200);
    // Whatever this server adds, the CLI's own schema still parses it.
    versionDocumentSchema.parse(r.body);
    return r.body as Record<string, unknown>;
  };
  return { hs, call, post, version };
}

describe('admin migration endpoint: off unless an admin token is configured', () => {
  it.each([null, ''])('with adminToken %j: no route, no capabilities, nothing started', async (adminToken) => {
    const f = fixture({ adminToken });
    const { post, version } = await serve(f);
    const r = await post(ADMIN);
    expect(r.status).toBe(404); // the app's own 404: the route does not exist
    expect(r.body).toEqual({ error: 'not found' });
    const doc = await version();
    expect(doc).not.toHaveProperty('capabilities');
    expect(doc).not.toHaveProperty('migration_progress');
    expect(f.runs).toHaveLength(0);
  });

  it('advertises the path in capabilities.migrate when on, with no progress while idle', async () => {
    const { version } = await serve(fixture());
    expect(await version()).toMatchObject({
      capabilities: { migrate: '/api/v1/admin/migrations' },
      migration_progress: null,
      migration_status: 'idle',
    });
  });

  it('refuses a setup where the admin token is the ordinary one, or the path is not a path', () => {
    expect(() => createMigrationController({ adminToken: 'same', ordinaryToken: 'same', head: () => HEAD, run: async () => {} })).toThrow(
      HandshakeServerError,
    );
    expect(() => createMigrationController({ adminToken: ADMIN, path: 'admin', head: () => HEAD, run: async () => {} })).toThrow(
      HandshakeServerError,
    );
  });
});

describe('admin migration endpoint: who may start a run', () => {
  it.each([
    ['no Authorization header', null],
    ['a wrong token', 'wrong'],
    ['a token that is the admin token with one more character', `${ADMIN}x`],
    ['a prefix of the admin token', ADMIN.slice(0, 8)],
  ])('401 with %s, and nothing started', async (_name, token) => {
    const f = fixture();
    const { post, version } = await serve(f);
    const r = await post(token);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(f.runs).toHaveLength(0);
    expect(await version()).toMatchObject({ migration_status: 'idle', schema_revision: CHAIN[0] });
  });

  it('403 with the ordinary API token (given as a value or recognised by a predicate), and nothing started', async () => {
    const byValue = fixture();
    expect((await (await serve(byValue)).post(ORDINARY)).status).toBe(403);
    const byPredicate = fixture({ ordinaryToken: null, isOrdinaryToken: async (t) => t === 'from-the-token-table' });
    const s = await serve(byPredicate);
    expect((await s.post('from-the-token-table')).status).toBe(403);
    expect((await s.post('not-in-the-table')).status).toBe(401);
    expect(byValue.runs.length + byPredicate.runs.length).toBe(0);
  });

  it('401 comes before the body is looked at: an unauthenticated caller learns nothing from a 422', async () => {
    const f = fixture();
    expect((await (await serve(f)).post(null, 'not json')).status).toBe(401);
  });

  it('405 for a method other than POST', async () => {
    const { call } = await serve(fixture());
    const r = await call('/api/v1/admin/migrations', { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
  });
});

describe('admin migration endpoint: what it starts', () => {
  it.each([
    ['not JSON', '{"target_revision":'],
    ['an array', [HEAD]],
    ['no target_revision', {}],
    ['a target that is not a revision id (a control character)', { target_revision: 'x\u0007; DROP TABLE projects' }],
    ['a number', { target_revision: 5 }],
    ['an extra field', { target_revision: HEAD, sql: 'DROP TABLE projects' }],
    ['a body over 16 KiB', { target_revision: HEAD.padEnd(20_000, 'x') }],
  ])('422 for %s, and nothing started', async (_name, body) => {
    const f = fixture();
    const r = await (await serve(f)).post(ADMIN, body);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ error: { code: 'invalid_request' } });
    expect(f.runs).toHaveLength(0);
  });

  it('409 when target_revision is not the head of the release, naming the head; nothing started', async () => {
    const f = fixture();
    const r = await (await serve(f)).post(ADMIN, { target_revision: '0004_split_events_table' });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ error: { code: 'target_mismatch' } });
    expect(JSON.stringify(r.body)).toContain(HEAD);
    expect(f.runs).toHaveLength(0);
  });

  it('409 when the database is already at the head', async () => {
    const f = fixture();
    f.db.applied = HEAD;
    const r = await (await serve(f)).post(ADMIN);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ error: { code: 'up_to_date' } });
    expect(f.runs).toHaveLength(0);
  });

  it('202 with the running document; every route but the version endpoint 503s with Retry-After and the progress; then idle at the head', async () => {
    const f = fixture();
    const { post, call, version } = await serve(f);
    const r = await post(ADMIN);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({
      migration_status: 'running',
      migration_progress: { applied: 0, total: 2, current: null },
      schema_revision: CHAIN[0],
    });
    await f.started.promise;

    for (const path of ['/api/v1/projects', '/nothing-here', '/api/v1/health']) {
      const m = await call(path);
      expect(m.status, path).toBe(503);
      expect(Number(m.headers.get('retry-after')), path).toBeGreaterThan(0);
      expect(m.body, path).toMatchObject({ error: 'migrating', migration_progress: { applied: 0, total: 2 } });
      expect(m.headers.get('x-schema-revision'), path).toBe(CHAIN[0]);
    }
    expect(await version()).toMatchObject({ migration_status: 'running', migration_progress: { applied: 0, total: 2 } });
    // A second request while it runs: 409, and still one run.
    expect((await post(ADMIN)).status).toBe(409);
    expect(f.runs).toHaveLength(1);

    f.gate.resolve();
    await f.controller.whenIdle();
    const after = await version();
    expect(after).toMatchObject({ migration_status: 'idle', schema_revision: HEAD, pending_migrations: [], migration_progress: null });
    expect((await call('/api/v1/projects')).status).toBe(200);
    expect(f.applied).toEqual(CHAIN.slice(1));
  });

  it.each([2, 10])('%i concurrent requests start exactly one run', async (n) => {
    // Every request is held inside head() until all n have passed the "is a run going?" check: the race is real.
    let waiting = 0;
    const allIn = deferred();
    const f = fixture({
      head: async () => {
        if (++waiting === n) allIn.resolve();
        await allIn.promise;
        return HEAD;
      },
    });
    const { post } = await serve(f);
    const answers = await Promise.all(Array.from({ length: n }, () => post(ADMIN)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(n - 1);
    f.gate.resolve();
    await f.controller.whenIdle();
    expect(f.runs).toHaveLength(1);
  });

  it('a failed backup applies nothing and ends in migration_status: failed; the guard lifts; a new run may start', async () => {
    const errors: unknown[] = [];
    const f = fixture({ onError: (err) => errors.push(err) });
    const { post, call, version } = await serve(f);
    expect((await post(ADMIN)).status).toBe(202);
    await f.started.promise;
    f.gate.reject(new Error('backup failed: ENOSPC'));
    await f.controller.whenIdle();
    expect(f.applied).toEqual([]);
    expect(await version()).toMatchObject({ migration_status: 'failed', schema_revision: CHAIN[0], migration_progress: null });
    expect(f.controller.state().error).toContain('ENOSPC');
    expect(errors).toHaveLength(1);
    expect((await call('/api/v1/projects')).status).toBe(200);
  });

  it('stop() aborts the run signal and waits for the runner to return', async () => {
    const f = fixture();
    const { post } = await serve(f);
    expect((await post(ADMIN)).status).toBe(202);
    await f.started.promise;
    const stopping = f.controller.stop();
    expect(f.runs[0]?.signal.aborted).toBe(true);
    f.gate.resolve();
    await stopping;
    expect(f.controller.running()).toBe(false);
  });
});

describe('admin migration endpoint for frameworks that parse the body themselves', () => {
  it('migrationAnswer takes a parsed body and answers as a value', async () => {
    const f = fixture();
    const hs = createHandshakeServer({ serverVersion: '1.4.0', revisions: f.source, migrations: f.controller });
    const ask = (authorization: string | undefined, body: unknown) =>
      hs.migrationAnswer({ method: 'POST', authorization, body: async () => body });
    expect((await ask(undefined, { target_revision: HEAD })).status).toBe(401);
    expect((await ask(`Bearer ${ADMIN}`, { target_revision: 7 })).status).toBe(422);
    const started = await ask(`Bearer ${ADMIN}`, { target_revision: HEAD });
    expect(started).toMatchObject({ status: 202, body: { migration_status: 'running' } });
    const fakeReq = { url: '/api/v1/projects', headers: {} } as IncomingMessage;
    expect(hs.maintenanceRejection(fakeReq)).toMatchObject({ status: 503, body: { error: 'migrating' } });
    f.gate.resolve();
    await f.controller.whenIdle();
    expect(hs.maintenanceRejection(fakeReq)).toBeNull();
  });
});

describe('the admin token', () => {
  it('never appears in any status line, header or body these tests received', () => {
    expect(seen.length).toBeGreaterThan(20);
    for (const line of seen) expect(line).not.toContain(ADMIN);
  });
});
