/**
 * `handshake-compat/server/express`: the handshake for Express (4 and 5) and Connect. The
 * middleware is the node:http one ({@link HandshakeServer.middleware}): Express's requests and
 * responses are node:http's. What Express adds is its own HTML pages for a 404 and an error,
 * which a client reads as "this is not the API" (docs/protocol.md §1.8); `notFound` and `errors`
 * answer JSON instead. See docs/server.md.
 *
 * ```ts
 * const handshake = handshakeExpress(hs);
 * app.use(handshake.middleware); // first: before routes and body parsers
 * app.use('/api/v1', routes);
 * app.use(handshake.notFound, handshake.errors); // last
 * ```
 *
 * No import of `express` at all: the types are node:http's, which Express's extend.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HandshakeServer } from './handshake-server.js';
import { errorBody, type Handler, type Middleware, type Next, requestPath, sendJson } from './http.js';

/** An Express error handler: four parameters, as Express tells them apart. */
export type ErrorMiddleware = (err: unknown, req: IncomingMessage, res: ServerResponse, next: Next) => void;

export interface HandshakeExpress {
  /** The handshake: mount first, with `app.use`. */
  middleware: Middleware;
  /** A JSON 404 for every route no one answered: mount after your routes. */
  notFound: Handler;
  /** JSON error bodies instead of Express's HTML page: mount last. A 5xx never says the error's message. */
  errors: ErrorMiddleware;
}

export function handshakeExpress(hs: HandshakeServer): HandshakeExpress {
  return {
    middleware: hs.middleware,
    notFound: (req, res) => sendJson(res, 404, errorBody('not_found', `No route ${requestPath(req).slice(0, 200)}`, null)),
    errors: (err, _req, res, next) => {
      if (res.headersSent) {
        next(err);
        return;
      }
      const status = statusOf(err);
      // Express's http-errors mark a message safe to show with `expose` (true for 4xx only).
      const exposed = status < 500 && (err as { expose?: unknown })?.expose === true;
      const message = exposed
        ? String((err as Error).message).slice(0, 500)
        : status < 500
          ? 'The request was refused'
          : 'The server failed';
      const code = CODES[status] ?? (status < 500 ? 'bad_request' : 'internal');
      sendJson(res, status, errorBody(code, message, status < 500 ? null : "See the server's log"));
    },
  };
}

/** The error body's `code` for the statuses an Express app's errors usually carry (http-errors'). */
const CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'invalid_request',
  429: 'too_many_requests',
};

function statusOf(err: unknown): number {
  const e = err as { status?: unknown; statusCode?: unknown } | null;
  const status = Number(e?.status ?? e?.statusCode);
  return Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500;
}
