import { getRequestListener } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { handshakeExpress } from '../../src/server/express.js';
import { handshakePlugin } from '../../src/server/fastify.js';
import { handshakeFetch } from '../../src/server/fetch.js';
import type { HandshakeServer } from '../../src/server/index.js';
import { listen, type TestServer } from './http.js';

/** The ordinary API token of the apps below: `GET /api/v1/auth-check` answers 200 with it, 401 without. */
export const APP_TOKEN = 'app-token-0123456789abcdef';

export type Mount = (hs: HandshakeServer) => Promise<TestServer>;

const UNAUTHORIZED = {
  error: { code: 'unauthorized', message: 'This route needs the API token', remedy: 'Send Authorization: Bearer <token>' },
};
const authorized = (header: string | undefined) => header === `Bearer ${APP_TOKEN}`;

/**
 * Each framework with a few app routes (`/api/v1/projects`, `/api/v1/health`, and `/api/v1/auth-check`
 * needing {@link APP_TOKEN}) and a JSON 404, the handshake mounted as docs/server.md says, on a real
 * loopback port.
 */
export const ADAPTERS: [string, Mount][] = [
  [
    'express',
    async (hs) => {
      const app = express();
      const handshake = handshakeExpress(hs);
      app.use(handshake.middleware);
      app.get('/api/v1/projects', (_req, res) => {
        res.json({ projects: [] });
      });
      app.get('/api/v1/health', (_req, res) => {
        res.json({ ok: true });
      });
      app.get('/api/v1/auth-check', (req, res) => {
        if (authorized(req.headers.authorization)) res.json({ ok: true });
        else res.status(401).json(UNAUTHORIZED);
      });
      app.use(handshake.notFound, handshake.errors);
      return listen(app);
    },
  ],
  [
    'fastify',
    async (hs) => {
      const app = Fastify();
      await app.register(handshakePlugin, { server: hs });
      app.get('/api/v1/projects', async () => ({ projects: [] }));
      app.get('/api/v1/health', async () => ({ ok: true }));
      app.get('/api/v1/auth-check', async (request, reply) =>
        authorized(request.headers.authorization) ? { ok: true } : reply.code(401).send(UNAUTHORIZED),
      );
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      return { url: address, server: app.server, close: () => app.close() };
    },
  ],
  [
    'hono (fetch)',
    async (hs) => {
      const app = new Hono();
      app.get('/api/v1/projects', (c) => c.json({ projects: [] }));
      app.get('/api/v1/health', (c) => c.json({ ok: true }));
      app.get('/api/v1/auth-check', (c) => (authorized(c.req.header('authorization')) ? c.json({ ok: true }) : c.json(UNAUTHORIZED, 401)));
      app.notFound((c) => c.json({ error: { code: 'not_found', message: 'No such route', remedy: null } }, 404));
      return listen(getRequestListener(handshakeFetch(hs, app.fetch)));
    },
  ],
];
