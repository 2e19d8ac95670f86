import type { IncomingMessage, ServerResponse } from 'node:http';
import { startServer, type TestServer } from './http-server.js';

/**
 * A loopback server that follows docs/protocol.md, with one switch per way to break it, for `server verify`'s
 * tests: each broken server must fail the check for the section it breaks, and only that one's rule.
 */

export const PROTO_TOKEN = 'tok-9f3e1c7a5b2d4e60';
export const PROTO_ADMIN = 'adm-4d8b2f6e0a1c3e57';
export const PROTO_MIGRATE = '/api/v1/admin/migrations';

export interface Breakage {
  /** The document's fields, over the good ones (undefined values remove a field). */
  doc?: Record<string, unknown>;
  /** No revision/version headers on errors (404s, 401s…). */
  noHeadersOnErrors?: boolean;
  /** No revision/version headers on HEAD answers. */
  noHeadersOnHead?: boolean;
  /** The version header says this, whatever the document says. */
  headerVersion?: string;
  /** Errors as an HTML page. */
  htmlErrors?: boolean;
  /** Error bodies quote the request's Authorization header. */
  echoAuthorization?: boolean;
  /** Declares min_cli_version but never answers 426. */
  no426?: boolean;
  /** 426 without the required-version header. */
  no426Header?: boolean;
  /** 426 naming this version instead of min_cli_version. */
  required?: string;
  /** While "running": answer routes 200 (no maintenance mode), or 503 without Retry-After. */
  maintenance?: 'none' | 'no-retry-after';
  /** The admin endpoint starts a run for a request without a token, or for the ordinary one. */
  admin?: 'accepts-anonymous' | 'accepts-ordinary';
  /** The API needs the ordinary token. */
  requireToken?: boolean;
  /** Where the version document is served (default `/api/v1/config/version`). */
  versionPath?: string;
}

const GOOD_DOC = {
  server_version: '1.4.2',
  schema_revision: '0004_split_events_table',
  min_cli_version: '0.9.0',
  max_cli_version: null,
  recommended_cli_version: '0.9.0',
  api_version: 'v1',
  pending_migrations: [{ revision: '0005_add_retention_policy', description: 'retention' }],
  deployment: 'docker-compose',
  migration_status: 'idle',
  capabilities: { migrate: PROTO_MIGRATE, retention: true },
};

export interface ProtocolServer extends TestServer {
  /** True once a broken admin endpoint started a run. */
  started(): boolean;
}

export async function protocolServer(b: Breakage = {}): Promise<ProtocolServer> {
  let running = false;
  const doc = (): Record<string, unknown> => {
    const d: Record<string, unknown> = { ...GOOD_DOC, ...(running ? { migration_status: 'running' } : {}), ...b.doc };
    for (const [k, v] of Object.entries(d)) if (v === undefined) delete d[k];
    return d;
  };
  const stamp = (req: IncomingMessage, res: ServerResponse, isError: boolean) => {
    if (isError && b.noHeadersOnErrors) return;
    if (req.method === 'HEAD' && b.noHeadersOnHead) return;
    const d = doc();
    res.setHeader('x-server-version', b.headerVersion ?? String(d.server_version));
    if (typeof d.schema_revision === 'string') res.setHeader('x-schema-revision', d.schema_revision);
  };
  const send = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    stamp(req, res, status >= 400);
    if (status >= 400 && b.htmlErrors) {
      const html = `<!DOCTYPE html><html><body><h1>${status}</h1></body></html>`;
      res.writeHead(status, { 'content-type': 'text/html', ...headers });
      res.end(req.method === 'HEAD' ? undefined : html);
      return;
    }
    const withEcho =
      status >= 400 && b.echoAuthorization && body && typeof body === 'object'
        ? { ...body, request: { authorization: req.headers.authorization ?? null } }
        : body;
    const text = JSON.stringify(withEcho);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
  const err = (code: string) => ({ error: { code, message: code, remedy: null } });
  const bearer = (req: IncomingMessage) => /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;

  const server = await startServer((req, res, body) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === (b.versionPath ?? '/api/v1/config/version')) return send(req, res, 200, doc(), { 'cache-control': 'no-store' });
    if (path === PROTO_MIGRATE) {
      if (req.method !== 'POST') return send(req, res, 405, err('method_not_allowed'));
      const token = bearer(req);
      const who = token === PROTO_ADMIN ? 'admin' : token === PROTO_TOKEN ? 'ordinary' : 'anonymous';
      const accepts =
        who === 'admin' ||
        (who === 'anonymous' && b.admin === 'accepts-anonymous') ||
        (who === 'ordinary' && b.admin === 'accepts-ordinary');
      if (!accepts) return send(req, res, who === 'anonymous' ? 401 : 403, err(who === 'anonymous' ? 'unauthorized' : 'forbidden'));
      // A broken endpoint: it does not even read the body before it starts.
      void body;
      running = true;
      return send(req, res, 202, doc());
    }
    if (doc().migration_status === 'running' && b.maintenance !== 'none') {
      return send(
        req,
        res,
        503,
        { error: 'migrating', migration_progress: { applied: 0, total: 1, current: null } },
        b.maintenance === 'no-retry-after' ? {} : { 'retry-after': '5' },
      );
    }
    const cli = req.headers['x-cli-version'];
    if (!b.no426 && cli === '0.0.0' && doc().min_cli_version) {
      return send(
        req,
        res,
        426,
        err('cli_outdated'),
        b.no426Header ? {} : { 'x-required-cli-version': b.required ?? String(doc().min_cli_version) },
      );
    }
    if (path === '/api/v1/health') return send(req, res, 200, { status: 'ok' });
    if (b.requireToken && bearer(req) !== PROTO_TOKEN) return send(req, res, 401, err('unauthorized'));
    if (path === '/api/v1/auth-check') return send(req, res, 200, { ok: true });
    return send(req, res, 404, err('not_found'));
  });
  return { ...server, started: () => running };
}
