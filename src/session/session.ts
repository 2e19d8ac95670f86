import { realpathSync } from 'node:fs';
import { cacheDir, DEFAULT_CACHE_TTL_MS, HandshakeCache } from '../cache/cache.js';
import { type Config, type ConfigWarning, configPath, readConfigFile } from '../config/config.js';
import { ErrorCode, HandshakeError } from '../errors.js';
import { type Observation, observe } from '../handshake/observe.js';
import { loadMatrix, type Matrix } from '../matrix/load.js';
import { packageRoot } from '../package-root.js';
import type { PendingMigration } from '../protocol/version-document.js';
import { urlCredentialSecrets } from '../render/redact.js';
import { parseServerUrl, redactUrl } from '../url.js';
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
  /** The handshake cache (`<PREFIX>_CACHE_DIR`, TTL from `<PREFIX>_CACHE_TTL` in seconds). */
  cache: HandshakeCache;
  /** Every secret this session knows of (tokens, URL and proxy passwords): whatever prints must redact them. */
  secrets: string[];
  /** Things worth a warning on stderr (e.g. a config file holding a token that others can read). Never printed here. */
  warnings: ConfigWarning[];
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
  const matrix = loadMatrix(opts.compatFile ?? (env[`${prefix}_COMPAT_FILE`] || undefined));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new HandshakeError(ErrorCode.Usage, `--timeout must be a positive number of milliseconds, got ${timeoutMs}`, {
      remedy: '--timeout 5000',
    });
  }
  const envServer = env[`${prefix}_SERVER`] || undefined;
  const envToken = env[`${prefix}_TOKEN`] || undefined;
  const explicit = opts.server ?? envServer;
  const file = !explicit || !envToken ? readConfigFile(configPath(env, product)) : { config: {} as Config, warnings: [] };
  const config = file.config;
  const serverInput = explicit ?? config.server;
  const url = serverInput ? parseServerUrl(serverInput) : null;
  // The config file's token belongs to the config file's server: never send it to another origin.
  const configToken = config.token && config.server && url && parseServerUrl(config.server).origin === url.origin ? config.token : null;
  const server = url ? { url, token: envToken ?? configToken } : null;
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
    cache: new HandshakeCache(cacheDir(env, prefix, product), cacheTtlMs(env[`${prefix}_CACHE_TTL`], prefix)),
    secrets: [
      ...environmentSecrets(env, prefix),
      ...(config.token ? [config.token] : []),
      ...urlCredentialSecrets(serverInput),
      ...urlCredentialSecrets(config.server),
    ],
    warnings: file.warnings,
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

/** One handshake with the session's server, and its verdict. */
export async function checkServer(session: Session, options: { signal?: AbortSignal } = {}): Promise<StatusReport> {
  const server = requireServer(session);
  const observation = await observe({
    baseUrl: server.url,
    matrix: session.matrix,
    token: server.token,
    headers: session.headers,
    timeoutMs: session.timeoutMs,
    signal: options.signal,
  });
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
