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
import {
  type Answer,
  callLater,
  errorBody,
  type Handler,
  type HandshakeRequest,
  type Middleware,
  nodeRequest,
  type RequestFacts,
  samePath,
  sendAnswer,
} from './http.js';
import { type MaintenanceBody, maintenanceAnswer } from './maintenance.js';
import type { MigrationController } from './migrations.js';
import { cacheMsOf, type HeaderNames, headerNamesOf, readTimeoutMsOf, versionPathOf } from './options.js';
import { createRevisionCache, type RevisionCache, RevisionReadTimeout } from './revision-cache.js';

export type { Handler, HandshakeRequest, Middleware, Next, RequestFacts } from './http.js';
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
   * The admin migration endpoint and maintenance mode (docs/protocol.md §1b), from
   * `createMigrationController`. Its endpoint and `capabilities.migrate`
   * exist only when it was given an admin token.
   */
  migrations?: MigrationController;
  /**
   * Feature flags, reported in `capabilities` (docs/protocol.md): `{ retention: false }` says this server has the
   * feature switched off, so a CLI command that needs it stops before it sends anything; `true` says it is on.
   */
  features?: Readonly<Record<string, boolean>>;
  /**
   * Called when the revision source fails. The request goes on without the
   * revision header (the version endpoint answers 503). Errors are not logged
   * anywhere else: log them here if you want them.
   */
  onError?: (err: unknown) => void;
}

/** Where a request goes; see {@link HandshakeServer.route}. */
export type Route = { kind: 'version' } | { kind: 'migrations' } | { kind: 'answer'; answer: Answer } | { kind: 'next' };

/** What the handshake does with a request: answer it, or let it go on with these headers set. */
export interface Exchange {
  /** The revision and version headers (lower-case names) to set on whatever answers the request. */
  headers: Record<string, string>;
  /** The handshake's own answer (its headers are in addition to `headers`), or null: the app answers. */
  answer: Answer | null;
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
  /**
   * Where one request goes: the version endpoint, the admin endpoint, an answer of the handshake's
   * own (the maintenance 503, the 426), or on to the app. Synchronous, framework-neutral: every
   * adapter (node:http, Express, Fastify, fetch) routes with it.
   */
  route(request: RequestFacts): Route;
  /**
   * The whole handshake for one request, framework-neutral: the answer to send (its headers
   * include the revision and version), or null with the headers to set on the app's own response.
   * The adapters for Fastify and the web-standard `fetch` are built on it.
   */
  exchange(request: HandshakeRequest): Promise<Exchange>;
  /** The version endpoint's answer (200, 405 for a method other than GET or HEAD, 503 when the source fails). */
  versionAnswer(method: string | undefined): Promise<Answer>;
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

  /** The two headers of every response (docs/protocol.md §1.4), for a document read (or none yet). */
  const handshakeHeaders = (doc: ServerVersionDocument | null): Record<string, string> => {
    const out: Record<string, string> = { [names.serverVersion]: base.server_version };
    if (doc?.schema_revision) out[names.schemaRevision] = doc.schema_revision;
    return out;
  };
  const setHeaders = (res: ServerResponse, doc: ServerVersionDocument | null): void => {
    if (res.headersSent) return;
    for (const [name, value] of Object.entries(handshakeHeaders(doc))) res.setHeader(name, value);
  };
  /** The headers from the cached read; the first request of all waits for the first read. */
  const currentHeaders = async (): Promise<Record<string, string>> => {
    let doc = cache.current();
    if (!doc) {
      try {
        doc = await cache.refresh();
      } catch (err) {
        onError(err);
      }
    }
    return lowerKeys(handshakeHeaders(doc));
  };
  const versionAnswer = (method: string | undefined) => answerVersion(method, { cache, versionPath, onError, handshakeHeaders });
  const migrationAnswerOf = (request: MigrationRequest): Promise<Answer> =>
    answerMigration(controller, request, cache).catch((err: unknown) => {
      onError(err);
      return { status: 500, headers: {}, body: errorBody('internal', 'The migration endpoint failed', "See the server's log") };
    });

  const cliRejectionOf = (request: RequestFacts): CliRejection | null =>
    checkCliVersion(request.header(names.cliVersion.toLowerCase()), base.min_cli_version, names.requiredCliVersion);
  const exempt = controller?.enabled ? [versionPath, controller.path] : [versionPath];
  const maintenanceOf = (request: RequestFacts) => maintenanceAnswer(controller, request.path, exempt);
  // The one routing rule every adapter follows: the version endpoint, the admin endpoint, the
  // maintenance 503 (docs/protocol.md §1.7), the 426 (§1.6), then the app.
  const route = (request: RequestFacts): Route => {
    if (samePath(request.path, versionPath)) return VERSION_ROUTE;
    if (controller?.enabled && samePath(request.path, controller.path)) return MIGRATIONS_ROUTE;
    const busy = maintenanceOf(request);
    if (busy) return { kind: 'answer', answer: busy };
    const rejection = options.enforceCliWindow ? cliRejectionOf(request) : null;
    if (rejection) return { kind: 'answer', answer: rejection };
    return NEXT_ROUTE;
  };

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
  const versionHandler: Handler = (req, res) => {
    void versionAnswer(req.method).then((answer) => sendAnswer(res, answer, req.method === 'HEAD'));
  };
  const migrationHandler: Handler = (req, res) => {
    void migrationAnswerOf({ method: req.method, authorization: req.headers.authorization, body: () => readBody(req) }).then((answer) =>
      sendAnswer(res, answer),
    );
  };
  const requireCliVersion: Middleware = (req, res, next) => {
    const rejection = cliRejectionOf(nodeRequest(req));
    if (rejection) sendAnswer(res, rejection);
    else next?.();
  };
  const maintenance: Middleware = (req, res, next) => {
    const answer = maintenanceOf(nodeRequest(req));
    if (answer) sendAnswer(res, answer);
    else next?.();
  };
  const middleware: Middleware = (req, res, next) => {
    headers(req, res, () => {
      const to = route(nodeRequest(req));
      if (to.kind === 'version') return versionHandler(req, res);
      if (to.kind === 'migrations') return migrationHandler(req, res);
      if (to.kind === 'answer') return sendAnswer(res, to.answer);
      next?.();
    });
  };
  return {
    middleware,
    headers,
    requireCliVersion,
    maintenance,
    versionHandler,
    migrationHandler,
    route,
    versionAnswer,
    async exchange(request) {
      const headers = await currentHeaders();
      const to = route(request);
      if (to.kind === 'next') return { headers, answer: null };
      if (to.kind === 'answer') return { headers, answer: to.answer };
      if (to.kind === 'version') {
        const answer = await versionAnswer(request.method);
        return { headers: { ...headers, ...answer.headers }, answer };
      }
      const answer = await migrationAnswerOf({
        method: request.method,
        authorization: request.header('authorization'),
        body: request.body,
      });
      return { headers, answer };
    },
    document: cache.refresh,
    refresh: cache.refresh,
    cliRejection: (req) => cliRejectionOf(nodeRequest(req)),
    maintenanceRejection: (req) => maintenanceOf(nodeRequest(req)),
    migrationAnswer: (request) => answerMigration(controller, request, cache),
    responseHeaders: () => handshakeHeaders(cache.current()),
    headerNames: Object.freeze({ ...names }),
    versionPath,
    migrations: controller,
  };
}

const VERSION_ROUTE: Route = Object.freeze({ kind: 'version' });
const MIGRATIONS_ROUTE: Route = Object.freeze({ kind: 'migrations' });
const NEXT_ROUTE: Route = Object.freeze({ kind: 'next' });

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function staticInfoOf(options: HandshakeServerOptions): ServerInfo {
  return {
    ...(options.features ? { capabilities: { ...options.features } } : {}),
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

interface VersionDeps {
  cache: RevisionCache;
  versionPath: string;
  onError: (err: unknown) => void;
  handshakeHeaders: (doc: ServerVersionDocument | null) => Record<string, string>;
}

/** The version endpoint (docs/protocol.md §1): the document read afresh, never from the header cache. */
async function answerVersion(method: string | undefined, { cache, versionPath, onError, handshakeHeaders }: VersionDeps): Promise<Answer> {
  if (method !== 'GET' && method !== 'HEAD') {
    return {
      status: 405,
      headers: { ...lowerKeys(handshakeHeaders(cache.peek())), allow: 'GET, HEAD' },
      body: errorBody('method_not_allowed', `${method} is not allowed on ${versionPath}`, `Use GET ${versionPath}`),
    };
  }
  try {
    const doc = await cache.refresh();
    return { status: 200, headers: { ...lowerKeys(handshakeHeaders(doc)), 'cache-control': 'no-store' }, body: doc };
  } catch (err) {
    onError(err);
    const late = err instanceof RevisionReadTimeout ? ` within ${err.timeoutMs} ms` : '';
    return {
      status: 503,
      headers: { ...lowerKeys(handshakeHeaders(cache.peek())), 'retry-after': '5' },
      body: errorBody(
        'schema_state_unavailable',
        `The server could not read its schema revision${late}`,
        "Check the server's database connection and its logs",
      ),
    };
  }
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
