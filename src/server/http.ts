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
  return pathOf((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/');
}

/** The path of a request target or a whole URL, without the query. */
export function pathOf(target: string): string {
  try {
    return new URL(target, 'http://localhost').pathname;
  } catch {
    return target;
  }
}

/** Is `requested` the endpoint at `path` (with or without a trailing slash)? */
export function samePath(requested: string, path: string): boolean {
  return requested === path || requested === `${path}/`;
}

/** Is this request for `path` (with or without a trailing slash)? */
export function isPath(req: IncomingMessage, path: string): boolean {
  return samePath(requestPath(req), path);
}

/** What the handshake reads of a request, whatever the framework: every adapter makes one of these. */
export interface RequestFacts {
  /** `GET`, `HEAD`, `POST`… */
  method: string;
  /** The path without the query, as the client sent it (before any mount prefix is stripped). */
  path: string;
  /** A request header by its lower-case name; the first value when repeated. */
  header(name: string): string | undefined;
}

/** A request with its body, read only when the admin endpoint needs it. */
export interface HandshakeRequest extends RequestFacts {
  /** The body: parsed already (a framework's `request.body`), or read when asked (a string). */
  body(): Promise<unknown>;
}

/** The {@link RequestFacts} of a node:http request (Express's too). */
export function nodeRequest(req: IncomingMessage): RequestFacts {
  return {
    method: req.method ?? 'GET',
    path: requestPath(req),
    header(name) {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    },
  };
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
export function sendAnswer(res: ServerResponse, answer: Answer, headOnly = false): void {
  if (!res.headersSent) for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  sendJson(res, answer.status, answer.body, headOnly);
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
export function errorBody(code: string, message: string, remedy: string | null) {
  return { error: { code, message, remedy } };
}
