import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import {
  createHandshakeServer,
  HandshakeServerError,
  type HandshakeServerOptions,
  type PendingMigrationInfo,
  RevisionReadTimeout,
  type RevisionSource,
} from '../../src/server/index.js';
import { listen, type TestServer } from '../helpers/http.js';

/** A revision source the test can move, counting its reads. */
function movableSource(applied: string | null, pending: PendingMigrationInfo[] = []) {
  const state = { applied, pending, reads: 0, fail: null as Error | null };
  const source: RevisionSource = {
    async applied() {
      state.reads++;
      if (state.fail) throw state.fail;
      return state.applied;
    },
    async pending() {
      return state.pending;
    },
    async status() {
      return 'idle';
    },
  };
  return { state, source };
}

/** The app behind the middleware: a 200 on /api/v1/projects, a 404 elsewhere. */
function app(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/api/v1/projects') {
    res.setHeader('content-type', 'application/json');
    res.end('[]');
    return;
  }
  res.statusCode = 404;
  res.end('not found');
}

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(options: HandshakeServerOptions) {
  const hs = createHandshakeServer(options);
  const server = await listen((req, res) => hs.middleware(req, res, () => app(req, res)));
  servers.push(server);
  return { hs, url: server.url };
}

describe('createHandshakeServer: headers on every response', () => {
  it('sets the revision and version on ordinary routes, on 404s and on the version endpoint', async () => {
    const { source } = movableSource('0003_add_insight_meta_cache');
    const { url } = await serve({ serverVersion: '1.2.0', revisions: source });
    for (const path of ['/api/v1/projects', '/nope', '/api/v1/config/version']) {
      const res = await fetch(url + path);
      await res.arrayBuffer();
      expect(res.headers.get('x-schema-revision'), path).toBe('0003_add_insight_meta_cache');
      expect(res.headers.get('x-server-version'), path).toBe('1.2.0');
    }
  });

  it('uses overridden header names', async () => {
    const { source } = movableSource('0001_initial');
    const { url } = await serve({
      serverVersion: '1.0.0',
      revisions: source,
      headers: { schemaRevision: 'X-Observal-Schema', serverVersion: 'X-Observal-Server' },
    });
    const res = await fetch(`${url}/api/v1/projects`);
    expect(res.headers.get('x-observal-schema')).toBe('0001_initial');
    expect(res.headers.get('x-observal-server')).toBe('1.0.0');
    expect(res.headers.get('x-schema-revision')).toBeNull();
  });

  it('reuses a read within cacheMs, and shows a new revision after refresh()', async () => {
    const { state, source } = movableSource('0003_add_insight_meta_cache');
    const { hs, url } = await serve({ serverVersion: '1.2.0', revisions: source, cacheMs: 60_000 });
    for (let i = 0; i < 5; i++) await (await fetch(`${url}/api/v1/projects`)).arrayBuffer();
    expect(state.reads).toBe(1);

    state.applied = '0004_split_events_table';
    expect((await fetch(`${url}/api/v1/projects`)).headers.get('x-schema-revision')).toBe('0003_add_insight_meta_cache');
    await hs.refresh();
    expect((await fetch(`${url}/api/v1/projects`)).headers.get('x-schema-revision')).toBe('0004_split_events_table');
  });

  it('reads again in the background once the cache is stale', async () => {
    const { state, source } = movableSource('0003_add_insight_meta_cache');
    const { url } = await serve({ serverVersion: '1.2.0', revisions: source, cacheMs: 0 });
    await (await fetch(`${url}/api/v1/projects`)).arrayBuffer();
    state.applied = '0004_split_events_table';
    await vi.waitFor(async () => {
      expect((await fetch(`${url}/api/v1/projects`)).headers.get('x-schema-revision')).toBe('0004_split_events_table');
    });
  });

  it('lets requests through without the revision when the source fails, and reports the error', async () => {
    const { state, source } = movableSource('0003_add_insight_meta_cache');
    state.fail = new Error('connect ECONNREFUSED postgres://app:s3cret@db/app');
    const errors: unknown[] = [];
    const { url } = await serve({ serverVersion: '1.2.0', revisions: source, onError: (e) => errors.push(e) });
    const res = await fetch(`${url}/api/v1/projects`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-schema-revision')).toBeNull();
    expect(res.headers.get('x-server-version')).toBe('1.2.0');
    expect(errors).toContain(state.fail);
  });

  it('reports a source that returns an invalid revision instead of putting it in a header', async () => {
    const { source } = movableSource('0003\r\nSet-Cookie: x=1');
    const errors: unknown[] = [];
    const { url } = await serve({ serverVersion: '1.2.0', revisions: source, onError: (e) => errors.push(e) });
    const res = await fetch(`${url}/api/v1/projects`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-schema-revision')).toBeNull();
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(errors[0]).toBeInstanceOf(HandshakeServerError);
  });

  it('without a revision source, sets the version header only', async () => {
    const { url } = await serve({ serverVersion: '2.0.0' });
    const res = await fetch(`${url}/api/v1/projects`);
    expect(res.headers.get('x-server-version')).toBe('2.0.0');
    expect(res.headers.get('x-schema-revision')).toBeNull();
  });
});

describe('createHandshakeServer: the version endpoint', () => {
  it('serves a fresh document as JSON that the CLI schema parses', async () => {
    const { state, source } = movableSource('0003_add_insight_meta_cache', [
      { revision: '0004_split_events_table', description: 'events split' },
    ]);
    const { url } = await serve({
      serverVersion: '1.2.0',
      revisions: source,
      minCliVersion: '0.9.0',
      deployment: 'docker-compose',
      cacheMs: 60_000,
    });
    const first = await fetch(`${url}/api/v1/config/version`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const doc = versionDocumentSchema.parse(await first.json());
    expect(doc).toMatchObject({
      server_version: '1.2.0',
      schema_revision: '0003_add_insight_meta_cache',
      min_cli_version: '0.9.0',
      deployment: 'docker-compose',
      migration_status: 'idle',
      pending_migrations: [{ revision: '0004_split_events_table', description: 'events split' }],
    });

    // The endpoint does not wait for the header cache to expire.
    state.applied = '0004_split_events_table';
    state.pending = [];
    const second = await fetch(`${url}/api/v1/config/version?x=1`);
    expect(await second.json()).toMatchObject({ schema_revision: '0004_split_events_table', pending_migrations: [] });
    expect(second.headers.get('x-schema-revision')).toBe('0004_split_events_table');
  });

  it('serves at an overridden path only', async () => {
    const { source } = movableSource('0001_initial');
    const { url } = await serve({ serverVersion: '1.0.0', revisions: source, versionPath: '/version' });
    expect((await fetch(`${url}/version`)).status).toBe(200);
    expect((await fetch(`${url}/api/v1/config/version`)).status).toBe(404);
  });

  it('answers HEAD without a body and other methods with 405', async () => {
    const { source } = movableSource('0001_initial');
    const { url } = await serve({ serverVersion: '1.0.0', revisions: source });
    const head = await fetch(`${url}/api/v1/config/version`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${url}/api/v1/config/version`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toContain('GET');
  });

  it('answers 503 with a JSON error, without the error text, when the source fails', async () => {
    const { state, source } = movableSource('0001_initial');
    state.fail = new Error('password authentication failed for user "app" (password s3cret)');
    const { url } = await serve({ serverVersion: '1.0.0', revisions: source, onError: () => {} });
    const res = await fetch(`${url}/api/v1/config/version`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).not.toContain('s3cret');
    expect(JSON.parse(text).error.remedy).toBeTruthy();
  });

  it('versionHandler serves the document on any path it is mounted on', async () => {
    const { source } = movableSource('0002_add_event_tags');
    const hs = createHandshakeServer({ serverVersion: '1.1.0', revisions: source });
    const server = await listen(hs.versionHandler);
    servers.push(server);
    const res = await fetch(`${server.url}/mounted/elsewhere`);
    expect(await res.json()).toMatchObject({ server_version: '1.1.0', schema_revision: '0002_add_event_tags' });
  });
});

describe('createHandshakeServer: the CLI window', () => {
  it('with enforceCliWindow, answers 426 to an old CLI on ordinary routes but not on the version endpoint', async () => {
    const { source } = movableSource('0004_split_events_table');
    const { url } = await serve({ serverVersion: '1.3.0', revisions: source, minCliVersion: '0.9.0', enforceCliWindow: true });
    const old = { 'X-CLI-Version': '0.8.0' };

    const refused = await fetch(`${url}/api/v1/projects`, { headers: old });
    expect(refused.status).toBe(426);
    expect(refused.headers.get('x-required-cli-version')).toBe('0.9.0');
    expect(refused.headers.get('x-schema-revision')).toBe('0004_split_events_table');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('cli_outdated');

    expect((await fetch(`${url}/api/v1/config/version`, { headers: old })).status).toBe(200);
    expect((await fetch(`${url}/api/v1/projects`, { headers: { 'X-CLI-Version': '0.9.0' } })).status).toBe(200);
    expect((await fetch(`${url}/api/v1/projects`, { headers: { 'X-CLI-Version': '5.0.0' } })).status).toBe(200);
    expect((await fetch(`${url}/api/v1/projects`)).status).toBe(200);
  });

  it('without enforceCliWindow, lets an old CLI through', async () => {
    const { source } = movableSource('0004_split_events_table');
    const { url } = await serve({ serverVersion: '1.3.0', revisions: source, minCliVersion: '0.9.0' });
    expect((await fetch(`${url}/api/v1/projects`, { headers: { 'X-CLI-Version': '0.8.0' } })).status).toBe(200);
  });

  it('reads an overridden CLI-version header and names the required version in an overridden one', async () => {
    const hs = createHandshakeServer({
      serverVersion: '1.3.0',
      minCliVersion: '0.9.0',
      headers: { cliVersion: 'X-Observal-CLI', requiredCliVersion: 'X-Observal-Min-CLI' },
    });
    const server = await listen((req, res) => hs.requireCliVersion(req, res, () => app(req, res)));
    servers.push(server);
    const res = await fetch(`${server.url}/api/v1/projects`, { headers: { 'X-Observal-CLI': '0.1.0', 'X-CLI-Version': '9.0.0' } });
    expect(res.status).toBe(426);
    expect(res.headers.get('x-observal-min-cli')).toBe('0.9.0');
  });
});

describe('createHandshakeServer: setup', () => {
  it.each<[string, HandshakeServerOptions]>([
    ['a non-semver server version', { serverVersion: 'next' }],
    ['a non-semver minimum CLI', { serverVersion: '1.0.0', minCliVersion: 'one' }],
    ['a bad header name', { serverVersion: '1.0.0', headers: { schemaRevision: 'X Bad\n' } }],
    ['an unknown header option', { serverVersion: '1.0.0', headers: { revision: 'X-Rev' } as never }],
    ['a header option named like an Object method', { serverVersion: '1.0.0', headers: { toString: 'X-Rev' } as never }],
    ['a relative version path', { serverVersion: '1.0.0', versionPath: 'api/version' }],
    ['a negative cache time', { serverVersion: '1.0.0', cacheMs: -1 }],
  ])('refuses %s at setup, with a remedy', (_label, options) => {
    expect(() => createHandshakeServer(options)).toThrow(HandshakeServerError);
    try {
      createHandshakeServer(options);
    } catch (err) {
      expect((err as HandshakeServerError).remedy).toBeTruthy();
    }
  });

  it('gives the headers to set for frameworks with their own reply object', async () => {
    const { source } = movableSource('0005_add_retention_policy');
    const hs = createHandshakeServer({ serverVersion: '1.4.0', revisions: source });
    expect(hs.responseHeaders()).toEqual({ 'X-Server-Version': '1.4.0' });
    await hs.refresh();
    expect(hs.responseHeaders()).toEqual({ 'X-Server-Version': '1.4.0', 'X-Schema-Revision': '0005_add_retention_policy' });
  });

  it('refreshes stale response headers in the background, like the middleware', async () => {
    const { state, source } = movableSource('0004_split_events_table');
    const hs = createHandshakeServer({ serverVersion: '1.4.0', revisions: source, cacheMs: 0 });
    await hs.refresh();
    state.applied = '0005_add_retention_policy';
    await vi.waitFor(() => expect(hs.responseHeaders()['X-Schema-Revision']).toBe('0005_add_retention_policy'));
  });
});

describe('createHandshakeServer: a revision source that never answers', () => {
  /** A source whose reads hang until `state.hang` is false; counts the reads started. */
  function hangingSource() {
    const state = { hang: true, reads: 0 };
    const source: RevisionSource = {
      applied() {
        state.reads++;
        return state.hang ? new Promise<string | null>(() => {}) : Promise.resolve('0003_add_insight_meta_cache');
      },
      async pending() {
        return [];
      },
    };
    return { state, source };
  }

  it('the version endpoint answers 503 with Retry-After past readTimeoutMs; later requests start reads of their own', async () => {
    const { state, source } = hangingSource();
    const errors: unknown[] = [];
    const { url } = await serve({ serverVersion: '1.2.0', revisions: source, readTimeoutMs: 100, onError: (e) => errors.push(e) });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${url}/api/v1/config/version`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('schema_state_unavailable');
    }
    // Each request after a read's deadline started a new read instead of joining the stuck one.
    expect(state.reads).toBeGreaterThanOrEqual(2);
    expect(errors.some((e) => e instanceof RevisionReadTimeout)).toBe(true);
    // The source recovers: the next request is not tied to the reads still hanging.
    state.hang = false;
    const ok = await fetch(`${url}/api/v1/config/version`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { schema_revision: string }).schema_revision).toBe('0003_add_insight_meta_cache');
  });

  it('when the very first read hangs, ordinary routes still answer (without the revision header)', async () => {
    const { source } = hangingSource();
    const { url } = await serve({ serverVersion: '1.2.0', revisions: source, readTimeoutMs: 100 });
    const res = await fetch(`${url}/api/v1/projects`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-server-version')).toBe('1.2.0');
    expect(res.headers.get('x-schema-revision')).toBeNull();
  });

  it('readTimeoutMs must be a positive number', () => {
    expect(() => createHandshakeServer({ serverVersion: '1.2.0', readTimeoutMs: 0 })).toThrow(HandshakeServerError);
  });
});
