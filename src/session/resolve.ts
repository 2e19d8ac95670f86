import { realpathSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { type Config, currentServer, findConfigPath, lookupServer, namedServers, tryLoadConfig } from '../config/config.js';
import { envName } from '../env.js';
import { ErrorCode, HandshakeError, isHandshakeError, MatrixError } from '../errors.js';
import { type Hint, hint, type ServerRef, type Source } from '../hint.js';
import { tokenFromEnv } from '../input/index.js';
import { BUNDLED, loadMatrix, type Matrix, MatrixReadError } from '../matrix/load.js';
import { packageRoot } from '../package-root.js';
import { urlCredentialSecrets } from '../redact.js';
import { redactUrl } from '../url.js';
import type { CliContext } from '../verdict/verdict.js';
import { detectInstallMethod } from './install-method.js';
import { isMounted, OWN_NAME } from './mounted.js';

export { isMounted, OWN_NAME };

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
  /** `--compat`; falls back to `<PREFIX>_COMPAT_FILE`, then the host's matrix (then, not mounted, the bundled one). */
  compatFile?: string;
  /** Environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Prefix of the environment variables (default `HANDSHAKE`). */
  envPrefix?: string;
  /** Product name for User-Agent and the config directory (default `handshake`). */
  product?: string;
  /** The CLI's command name, for remedies (default: `product`). */
  bin?: string;
  /**
   * The host CLI's own matrix, used when neither `compatFile` nor `<PREFIX>_COMPAT_FILE` names one: where it should
   * be (the `handshake.compat` setting of the host's package.json, else `compat.json` at its root), whether or not
   * it is there.
   */
  defaultCompatFile?: string;
  /** The running CLI's package root (oclif's `config.root`), which tells the install method. */
  root?: string;
  /**
   * Whether handshake runs mounted in another CLI (default: when `bin`, else `product`, is not `handshake`).
   * Mounted, a run without a matrix of the host's own has none: never handshake's bundled example.
   */
  mounted?: boolean;
}

/** The matrix of a run; `origin`: how it was chosen (`--compat`, `<PREFIX>_COMPAT_FILE`, else the one the CLI ships), said by `render/`. */
export type MatrixState = { ok: true; matrix: Matrix; origin: Source } | { ok: false; error: HandshakeError; origin: Source; file: string };

export type ConfigState =
  | { path: string; state: 'missing' }
  | { path: string; state: 'ok'; config: Config; warnings: string[] }
  | { path: string; state: 'invalid'; error: HandshakeError };

/** Which server a run talks to, and where that came from. */
export type ServerTarget =
  | { kind: 'none' }
  /** `configFile`: the server was to be looked up in a config file that is invalid. */
  | { kind: 'invalid'; source: Source; configFile?: boolean; error: HandshakeError }
  | {
      kind: 'ok';
      url: URL;
      /** The configured name, when the server is one of the config file's. */
      name: string | null;
      /** `--server`, `<PREFIX>_SERVER`, or the config file's current server: data, said by `render/`. */
      source: Source;
      token: string | null;
      tokenSource: string | null;
      /** The token is the one stored with this server in the config file (not the variable's): fixed by storing another. */
      tokenStored?: boolean;
      /** How a remedy names this server so it can be pasted. */
      ref: ServerRef;
    };

export interface Resolution {
  readonly cli: CliContext;
  readonly product: string;
  readonly bin: string;
  /** handshake runs mounted in another CLI (its bin is not handshake's): the matrix is the host's, never the bundled one. */
  readonly mounted: boolean;
  /** Where the host's own matrix should be (mounted: the host's; else handshake's bundled compat.json), or null when nothing names one. */
  readonly hostMatrix: string | null;
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
  const product = options.product ?? OWN_NAME;
  const bin = options.bin ?? product;
  const installPath = realPath(options.root ?? packageRoot());
  const mounted = isMounted(options);
  const matrix = resolveMatrixState(options, env, envPrefix);
  const requestMatrix = matrix.ok ? matrix.matrix : fallbackMatrix(options.defaultCompatFile, mounted);
  const serverInput = options.server || env[envName(envPrefix, 'SERVER')] || undefined;
  const config = resolveConfig(env, product);
  const server = resolveServer(options.server, env, envPrefix, config);
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
    mounted,
    hostMatrix: hostMatrixFile(options, mounted),
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
  const tokens = [env[envName(prefix, 'TOKEN')], env[envName(prefix, 'ADMIN_TOKEN')]].filter((t): t is string => Boolean(t));
  return [...tokens, ...PROXY_VARIABLES.flatMap((name) => urlCredentialSecrets(env[name]))];
}

/** Where the host's own matrix should be: the one it names, else (not mounted) handshake's bundled compat.json. */
function hostMatrixFile(options: Pick<ResolveOptions, 'defaultCompatFile'>, mounted: boolean): string | null {
  return options.defaultCompatFile ?? (mounted ? null : join(packageRoot(), 'compat.json'));
}

/**
 * `--compat`, else `<PREFIX>_COMPAT_FILE`, else the host's own, else (only when not mounted) the bundled one. A
 * problem is a value, its remedy said for the way the file was chosen: a flag only when it was passed.
 */
export function resolveMatrixState(
  options: Pick<ResolveOptions, 'compatFile' | 'defaultCompatFile' | 'mounted' | 'bin' | 'product' | 'root'>,
  env: NodeJS.ProcessEnv,
  prefix: string,
): MatrixState {
  const variable = envName(prefix, 'COMPAT_FILE');
  const envFile = options.compatFile === undefined ? env[variable] || undefined : undefined;
  const explicit = options.compatFile || envFile;
  const origin: Source =
    options.compatFile !== undefined
      ? { kind: 'flag', flag: 'compat' }
      : envFile !== undefined
        ? { kind: 'variable', name: 'COMPAT_FILE' }
        : { kind: 'bundled' };
  const mounted = isMounted(options);
  const bin = options.bin ?? options.product ?? OWN_NAME;
  const host = options.defaultCompatFile;
  if (!explicit && mounted && !host) return missingMatrix(bin, options.root, origin);
  try {
    return { ok: true, matrix: explicit ? loadMatrix(explicit) : loadMatrix(host, BUNDLED), origin };
  } catch (err) {
    if (!explicit && mounted && host && notFound(err)) return missingMatrix(bin, options.root, origin, host);
    const error = asHandshakeError(err);
    const file = error instanceof MatrixError ? error.file : (explicit ?? host ?? BUNDLED);
    if (!(error instanceof MatrixError)) return { ok: false, error, origin, file };
    const unreadable = err instanceof MatrixReadError;
    // Name what the user actually set, so the fix is the exact thing to change.
    const remedy: Hint =
      options.compatFile !== undefined
        ? hint.flag(
            'compat',
            undefined,
            unreadable
              ? `Check the path given to {flag} or ${variable}`
              : `Fix ${file}, or run without {flag} to use the compat matrix ${bin} ships`,
          )
        : envFile !== undefined
          ? hint.text(
              unreadable
                ? `Check the path in ${variable}, or unset it`
                : `Fix ${file}, or unset ${variable} to use the compat matrix ${bin} ships`,
            )
          : hint.text(`Fix ${file}, the compat matrix ${bin} ships`);
    return { ok: false, error: new MatrixError(error.file, error.issues, { hint: remedy, cause: err }), origin, file };
  }
}

/** A mounted CLI that ships no matrix of its own: where it was looked for, and how to ship it (docs/embedding.md). */
function missingMatrix(bin: string, root: string | undefined, origin: Source, file?: string): MatrixState {
  const where = file ?? (root ? join(root, 'compat.json') : null);
  const pkg = root ? join(root, 'package.json') : 'its package.json';
  const shipped = where ? (root ? relative(root, where) : basename(where)) : 'compat.json';
  const message = where
    ? `${bin} ships no compat matrix: there is no ${where}`
    : `${bin} ships no compat matrix: none was named (defaultCompatFile) for a CLI that mounts this one`;
  const error = new HandshakeError(ErrorCode.MatrixMissing, message, {
    hint: hint.text(
      `Ship the matrix with ${bin}: list "${shipped}" in "files" of ${pkg}, or name where it is with the "handshake.compat" setting there ("handshake": { "compat": "./compat.json" })`,
    ),
  });
  return { ok: false, error, origin, file: where ?? BUNDLED };
}

/** The matrix file does not exist. */
function notFound(err: unknown): boolean {
  return err instanceof MatrixReadError && err.missing;
}

/** The matrix requests use when the chosen one is invalid: only for its endpoint path and header names. Mounted, only the host's. */
function fallbackMatrix(hostFile: string | undefined, mounted: boolean): Matrix | null {
  const loads = mounted
    ? hostFile
      ? [() => loadMatrix(hostFile, BUNDLED)]
      : []
    : [() => loadMatrix(hostFile, BUNDLED), () => loadMatrix()];
  for (const load of loads) {
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
function resolveServer(flag: string | undefined, env: NodeJS.ProcessEnv, prefix: string, config: ConfigState): ServerTarget {
  const envServer = env[envName(prefix, 'SERVER')] || undefined;
  const input = flag || envServer;
  const source: Source = !input ? { kind: 'config' } : flag ? { kind: 'flag', flag: 'server' } : { kind: 'variable', name: 'SERVER' };
  const isUrl = input !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(input.trim());
  if (config.state === 'invalid' && !isUrl) return { kind: 'invalid', source, configFile: true, error: config.error };
  const fromFile: Config = config.state === 'ok' ? config.config : { servers: {} };
  const choice = input ?? currentServer(fromFile);
  if (!choice) return { kind: 'none' };
  let found: ReturnType<typeof lookupServer>;
  try {
    found = lookupServer(fromFile, choice);
  } catch (err) {
    return { kind: 'invalid', source, error: asHandshakeError(err) };
  }
  let envToken: string | undefined;
  try {
    // A token with a line break or a control byte is the user's mistake: a usage error naming the variable, nothing sent.
    envToken = tokenFromEnv(env, envName(prefix, 'TOKEN')) ?? undefined;
  } catch (err) {
    return { kind: 'invalid', source: { kind: 'variable', name: 'TOKEN' }, error: asHandshakeError(err) };
  }
  const tokenSource = envToken ? envName(prefix, 'TOKEN') : found.token ? `the config file, server "${found.name}"` : null;
  const ref: ServerRef = !input
    ? { kind: 'current' }
    : found.name && !isUrl
      ? { kind: 'name', name: found.name }
      : { kind: 'url', url: redactUrl(found.url) };
  const tokenStored = !envToken && Boolean(found.token);
  return { kind: 'ok', url: found.url, name: found.name, source, token: envToken ?? found.token, tokenSource, tokenStored, ref };
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
