import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { appliedRevision, lastRun, migrationStatus } from './data-dir.js';
import type { Migration } from './migrations.js';

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const MAX_BODY = 64 * 1024;

/** A database handle or an open transaction: what a query runs on. */
type Queryable = Pick<PGlite | Transaction, 'query'>;

/**
 * The ordinary API. Its queries follow the schema the database is at, the
 * way a real server's code does for the revisions it supports: before
 * 0004_split_events_table payloads live in `events`, after it in
 * `event_payloads`. The schema is read inside the request's own
 * transaction: PGlite is one connection, so a query on the database handle
 * from inside a transaction would wait for that transaction, for ever.
 */
export function apiRoutes(database: () => PGlite, chain: readonly Migration[], options: { retention?: boolean } = {}): Route {
  const indexOf = (revision: string) => chain.findIndex((m) => m.revision === revision);
  const atLeast = async (q: Queryable, revision: string) => {
    const applied = await appliedRevision(q);
    return applied !== null && indexOf(applied) >= indexOf(revision) && indexOf(revision) >= 0;
  };
  const routes: Record<string, (db: PGlite, req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
    'GET /api/v1/health': health,
    'GET /api/v1/projects': listProjects,
    'POST /api/v1/projects': (db, req, res) => createProject(db, req, res, atLeast),
    'POST /api/v1/events': (db, req, res) => createEvent(db, req, res, atLeast),
    'GET /api/v1/events': (db, req, res) => listEvents(db, req, res, atLeast),
    'GET /api/v1/retention': (db, req, res) => retention(db, req, res, atLeast, options.retention !== false),
    'PUT /api/v1/retention': (db, req, res) => retention(db, req, res, atLeast, options.retention !== false),
  };
  return async (req, res) => {
    const path = pathOf(req);
    const route = routes[`${req.method} ${path}`];
    if (route) return route(database(), req, res);
    if (Object.keys(routes).some((r) => r.endsWith(` ${path}`))) {
      sendJson(res, 405, errorBody('method_not_allowed', `${req.method} is not allowed on ${path}`, 'See the README for the routes'));
      return;
    }
    sendJson(res, 404, errorBody('not_found', `No route ${path}`, `Try GET /api/v1/projects or GET /api/v1/config/version`));
  };
}

type AtLeast = (q: Queryable, revision: string) => Promise<boolean>;

async function health(db: PGlite, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  await db.query('SELECT 1');
  sendJson(res, 200, { status: 'ok', schema_revision: await appliedRevision(db), migration_status: migrationStatus(await lastRun(db)) });
}

async function listProjects(db: PGlite, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { rows } = await db.query('SELECT id, name, created_at FROM projects ORDER BY id');
  sendJson(res, 200, { projects: rows });
}

async function createProject(db: PGlite, req: IncomingMessage, res: ServerResponse, atLeast: AtLeast): Promise<void> {
  const body = await readJson(req);
  const name = body['name'];
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) {
    return sendJson(
      res,
      400,
      errorBody('invalid_request', 'name must be lower-case letters, digits and "-"', 'Send {"name": "my-project"}'),
    );
  }
  const created = await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: number }>('INSERT INTO projects (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id', [
      name,
    ]);
    const id = rows[0]?.id;
    if (id !== undefined && (await atLeast(tx, '0005_add_retention_policy'))) {
      await tx.query('INSERT INTO retention_policies (project_id, keep_days) VALUES ($1, 90)', [id]);
    }
    return id;
  });
  if (created === undefined) return sendJson(res, 409, errorBody('conflict', `Project "${name}" exists`, 'Pick another name'));
  sendJson(res, 201, { id: created, name });
}

/** An event: `{"type"}` (or `{"name"}`, the same thing), optional `payload`, `tags` and `project`. */
function eventOf(body: Record<string, unknown>): { project: string; type: string; payload: object; tags: Record<string, string> } | string {
  const { project = 'default', payload = {}, tags = {} } = body;
  const { type, name } = body;
  if (type !== undefined && name !== undefined && type !== name) return 'type and name name the same thing: send one of them';
  const kind = type ?? name;
  if (typeof project !== 'string' || typeof kind !== 'string' || kind.length === 0 || kind.length > 100) {
    return 'type (or name), 1-100 characters, is required';
  }
  if (!isPlainObject(payload) || !isPlainObject(tags) || !Object.values(tags).every((v) => typeof v === 'string')) {
    return 'payload must be an object and tags an object of strings';
  }
  return { project, type: kind, payload, tags: tags as Record<string, string> };
}

async function createEvent(db: PGlite, req: IncomingMessage, res: ServerResponse, atLeast: AtLeast): Promise<void> {
  const event = eventOf(await readJson(req));
  if (typeof event === 'string')
    return sendJson(res, 400, errorBody('invalid_request', event, 'Send {"type": "deploy", "payload": {...}}'));
  const { project, type, payload, tags } = event;
  const result = await db.transaction(async (tx) => {
    const split = await atLeast(tx, '0004_split_events_table');
    if (!(await atLeast(tx, '0002_add_event_tags')) && Object.keys(tags).length > 0) return 'untagged' as const;
    const p = await tx.query<{ id: number }>('SELECT id FROM projects WHERE name = $1', [project]);
    const projectId = p.rows[0]?.id;
    if (projectId === undefined) return undefined;
    const sql = split
      ? 'INSERT INTO events (project_id, type) VALUES ($1, $2) RETURNING id'
      : 'INSERT INTO events (project_id, type, payload) VALUES ($1, $2, $3) RETURNING id';
    const e = await tx.query<{ id: number }>(sql, split ? [projectId, type] : [projectId, type, JSON.stringify(payload)]);
    const eventId = e.rows[0]?.id;
    if (split) await tx.query('INSERT INTO event_payloads (event_id, payload) VALUES ($1, $2)', [eventId, JSON.stringify(payload)]);
    for (const [key, value] of Object.entries(tags)) {
      await tx.query('INSERT INTO event_tags (event_id, key, value) VALUES ($1, $2, $3)', [eventId, key, value]);
    }
    return eventId;
  });
  if (result === 'untagged') {
    return sendJson(
      res,
      409,
      errorBody('schema_behind', 'This database has no event tags yet', 'Run migrate, or send the event without tags'),
    );
  }
  if (result === undefined)
    return sendJson(res, 404, errorBody('not_found', `No project "${project}"`, 'Create it with POST /api/v1/projects'));
  sendJson(res, 201, { id: result, type });
}

async function listEvents(db: PGlite, req: IncomingMessage, res: ServerResponse, atLeast: AtLeast): Promise<void> {
  const project = new URL(req.url ?? '/', 'http://localhost').searchParams.get('project') ?? 'default';
  const rows = await db.transaction(async (tx) => {
    const sql = (await atLeast(tx, '0004_split_events_table'))
      ? `SELECT e.id, e.type, p.payload, e.occurred_at FROM events e JOIN projects pr ON pr.id = e.project_id
           LEFT JOIN event_payloads p ON p.event_id = e.id WHERE pr.name = $1 ORDER BY e.id DESC LIMIT 100`
      : `SELECT e.id, e.type, e.payload, e.occurred_at FROM events e JOIN projects pr ON pr.id = e.project_id
           WHERE pr.name = $1 ORDER BY e.id DESC LIMIT 100`;
    return (await tx.query(sql, [project])).rows;
  });
  sendJson(res, 200, { events: rows });
}

/**
 * The retention feature (release 1.4.0, revision 0005_add_retention_policy, `capabilities.retention`): `GET
 * /api/v1/retention?project=` reads a project's policy, `PUT /api/v1/retention` `{"project", "keep_days"}` sets it.
 * Switched off (`serve --disable-feature retention`) or on a database without the table, it answers 404, as a server
 * without the feature would.
 */
async function retention(db: PGlite, req: IncomingMessage, res: ServerResponse, atLeast: AtLeast, on: boolean): Promise<void> {
  if (!on)
    return sendJson(res, 404, errorBody('feature_disabled', 'Retention policies are switched off on this server', 'Ask the operator'));
  const write = req.method === 'PUT';
  const body = write ? await readJson(req) : {};
  const project = write ? body['project'] : (new URL(req.url ?? '/', 'http://localhost').searchParams.get('project') ?? 'default');
  const days = body['keep_days'];
  if (typeof project !== 'string' || (write && (!Number.isInteger(days) || (days as number) < 1 || (days as number) > 3650))) {
    return sendJson(
      res,
      400,
      errorBody('invalid_request', 'keep_days must be a whole number of days, 1-3650', 'Send {"project": "default", "keep_days": 30}'),
    );
  }
  const result = await db.transaction(async (tx) => {
    if (!(await atLeast(tx, '0005_add_retention_policy'))) return 'missing' as const;
    const p = await tx.query<{ id: number }>('SELECT id FROM projects WHERE name = $1', [project]);
    const id = p.rows[0]?.id;
    if (id === undefined) return undefined;
    if (write) {
      await tx.query(
        `INSERT INTO retention_policies (project_id, keep_days) VALUES ($1, $2)
           ON CONFLICT (project_id) DO UPDATE SET keep_days = EXCLUDED.keep_days, updated_at = now()`,
        [id, days],
      );
    }
    const r = await tx.query<{ keep_days: number }>('SELECT keep_days FROM retention_policies WHERE project_id = $1', [id]);
    return r.rows[0]?.keep_days ?? null;
  });
  if (result === 'missing') return sendJson(res, 404, errorBody('not_found', 'No route /api/v1/retention on this schema', 'Run migrate'));
  if (result === undefined)
    return sendJson(res, 404, errorBody('not_found', `No project "${project}"`, 'Create it with POST /api/v1/projects'));
  sendJson(res, 200, { project, keep_days: result });
}

export class BadRequest extends Error {}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new BadRequest(`The request body is over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (isPlainObject(value)) return value;
  } catch {
    // answered below
  }
  throw new BadRequest('The request body is not a JSON object');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function pathOf(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return '/';
  }
}

export function errorBody(code: string, message: string, remedy: string) {
  return { error: { code, message, remedy } };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
