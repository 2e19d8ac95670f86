/**
 * The server helpers mounted in real frameworks (Express, Fastify, Hono through the web-standard
 * fetch wrapper, and the fetch wrapper alone as a Next.js route handler would use it), each on a
 * real loopback port, answering what docs/protocol.md §1 asks of every server.
 */
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import { handshakeExpress } from '../../src/server/express.js';
import { handshakeFetch } from '../../src/server/fetch.js';
import {
  createHandshakeServer,
  createMigrationController,
  type HandshakeServerOptions,
  type RevisionSource,
} from '../../src/server/index.js';
import { ADAPTERS, type Mount } from '../helpers/adapters.js';
import { listen, type TestServer } from '../helpers/http.js';

const ADMIN = 'adm1n-t0ken-0123456789';
const ORDINARY = 'ordinary-token-abcdef';
const CHAIN = ['0003_add_insight_meta_cache', '0004_split_events_table', '0005_add_retention_policy'];

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(mount: Mount, options: Partial<HandshakeServerOptions> = {}) {
  const source: RevisionSource = {
    applied: async () => CHAIN[0] as string,
    pending: async () => CHAIN.slice(1).map((revision) => ({ revision, description: null })),
    status: async () => 'idle',
  };
  const hs = createHandshakeServer({ serverVersion: '1.4.0', revisions: source, minCliVersion: '0.9.0', ...options });
  const server = await mount(hs);
  servers.push(server);
  return { hs, url: server.url };
}

function expectHandshakeHeaders(res: Response, what: string) {
  expect(res.headers.get('x-schema-revision'), what).toBe(CHAIN[0]);
  expect(res.headers.get('x-server-version'), what).toBe('1.4.0');
}

/** A runner the test holds inside its backup until `release()`. */
function heldMigrations() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const controller = createMigrationController({
    adminToken: ADMIN,
    ordinaryToken: ORDINARY,
    head: () => CHAIN[2] as string,
    retryAfterSeconds: 7,
    run: async (ctx) => {
      ctx.progress({ applied: 0, total: 2, current: null });
      await gate;
    },
  });
  return { controller, release };
}

describe.each(ADAPTERS)('%s', (_name, mount) => {
  it('serves the version document at its path, with both headers, on GET and HEAD', async () => {
    const { url } = await serve(mount);
    const res = await fetch(`${url}/api/v1/config/version`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expectHandshakeHeaders(res, 'GET version');
    const doc = versionDocumentSchema.parse(await res.json());
    expect(doc).toMatchObject({ server_version: '1.4.0', schema_revision: CHAIN[0], min_cli_version: '0.9.0', migration_status: 'idle' });
    expect(doc.pending_migrations.map((p) => p.revision)).toEqual(CHAIN.slice(1));

    const head = await fetch(`${url}/api/v1/config/version`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expectHandshakeHeaders(head, 'HEAD version');
  });

  it("sets both headers on the app's routes, its JSON 404 and a HEAD", async () => {
    const { url } = await serve(mount);
    const ok = await fetch(`${url}/api/v1/projects`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ projects: [] });
    expectHandshakeHeaders(ok, 'app route');

    const missing = await fetch(`${url}/api/v1/no-such-route`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
    await missing.json();
    expectHandshakeHeaders(missing, '404');

    for (const path of ['/api/v1/projects', '/api/v1/no-such-route']) {
      const head = await fetch(url + path, { method: 'HEAD' });
      await head.arrayBuffer();
      expectHandshakeHeaders(head, `HEAD ${path}`);
    }
  });

  it('with enforceCliWindow, answers 426 naming the required version to a CLI below it, never on the version endpoint', async () => {
    const { url } = await serve(mount, { enforceCliWindow: true });
    const old = { 'X-CLI-Version': '0.8.0' };
    const refused = await fetch(`${url}/api/v1/projects`, { headers: old });
    expect(refused.status).toBe(426);
    expect(refused.headers.get('x-required-cli-version')).toBe('0.9.0');
    expectHandshakeHeaders(refused, '426');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('cli_outdated');

    const headRefused = await fetch(`${url}/api/v1/projects`, { method: 'HEAD', headers: old });
    expect(headRefused.status).toBe(426);
    expect(await headRefused.text()).toBe('');

    expect((await fetch(`${url}/api/v1/config/version`, { headers: old })).status).toBe(200);
    expect((await fetch(`${url}/api/v1/projects`, { headers: { 'X-CLI-Version': '0.9.0' } })).status).toBe(200);
    expect((await fetch(`${url}/api/v1/projects`)).status).toBe(200);
  });

  it('runs the admin endpoint (401, 403, 422, 202) and answers 503 with Retry-After while the run goes', async () => {
    const { controller, release } = heldMigrations();
    const { url } = await serve(mount, { migrations: controller });
    const endpoint = `${url}/api/v1/admin/migrations`;
    const post = (token: string | null, body: string) =>
      fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body,
      });
    const target = JSON.stringify({ target_revision: CHAIN[2] });

    const anonymous = await post(null, target);
    expect(anonymous.status).toBe(401);
    expectHandshakeHeaders(anonymous, '401');
    expect((await post(ORDINARY, target)).status).toBe(403);
    const bad = await post(ADMIN, '{"target_revision": 5}');
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    expect((await post(ADMIN, 'x'.repeat(20_000))).status).toBe(422);
    expect((await fetch(`${url}/api/v1/projects`)).status).toBe(200);

    const started = await post(ADMIN, target);
    expect(started.status).toBe(202);
    expect(await started.json()).toMatchObject({ migration_status: 'running' });

    const busy = await fetch(`${url}/api/v1/projects`);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('7');
    expectHandshakeHeaders(busy, '503');
    expect(await busy.json()).toMatchObject({ error: 'migrating', migration_progress: { applied: 0, total: 2, current: null } });
    expect((await fetch(`${url}/api/v1/no-such-route`)).status).toBe(503);

    const version = await fetch(`${url}/api/v1/config/version`);
    expect(version.status).toBe(200);
    expect(await version.json()).toMatchObject({ migration_status: 'running', capabilities: { migrate: '/api/v1/admin/migrations' } });
    expect((await post(ADMIN, target)).status).toBe(409);

    release();
    await expect.poll(async () => (await fetch(`${url}/api/v1/projects`)).status).toBe(200);
  });
});

describe('handshakeExpress', () => {
  it("answers a route's error as JSON without its message, where Express would send an HTML page", async () => {
    const hs = createHandshakeServer({ serverVersion: '1.4.0' });
    const app = express();
    const handshake = handshakeExpress(hs);
    app.use(handshake.middleware);
    app.get('/api/v1/boom', () => {
      throw new Error('connect ECONNREFUSED postgres://app:s3cret@db/app');
    });
    app.get('/api/v1/admin-only', () => {
      throw Object.assign(new Error('Admins only'), { status: 403, expose: true });
    });
    app.post('/api/v1/items', express.json(), (_req, res) => {
      res.json({});
    });
    app.use(handshake.notFound, handshake.errors);
    const server = await listen(app);
    servers.push(server);

    const boom = await fetch(`${server.url}/api/v1/boom`);
    expect(boom.status).toBe(500);
    expect(boom.headers.get('content-type')).toMatch(/^application\/json/);
    expect(boom.headers.get('x-server-version')).toBe('1.4.0');
    const text = await boom.text();
    expect(text).not.toContain('s3cret');
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'internal' } });

    const malformed = await fetch(`${server.url}/api/v1/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await malformed.json()).toMatchObject({ error: { code: 'bad_request' } });

    const refused = await fetch(`${server.url}/api/v1/admin-only`);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: { code: 'forbidden', message: 'Admins only', remedy: null } });
  });

  it('works mounted under a prefix: the paths are the ones the client sent', async () => {
    const hs = createHandshakeServer({ serverVersion: '1.4.0' });
    const app = express();
    const handshake = handshakeExpress(hs);
    app.use('/api', handshake.middleware);
    app.use(handshake.notFound);
    const server = await listen(app);
    servers.push(server);
    const res = await fetch(`${server.url}/api/v1/config/version`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ server_version: '1.4.0' });
  });
});

describe('handshakeFetch', () => {
  it('alone, as a Next.js route handler: the version document at its path, a JSON 404 elsewhere, both with headers', async () => {
    const hs = createHandshakeServer({ serverVersion: '2.0.0' });
    const handler = handshakeFetch(hs);
    const version = await handler(new Request('http://localhost/api/v1/config/version'));
    expect(version.status).toBe(200);
    expect(await version.json()).toMatchObject({ server_version: '2.0.0' });
    const other = await handler(new Request('http://localhost/elsewhere?q=1'));
    expect(other.status).toBe(404);
    expect(other.headers.get('x-server-version')).toBe('2.0.0');
    expect(await other.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it("adds the headers to a response whose own headers are immutable (Response.redirect, fetch()'s)", async () => {
    const hs = createHandshakeServer({ serverVersion: '2.0.0' });
    const handler = handshakeFetch(hs, () => Response.redirect('http://localhost/login', 302));
    const res = await handler(new Request('http://localhost/api/v1/projects'));
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://localhost/login');
    expect(res.headers.get('x-server-version')).toBe('2.0.0');
  });

  it("passes the framework's extra arguments on (Hono's env and ctx, Bun's server)", async () => {
    const hs = createHandshakeServer({ serverVersion: '2.0.0' });
    const handler = handshakeFetch(hs, (_req: Request, env: { name: string }) => Response.json({ env: env.name }));
    const res = await handler(new Request('http://localhost/x'), { name: 'prod' });
    expect(await res.json()).toEqual({ env: 'prod' });
  });
});
