import type { IncomingMessage, ServerResponse } from 'node:http';
import { REVISION_PATTERN } from '../matrix/schema.js';
import type { VersionDocument } from '../protocol/version-document.js';
import { type CliRejection, checkCliVersion } from './cli-window.js';
import { buildVersionDocument, type MigrationStatus, type PendingMigrationInfo, type ServerInfo } from './document.js';
import { HandshakeServerError } from './errors.js';

/** Continues the request; an Express/Connect `next`, a Fastify `done`, or your own router. */
export type Next = (err?: unknown) => void;
/** A node:http-compatible middleware: works as is in plain node:http, Connect and Express. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next?: Next) => void;
/** A node:http request handler that always answers. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Where the server reads its schema state from: usually its database and its migrations directory. */
export interface RevisionSource {
  /** The schema revision currently applied, or null when none is. */
  applied(): Promise<string | null>;
  /** Migrations the server ships and has not applied, oldest first. */
  pending(): Promise<readonly PendingMigrationInfo[]>;
  /** State of the server's migration runner; when absent, `migration_status` is not reported. */
  status?(): Promise<MigrationStatus>;
}

/** Header names on the wire; a vendor may rename them, and then its `compat.json` must name the same. */
export interface HeaderNames {
  /** Response: the applied schema revision. */
  schemaRevision: string;
  /** Response: the server's version. */
  serverVersion: string;
  /** Request: the version of the CLI making it. */
  cliVersion: string;
  /** Response, on a 426: the CLI version the server requires. */
  requiredCliVersion: string;
}

/** The names `compat.json` uses when it names none. */
export const DEFAULT_HEADER_NAMES: Readonly<HeaderNames> = Object.freeze({
  schemaRevision: 'X-Schema-Revision',
  serverVersion: 'X-Server-Version',
  cliVersion: 'X-CLI-Version',
  requiredCliVersion: 'X-Required-CLI-Version',
});

/** The version endpoint's path when `compat.json` names none. */
export const DEFAULT_VERSION_PATH = '/api/v1/config/version';

/** How long the middleware reuses a revision read, in ms, unless told otherwise. */
export const DEFAULT_CACHE_MS = 5000;

export interface HandshakeServerOptions extends Omit<ServerInfo, 'schemaRevision' | 'pendingMigrations' | 'migrationStatus'> {
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
   * Called when the revision source fails. The request goes on without the
   * revision header (the version endpoint answers 503). Errors are not logged
   * anywhere else: log them here if you want them.
   */
  onError?: (err: unknown) => void;
}

export interface HandshakeServer {
  /**
   * Headers on every response, the version endpoint at its path, and (with
   * `enforceCliWindow`) the 426 check; anything else goes on to `next`.
   */
  readonly middleware: Middleware;
  /** Only sets the revision and version headers, then calls `next`. */
  readonly headers: Middleware;
  /** Only the CLI-window check: answers 426 to a CLI below `minCliVersion`, otherwise calls `next`. */
  readonly requireCliVersion: Middleware;
  /** Serves the version document, whatever the path: mount it on a route yourself. */
  readonly versionHandler: Handler;
  /** The version document, read afresh; for frameworks that answer through their own reply object. */
  document(): Promise<VersionDocument>;
  /** The 426 this request deserves, or null; for frameworks that answer through their own reply object. */
  cliRejection(req: IncomingMessage): CliRejection | null;
  /**
   * The response headers to set now, from the cached read (a stale one is
   * read again in the background): for frameworks with their own reply
   * object. Without the revision until a first read completed, so call
   * {@link HandshakeServer.refresh} once at startup.
   */
  responseHeaders(): Record<string, string>;
  /** Reads the revision source now and updates the cache, e.g. after running migrations in-process. */
  refresh(): Promise<VersionDocument>;
  /** The header names in use. */
  readonly headerNames: Readonly<HeaderNames>;
  /** The version endpoint's path. */
  readonly versionPath: string;
}

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
const PATH = /^\/[A-Za-z0-9/._~-]*$/;

/**
 * Sets up the server side of the handshake: the version document, the
 * headers on every response and the optional 426 check. Everything is
 * validated here, so a misconfigured server fails at startup.
 *
 * @throws {HandshakeServerError} on a non-semver version, a bad header name or path.
 */
export function createHandshakeServer(options: HandshakeServerOptions): HandshakeServer {
  const names: HeaderNames = { ...DEFAULT_HEADER_NAMES };
  for (const [key, value] of Object.entries(options.headers ?? {})) {
    if (value === undefined) continue;
    if (!Object.hasOwn(names, key)) {
      throw new HandshakeServerError(`Unknown header option "${key}"`, `Use one of: ${Object.keys(names).join(', ')}`);
    }
    if (!HEADER_NAME.test(value)) {
      throw new HandshakeServerError(
        `Invalid header name for ${key}: "${value}"`,
        'Use letters, digits and "-" only, e.g. X-Schema-Revision',
      );
    }
    names[key as keyof HeaderNames] = value;
  }
  const versionPath = options.versionPath ?? DEFAULT_VERSION_PATH;
  if (!PATH.test(versionPath)) {
    throw new HandshakeServerError(`Invalid versionPath "${versionPath}"`, 'Use an absolute path such as /api/v1/config/version');
  }
  const cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
  if (!Number.isFinite(cacheMs) || cacheMs < 0) {
    throw new HandshakeServerError(`Invalid cacheMs ${cacheMs}`, 'Use a number of milliseconds, 0 or more');
  }
  const staticInfo: ServerInfo = {
    serverVersion: options.serverVersion,
    minCliVersion: options.minCliVersion ?? null,
    maxCliVersion: options.maxCliVersion ?? null,
    recommendedCliVersion: options.recommendedCliVersion ?? null,
    apiVersion: options.apiVersion ?? null,
    deployment: options.deployment ?? null,
  };
  // Validates every static field now and normalises the versions (`v1.4.0` → `1.4.0`).
  const base = buildVersionDocument(staticInfo);
  const serverVersion = base.server_version;
  const minCliVersion = base.min_cli_version;
  const source = options.revisions;
  const onError = options.onError ?? (() => {});

  let cached: { doc: VersionDocument; at: number } | null = source ? null : { doc: base, at: Number.POSITIVE_INFINITY };
  let inflight: Promise<VersionDocument> | null = null;

  async function read(): Promise<VersionDocument> {
    if (!source) return base;
    const [applied, pending, status] = await Promise.all([source.applied(), source.pending(), source.status?.() ?? null]);
    if (applied !== null && !REVISION_PATTERN.test(applied)) {
      throw new HandshakeServerError(
        `The revision source returned an invalid schema revision "${String(applied).slice(0, 80)}"`,
        'Return an Alembic-style id such as 0003_add_events, or null',
      );
    }
    return buildVersionDocument({ ...staticInfo, schemaRevision: applied, pendingMigrations: pending, migrationStatus: status });
  }

  function refresh(): Promise<VersionDocument> {
    inflight ??= read()
      .then((doc) => {
        cached = { doc, at: performance.now() };
        return doc;
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  }

  function setHeaders(res: ServerResponse, doc: VersionDocument | null): void {
    if (res.headersSent) return;
    res.setHeader(names.serverVersion, serverVersion);
    if (doc?.schema_revision) res.setHeader(names.schemaRevision, doc.schema_revision);
  }

  /** The cached document; when stale, it is still returned and read again in the background. */
  function current(): VersionDocument | null {
    const snapshot = cached;
    if (snapshot && performance.now() - snapshot.at > cacheMs) refresh().catch(onError);
    return snapshot?.doc ?? null;
  }

  const headers: Middleware = (_req, res, next) => {
    const doc = current();
    if (doc) {
      setHeaders(res, doc);
      next?.();
      return;
    }
    // Nothing read yet: this one request waits for the first read.
    setHeaders(res, null);
    refresh().then(
      (doc) => {
        setHeaders(res, doc);
        callLater(next);
      },
      (err) => {
        onError(err);
        callLater(next);
      },
    );
  };

  const versionHandler: Handler = (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      setHeaders(res, cached?.doc ?? null);
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, {
        error: { code: 'method_not_allowed', message: `${req.method} is not allowed on ${versionPath}`, remedy: `Use GET ${versionPath}` },
      });
      return;
    }
    refresh().then(
      (doc) => {
        setHeaders(res, doc);
        res.setHeader('cache-control', 'no-store');
        sendJson(res, 200, doc, req.method === 'HEAD');
      },
      (err) => {
        onError(err);
        setHeaders(res, cached?.doc ?? null);
        res.setHeader('retry-after', '5');
        sendJson(res, 503, {
          error: {
            code: 'schema_state_unavailable',
            message: 'The server could not read its schema revision',
            remedy: "Check the server's database connection and its logs",
          },
        });
      },
    );
  };

  const cliRejection = (req: IncomingMessage): CliRejection | null =>
    checkCliVersion(req.headers[names.cliVersion.toLowerCase()], minCliVersion, names.requiredCliVersion);

  const requireCliVersion: Middleware = (req, res, next) => {
    const rejection = cliRejection(req);
    if (rejection) {
      for (const [name, value] of Object.entries(rejection.headers)) res.setHeader(name, value);
      sendJson(res, rejection.status, rejection.body);
      return;
    }
    next?.();
  };

  const middleware: Middleware = (req, res, next) => {
    headers(req, res, () => {
      if (requestPath(req) === versionPath || requestPath(req) === `${versionPath}/`) {
        versionHandler(req, res);
        return;
      }
      if (options.enforceCliWindow) requireCliVersion(req, res, next);
      else next?.();
    });
  };

  return {
    middleware,
    headers,
    requireCliVersion,
    versionHandler,
    document: refresh,
    refresh,
    cliRejection,
    responseHeaders() {
      const out: Record<string, string> = { [names.serverVersion]: serverVersion };
      const revision = current()?.schema_revision;
      if (revision) out[names.schemaRevision] = revision;
      return out;
    },
    headerNames: Object.freeze({ ...names }),
    versionPath,
  };
}

/** The request's path without the query; Express's `originalUrl` when mounted under a prefix. */
function requestPath(req: IncomingMessage): string {
  const raw = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  try {
    return new URL(raw, 'http://localhost').pathname;
  } catch {
    return raw;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headOnly = false): void {
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

/** Calls `next` outside the promise chain, so an exception in the route behaves as in a synchronous call. */
function callLater(next: Next | undefined): void {
  if (!next) return;
  try {
    next();
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}
