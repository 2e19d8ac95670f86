import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { ErrorCode, type HandshakeError, isHandshakeError } from '../../errors.js';
import type { Matrix } from '../../matrix/load.js';
import { ENDPOINT_PATH } from '../../protocol/defaults.js';
import type { Resolution } from '../../session/resolve.js';
import { createAgent, type HttpResponse, httpRequest } from '../../transport/request.js';
import { destroyDispatcher } from '../../transport/undici.js';
import { resolveApiUrl } from '../../url.js';
import { once } from '../framework.js';

/**
 * What `server verify`'s checks share: the server, the matrix's names, and every request, each made once
 * however many checks read it. Every request is a GET or a HEAD, except the two POSTs to an advertised admin
 * endpoint, which carry no token or the ordinary one and a body that names no revision, so that no server,
 * however broken, can start a run from them (docs/protocol.md §1c). The admin token is never read here.
 */

/** A route no server has: its answer shows what the server does with errors and unknown paths. */
export const NOT_FOUND_PATH = '/api/v1/handshake-verify/no-such-route';
/** The CLI version sent to see a 426: older than any window a server can declare above 0.0.0. */
export const ANCIENT_CLI = '0.0.0';
/** The admin endpoint's body: `target_revision` is not a revision id (docs/protocol.md §1.2), so no run can match it. */
export const REFUSED_ADMIN_BODY = JSON.stringify({ target_revision: '' });

/** One request as verify saw it. */
export interface Probe {
  /** `GET /api/v1/config/version`: what a detail names. */
  label: string;
  method: string;
  response: HttpResponse | null;
  error: HandshakeError | null;
  /** The token this request carried (the user's, or a made-up one), for the echo check; null when it carried none. */
  sentToken: string | null;
}

export interface VerifyContext {
  readonly resolution: Resolution;
  readonly url: URL;
  readonly matrix: Matrix;
  /** The user's token (`<PREFIX>_TOKEN` or the config), or null. */
  readonly token: string | null;
  /** The made-up token sent to the 404 route when the user has none: a secret to redact like any other. */
  readonly madeUpToken: string;
  readonly versionPath: string;
  readonly authPath: string;
  readonly healthPath: string;
  readonly timeoutMs: number;
  /** GET the version endpoint. */
  version(): Promise<Probe>;
  /** HEAD the version endpoint. */
  head(): Promise<Probe>;
  /** GET a route no server has, with the user's token or a made-up one (to see whether an error echoes it). */
  notFound(): Promise<Probe>;
  /** GET `endpoints.auth_check` with the user's token; null without one. */
  auth(): Promise<Probe | null>;
  /** GET `endpoints.health` as a CLI older than any declared window. */
  oldCli(): Promise<Probe>;
  /** GET `endpoints.health` as this CLI (the maintenance check, while the server migrates). */
  health(): Promise<Probe>;
  /** POST to the admin endpoint at `path` without a token, then with the ordinary one (null without one), then the document again. */
  admin(path: string): Promise<{ anonymous: Probe; ordinary: Probe | null; after: Probe }>;
  /** Every probe made so far, in the order they were made. */
  probes(): Probe[];
  close(): Promise<void>;
}

export interface VerifyContextOptions {
  resolution: Resolution;
  signal?: AbortSignal;
  dispatcher?: Dispatcher;
}

/** @throws the resolution's problem when there is no valid server or matrix (the command says it first). */
export function createVerifyContext(options: VerifyContextOptions): VerifyContext {
  const { resolution } = options;
  const server = resolution.server;
  if (server.kind !== 'ok') throw new Error('server verify needs a resolved server');
  const matrix = resolution.requestMatrix;
  if (!matrix) throw new Error('server verify needs a valid matrix');
  const { url, token } = server;
  const { timeoutMs } = resolution;
  const names = matrix.doc.headers;
  // The matrix's endpoints (docs/protocol.md §1.9), defaults applied by its schema.
  const { auth_check: authCheck, health } = matrix.doc.endpoints;
  const made: Probe[] = [];
  // A token the server cannot know, for the echo check when the user has none; redacted like a real one.
  // Random through and through: a recognisable prefix would be redacted wherever else it appears (the 404 path).
  const madeUp = randomBytes(16).toString('hex');
  let own: Dispatcher | undefined;
  const dispatcher = (): Dispatcher => {
    if (options.dispatcher) return options.dispatcher;
    own ??= createAgent({ connectTimeoutMs: timeoutMs, env: resolution.env });
    return own;
  };

  const probe = async (
    method: 'GET' | 'HEAD' | 'POST',
    path: string,
    opts: { token?: string | null; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Probe> => {
    const target = resolveApiUrl(url, path);
    const sentToken = opts.token ?? null;
    const entry: Probe = { label: `${method} ${path}`, method, response: null, error: null, sentToken };
    made.push(entry);
    try {
      entry.response = await httpRequest(target, {
        method,
        timeoutMs,
        signal: options.signal,
        dispatcher: dispatcher(),
        headers: { accept: 'application/json', ...resolution.headers, ...opts.headers },
        ...(opts.body === undefined ? {} : { body: opts.body }),
        // Same origin only, never across a redirect (the transport's rule); a POST is never redirected.
        auth: sentToken ? { origin: url.origin, token: sentToken } : null,
        followRedirects: method !== 'POST',
      });
    } catch (err) {
      if (!isHandshakeError(err) || err.code === ErrorCode.Aborted) throw err;
      entry.error = err;
    }
    return entry;
  };

  const version = once(() => probe('GET', matrix.doc.version_endpoint, { token }));
  const admin = new Map<string, Promise<{ anonymous: Probe; ordinary: Probe | null; after: Probe }>>();
  const json = { 'content-type': 'application/json' };
  return {
    resolution,
    url,
    matrix,
    token,
    madeUpToken: madeUp,
    versionPath: matrix.doc.version_endpoint,
    authPath: authCheck,
    healthPath: health,
    timeoutMs,
    version,
    head: once(() => probe('HEAD', matrix.doc.version_endpoint, { token })),
    notFound: once(() => probe('GET', NOT_FOUND_PATH, { token: token ?? madeUp })),
    auth: once(async () => (token ? probe('GET', authCheck, { token }) : null)),
    oldCli: once(() => probe('GET', health, { token, headers: { [names.cli_version.toLowerCase()]: ANCIENT_CLI } })),
    health: once(() => probe('GET', health, { token })),
    admin(path) {
      // Only a path the document advertised, checked as a path: never a URL of another origin.
      if (!ENDPOINT_PATH.test(path)) throw new Error(`not an admin path: ${path}`);
      let run = admin.get(path);
      if (!run) {
        run = (async () => {
          await version();
          const anonymous = await probe('POST', path, { headers: json, body: REFUSED_ADMIN_BODY });
          const ordinary = token ? await probe('POST', path, { token, headers: json, body: REFUSED_ADMIN_BODY }) : null;
          const after = await probe('GET', matrix.doc.version_endpoint, { token });
          return { anonymous, ordinary, after };
        })();
        admin.set(path, run);
      }
      return run;
    },
    probes: () => [...made],
    async close() {
      const d = own;
      own = undefined;
      if (d) await destroyDispatcher(d);
    },
  };
}
