import { cacheDir, DEFAULT_CACHE_TTL_MS, HandshakeCache } from '../cache/cache.js';
import { envName } from '../env.js';
import { ErrorCode, HandshakeError } from '../errors.js';
import { type Observation, observe } from '../handshake/observe.js';
import { hint, type RemedyContext, type ServerRef } from '../hint.js';
import type { Matrix } from '../matrix/load.js';
import type { MigrationProgress, PendingMigration } from '../protocol/version-document.js';
import { redactUrl } from '../url.js';
import { type FeatureNeeds, featureSpecs } from '../verdict/features.js';
import { type CliContext, type FeatureNeed, type Findings, judge, type Verdict } from '../verdict/verdict.js';
import { type Resolution, type ResolveOptions, resolveMatrixState, resolveRun } from './resolve.js';

export { DEFAULT_TIMEOUT_MS, environmentSecrets, PROXY_VARIABLES } from './resolve.js';

export interface SessionOptions extends ResolveOptions {}

/** Everything a command needs to talk to one server, resolved once (from the run's one {@link Resolution}). */
export interface Session {
  matrix: Matrix;
  cli: CliContext;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  /** Headers sent on every request. */
  headers: Record<string, string>;
  /** The server, or null when none was configured or it could not be resolved ({@link requireServer} says why). */
  server: { url: URL; token: string | null } | null;
  /** How remedies name the server that was checked: `--server NAME`, `--server URL`, or nothing for the current one. */
  serverRef: ServerRef | null;
  /** Things worth one line on stderr (a config file readable by others…). */
  warnings: string[];
  /** The handshake cache (`<PREFIX>_CACHE_DIR`, TTL from `<PREFIX>_CACHE_TTL` in seconds). */
  cache: HandshakeCache;
  /** Every secret this session knows of (tokens, URL and proxy passwords): whatever prints must redact them. */
  secrets: string[];
  /** The resolution it was made from: branding, the loaded config, problems recorded as values. */
  resolution: Resolution;
  /**
   * The features the command needs (a BaseCommand's static `features`): a {@link CheckedClient} of this session
   * checks them before every request (docs/matrix.md "Features").
   */
  need?: FeatureNeed | null;
}

/** A session from a resolution: throws the matrix's problem (every command needs one); the server's only when asked for. */
export function sessionFrom(resolution: Resolution): Session {
  const { env, envPrefix: prefix, product } = resolution;
  if (!resolution.matrix.ok) throw resolution.matrix.error;
  const timeoutMs = resolution.timeoutMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new HandshakeError(ErrorCode.Usage, `the timeout must be a positive number of milliseconds, got ${timeoutMs}`, {
      hint: hint.flag('timeout', '5000'),
    });
  }
  const target = resolution.server;
  return {
    matrix: resolution.matrix.matrix,
    cli: resolution.cli,
    timeoutMs,
    env,
    headers: { ...resolution.headers },
    server: target.kind === 'ok' ? { url: target.url, token: target.token } : null,
    serverRef: target.kind === 'ok' ? target.ref : null,
    warnings: resolution.config.state === 'ok' ? [...resolution.config.warnings] : [],
    cache: new HandshakeCache(cacheDir(env, prefix, product), cacheTtlMs(env[envName(prefix, 'CACHE_TTL')], prefix)),
    secrets: [...resolution.secrets],
    resolution,
  };
}

/** Loads the matrix (flag, env, bundled) and resolves the server and token. Throws coded errors for bad input. */
export function createSession(opts: SessionOptions): Session {
  return sessionFrom(resolveRun(opts));
}

function cacheTtlMs(value: string | undefined, prefix: string): number {
  if (value === undefined || value === '') return DEFAULT_CACHE_TTL_MS;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new HandshakeError(ErrorCode.Usage, `${envName(prefix, 'CACHE_TTL')} must be a number of seconds, got "${value}"`, {
      remedy: `export ${envName(prefix, 'CACHE_TTL')}=3600`,
    });
  }
  return seconds * 1000;
}

/** The matrix in use: `compatFile`, else `<PREFIX>_COMPAT_FILE`, else the host's default, else (not mounted) the bundled one. */
export function resolveMatrix(
  opts: Pick<SessionOptions, 'compatFile' | 'env' | 'envPrefix' | 'defaultCompatFile' | 'mounted' | 'bin' | 'product' | 'root'>,
): Matrix {
  // Only the matrix: no config file, server or token is read for it.
  const state = resolveMatrixState(opts, opts.env ?? process.env, opts.envPrefix ?? 'HANDSHAKE');
  if (!state.ok) throw state.error;
  return state.matrix;
}

/** The configured server, or a usage error naming the ways to set one (or what is wrong with the one given). */
export function requireServer(session: Session): { url: URL; token: string | null } {
  if (session.server) return session.server;
  const target = session.resolution.server;
  if (target.kind === 'invalid') throw target.error;
  // The variable as a hint, so it is said with the host CLI's prefix (ACME_SERVER), as every remedy is.
  throw new HandshakeError(ErrorCode.NoServer, 'no server to check: none was given and none is configured', {
    hint: hint.steps(
      hint.flag('server', 'https://your-server.example.com', 'Pass {flag}'),
      hint.text('or set'),
      hint.variable('SERVER', { example: 'https://your-server.example.com' }),
    ),
  });
}

/** What a report is built from: the matrix and CLI, and (for remedies) the branding and the server checked. */
export interface ReportContext extends Pick<Session, 'matrix' | 'cli'> {
  resolution?: Pick<Resolution, 'bin' | 'envPrefix'>;
  serverRef?: ServerRef | null;
}

/** The context remedies are said in: this session's bin, prefix and the server it checked. */
export function remedyContext(session: ReportContext, server: ServerRef | null = session.serverRef ?? null): RemedyContext {
  return {
    bin: session.resolution?.bin ?? session.matrix.doc.cli.bin,
    envPrefix: session.resolution?.envPrefix ?? session.cli.envPrefix ?? 'HANDSHAKE',
    server,
  };
}

/** Whether a server has each feature of the matrix (docs/matrix.md "Features"), for `compat check --json`. */
export type FeatureAvailability = Record<string, { available: boolean; reason: string | null }>;

/**
 * A verdict with what was seen of both sides; `src/render/`'s compatDocument makes it the `compat check --json`
 * document (docs/commands.md), its hint said in the host's words with `remedies`.
 */
export interface CompatReport extends Omit<Verdict, 'feature'> {
  /** How the hint is said: the host's bin and variable prefix, and the server checked (data, said by render/). */
  remedies: RemedyContext;
  cli: { version: string };
  server: {
    url: string;
    version: string | null;
    schema_revision: string | null;
    min_cli_version: string | null;
  };
  /** Every feature the matrix declares, on this server; absent when it declares none. */
  features?: FeatureAvailability;
  /** For `feature_unavailable`: the feature the server lacks and what it needs. */
  feature?: FeatureNeeds;
}

/** What `server status` adds to a report. `pending_migrations` is null when unknown (the server did not answer). */
export interface StatusReport extends CompatReport {
  pending_migrations: PendingMigration[] | null;
  deployment: string | null;
  migration_status: 'idle' | 'running' | 'failed' | null;
  migration_progress: MigrationProgress | null;
  background_migrations_pending: number | null;
  /** What the judge found (null when no version document was read); not part of any JSON document. */
  findings: Findings | null;
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
    env: session.env,
    signal,
  });
}

/**
 * One handshake with the session's server, and its verdict. With `remember`, a version document is
 * also written to the handshake cache, so the next ordinary command needs no handshake of its own.
 */
export async function checkServer(
  session: Session,
  options: { signal?: AbortSignal; remember?: boolean; need?: FeatureNeed | null } = {},
): Promise<StatusReport> {
  const server = requireServer(session);
  const observation = await observeServer(session, options.signal);
  if (options.remember && observation.kind === 'document') session.cache.write(server.url, observation.document, Date.now());
  return buildReport(session, server.url, observation, undefined, options.need ?? null);
}

/**
 * Combines the judgement with the versions seen (pure). The remedy is said for `server` (default: the
 * session's), so a report of `compat check --all` names its own row's server.
 */
export function buildReport(
  session: ReportContext,
  url: URL,
  observation: Observation,
  server: ServerRef | null = session.serverRef ?? null,
  need: FeatureNeed | null = null,
): StatusReport {
  const { verdict, findings } = judge(session.matrix, observation, session.cli, need);
  const d = observation.kind === 'document' ? observation.document : null;
  const { feature, ...rest } = verdict;
  return {
    ...rest,
    ...(feature ? { feature } : {}),
    ...featuresOf(session, findings, verdict),
    remedies: remedyContext(session, server),
    cli: { version: session.cli.version },
    server: {
      url: redactUrl(url),
      version: d?.server_version ?? null,
      schema_revision: d?.schema_revision ?? null,
      min_cli_version: d?.min_cli_version ?? (observation.kind === 'cli_rejected' ? observation.requiredVersion : null),
    },
    pending_migrations: d ? d.pending_migrations : null,
    deployment: d?.deployment ?? null,
    migration_status: d?.migration_status ?? (observation.kind === 'migrating' ? 'running' : null),
    migration_progress: d?.migration_progress ?? (observation.kind === 'migrating' ? observation.progress : null),
    background_migrations_pending: d?.background_migrations_pending ?? null,
    findings,
  };
}

/**
 * `features` of a report when the matrix declares any: each one's availability from the findings; when the server
 * gave no version document, none is available, and the reason says it could not be checked.
 */
function featuresOf(session: ReportContext, findings: Findings | null, verdict: Verdict): { features?: FeatureAvailability } {
  const names = Object.keys(featureSpecs(session.matrix));
  if (names.length === 0) return {};
  const features: FeatureAvailability = {};
  for (const name of names) {
    const f = findings?.features.find((x) => x.name === name);
    features[name] = f
      ? { available: f.available, reason: f.reason }
      : { available: false, reason: `not checked: the server gave no version document (${verdict.status})` };
  }
  return { features };
}
