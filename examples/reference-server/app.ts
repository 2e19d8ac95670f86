import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import semver from 'semver';
// A vendor's own server imports this as 'handshake-compat/server'.
import {
  createHandshakeServer,
  createMigrationController,
  type HandshakeServer,
  type MigrationController,
} from '../../src/server/index.js';
import { adminRunner, type DatabaseHolder } from './admin.js';
import {
  appliedRevision,
  checkDataDir,
  isInitialised,
  lastRun,
  lockDataDir,
  migrationStatus,
  openDatabase,
  pendingAfter,
  removePartialBackups,
} from './data-dir.js';
import { messageOf, ReferenceServerError } from './errors.js';
import { applyMigrations, plan, targetOf } from './migrate.js';
import { defaultMigrationsDir, loadMigrations, type Migration, releaseMigrations, releaseOf } from './migrations.js';
import { apiRoutes, BadRequest, errorBody, pathOf, sendJson } from './routes.js';

export interface ServerOptions {
  /** The data directory (`--data`). */
  dataDir: string;
  /** Port to listen on; 0 (the default) picks a free one. Pass the old port to restart in place. */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Initialise a new data directory up to this revision (default: the head of the release, or every migration). Must match an existing one. */
  at?: string | null;
  migrationsDir?: string;
  /** The release this server runs; default: the release of the applied revision. Its migrations are what is pending. */
  version?: string | null;
  deployment?: string | null;
  minCliVersion?: string | null;
  maxCliVersion?: string | null;
  recommendedCliVersion?: string | null;
  /** Require `Authorization: Bearer <token>` on the API (the version endpoint and health stay open). */
  token?: string | null;
  /** Enables the admin migration endpoint (`POST /api/v1/admin/migrations`) with this credential; off when null. */
  adminToken?: string | null;
  /** Where the admin endpoint's runner writes its backup; default beside the data directory. */
  backupDir?: string | null;
  /** Features switched off (`--disable-feature`): reported as `capabilities.<name>: false`, and their routes answer 404. */
  disabledFeatures?: readonly string[];
  /** Test-only: a pause inside each migration's transaction when the admin endpoint applies it. */
  migrationDelayMs?: number;
  /** One line per request and startup notes, for a human (the CLI writes them to stderr). Never gets a token. */
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  serverVersion: string;
  schemaRevision: string | null;
  handshake: HandshakeServer;
  /** Stops accepting, stops an admin migration run after its current migration, lets requests finish (up to 5 s), closes the database, releases the data directory. */
  close(): Promise<void>;
}

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
    for (const partial of removePartialBackups(opts.dataDir, opts.backupDir)) {
      log(`removed ${partial}: a backup an interrupted run never finished (not a usable copy)`);
    }
    db = await openOrInitialise(opts, chain, log);
    const applied = await appliedRevision(db);
    const serverVersion = opts.version ?? releaseOf(chain, applied);
    if (!serverVersion) {
      throw new ReferenceServerError(
        `Cannot tell the server version: revision ${applied ?? '(none)'} has no server_version in the migrations`,
        'Pass --version X.Y.Z',
        { exitCode: 2 },
      );
    }
    await logLastRun(db, log);
    const holder: DatabaseHolder = { db };
    const ships = releaseMigrations(chain, serverVersion);
    const inflight = requestTracker();
    const migrations = migrationControllerOf(opts, holder, ships, inflight.drain, log);
    const retentionOn = !(opts.disabledFeatures ?? []).includes('retention');
    const handshake = createHandshakeServer({
      serverVersion,
      // The retention feature came with release 1.4.0 (0005_add_retention_policy): advertised from it on, on or off.
      ...(serverVersion !== 'dev' && semver.gte(serverVersion, RETENTION_RELEASE) ? { features: { retention: retentionOn } } : {}),
      minCliVersion: opts.minCliVersion ?? null,
      maxCliVersion: opts.maxCliVersion ?? null,
      recommendedCliVersion: opts.recommendedCliVersion ?? null,
      apiVersion: 'v1',
      deployment: opts.deployment ?? null,
      enforceCliWindow: true,
      revisions: revisionSource(holder, ships),
      migrations,
      onError: (err) => log(`${migrations.running() ? 'migration run' : 'cannot read the schema revision'}: ${messageOf(err)}`),
    });
    await handshake.refresh();
    const httpServer = createServer(
      requestHandler(
        handshake,
        apiRoutes(() => holder.db, chain, { retention: retentionOn }),
        opts.token ?? null,
        inflight,
        log,
      ),
    );
    // Node closes an idle kept-alive connection after keepAliveTimeout (5 s), and a client reuses one until the
    // `Keep-Alive: timeout=` it was told, less a second. When this process's event loop is held for longer (PGlite
    // opening the database, a backup's fsyncs, on a loaded machine), the timer fires late, after a client has sent
    // its next request on that connection: the request dies with ECONNRESET. A minute is longer than any such hold.
    httpServer.keepAliveTimeout = 65_000;
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
          const stopped = stopListening(httpServer);
          await migrations.stop();
          await stopped;
          await holder.db.close();
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

/** The release that brought the retention feature (its routes and `capabilities.retention`). */
const RETENTION_RELEASE = '1.4.0';

/** Features the reference server can switch off with `--disable-feature`. */
export const SWITCHABLE_FEATURES = ['retention'] as const;

/** Opens the database; a new data directory is first initialised up to `--at` (default: the head of `--version`'s release, or every migration). */
async function openOrInitialise(opts: ServerOptions, chain: readonly Migration[], log: (line: string) => void): Promise<PGlite> {
  const fresh = !isInitialised(opts.dataDir);
  const startedAt = performance.now();
  const db = await openDatabase(opts.dataDir);
  log(`database ${fresh ? 'created' : 'opened'} in ${Math.round(performance.now() - startedAt)} ms`);
  try {
    if (fresh) {
      const ships = opts.version ? releaseMigrations(chain, opts.version) : chain;
      const target = opts.at ? targetOf(chain, opts.at) : (ships.at(-1) ?? targetOf(chain, null));
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
    return db;
  } catch (err) {
    await db.close();
    throw err;
  }
}

async function logLastRun(db: PGlite, log: (line: string) => void): Promise<void> {
  const previous = await lastRun(db);
  if (previous && previous.status !== 'applied') {
    log(
      `the last migration (${previous.revision}) ${previous.status === 'failed' ? `failed: ${previous.error}` : 'was interrupted'}` +
        (previous.backup ? `; the backup taken before it is ${previous.backup}` : ''),
    );
  }
}

/** The admin endpoint's controller: enabled only with an admin token; the ordinary token answers 403. */
function migrationControllerOf(
  opts: ServerOptions,
  holder: DatabaseHolder,
  ships: readonly Migration[],
  drain: () => Promise<void>,
  log: (line: string) => void,
): MigrationController {
  const runner = adminRunner({
    dataDir: opts.dataDir,
    backupDir: opts.backupDir,
    holder,
    release: ships,
    log,
    drain,
    delayMs: opts.migrationDelayMs,
  });
  return createMigrationController({
    adminToken: opts.adminToken ?? null,
    ordinaryToken: opts.token ?? null,
    head: runner.head,
    run: runner.run,
  });
}

/**
 * The schema state, read from the database and the migrations of the
 * release this server runs: pending are that release's migrations its
 * database lacks, never those of a later release in the directory.
 */
function revisionSource(holder: DatabaseHolder, ships: readonly Migration[]) {
  return {
    applied: () => appliedRevision(holder.db),
    pending: async () => {
      const applied = await appliedRevision(holder.db);
      // A database ahead of this release (or on a revision it does not ship) has nothing pending from it.
      if (applied !== null && !ships.some((m) => m.revision === applied)) return [];
      return pendingAfter(ships, applied).map((m) => ({ revision: m.revision, description: m.description }));
    },
    status: async () => migrationStatus(await lastRun(holder.db)),
  };
}

/** Counts requests inside the API, so the migration runner can wait for them before it closes the database. */
function requestTracker() {
  let count = 0;
  const waiters: (() => void)[] = [];
  return {
    enter(res: ServerResponse) {
      count++;
      res.once('close', () => {
        count--;
        if (count === 0) for (const w of waiters.splice(0)) w();
      });
    },
    /** Resolves when no request is inside the API, or after 5 s. */
    drain(): Promise<void> {
      if (count === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, 5000);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

function requestHandler(
  handshake: HandshakeServer,
  api: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  token: string | null,
  inflight: ReturnType<typeof requestTracker>,
  log: (line: string) => void,
) {
  const tokenDigest = token ? sha256(token) : null;
  return (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    res.on('finish', () => log(`${req.method} ${pathOf(req)} ${res.statusCode} ${Math.round(performance.now() - started)} ms`));
    handshake.middleware(req, res, () => {
      if (tokenDigest && pathOf(req) !== '/api/v1/health' && !authorized(req, tokenDigest)) {
        res.setHeader('www-authenticate', 'Bearer');
        sendJson(res, 401, errorBody('unauthorized', 'A valid bearer token is required', 'Send Authorization: Bearer <token>'));
        return;
      }
      inflight.enter(res);
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
  };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Compares digests in constant time, so the comparison leaks neither the token nor its length. */
function authorized(req: IncomingMessage, digest: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1] !== undefined && timingSafeEqual(sha256(match[1]), digest);
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
