/**
 * `handshake-compat/server/fastify`: the handshake as a Fastify plugin. One `onRequest` hook
 * asks {@link HandshakeServer.exchange} (the same rules as the node:http middleware) and sets its
 * headers on the reply, or answers for it: the version endpoint, the 426, the maintenance 503 and
 * the admin migration endpoint need no route of their own. See docs/server.md.
 *
 * ```ts
 * await app.register(handshakePlugin, { server: hs });
 * ```
 *
 * Only types come from `fastify`: the package has no runtime dependency on it.
 */
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { readBody } from './admin-endpoint.js';
import type { HandshakeServer } from './handshake-server.js';
import { type HandshakeRequest, nodeRequest } from './http.js';

export interface HandshakePluginOptions {
  /** From `createHandshakeServer`. */
  server: HandshakeServer;
}

/**
 * Registers the handshake on the whole app (the plugin is not encapsulated, as `fastify-plugin`
 * would make it): every route, 404s and errors carry the headers. Register it before your routes.
 */
export const handshakePlugin: FastifyPluginCallback<HandshakePluginOptions> = (fastify, options, done) => {
  const hs = options.server;
  if (!hs || typeof hs.exchange !== 'function') {
    done(new TypeError('handshakePlugin needs { server }: the object createHandshakeServer returned'));
    return;
  }
  fastify.addHook('onRequest', async (request, reply) => {
    const { headers, answer } = await hs.exchange(fastifyRequest(request));
    reply.headers(headers);
    if (!answer) return;
    reply.code(answer.status).headers(answer.headers).type('application/json; charset=utf-8');
    // An async hook that answers returns the reply (Fastify's hooks documentation).
    return reply.send(answer.body);
  });
  done();
};

// What `fastify-plugin` does: the hook applies to the app it is registered on, not to a child context.
Object.assign(handshakePlugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'handshake' });

/** The {@link HandshakeRequest} of a Fastify request; the body is read from the raw stream (no route parsed it yet). */
function fastifyRequest(request: FastifyRequest): HandshakeRequest {
  return { ...nodeRequest(request.raw), body: () => readBody(request.raw) };
}
