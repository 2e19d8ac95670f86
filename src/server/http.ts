import type { IncomingMessage, ServerResponse } from 'node:http';

/** Continues the request; an Express/Connect `next`, a Fastify `done`, or your own router. */
export type Next = (err?: unknown) => void;
/** A node:http-compatible middleware: works as is in plain node:http, Connect and Express. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next?: Next) => void;
/** A node:http request handler that always answers. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** An answer as a value, for frameworks that reply through their own object (Fastify's `reply`). */
export interface Answer<Body = unknown> {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Body;
}

/** The request's path without the query; Express's `originalUrl` when mounted under a prefix. */
export function requestPath(req: IncomingMessage): string {
  const raw = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  try {
    return new URL(raw, 'http://localhost').pathname;
  } catch {
    return raw;
  }
}

/** Is this request for `path` (with or without a trailing slash)? */
export function isPath(req: IncomingMessage, path: string): boolean {
  const p = requestPath(req);
  return p === path || p === `${path}/`;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headOnly = false): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(headOnly ? undefined : text);
}

/** Writes an {@link Answer} to a node:http response. */
export function sendAnswer(res: ServerResponse, answer: Answer): void {
  if (!res.headersSent) for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  sendJson(res, answer.status, answer.body);
}

/** Calls `next` outside the promise chain, so an exception in the route behaves as in a synchronous call. */
export function callLater(next: Next | undefined): void {
  if (!next) return;
  try {
    next();
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}

/** The standard error body of `handshake-compat/server`. */
export function errorBody(code: string, message: string, remedy: string) {
  return { error: { code, message, remedy } };
}
