import { realpathSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, connect as tlsConnect } from 'node:tls';
import type { Dispatcher } from 'undici';
import { type Config, configPath, currentServer, loadConfig, lookupServer } from '../config/config.js';
import { ErrorCode, HandshakeError, isHandshakeError } from '../errors.js';
import { classifyResponse, type Observation, observationFromError } from '../handshake/observe.js';
import { BUNDLED, loadMatrix, type Matrix } from '../matrix/load.js';
import { packageRoot } from '../package-root.js';
import { detectInstallMethod } from '../session/install-method.js';
import { DEFAULT_TIMEOUT_MS } from '../session/session.js';
import { classifyError } from '../transport/errors.js';
import { createAgent, type HttpResponse, httpRequest, type RequestOptions } from '../transport/request.js';
import { redactUrl, resolveApiUrl } from '../url.js';
import type { CliContext } from '../verdict/verdict.js';
import { once } from './framework.js';

/** The ordinary API request whose headers the drift check compares with the version document. */
export const DEFAULT_HEALTH_PATH = '/api/v1/health';

export interface DoctorContextOptions {
  /** This CLI's version (the host's `package.json` version). */
  cliVersion: string;
  /** `--server`; falls back to `<PREFIX>_SERVER`, then the config file. */
  server?: string;
  /** Per-request timeout in ms (default 5000). */
  timeoutMs?: number;
  /** `--compat`; falls back to `<PREFIX>_COMPAT_FILE`, then the bundled matrix. */
  compatFile?: string;
  /** False skips every check that would talk to the server (`--no-network`). */
  network?: boolean;
  /** Environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Prefix of the environment variables (default `HANDSHAKE`). */
  envPrefix?: string;
  /** Product name for User-Agent and the config directory (default `handshake`). */
  product?: string;
  /** The CLI's command name, for remedies (default: `product`). */
  bin?: string;
  /** The host CLI's own matrix, used when neither `compatFile` nor `<PREFIX>_COMPAT_FILE` names one. */
  defaultCompatFile?: string;
  /**
   * The running CLI's package root (oclif's `config.root`): where it is installed, which tells the
   * install method, and whose `engines.node` applies. Default: handshake's own.
   */
  root?: string;
  /** The ordinary request for the header-drift check (default `/api/v1/health`). */
  healthPath?: string;
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

/** Which server doctor checks, and where that came from. */
export type ServerTarget =
  | { kind: 'none' }
  | { kind: 'invalid'; source: string; error: HandshakeError }
  | {
      kind: 'ok';
      url: URL;
      /** The configured name, when the server is one of the config file's. */
      name: string | null;
      source: string;
      token: string | null;
      tokenSource: string | null;
    };

export type MatrixState = { ok: true; matrix: Matrix; origin: string } | { ok: false; error: HandshakeError; origin: string; file: string };

export type ConfigState =
  | { path: string; state: 'missing' }
  | { path: string; state: 'ok'; config: Config; warnings: string[] }
  | { path: string; state: 'invalid'; error: HandshakeError };

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

/** What every check receives. Vendor checks get the same, requests included. */
export interface DoctorContext {
  readonly cli: CliContext;
  readonly product: string;
  /** The CLI's command name, for remedies. */
  readonly bin: string;
  readonly envPrefix: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly network: boolean;
  /** Where this CLI's package lives (resolved), which tells the install method; its package.json has `engines`. */
  readonly installPath: string;
  readonly matrix: MatrixState;
  /** The matrix requests use: the chosen one, or the bundled one when the chosen one is invalid. */
  readonly requestMatrix: Matrix | null;
  readonly config: ConfigState;
  readonly server: ServerTarget;
  /** Headers sent on every request (User-Agent, the CLI-version header). */
  readonly headers: Readonly<Record<string, string>>;
  readonly healthPath: string;
  now(): number;
  /** The version endpoint, requested once however many checks ask. */
  versionProbe(): Promise<VersionProbe>;
  /** One ordinary API request ({@link healthPath}), requested once. */
  apiProbe(): Promise<HttpProbe>;
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
  const env = options.env ?? process.env;
  const prefix = options.envPrefix ?? 'HANDSHAKE';
  const product = options.product ?? 'handshake';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const installPath = realPath(options.root ?? packageRoot());
  const cli: CliContext = { version: options.cliVersion, installMethod: detectInstallMethod(installPath), envPrefix: prefix };

  const matrix = resolveMatrix(options.compatFile, options.defaultCompatFile, env, prefix);
  const requestMatrix: Matrix | null = matrix.ok ? matrix.matrix : fallbackMatrix(options.defaultCompatFile);
  const config = resolveConfig(env, product);
  const server = resolveServer(options.server, env, prefix, options.bin ?? product, config);
  const headers: Record<string, string> = {
    'user-agent': `${product}/${options.cliVersion} (node ${process.version}; ${process.platform})`,
  };
  if (requestMatrix) headers[requestMatrix.doc.headers.cli_version.toLowerCase()] = options.cliVersion;

  const target = (): { url: URL; token: string | null; matrix: Matrix } => {
    if (options.network === false) throw new HandshakeError(ErrorCode.Usage, 'network checks are off');
    if (server.kind !== 'ok') throw new HandshakeError(ErrorCode.NoServer, 'no valid server to check');
    if (!requestMatrix) throw new HandshakeError(ErrorCode.MatrixInvalid, 'no valid compat matrix');
    return { url: server.url, token: server.token, matrix: requestMatrix };
  };

  // undici does not abort a connection attempt when a request's signal fires (nodejs/undici#386, #4405):
  // a stalled TLS handshake would hold the process until its 10 s connect timeout. Our own agent bounds it.
  let ownDispatcher: Dispatcher | undefined;
  const dispatcher = (): Dispatcher => {
    if (options.dispatcher) return options.dispatcher;
    // From the transport's factory: TLS verification stays pinned on (NODE_TLS_REJECT_UNAUTHORIZED=0 cannot turn it off).
    ownDispatcher ??= createAgent({ connectTimeoutMs: timeoutMs });
    return ownDispatcher;
  };

  const probe = async (path: string, accept: string): Promise<HttpProbe> => {
    const t = target();
    const url = resolveApiUrl(t.url, path);
    const wallStart = now();
    const started = performance.now();
    const done = (response: HttpResponse | null, error: HandshakeError | null): HttpProbe => {
      const elapsedMs = Math.round(performance.now() - started);
      return { url: redactUrl(url), response, error, elapsedMs, localTime: wallStart + elapsedMs / 2 };
    };
    try {
      const res = await httpRequest(url, {
        timeoutMs,
        signal: options.signal,
        dispatcher: dispatcher(),
        headers: { accept, ...headers },
        auth: t.token ? { origin: t.url.origin, token: t.token } : null,
      });
      return done(res, null);
    } catch (err) {
      if (!isHandshakeError(err) || err.code === ErrorCode.Aborted) throw err;
      return done(null, err);
    }
  };

  const healthPath = options.healthPath ?? DEFAULT_HEALTH_PATH;
  const context: DoctorContext = {
    cli,
    product,
    bin: options.bin ?? product,
    envPrefix: prefix,
    env,
    timeoutMs,
    network: options.network !== false,
    installPath,
    matrix,
    requestMatrix,
    config,
    server,
    headers,
    healthPath,
    now,
    versionProbe: once(async () => {
      const t = target();
      const p = await probe(t.matrix.doc.version_endpoint, 'application/json');
      const observation = p.response ? classifyResponse(p.response, t.matrix) : observationFromError(p.error);
      return { ...p, observation };
    }),
    apiProbe: once(() => probe(healthPath, 'application/json')),
    tlsProbe: once(() => inspectTls(target().url, timeoutMs, options.signal)),
    async request(path, init = {}) {
      const t = target();
      return httpRequest(resolveApiUrl(t.url, path), {
        ...init,
        timeoutMs,
        signal: init.signal ?? options.signal,
        dispatcher: dispatcher(),
        headers: { ...headers, ...init.headers },
        auth: t.token ? { origin: t.url.origin, token: t.token } : null,
      });
    },
    async close() {
      const d = ownDispatcher;
      ownDispatcher = undefined;
      // destroy, not close: a check cut off at its timeout may still have a request in flight.
      await d?.destroy();
    },
  };
  return context;
}

/** As the session resolves it: `--compat`, else `<PREFIX>_COMPAT_FILE`, else the host's own, else the bundled one. */
function resolveMatrix(compatFile: string | undefined, hostFile: string | undefined, env: NodeJS.ProcessEnv, prefix: string): MatrixState {
  const envFile = env[`${prefix}_COMPAT_FILE`] || undefined;
  const explicit = compatFile ?? envFile;
  const origin = compatFile !== undefined ? '--compat' : envFile !== undefined ? `${prefix}_COMPAT_FILE` : BUNDLED;
  try {
    return { ok: true, matrix: explicit ? loadMatrix(explicit) : loadMatrix(hostFile, BUNDLED), origin };
  } catch (err) {
    return { ok: false, error: asHandshakeError(err), origin, file: explicit ?? BUNDLED };
  }
}

/** The matrix requests use when the chosen one is invalid: only for its endpoint path and header names. */
function fallbackMatrix(hostFile: string | undefined): Matrix | null {
  for (const load of [() => loadMatrix(hostFile, BUNDLED), () => loadMatrix()]) {
    try {
      return load();
    } catch {
      // try the next one
    }
  }
  return null;
}

function resolveConfig(env: NodeJS.ProcessEnv, product: string): ConfigState {
  const path = configPath(env, product);
  try {
    const loaded = loadConfig(path);
    return loaded.exists ? { path, state: 'ok', config: loaded.config, warnings: loaded.warnings } : { path, state: 'missing' };
  } catch (err) {
    return { path, state: 'invalid', error: asHandshakeError(err) };
  }
}

/**
 * As the session resolves it: `--server` or `<PREFIX>_SERVER` (a configured name or a URL), else the
 * config file's current server. The environment token goes to the server chosen; a token from the config
 * file only to the server it was stored with.
 */
function resolveServer(flag: string | undefined, env: NodeJS.ProcessEnv, prefix: string, bin: string, config: ConfigState): ServerTarget {
  const envServer = env[`${prefix}_SERVER`] || undefined;
  const input = flag || envServer;
  const fromFile: Config = config.state === 'ok' ? config.config : { servers: {} };
  const choice = input ?? currentServer(fromFile);
  if (!choice) return { kind: 'none' };
  const source = !input ? "the config file's current server" : flag && flag !== envServer ? '--server' : `${prefix}_SERVER`;
  let found: ReturnType<typeof lookupServer>;
  try {
    found = lookupServer(fromFile, choice, bin);
  } catch (err) {
    return { kind: 'invalid', source, error: asHandshakeError(err) };
  }
  const envToken = env[`${prefix}_TOKEN`] || undefined;
  const tokenSource = envToken ? `${prefix}_TOKEN` : found.token ? `the config file, server "${found.name}"` : null;
  return { kind: 'ok', url: found.url, name: found.name, source, token: envToken ?? found.token, tokenSource };
}

function asHandshakeError(err: unknown): HandshakeError {
  if (isHandshakeError(err)) return err;
  return new HandshakeError(ErrorCode.Internal, err instanceof Error ? err.message : String(err), { cause: err });
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
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
