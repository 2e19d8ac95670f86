import { realpathSync } from 'node:fs';
import { cacheDir, DEFAULT_CACHE_TTL_MS, HandshakeCache } from '../cache/cache.js';
import { configPath, currentServer, loadConfig, lookupServer, namedServers } from '../config/config.js';
import { ErrorCode, HandshakeError, MatrixError } from '../errors.js';
import { type Observation, observe } from '../handshake/observe.js';
import { BUNDLED, loadMatrix, type Matrix } from '../matrix/load.js';
import { packageRoot } from '../package-root.js';
import type { PendingMigration } from '../protocol/version-document.js';
import { urlCredentialSecrets } from '../render/redact.js';
import { redactUrl } from '../url.js';
import { type CliContext, computeVerdict, type Verdict } from '../verdict/verdict.js';
import { detectInstallMethod } from './install-method.js';

export const DEFAULT_TIMEOUT_MS = 5000;

export interface SessionOptions {
  /** `--server`; falls back to `<PREFIX>_SERVER`, then the config file. */
  server?: string;
  /** `--timeout` in ms (default 5000). */
  timeoutMs?: number;
  /** `--compat`; falls back to `<PREFIX>_COMPAT_FILE`, then the bundled matrix. */
  compatFile?: string;
  /** This CLI's version (the host's `package.json` version). */
  cliVersion: string;
  /** Environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Prefix of the environment variables (default `HANDSHAKE`). */
  envPrefix?: string;
  /** Product name for User-Agent and the config directory (default `handshake`). */
  product?: string;
  /** The CLI's command name, for remedies (default: `product`). */
  bin?: string;
  /** The matrix when neither `compatFile` nor `<PREFIX>_COMPAT_FILE` names one (default: handshake's bundled `compat.json`). */
  defaultCompatFile?: string;
}

/** Everything a command needs to talk to one server, resolved once. */
export interface Session {
  matrix: Matrix;
  cli: CliContext;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  /** Headers sent on every request. */
  headers: Record<string, string>;
  /** The server, or null when none was configured (resolved lazily by {@link requireServer}). */
  server: { url: URL; token: string | null } | null;
  /** The configured name of the server, when it has one. */
  serverName: string | null;
  /** Things worth one line on stderr (a config file readable by others…). */
  warnings: string[];
  /** The handshake cache (`<PREFIX>_CACHE_DIR`, TTL from `<PREFIX>_CACHE_TTL` in seconds). */
  cache: HandshakeCache;
  /** Every secret this session knows of (tokens, URL and proxy passwords): whatever prints must redact them. */
  secrets: string[];
}

/** The proxy variables undici's EnvHttpProxyAgent reads, both spellings. */
export const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] as const;

/** The secrets the environment holds: the token, and the credentials in proxy URLs. */
export function environmentSecrets(env: NodeJS.ProcessEnv, prefix = 'HANDSHAKE'): string[] {
  const token = env[`${prefix}_TOKEN`];
  return [...(token ? [token] : []), ...PROXY_VARIABLES.flatMap((name) => urlCredentialSecrets(env[name]))];
}

/** Loads the matrix (flag, env, bundled) and resolves the server and token. Throws coded errors for bad input. */
export function createSession(opts: SessionOptions): Session {
  const env = opts.env ?? process.env;
  const prefix = opts.envPrefix ?? 'HANDSHAKE';
  const product = opts.product ?? 'handshake';
  const matrix = resolveMatrix(opts);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new HandshakeError(ErrorCode.Usage, `--timeout must be a positive number of milliseconds, got ${timeoutMs}`, {
      remedy: '--timeout 5000',
    });
  }
  const envToken = env[`${prefix}_TOKEN`] || undefined;
  const serverInput = opts.server ?? (env[`${prefix}_SERVER`] || undefined);
  const { server, name, configWarnings, configSecrets } = resolveServer(serverInput, envToken, env, product, opts.bin ?? product);
  return {
    matrix,
    cli: { version: opts.cliVersion, installMethod: detectInstallMethod(selfPath()), envPrefix: prefix },
    timeoutMs,
    env,
    headers: {
      'user-agent': `${product}/${opts.cliVersion} (node ${process.version}; ${process.platform})`,
      [matrix.doc.headers.cli_version.toLowerCase()]: opts.cliVersion,
    },
    server,
    serverName: name,
    warnings: configWarnings,
    cache: new HandshakeCache(cacheDir(env, prefix, product), cacheTtlMs(env[`${prefix}_CACHE_TTL`], prefix)),
    secrets: [...environmentSecrets(env, prefix), ...configSecrets, ...urlCredentialSecrets(serverInput)],
  };
}

function cacheTtlMs(value: string | undefined, prefix: string): number {
  if (value === undefined || value === '') return DEFAULT_CACHE_TTL_MS;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new HandshakeError(ErrorCode.Usage, `${prefix}_CACHE_TTL must be a number of seconds, got "${value}"`, {
      remedy: `export ${prefix}_CACHE_TTL=3600`,
    });
  }
  return seconds * 1000;
}

/**
 * Which server, and its token. `input` (flag or `<PREFIX>_SERVER`) is a configured name or a URL; without
 * one, the config's current server. The environment token goes to the server chosen; a token from the
 * config file only ever goes to the server it was stored with.
 */
function resolveServer(input: string | undefined, envToken: string | undefined, env: NodeJS.ProcessEnv, product: string, bin: string) {
  // The file is read only when it can matter: no server given, no token in the environment, or a name to look up.
  const needFile = !input || !envToken || !/^[a-z][a-z0-9+.-]*:\/\//i.test(input);
  const loaded = needFile ? loadConfig(configPath(env, product)) : null;
  const config = loaded?.config ?? { servers: {} };
  // Every token in the file is a secret, whichever server is in use: none of them may ever be printed.
  const configSecrets = Object.values(namedServers(config)).flatMap((e) => [...(e.token ? [e.token] : []), ...urlCredentialSecrets(e.url)]);
  const configWarnings = loaded?.warnings ?? [];
  const choice = input ?? currentServer(config);
  if (!choice) return { server: null, name: null, configWarnings, configSecrets };
  const found = lookupServer(config, choice, bin);
  return { server: { url: found.url, token: envToken ?? found.token }, name: found.name, configWarnings, configSecrets };
}

/** The matrix in use: `compatFile`, else `<PREFIX>_COMPAT_FILE`, else the host's default, else the bundled one. */
export function resolveMatrix(opts: Pick<SessionOptions, 'compatFile' | 'env' | 'envPrefix' | 'defaultCompatFile'>): Matrix {
  const env = opts.env ?? process.env;
  const variable = `${opts.envPrefix ?? 'HANDSHAKE'}_COMPAT_FILE`;
  const fromEnv = opts.compatFile === undefined ? env[variable] || undefined : undefined;
  try {
    return opts.compatFile || fromEnv ? loadMatrix(opts.compatFile ?? fromEnv) : loadMatrix(opts.defaultCompatFile, BUNDLED);
  } catch (err) {
    // Name the variable the user actually set, so the fix is the exact thing to change.
    if (fromEnv && err instanceof MatrixError)
      throw new MatrixError(err.file, err.issues, { remedy: `Fix ${fromEnv}, or unset ${variable} to use the bundled matrix`, cause: err });
    throw err;
  }
}

/** The configured server, or a usage error naming the ways to set one. */
export function requireServer(session: Session): { url: URL; token: string | null } {
  if (session.server) return session.server;
  const prefix = session.cli.envPrefix ?? 'HANDSHAKE';
  throw new HandshakeError(ErrorCode.NoServer, 'no server to check: none was given and none is configured', {
    remedy: `Pass --server https://your-server.example.com, or export ${prefix}_SERVER=https://your-server.example.com`,
  });
}

function selfPath(): string {
  try {
    return realpathSync(packageRoot());
  } catch {
    return packageRoot();
  }
}

/** A verdict with what was seen of both sides: the `compat check --json` document (CONTRACT §8). */
export interface CompatReport extends Verdict {
  cli: { version: string };
  server: {
    url: string;
    version: string | null;
    schema_revision: string | null;
    min_cli_version: string | null;
  };
}

/** What `server status` adds to a report. */
export interface StatusReport extends CompatReport {
  pending_migrations: PendingMigration[];
  deployment: string | null;
  migration_status: 'idle' | 'running' | 'failed' | null;
}

/** One look at the session's version endpoint, with its token, headers and timeout. Never cached. */
export function observeServer(session: Session, signal?: AbortSignal): Promise<Observation> {
  const server = requireServer(session);
  return observe({
    baseUrl: server.url,
    matrix: session.matrix,
    token: server.token,
    headers: session.headers,
    timeoutMs: session.timeoutMs,
    signal,
  });
}

/**
 * One handshake with the session's server, and its verdict. With `remember`, a version document is
 * also written to the handshake cache, so the next ordinary command needs no handshake of its own.
 */
export async function checkServer(session: Session, options: { signal?: AbortSignal; remember?: boolean } = {}): Promise<StatusReport> {
  const server = requireServer(session);
  const observation = await observeServer(session, options.signal);
  if (options.remember && observation.kind === 'document') session.cache.write(server.url, observation.document, Date.now());
  return buildReport(session, server.url, observation);
}

/** Combines the verdict with the versions seen (pure). */
export function buildReport(session: Pick<Session, 'matrix' | 'cli'>, url: URL, observation: Observation): StatusReport {
  const verdict = computeVerdict(session.matrix, observation, session.cli);
  const d = observation.kind === 'document' ? observation.document : null;
  return {
    ...verdict,
    cli: { version: session.cli.version },
    server: {
      url: redactUrl(url),
      version: d?.server_version ?? null,
      schema_revision: d?.schema_revision ?? null,
      min_cli_version: d?.min_cli_version ?? (observation.kind === 'cli_rejected' ? observation.requiredVersion : null),
    },
    pending_migrations: d?.pending_migrations ?? [],
    deployment: d?.deployment ?? null,
    migration_status: d?.migration_status ?? null,
  };
}

/** The `compat check --json` document: the verdict and both sides, nothing more. */
export function compatDocument(report: CompatReport): CompatReport {
  const { status, severity, message, remedy, cli, server } = report;
  return { status, severity, message, remedy, cli, server };
}
