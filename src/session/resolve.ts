import { realpathSync } from 'node:fs';
import { type Config, currentServer, findConfigPath, lookupServer, namedServers, tryLoadConfig } from '../config/config.js';
import { ErrorCode, HandshakeError, isHandshakeError } from '../errors.js';
import type { ServerRef } from '../hint.js';
import { tokenFromEnv } from '../input/index.js';
import { BUNDLED, loadMatrix, type Matrix } from '../matrix/load.js';
import { packageRoot } from '../package-root.js';
import { urlCredentialSecrets } from '../redact.js';
import { redactUrl } from '../url.js';
import type { CliContext } from '../verdict/verdict.js';
import { detectInstallMethod } from './install-method.js';

/**
 * The ONE resolution of a run: matrix, config, server, token, headers, secrets and branding, read once
 * for every command (doctor included). Nothing here throws for what the user typed or set: a problem is
 * recorded as a value, so doctor can report it and a command can raise it only when it needs that part
 * (`compat check --all` never needs the `--server` a variable names; `compat check --server URL` never
 * needs a config file that does not parse).
 */

export const DEFAULT_TIMEOUT_MS = 5000;

/** Every proxy variable undici's EnvHttpProxyAgent reads, both spellings: the one list. */
export const PROXY_VARIABLES = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'] as const;

export interface ResolveOptions {
  /** This CLI's version (the host's `package.json` version). */
  cliVersion: string;
  /** `--server`; falls back to `<PREFIX>_SERVER`, then the config file. */
  server?: string;
  /** `--timeout` in ms (default 5000). */
  timeoutMs?: number;
  /** `--compat`; falls back to `<PREFIX>_COMPAT_FILE`, then the host's matrix, then the bundled one. */
  compatFile?: string;
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
  /** The running CLI's package root (oclif's `config.root`), which tells the install method. */
  root?: string;
}

export type MatrixState = { ok: true; matrix: Matrix; origin: string } | { ok: false; error: HandshakeError; origin: string; file: string };

export type ConfigState =
  | { path: string; state: 'missing' }
  | { path: string; state: 'ok'; config: Config; warnings: string[] }
  | { path: string; state: 'invalid'; error: HandshakeError };

/** Which server a run talks to, and where that came from. */
export type ServerTarget =
  | { kind: 'none' }
  | { kind: 'invalid'; source: string; error: HandshakeError }
  | {
      kind: 'ok';
      url: URL;
      /** The configured name, when the server is one of the config file's. */
      name: string | null;
      /** `--server`, `<PREFIX>_SERVER`, or the config file's current server. */
      source: string;
      token: string | null;
      tokenSource: string | null;
      /** How a remedy names this server so it can be pasted. */
      ref: ServerRef;
    };

export interface Resolution {
  readonly cli: CliContext;
  readonly product: string;
  readonly bin: string;
  readonly envPrefix: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** Where this CLI's package lives (resolved). */
  readonly installPath: string;
  readonly matrix: MatrixState;
  /** The matrix requests use: the chosen one, or the host's/bundled one when the chosen one is invalid (its endpoint and header names). */
  readonly requestMatrix: Matrix | null;
  readonly config: ConfigState;
  readonly server: ServerTarget;
  /** Headers sent on every request (User-Agent, the CLI-version header). */
  readonly headers: Readonly<Record<string, string>>;
  /** Every secret this run knows: tokens (the admin token too), URL userinfo, proxy credentials. Whatever prints must redact them. */
  readonly secrets: readonly string[];
}

export function resolveRun(options: ResolveOptions): Resolution {
  const env = options.env ?? process.env;
  const envPrefix = options.envPrefix ?? 'HANDSHAKE';
  const product = options.product ?? 'handshake';
  const bin = options.bin ?? product;
  const installPath = realPath(options.root ?? packageRoot());
  const matrix = resolveMatrixState(options, env, envPrefix);
  const requestMatrix = matrix.ok ? matrix.matrix : fallbackMatrix(options.defaultCompatFile);
  const serverInput = options.server || env[`${envPrefix}_SERVER`] || undefined;
  const config = resolveConfig(env, product);
  const server = resolveServer(options.server, env, envPrefix, bin, config);
  const headers: Record<string, string> = {
    'user-agent': `${product}/${options.cliVersion} (node ${process.version}; ${process.platform})`,
  };
  if (requestMatrix) headers[requestMatrix.doc.headers.cli_version.toLowerCase()] = options.cliVersion;
  const configServers = config.state === 'ok' ? Object.values(namedServers(config.config)) : [];
  const secrets = [
    ...environmentSecrets(env, envPrefix),
    ...configServers.flatMap((e) => [...(e.token ? [e.token] : []), ...urlCredentialSecrets(e.url)]),
    ...urlCredentialSecrets(serverInput),
  ];
  return {
    cli: { version: options.cliVersion, installMethod: detectInstallMethod(installPath), envPrefix },
    product,
    bin,
    envPrefix,
    env,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    installPath,
    matrix,
    requestMatrix,
    config,
    server,
    headers,
    secrets,
  };
}

/** The secrets the environment holds: the tokens, and the credentials in proxy URLs. */
export function environmentSecrets(env: NodeJS.ProcessEnv, prefix = 'HANDSHAKE'): string[] {
  const tokens = [env[`${prefix}_TOKEN`], env[`${prefix}_ADMIN_TOKEN`]].filter((t): t is string => Boolean(t));
  return [...tokens, ...PROXY_VARIABLES.flatMap((name) => urlCredentialSecrets(env[name]))];
}

/** `--compat`, else `<PREFIX>_COMPAT_FILE`, else the host's own, else the bundled one. */
export function resolveMatrixState(
  options: Pick<ResolveOptions, 'compatFile' | 'defaultCompatFile'>,
  env: NodeJS.ProcessEnv,
  prefix: string,
): MatrixState {
  const variable = `${prefix}_COMPAT_FILE`;
  const envFile = options.compatFile === undefined ? env[variable] || undefined : undefined;
  const explicit = options.compatFile || envFile;
  const origin = options.compatFile !== undefined ? '--compat' : envFile !== undefined ? variable : BUNDLED;
  try {
    return { ok: true, matrix: explicit ? loadMatrix(explicit) : loadMatrix(options.defaultCompatFile, BUNDLED), origin };
  } catch (err) {
    let error = asHandshakeError(err);
    // Name what the user actually set, so the fix is the exact thing to change.
    if (envFile && isHandshakeError(error, ErrorCode.MatrixInvalid))
      error = new HandshakeError(error.code, error.message, {
        remedy: `Fix ${envFile}, or unset ${variable} to use the bundled matrix`,
        cause: err,
      });
    return { ok: false, error, origin, file: explicit ?? BUNDLED };
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

/** The config file, never thrown: no home directory means no file; an unreadable or invalid one is recorded. */
function resolveConfig(env: NodeJS.ProcessEnv, product: string): ConfigState {
  let path: string | null = null;
  try {
    path = findConfigPath(env, product);
  } catch (err) {
    return { path: '', state: 'invalid', error: asHandshakeError(err) };
  }
  const loaded = tryLoadConfig(path);
  if (loaded.error) return { path: loaded.path, state: 'invalid', error: loaded.error };
  return loaded.exists
    ? { path: loaded.path, state: 'ok', config: loaded.config, warnings: loaded.warnings }
    : { path: path ?? '', state: 'missing' };
}

/**
 * `--server` or `<PREFIX>_SERVER` (a configured name or a URL), else the config file's current server.
 * The environment token goes to the server chosen; a token from the config file only to the server it
 * was stored with. A URL needs no config file: one that does not parse only matters for a name.
 */
function resolveServer(flag: string | undefined, env: NodeJS.ProcessEnv, prefix: string, bin: string, config: ConfigState): ServerTarget {
  const envServer = env[`${prefix}_SERVER`] || undefined;
  const input = flag || envServer;
  const source = !input ? "the config file's current server" : flag ? '--server' : `${prefix}_SERVER`;
  const isUrl = input !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(input.trim());
  if (config.state === 'invalid' && !isUrl) return { kind: 'invalid', source: `${source} (config file)`, error: config.error };
  const fromFile: Config = config.state === 'ok' ? config.config : { servers: {} };
  const choice = input ?? currentServer(fromFile);
  if (!choice) return { kind: 'none' };
  let found: ReturnType<typeof lookupServer>;
  try {
    found = lookupServer(fromFile, choice, bin);
  } catch (err) {
    return { kind: 'invalid', source, error: asHandshakeError(err) };
  }
  let envToken: string | undefined;
  try {
    // A token with a line break or a control byte is the user's mistake: a usage error naming the variable, nothing sent.
    envToken = tokenFromEnv(env, `${prefix}_TOKEN`) ?? undefined;
  } catch (err) {
    return { kind: 'invalid', source: `${prefix}_TOKEN`, error: asHandshakeError(err) };
  }
  const tokenSource = envToken ? `${prefix}_TOKEN` : found.token ? `the config file, server "${found.name}"` : null;
  const ref: ServerRef = !input
    ? { kind: 'current' }
    : found.name && !isUrl
      ? { kind: 'name', name: found.name }
      : { kind: 'url', url: redactUrl(found.url) };
  return { kind: 'ok', url: found.url, name: found.name, source, token: envToken ?? found.token, tokenSource, ref };
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
