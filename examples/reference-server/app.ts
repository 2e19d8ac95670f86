import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import semver from 'semver';
// A vendor's own server imports this as 'handshake-compat/server'.
import { createHandshakeServer, type HandshakeServer } from '../../src/server/index.js';
import {
  appliedRevision,
  checkDataDir,
  isInitialised,
  lastRun,
  lockDataDir,
  migrationStatus,
  openDatabase,
  pendingAfter,
} from './data-dir.js';
import { messageOf, ReferenceServerError } from './errors.js';
import { applyMigrations, plan, targetOf } from './migrate.js';
import { defaultMigrationsDir, loadMigrations, type Migration } from './migrations.js';

export interface ServerOptions {
  /** The data directory (`--data`). */
  dataDir: string;
  /** Port to listen on; 0 (the default) picks a free one. Pass the old port to restart in place. */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Initialise a new data directory up to this revision (default: all migrations). Must match an existing one. */
  at?: string | null;
  migrationsDir?: string;
  /** The version to report; default: the server_version of the applied revision. */
  version?: string | null;
  deployment?: string | null;
  minCliVersion?: string | null;
  maxCliVersion?: string | null;
  recommendedCliVersion?: string | null;
  /** Require `Authorization: Bearer <token>` on the API (the version endpoint and health stay open). */
  token?: string | null;
  /** One line per request and startup notes, for a human (the CLI writes them to stderr). Never gets a token. */
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  serverVersion: string;
  schemaRevision: string | null;
  handshake: HandshakeServer;
  /** Stops accepting, lets requests in flight finish (up to 5 s), closes the database and releases the data directory. */
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

/**
 * Starts the reference server: opens (or initialises) the data directory's
 * database, then answers HTTP with the handshake headers on every response.
 */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const log = opts.log ?? (() => {});
  const chain = loadMigrations(opts.migrationsDir ?? defaultMigrationsDir());
  checkDataDir(opts.dataDir);
  if (opts.at) targetOf(chain, opts.at); // an unknown --at fails before anything is created
  const release = lockDataDir(opts.dataDir, 'serve');
  let db: PGlite | null = null;
  let server: Server | null = null;
  try {
    const fresh = !isInitialised(opts.dataDir);
    const startedAt = performance.now();
    db = await openDatabase(opts.dataDir);
    log(`database ${fresh ? 'created' : 'opened'} in ${Math.round(performance.now() - startedAt)} ms`);
    if (fresh) {
      const target = targetOf(chain, opts.at);
      const { failed } = await applyMigrations(db, plan(chain, null, target), { backup: null, log });
      if (failed) {
        throw new ReferenceServerError(
          `Initialising ${opts.dataDir} failed at ${failed.revision}: ${failed.error}`,
          'Fix that migration, remove the data directory and start again',
        );
      }
    }
    const applied = await appliedRevision(db);
    if (opts.at && applied !== opts.at) {
      throw new ReferenceServerError(
        `${opts.dataDir} is already at ${applied ?? 'no revision'}; --at only initialises a new data directory`,
        `Drop --at to serve it as it is, run migrate to move it forward, or pass a new --data directory`,
        { exitCode: 2 },
      );
    }
    const serverVersion = opts.version ?? chain.find((m) => m.revision === applied)?.serverVersion;
    if (!serverVersion) {
      throw new ReferenceServerError(
        `Cannot tell the server version: revision ${applied ?? '(none)'} has no server_version in the migrations`,
        'Pass --version X.Y.Z',
        { exitCode: 2 },
      );
    }
    const previous = await lastRun(db);
    if (previous && previous.status !== 'applied') {
      log(
        `the last migration (${previous.revision}) ${previous.status === 'failed' ? `failed: ${previous.error}` : 'was interrupted'}` +
          (previous.backup ? `; the backup taken before it is ${previous.backup}` : ''),
      );
    }

    const database = db;
    const handshake = createHandshakeServer({
      serverVersion,
      minCliVersion: opts.minCliVersion ?? null,
      maxCliVersion: opts.maxCliVersion ?? null,
      recommendedCliVersion: opts.recommendedCliVersion ?? null,
      apiVersion: 'v1',
      deployment: opts.deployment ?? null,
      enforceCliWindow: true,
      revisions: revisionSource(database, chain),
      onError: (err) => log(`cannot read the schema revision: ${messageOf(err)}`),
    });
    await handshake.refresh();

    const api = apiRoutes(database, chain);
    const tokenDigest = opts.token ? sha256(opts.token) : null;
    const httpServer = createServer((req, res) => {
      const started = performance.now();
      res.on('finish', () => log(`${req.method} ${pathOf(req)} ${res.statusCode} ${Math.round(performance.now() - started)} ms`));
      handshake.middleware(req, res, () => {
        if (tokenDigest && pathOf(req) !== '/api/v1/health' && !authorized(req, tokenDigest)) {
          res.setHeader('www-authenticate', 'Bearer');
          sendJson(res, 401, errorBody('unauthorized', 'A valid bearer token is required', 'Send Authorization: Bearer <token>'));
          return;
        }
        api(req, res).catch((err) => {
          if (err instanceof BadRequest && !res.headersSent) {
            sendJson(res, 400, errorBody('invalid_request', err.message, 'Send a JSON object of at most 64 KiB'));
            return;
          }
          log(`${req.method} ${pathOf(req)} failed: ${messageOf(err)}`);
          if (!res.headersSent) sendJson(res, 500, errorBody('internal', 'The server failed to answer this request', 'See the server log'));
          else res.destroy();
        });
      });
    });
    server = httpServer;
    await listen(httpServer, opts.port ?? 0, opts.host ?? '127.0.0.1');
    const { port } = httpServer.address() as AddressInfo;
    const host = opts.host && !['0.0.0.0', '::'].includes(opts.host) ? opts.host : '127.0.0.1';

    let closing: Promise<void> | null = null;
    return {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      port,
      serverVersion: semver.valid(serverVersion) ?? serverVersion,
      schemaRevision: applied,
      handshake,
      close() {
        closing ??= (async () => {
          await stopListening(httpServer);
          await database.close();
          release();
        })();
        return closing;
      },
    };
  } catch (err) {
    if (server?.listening) await stopListening(server);
    await db?.close();
    release();
    throw err;
  }
}

/** The schema state, read from the database and the migrations this server ships. */
function revisionSource(db: PGlite, chain: readonly Migration[]) {
  return {
    applied: () => appliedRevision(db),
    pending: async () => pendingAfter(chain, await appliedRevision(db)).map((m) => ({ revision: m.revision, description: m.description })),
    status: async () => migrationStatus(await lastRun(db)),
  };
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The ordinary API. Its queries follow the schema the database is at, the
 * way a real server's code does for the revisions it supports: before
 * 0004_split_events_table payloads live in `events`, after it in `event_payloads`.
 */
function apiRoutes(db: PGlite, chain: readonly Migration[]): Route {
  const indexOf = (revision: string) => chain.findIndex((m) => m.revision === revision);
  const atLeast = async (revision: string) => {
    const applied = await appliedRevision(db);
    return applied !== null && indexOf(applied) >= indexOf(revision) && indexOf(revision) >= 0;
  };

  return async (req, res) => {
    const path = pathOf(req);
    const route = `${req.method} ${path}`;
    if (route === 'GET /api/v1/health') {
      await db.query('SELECT 1');
      sendJson(res, 200, {
        status: 'ok',
        schema_revision: await appliedRevision(db),
        migration_status: migrationStatus(await lastRun(db)),
      });
      return;
    }
    if (route === 'GET /api/v1/projects') {
      const { rows } = await db.query('SELECT id, name, created_at FROM projects ORDER BY id');
      sendJson(res, 200, { projects: rows });
      return;
    }
    if (route === 'POST /api/v1/projects') {
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
        const { rows } = await tx.query<{ id: number }>(
          'INSERT INTO projects (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id',
          [name],
        );
        const id = rows[0]?.id;
        if (id !== undefined && (await atLeast('0005_add_retention_policy'))) {
          await tx.query('INSERT INTO retention_policies (project_id, keep_days) VALUES ($1, 90)', [id]);
        }
        return id;
      });
      if (created === undefined) return sendJson(res, 409, errorBody('conflict', `Project "${name}" exists`, 'Pick another name'));
      sendJson(res, 201, { id: created, name });
      return;
    }
    if (route === 'POST /api/v1/events') {
      const body = await readJson(req);
      const { project = 'default', type, payload = {}, tags = {} } = body as Record<string, unknown>;
      if (typeof project !== 'string' || typeof type !== 'string' || type.length === 0 || type.length > 100) {
        return sendJson(
          res,
          400,
          errorBody('invalid_request', 'type (1-100 characters) is required', 'Send {"type": "deploy", "payload": {...}}'),
        );
      }
      if (!isPlainObject(payload) || !isPlainObject(tags) || !Object.values(tags).every((v) => typeof v === 'string')) {
        return sendJson(
          res,
          400,
          errorBody('invalid_request', 'payload must be an object and tags an object of strings', 'Fix the request body'),
        );
      }
      const split = await atLeast('0004_split_events_table');
      const tagged = await atLeast('0002_add_event_tags');
      if (!tagged && Object.keys(tags).length > 0) {
        return sendJson(
          res,
          409,
          errorBody('schema_behind', 'This database has no event tags yet', 'Run migrate, or send the event without tags'),
        );
      }
      const id = await db.transaction(async (tx) => {
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
      if (id === undefined)
        return sendJson(res, 404, errorBody('not_found', `No project "${project}"`, 'Create it with POST /api/v1/projects'));
      sendJson(res, 201, { id });
      return;
    }
    if (route === 'GET /api/v1/events') {
      const project = new URL(req.url ?? '/', 'http://localhost').searchParams.get('project') ?? 'default';
      const sql = (await atLeast('0004_split_events_table'))
        ? `SELECT e.id, e.type, p.payload, e.occurred_at FROM events e JOIN projects pr ON pr.id = e.project_id
             LEFT JOIN event_payloads p ON p.event_id = e.id WHERE pr.name = $1 ORDER BY e.id DESC LIMIT 100`
        : `SELECT e.id, e.type, e.payload, e.occurred_at FROM events e JOIN projects pr ON pr.id = e.project_id
             WHERE pr.name = $1 ORDER BY e.id DESC LIMIT 100`;
      const { rows } = await db.query(sql, [project]);
      sendJson(res, 200, { events: rows });
      return;
    }
    const known = ['/api/v1/health', '/api/v1/projects', '/api/v1/events'];
    if (known.includes(path)) {
      sendJson(res, 405, errorBody('method_not_allowed', `${req.method} is not allowed on ${path}`, 'See the README for the routes'));
      return;
    }
    sendJson(res, 404, errorBody('not_found', `No route ${path}`, `Try GET /api/v1/projects or GET /api/v1/config/version`));
  };
}

class BadRequest extends Error {}

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

function pathOf(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return '/';
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Compares digests in constant time, so the comparison leaks neither the token nor its length. */
function authorized(req: IncomingMessage, digest: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1] !== undefined && timingSafeEqual(sha256(match[1]), digest);
}

function errorBody(code: string, message: string, remedy: string) {
  return { error: { code, message, remedy } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new ReferenceServerError(
            `Port ${port} on ${host} is in use`,
            'Stop whatever listens there, or pass another --port (0 picks a free one)',
            {
              exitCode: 1,
            },
          ),
        );
      } else reject(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Stops accepting, closes idle keep-alive sockets now and busy ones after 5 s. */
function stopListening(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), 5000);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
