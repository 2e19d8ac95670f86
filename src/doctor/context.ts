import { isIP } from 'node:net';
import type { Dispatcher } from 'undici';
import { ErrorCode, HandshakeError, isHandshakeError } from '../errors.js';
import { classifyResponse, type Observation, observationFromError } from '../handshake/observe.js';
import type { RemedyContext } from '../hint.js';
import type { Matrix } from '../matrix/load.js';
import { DEFAULT_ENDPOINTS } from '../matrix/schema.js';
import type { VersionDocument } from '../protocol/version-document.js';
import {
  type ConfigState,
  type MatrixState,
  type Resolution,
  type ResolveOptions,
  resolveRun,
  type ServerTarget,
} from '../session/resolve.js';
import { buildReport, type StatusReport } from '../session/session.js';
import { classifyError } from '../transport/errors.js';
import { createAgent, type HttpResponse, httpRequest, type RequestOptions } from '../transport/request.js';
import { destroyDispatcher } from '../transport/undici.js';
import { redactUrl, resolveApiUrl } from '../url.js';
import { once } from './framework.js';

/** The ordinary API request whose headers the drift check compares with the version document, when the matrix names none. */
export const DEFAULT_HEALTH_PATH = DEFAULT_ENDPOINTS.health;
/** The request the Authentication check makes, once without and once with the token, when the matrix names none. */
export const DEFAULT_AUTH_PATH = DEFAULT_ENDPOINTS.auth_check;

export interface DoctorContextOptions extends ResolveOptions {
  /** The run's resolution, when the command already made it (else it is made from these options). */
  resolution?: Resolution;
  /** False skips every check that would talk to the server (`--no-network`). */
  network?: boolean;
  /** The ordinary request for the header-drift check (default: the matrix's `endpoints.health`, `/api/v1/health`). */
  healthPath?: string;
  /**
   * A request that needs the token, for the Authentication check (default: the matrix's `endpoints.auth_check`,
   * else {@link DEFAULT_AUTH_PATH}: a route no server has, which a server that authenticates before routing
   * refuses without a token). A vendor names one of its own authenticated routes in its matrix (docs/matrix.md).
   */
  authPath?: string;
  /** Cancels every request (Ctrl-C). */
  signal?: AbortSignal;
  /** The wall clock, ms since the epoch (tests). */
  now?: () => number;
  /**
   * The HTTP agent (default: doctor's own, honouring HTTP(S)_PROXY and NO_PROXY
   * like the shared one, with its connect timeout set to `timeoutMs`, so a
   * server that stalls the TLS handshake cannot keep the process alive).
   */
  dispatcher?: Dispatcher;
}

export type { ConfigState, MatrixState, ServerTarget };

/** One request as doctor saw it: the raw answer (or the error), and when. */
export interface HttpProbe {
  /** The URL requested, without credentials. */
  url: string;
  response: HttpResponse | null;
  error: HandshakeError | null;
  elapsedMs: number;
  /** This machine's clock half-way through the request (ms since the epoch), to compare with the `Date` header. */
  localTime: number;
}

export interface VersionProbe extends HttpProbe {
  observation: Observation;
}

export type TlsProbe =
  | {
      kind: 'ok';
      protocol: string | null;
      /** The chain verified against this machine's CAs (including NODE_EXTRA_CA_CERTS). */
      authorized: boolean;
      /** Why not, as a TLS error code (`DEPTH_ZERO_SELF_SIGNED_CERT`). */
      authorizationError: string | null;
      /** The certificate does not name the host, or null when it does. */
      hostnameError: string | null;
      issuer: string | null;
      subject: string | null;
      /** Expiry as the certificate states it, and in ms since the epoch. */
      validTo: string | null;
      validToMs: number | null;
    }
  | { kind: 'error'; error: HandshakeError };

/**
 * What every check receives. Vendor checks get the same, requests included. The run's facts are the
 * one resolution's (src/session/resolve.ts), not a copy of its rules.
 */
export interface DoctorContext
  extends Pick<
    Resolution,
    | 'cli'
    | 'product'
    | 'bin'
    | 'envPrefix'
    | 'env'
    | 'timeoutMs'
    | 'installPath'
    | 'matrix'
    | 'requestMatrix'
    | 'config'
    | 'server'
    | 'headers'
  > {
  /** The run's one resolution (the same every other command gets). */
  readonly resolution: Resolution;
  /** False with `--no-network`. */
  readonly network: boolean;
  readonly healthPath: string;
  now(): number;
  /** The version endpoint, requested once however many checks ask. */
  versionProbe(): Promise<VersionProbe>;
  /** One ordinary API request ({@link healthPath}), requested once. */
  apiProbe(): Promise<HttpProbe>;
  readonly authPath: string;
  /** {@link authPath} requested once without the token (`withToken` false) and once with it. */
  authProbe(withToken: boolean): Promise<HttpProbe>;
  /** The judge's report on the version document (verdict, remedy for the checked server, findings), or null without a valid matrix. */
  report(): Promise<StatusReport | null>;
  /** The version document, once {@link versionProbe} has one. */
  versionDocument(): VersionDocument | null;
  /** How remedies name things here: the host's bin and prefix, and the server that was checked. */
  remedyContext(): RemedyContext;
  /** A TLS connection to the server, made once, to read its certificate. */
  tlsProbe(): Promise<TlsProbe>;
  /** An authenticated request to the server (for vendor checks); throws coded errors. */
  request(path: string, init?: Pick<RequestOptions, 'method' | 'headers' | 'body' | 'signal'>): Promise<HttpResponse>;
  /** Closes doctor's own agent and its sockets; {@link runDoctor} calls it when the checks are done. */
  close(): Promise<void>;
}

/**
 * Resolves everything the checks look at without ever throwing for bad
 * input: an invalid matrix, config file or server URL is recorded and
 * reported by its check, so doctor works exactly when other commands do not.
 */
export function createDoctorContext(options: DoctorContextOptions): DoctorContext {
  const resolution = options.resolution ?? resolveRun(options);
  const { env, envPrefix: prefix, product, timeoutMs, installPath, cli, matrix, requestMatrix, config, server, headers } = resolution;
  const now = options.now ?? Date.now;
  const net = networkOf(resolution, options, now);
  // The matrix's endpoints (docs/matrix.md): the paths `server verify` reads from the same place.
  const endpoints = requestMatrix?.doc.endpoints ?? DEFAULT_ENDPOINTS;
  const healthPath = options.healthPath ?? endpoints.health;
  const authPath = options.authPath ?? endpoints.auth_check;
  const ref = server.kind === 'ok' ? server.ref : null;
  let seenDocument: VersionDocument | null = null;
  const versionProbe = once(async (): Promise<VersionProbe> => {
    const t = net.target();
    const p = await net.probe(t.matrix.doc.version_endpoint, 'application/json');
    const observation = p.response ? classifyResponse(p.response, t.matrix) : observationFromError(p.error);
    if (observation.kind === 'document') seenDocument = observation.document;
    return { ...p, observation };
  });
  const authProbes = [
    once(() => net.probe(authPath, 'application/json', false)),
    once(() => net.probe(authPath, 'application/json', true)),
  ];
  return {
    ...{ resolution, cli, product, bin: resolution.bin, envPrefix: prefix, env, timeoutMs, installPath },
    ...{ matrix, requestMatrix, config, server, headers, healthPath, authPath, now },
    network: options.network !== false,
    versionProbe,
    apiProbe: once(() => net.probe(healthPath, 'application/json')),
    authProbe: (withToken) => (authProbes[withToken ? 1 : 0] as () => Promise<HttpProbe>)(),
    report: once(async () => {
      if (!matrix.ok || server.kind !== 'ok') return null;
      const p = await versionProbe();
      return buildReport({ matrix: matrix.matrix, cli, resolution, serverRef: ref }, server.url, p.observation);
    }),
    versionDocument: () => seenDocument,
    remedyContext: (): RemedyContext => ({ bin: resolution.bin, envPrefix: prefix, server: ref }),
    tlsProbe: once(() => inspectTls(net.target().url, timeoutMs, options.signal)),
    request: net.request,
    close: net.close,
  };
}

/** Doctor's requests: the target (or why there is none), its own bounded agent, one timed probe, a vendor's request. */
function networkOf(resolution: Resolution, options: DoctorContextOptions, now: () => number) {
  const { timeoutMs, server, requestMatrix, headers } = resolution;
  const target = (): { url: URL; token: string | null; matrix: Matrix } => {
    if (options.network === false) throw new HandshakeError(ErrorCode.Usage, 'network checks are off');
    if (server.kind !== 'ok') throw new HandshakeError(ErrorCode.NoServer, 'no valid server to check');
    if (!requestMatrix) throw new HandshakeError(ErrorCode.MatrixInvalid, 'no valid compat matrix');
    return { url: server.url, token: server.token, matrix: requestMatrix };
  };
  // undici does not abort a connection attempt when a request's signal fires (nodejs/undici#386, #4405):
  // a stalled TLS handshake would hold the process until its 10 s connect timeout. Our own agent bounds it.
  let own: Dispatcher | undefined;
  // From the transport's factory: TLS verification stays pinned on (NODE_TLS_REJECT_UNAUTHORIZED=0 cannot turn it off).
  const dispatcher = (): Dispatcher => {
    if (options.dispatcher) return options.dispatcher;
    own ??= createAgent({ connectTimeoutMs: timeoutMs, env: resolution.env });
    return own;
  };
  const auth = (t: { url: URL; token: string | null }, withToken = true) =>
    t.token && withToken ? { origin: t.url.origin, token: t.token } : null;

  const probe = async (path: string, accept: string, withToken = true): Promise<HttpProbe> => {
    const t = target();
    const url = resolveApiUrl(t.url, path);
    const wallStart = now();
    const started = performance.now();
    const done = (response: HttpResponse | null, error: HandshakeError | null): HttpProbe => {
      const elapsedMs = Math.round(performance.now() - started);
      return { url: redactUrl(url), response, error, elapsedMs, localTime: wallStart + elapsedMs / 2 };
    };
    try {
      const init = { timeoutMs, signal: options.signal, dispatcher: dispatcher(), headers: { accept, ...headers } };
      return done(await httpRequest(url, { ...init, auth: auth(t, withToken) }), null);
    } catch (err) {
      if (!isHandshakeError(err) || err.code === ErrorCode.Aborted) throw err;
      return done(null, err);
    }
  };
  const request: DoctorContext['request'] = async (path, init = {}) => {
    const t = target();
    return httpRequest(resolveApiUrl(t.url, path), {
      ...init,
      timeoutMs,
      signal: init.signal ?? options.signal,
      dispatcher: dispatcher(),
      headers: { ...headers, ...init.headers },
      auth: auth(t),
    });
  };
  const close = async (): Promise<void> => {
    const d = own;
    own = undefined;
    // destroy, not close: a check cut off at its timeout may still have a request in flight.
    if (d) await destroyDispatcher(d);
  };
  return { target, probe, request, close };
}

/**
 * Opens a TLS connection, reads the certificate and closes it: nothing is
 * sent. Verification is not enforced here so a bad certificate can be
 * described; the result says whether it verified.
 */
function inspectTls(url: URL, timeoutMs: number, signal: AbortSignal | undefined): Promise<TlsProbe> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port) || 443;
  const printable = redactUrl(url);
  const fail = (err: unknown, timedOut: boolean): TlsProbe => ({
    kind: 'error',
    error: classifyError(err, { url: printable, timeoutMs, timedOut, aborted: signal?.aborted ?? false }),
  });
  // node:tls only for an https server's probe: the module costs a few ms to load.
  const { checkServerIdentity, connect: tlsConnect } = process.getBuiltinModule('node:tls');
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false });
    const finish = (result: TlsProbe): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => finish(fail(new Error('cancelled'), false));
    const timer = setTimeout(() => finish(fail(new Error('TLS handshake timed out'), true)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (err) => finish(fail(err, false)));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const hasCert = cert && Object.keys(cert).length > 0;
      const identity = hasCert ? checkServerIdentity(host, cert) : new Error('no certificate');
      const authError = socket.authorizationError as unknown;
      const validToMs = hasCert && cert.valid_to ? Date.parse(cert.valid_to) : Number.NaN;
      finish({
        kind: 'ok',
        protocol: socket.getProtocol(),
        authorized: socket.authorized,
        authorizationError: authError ? String((authError as { code?: string }).code ?? authError) : null,
        hostnameError: identity ? identity.message : null,
        issuer: hasCert ? distinguishedName(cert.issuer) : null,
        subject: hasCert ? distinguishedName(cert.subject) : null,
        validTo: hasCert ? cert.valid_to : null,
        validToMs: Number.isFinite(validToMs) ? validToMs : null,
      });
    });
  });
}

function distinguishedName(dn: Record<string, string | string[] | undefined> | undefined): string | null {
  if (!dn) return null;
  const pick = (k: string) => {
    const v = dn[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const cn = pick('CN');
  const o = pick('O');
  if (cn && o && cn !== o) return `${cn} (${o})`;
  return cn ?? o ?? null;
}
