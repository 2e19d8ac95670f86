import type { IncomingMessage } from 'node:http';
import { REVISION_PATTERN } from '../matrix/schema.js';
import type { ServerVersionDocument } from './document.js';
import { type Answer, errorBody } from './http.js';
import type { MigrationController } from './migrations.js';

/** The largest request body the endpoint reads; `{"target_revision": "…"}` is far smaller. */
export const MAX_MIGRATE_BODY = 16 * 1024;

/** What the endpoint needs from the handshake server: the version document, read afresh. */
export interface EndpointDeps {
  document(): Promise<ServerVersionDocument>;
}

/** One request to the admin migration endpoint, framework-neutral. */
export interface MigrationRequest {
  method: string | undefined;
  authorization: string | string[] | undefined;
  /** The body: parsed already (Express's `req.body`, Fastify's `request.body`), or read when asked. */
  body: () => Promise<unknown>;
}

const JSON_HEADERS = { 'cache-control': 'no-store' };

/**
 * Answers one request to the admin migration endpoint (docs/protocol.md §1b), in
 * this order, so that nothing about a run is told to a caller without the
 * admin token: 405 for a method other than POST; 401 without the admin
 * token, 403 with the ordinary one; 422 for a body other than
 * `{"target_revision": "<revision>"}`; 409 while a run is going or when the
 * target is not the head of the server's release; otherwise the run starts
 * and the answer is 202 with the version document (`migration_status: running`).
 */
export async function migrationAnswer(controller: MigrationController, request: MigrationRequest, deps: EndpointDeps): Promise<Answer> {
  if (request.method !== 'POST') {
    return {
      status: 405,
      headers: { allow: 'POST' },
      body: errorBody('method_not_allowed', `${request.method} is not allowed on ${controller.path}`, `Use POST ${controller.path}`),
    };
  }
  const caller = await controller.caller(request.authorization);
  if (caller === 'anonymous') {
    return {
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="admin"' },
      body: errorBody('unauthorized', 'This endpoint needs the admin token', 'Send Authorization: Bearer <admin token>'),
    };
  }
  if (caller === 'ordinary') {
    return {
      status: 403,
      headers: {},
      body: errorBody('forbidden', 'The ordinary API token cannot start migrations', 'Use the admin token, a separate credential'),
    };
  }
  const target = await targetOf(request);
  if (typeof target !== 'string') return { status: 422, headers: {}, body: target };
  if (controller.running()) return runningConflict(controller);
  const [doc, head] = await Promise.all([deps.document(), controller.head()]);
  if (target !== head) {
    return {
      status: 409,
      headers: {},
      body: errorBody(
        'target_mismatch',
        `target_revision ${target} is not the head of this server's release (${head ?? 'none'})`,
        'Check the server again and plan against what it reports',
      ),
    };
  }
  if (doc.schema_revision === head && doc.pending_migrations.length === 0) {
    return { status: 409, headers: {}, body: errorBody('up_to_date', `The database is already at ${head}`, 'Nothing to do') };
  }
  if (!controller.tryStart(target, { total: doc.pending_migrations.length, schemaRevision: doc.schema_revision }))
    return runningConflict(controller);
  return { status: 202, headers: JSON_HEADERS, body: await deps.document() };
}

function runningConflict(controller: MigrationController): Answer {
  return {
    status: 409,
    headers: { 'retry-after': String(controller.retryAfterSeconds) },
    body: {
      ...errorBody('migration_running', 'A migration run is already going', 'Wait for it: its progress is in the version document'),
      migration_progress: controller.state().progress,
    },
  };
}

/** The target revision, or the 422 body naming what is wrong. */
async function targetOf(request: MigrationRequest): Promise<string | ReturnType<typeof errorBody>> {
  const bad = (message: string) =>
    errorBody('invalid_request', message, 'Send {"target_revision": "<the head revision of the server\'s release>"}');
  let body: unknown;
  try {
    body = await request.body();
  } catch (err) {
    return bad(err instanceof BodyTooLarge ? err.message : 'The body is not JSON');
  }
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      body = JSON.parse(body.toString());
    } catch {
      return bad('The body is not JSON');
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('The body must be a JSON object');
  const keys = Object.keys(body);
  const extra = keys.filter((k) => k !== 'target_revision');
  if (extra.length > 0) return bad(`Unknown field ${JSON.stringify(extra[0]?.slice(0, 64))}: the body has target_revision only`);
  const target = (body as { target_revision?: unknown }).target_revision;
  if (typeof target !== 'string' || !REVISION_PATTERN.test(target))
    return bad('target_revision must be a schema revision id such as 0005_add_retention_policy');
  return target;
}

export class BodyTooLarge extends Error {}

/** Reads a node:http request body, at most {@link MAX_MIGRATE_BODY} bytes; a framework's parsed `req.body` when there is one. */
export async function readBody(req: IncomingMessage): Promise<unknown> {
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  if (parsed !== undefined) return parsed;
  return readLimited(req);
}

/** A body as text, at most {@link MAX_MIGRATE_BODY} bytes: a node:http request, or a web `ReadableStream` (both are async iterables). */
export async function readLimited(chunks: AsyncIterable<Uint8Array | string> | null): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  if (chunks) {
    for await (const chunk of chunks) {
      const part = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      size += part.length;
      if (size > MAX_MIGRATE_BODY) throw new BodyTooLarge(`The body is over ${MAX_MIGRATE_BODY} bytes`);
      parts.push(part);
    }
  }
  return Buffer.concat(parts).toString('utf8');
}
