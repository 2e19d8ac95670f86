import type { IncomingMessage, ServerResponse } from 'node:http';
import { REVISION_PATTERN } from '../matrix/schema.js';
import { type MigrationRequest, migrationAnswer, readBody } from './admin-endpoint.js';
import { type CliRejection, checkCliVersion } from './cli-window.js';
import {
  buildVersionDocument,
  type MigrationStatus,
  type PendingMigrationInfo,
  type ServerInfo,
  type ServerVersionDocument,
} from './document.js';
import { HandshakeServerError } from './errors.js';
import { type Answer, callLater, errorBody, type Handler, isPath, type Middleware, requestPath, sendAnswer, sendJson } from './http.js';
import { type MaintenanceBody, maintenanceAnswer } from './maintenance.js';
import type { MigrationController } from './migrations.js';
import { cacheMsOf, type HeaderNames, headerNamesOf, readTimeoutMsOf, versionPathOf } from './options.js';
import { createRevisionCache, type RevisionCache, RevisionReadTimeout } from './revision-cache.js';

export type { Handler, Middleware, Next } from './http.js';
export { DEFAULT_CACHE_MS, DEFAULT_HEADER_NAMES, DEFAULT_READ_TIMEOUT_MS, DEFAULT_VERSION_PATH, type HeaderNames } from './options.js';
export { RevisionReadTimeout } from './revision-cache.js';

/** Where the server reads its schema state from: usually its database and its migrations directory. */
export interface RevisionSource {
  /** The schema revision currently applied, or null when none is. */
  applied(): Promise<string | null>;
  /** Migrations the server's release ships and has not applied, oldest first. */
  pending(): Promise<readonly PendingMigrationInfo[]>;
  /** State of the server's migration runner; when absent, `migration_status` is not reported. */
  status?(): Promise<MigrationStatus>;
  /** Background data migrations still running; when absent, `background_migrations_pending` is not reported. */
  backgroundPending?(): Promise<number>;
}

export interface HandshakeServerOptions
  extends Omit<
    ServerInfo,
    'schemaRevision' | 'pendingMigrations' | 'migrationStatus' | 'migrationProgress' | 'capabilities' | 'backgroundMigrationsPending'
  > {
  /** Where the applied and pending revisions come from. Without one, no revision is reported. */
  revisions?: RevisionSource;
  /** Header names to use instead of {@link DEFAULT_HEADER_NAMES}. */
  headers?: Partial<HeaderNames>;
  /** The version endpoint's path (default {@link DEFAULT_VERSION_PATH}). */
  versionPath?: string;
  /**
   * Answer 426 to a CLI below `minCliVersion` in {@link HandshakeServer.middleware}
   * (default false: the CLI still reads `min_cli_version` from the document
   * and reports `cli_outdated` itself). The version endpoint is never refused.
   */
  enforceCliWindow?: boolean;
  /** How long the revision headers reuse a read, in ms (default 5000). The version endpoint always reads afresh. */
  cacheMs?: number;
  /**
   * How long one read of the revision source may take, in ms (default
   * {@link DEFAULT_READ_TIMEOUT_MS}, 3000). Past it the version endpoint
   * answers 503 with `Retry-After` (and `onError` gets a
   * {@link RevisionReadTimeout}), other routes go on without the revision
   * header, and the next request starts a read of its own: no request waits
   * on a read older than this, so a database that never answers makes the
   * server slow to say so, never hung.
   */
  readTimeoutMs?: number;
  /**
   * The admin migration endpoint and maintenance mode (CONTRACT §1b), from
   * `createMigrationController`. Its endpoint and `capabilities.migrate`
   * exist only when it was given an admin token.
   */
  migrations?: MigrationController;
  /**
   * Called when the revision source fails. The request goes on without the
   * revision header (the version endpoint answers 503). Errors are not logged
   * anywhere else: log them here if you want them.
   */
  onError?: (err: unknown) => void;
}

export interface HandshakeServer {
  /**
   * Headers on every response, the version endpoint at its path, the admin
   * migration endpoint and the maintenance-mode 503 (with `migrations`), and
   * (with `enforceCliWindow`) the 426 check; anything else goes on to `next`.
   */
  readonly middleware: Middleware;
  /** Only sets the revision and version headers, then calls `next`. */
  readonly headers: Middleware;
  /** Only the CLI-window check: answers 426 to a CLI below `minCliVersion`, otherwise calls `next`. */
  readonly requireCliVersion: Middleware;
  /** Serves the version document, whatever the path: mount it on a route yourself. */
  readonly versionHandler: Handler;
  /** The admin migration endpoint, whatever the path (404 when it is off): mount it on a route yourself. */
  readonly migrationHandler: Handler;
  /** Only the maintenance-mode guard: 503 while a run is going (except the version and admin paths), otherwise `next`. */
  readonly maintenance: Middleware;
  /** The version document, read afresh; for frameworks that answer through their own reply object. */
  document(): Promise<ServerVersionDocument>;
  /** The 426 this request deserves, or null; for frameworks that answer through their own reply object. */
  cliRejection(req: IncomingMessage): CliRejection | null;
  /** The maintenance-mode 503 this request deserves now, or null. */
  maintenanceRejection(req: IncomingMessage): Answer<MaintenanceBody> | null;
  /** The admin endpoint's answer, for frameworks that parse the body themselves (pass it as `body`). */
  migrationAnswer(request: MigrationRequest): Promise<Answer>;
  /**
   * The response headers to set now, from the cached read (a stale one is
   * read again in the background): for frameworks with their own reply
   * object. Without the revision until a first read completed, so call
   * {@link HandshakeServer.refresh} once at startup.
   */
  responseHeaders(): Record<string, string>;
  /** Reads the revision source now and updates the cache, e.g. after running migrations in-process. */
  refresh(): Promise<ServerVersionDocument>;
  /** The header names in use. */
  readonly headerNames: Readonly<HeaderNames>;
  /** The version endpoint's path. */
  readonly versionPath: string;
  /** The migration controller, when one was given. */
  readonly migrations: MigrationController | null;
}

/**
 * Sets up the server side of the handshake: the version document, the
 * headers on every response, the optional 426 check and the optional admin
 * migration endpoint. Everything is validated here, so a misconfigured
 * server fails at startup.
 *
 * @throws {HandshakeServerError} on a non-semver version, a bad header name or path.
 */
export function createHandshakeServer(options: HandshakeServerOptions): HandshakeServer {
  const names = headerNamesOf(options.headers);
  const versionPath = versionPathOf(options.versionPath);
  const staticInfo = staticInfoOf(options);
  // Validates every static field now and normalises the versions (`v1.4.0` → `1.4.0`).
  const base = buildVersionDocument(staticInfo);
  const controller = options.migrations ?? null;
  if (controller?.enabled && controller.path === versionPath) {
    throw new HandshakeServerError('The migrations path is the version path', 'Serve the admin endpoint at a path of its own');
  }
  const onError = options.onError ?? (() => {});
  const cache = createRevisionCache({
    read: () => readSource(options.revisions, staticInfo),
    fixed: options.revisions ? null : base,
    cacheMs: cacheMsOf(options.cacheMs),
    readTimeoutMs: readTimeoutMsOf(options.readTimeoutMs),
    onError,
    frozen: () => controller?.running() ?? false,
    view: (doc) => withMigrationState(doc, controller),
  });
  controller?.onSettled(() => void cache.refresh().catch(onError));
  const setHeaders = headerSetter(names, base.server_version);
  const handlers = httpHandlers({ cache, setHeaders, versionPath, controller, onError });
  const cliRejection = (req: IncomingMessage): CliRejection | null =>
    checkCliVersion(req.headers[names.cliVersion.toLowerCase()], base.min_cli_version, names.requiredCliVersion);
  const requireCliVersion: Middleware = (req, res, next) => {
    const rejection = cliRejection(req);
    if (rejection) sendAnswer(res, rejection);
    else next?.();
  };
  const { maintenance, maintenanceRejection } = maintenanceGuard(controller, versionPath);
  const middleware: Middleware = (req, res, next) => {
    handlers.headers(req, res, () => {
      if (isPath(req, versionPath)) return handlers.versionHandler(req, res);
      if (controller?.enabled && isPath(req, controller.path)) return handlers.migrationHandler(req, res);
      maintenance(req, res, () => (options.enforceCliWindow ? requireCliVersion(req, res, next) : next?.()));
    });
  };
  return {
    middleware,
    requireCliVersion,
    maintenance,
    ...handlers,
    document: cache.refresh,
    refresh: cache.refresh,
    cliRejection,
    maintenanceRejection,
    migrationAnswer: (request) => answerMigration(controller, request, cache),
    responseHeaders() {
      const out: Record<string, string> = { [names.serverVersion]: base.server_version };
      const revision = cache.current()?.schema_revision;
      if (revision) out[names.schemaRevision] = revision;
      return out;
    },
    headerNames: Object.freeze({ ...names }),
    versionPath,
    migrations: controller,
  };
}

function maintenanceGuard(controller: MigrationController | null, versionPath: string) {
  const exempt = controller?.enabled ? [versionPath, controller.path] : [versionPath];
  const maintenanceRejection = (req: IncomingMessage) => maintenanceAnswer(controller, requestPath(req), exempt);
  const maintenance: Middleware = (req, res, next) => {
    const answer = maintenanceRejection(req);
    if (answer) sendAnswer(res, answer);
    else next?.();
  };
  return { maintenance, maintenanceRejection };
}

function staticInfoOf(options: HandshakeServerOptions): ServerInfo {
  return {
    serverVersion: options.serverVersion,
    minCliVersion: options.minCliVersion ?? null,
    maxCliVersion: options.maxCliVersion ?? null,
    recommendedCliVersion: options.recommendedCliVersion ?? null,
    apiVersion: options.apiVersion ?? null,
    deployment: options.deployment ?? null,
  };
}

async function readSource(source: RevisionSource | undefined, staticInfo: ServerInfo): Promise<ServerVersionDocument> {
  if (!source) return buildVersionDocument(staticInfo);
  const [applied, pending, status, background] = await Promise.all([
    source.applied(),
    source.pending(),
    source.status?.() ?? null,
    source.backgroundPending?.(),
  ]);
  if (applied !== null && !REVISION_PATTERN.test(applied)) {
    throw new HandshakeServerError(
      `The revision source returned an invalid schema revision "${String(applied).slice(0, 80)}"`,
      'Return an Alembic-style id such as 0003_add_events, or null',
    );
  }
  return buildVersionDocument({
    ...staticInfo,
    schemaRevision: applied,
    pendingMigrations: pending,
    migrationStatus: status,
    ...(background === undefined ? {} : { backgroundMigrationsPending: background }),
  });
}

/**
 * The document read from the source with the runner's state laid over it:
 * `capabilities.migrate`, and while a run goes `migration_status: running`,
 * its progress, the revision committed so far and what is still pending.
 */
function withMigrationState(doc: ServerVersionDocument, controller: MigrationController | null): ServerVersionDocument {
  if (!controller?.enabled) return doc;
  const state = controller.state();
  const out: ServerVersionDocument = { ...doc, capabilities: { ...doc.capabilities, migrate: controller.path }, migration_progress: null };
  if (state.status === 'running') {
    out.migration_status = 'running';
    out.migration_progress = state.progress;
    out.schema_revision = state.schemaRevision ?? doc.schema_revision;
    out.pending_migrations = doc.pending_migrations.slice(state.progress?.applied ?? 0);
  } else if (state.status === 'failed') {
    out.migration_status = 'failed';
  }
  return out;
}

function headerSetter(names: HeaderNames, serverVersion: string) {
  return (res: ServerResponse, doc: ServerVersionDocument | null): void => {
    if (res.headersSent) return;
    res.setHeader(names.serverVersion, serverVersion);
    if (doc?.schema_revision) res.setHeader(names.schemaRevision, doc.schema_revision);
  };
}

interface HandlerDeps {
  cache: RevisionCache;
  setHeaders: (res: ServerResponse, doc: ServerVersionDocument | null) => void;
  versionPath: string;
  controller: MigrationController | null;
  onError: (err: unknown) => void;
}

function httpHandlers(deps: HandlerDeps): { headers: Middleware; versionHandler: Handler; migrationHandler: Handler } {
  const { cache, setHeaders, controller, onError } = deps;
  const headers: Middleware = (_req, res, next) => {
    const doc = cache.current();
    setHeaders(res, doc);
    if (doc) return next?.();
    // Nothing read yet: this one request waits for the first read.
    cache.refresh().then(
      (fresh) => {
        setHeaders(res, fresh);
        callLater(next);
      },
      (err) => {
        onError(err);
        callLater(next);
      },
    );
  };
  const migrationHandler: Handler = (req, res) => {
    answerMigration(controller, { method: req.method, authorization: req.headers.authorization, body: () => readBody(req) }, cache).then(
      (answer) => sendAnswer(res, answer),
      (err) => {
        onError(err);
        sendJson(res, 500, errorBody('internal', 'The migration endpoint failed', "See the server's log"));
      },
    );
  };
  return { headers, versionHandler: versionHandler(deps), migrationHandler };
}

function versionHandler({ cache, setHeaders, versionPath, onError }: HandlerDeps): Handler {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      setHeaders(res, cache.peek());
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, {
        error: { code: 'method_not_allowed', message: `${req.method} is not allowed on ${versionPath}`, remedy: `Use GET ${versionPath}` },
      });
      return;
    }
    cache.refresh().then(
      (doc) => {
        setHeaders(res, doc);
        res.setHeader('cache-control', 'no-store');
        sendJson(res, 200, doc, req.method === 'HEAD');
      },
      (err) => {
        onError(err);
        setHeaders(res, cache.peek());
        res.setHeader('retry-after', '5');
        const late = err instanceof RevisionReadTimeout ? ` within ${err.timeoutMs} ms` : '';
        sendJson(res, 503, {
          error: {
            code: 'schema_state_unavailable',
            message: `The server could not read its schema revision${late}`,
            remedy: "Check the server's database connection and its logs",
          },
        });
      },
    );
  };
}

function answerMigration(controller: MigrationController | null, request: MigrationRequest, cache: RevisionCache): Promise<Answer> {
  if (!controller?.enabled) {
    return Promise.resolve({
      status: 404,
      headers: {},
      body: errorBody('not_found', 'This server does not offer the admin migration endpoint', 'Apply migrations on the server host'),
    });
  }
  return migrationAnswer(controller, request, { document: cache.refresh });
}
