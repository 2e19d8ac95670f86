/**
 * `handshake-compat/server/fetch`: the handshake for web-standard `fetch` handlers
 * (`(Request) => Response`): Hono's `app.fetch`, `Bun.serve`, `Deno.serve`, Next.js route
 * handlers, Cloudflare-style workers. The rules are {@link HandshakeServer.exchange}'s, the same
 * as the node:http middleware's; this file only turns a `Request` into it and its answer into a
 * `Response`. See docs/server.md.
 *
 * ```ts
 * const hs = createHandshakeServer({ serverVersion: '1.4.0', revisions });
 * export default { fetch: handshakeFetch(hs, app.fetch) }; // Hono on Bun, Deno or @hono/node-server
 * ```
 */
import { readLimited } from './admin-endpoint.js';
import type { HandshakeServer } from './handshake-server.js';
import { type Answer, errorBody, type HandshakeRequest, pathOf } from './http.js';

/** A web-standard request handler; extra arguments (Hono's `env` and `ctx`, Bun's `server`) are passed on. */
export type FetchHandler<Extra extends unknown[] = []> = (
  request: Request,
  ...extra: Extra
) => Response | undefined | Promise<Response | undefined>;

/**
 * Wraps `handler` in the handshake (docs/protocol.md §1): the revision and version headers on
 * every response it returns, the version endpoint, the 426 and the maintenance 503, and the admin
 * migration endpoint when the server has one. Without a handler, every other request answers a
 * JSON 404: mount it as is on the version route of a framework that routes by file (Next.js:
 * `export const GET = handshakeFetch(hs)` in `app/api/v1/config/version/route.ts`).
 */
export function handshakeFetch<Extra extends unknown[] = []>(
  hs: HandshakeServer,
  handler?: FetchHandler<Extra>,
): (request: Request, ...extra: Extra) => Promise<Response> {
  return async (request, ...extra) => {
    const facts = fetchRequest(request);
    const { headers, answer } = await hs.exchange(facts);
    const head = request.method === 'HEAD';
    if (answer) return answerResponse(answer, headers, head);
    if (!handler) return answerResponse(notFound(facts.path), headers, head);
    const response = await handler(request, ...extra);
    // Bun answers a WebSocket upgrade with no Response at all: nothing to add headers to.
    if (!response) return response as unknown as Response;
    return withHeaders(response, headers);
  };
}

/** The {@link HandshakeRequest} of a web `Request`. */
export function fetchRequest(request: Request): HandshakeRequest {
  return {
    method: request.method,
    path: pathOf(request.url),
    header: (name) => request.headers.get(name) ?? undefined,
    body: () => readLimited(request.body as AsyncIterable<Uint8Array> | null),
  };
}

/** An {@link Answer} as a `Response`: JSON, with the handshake's headers. */
export function answerResponse(answer: Answer, headers: Record<string, string>, head = false): Response {
  const out = new Headers(headers);
  for (const [name, value] of Object.entries(answer.headers)) out.set(name, value);
  out.set('content-type', 'application/json; charset=utf-8');
  return new Response(head ? null : JSON.stringify(answer.body), { status: answer.status, headers: out });
}

function notFound(path: string): Answer {
  return { status: 404, headers: {}, body: errorBody('not_found', `No route ${path.slice(0, 200)}`, null) };
}

/**
 * The app's response with the handshake's headers set. A response whose headers are immutable
 * (one from `fetch()`, `Response.redirect()`) is copied first; one that cannot be copied (a 101
 * WebSocket upgrade) is passed on as it is.
 */
function withHeaders(response: Response, headers: Record<string, string>): Response {
  try {
    for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    return response;
  } catch {
    let copy: Response;
    try {
      copy = new Response(response.body, response);
    } catch {
      return response;
    }
    for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
    return copy;
  }
}
