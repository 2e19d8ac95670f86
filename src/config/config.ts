import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { quote } from 'shell-quote';
import * as z from 'zod';
import { writeFileAtomic } from '../atomic-file.js';
import { ErrorCode, HandshakeError, isHandshakeError } from '../errors.js';
import { hint } from '../hint.js';
import { directoryFromEnv, ensureDirectory, homeDirectory, readRegularFile } from '../input/index.js';
import { parseServerUrl, redactUrl } from '../url.js';

/** A server name: what `--server NAME` and `server use NAME` take. */
export const SERVER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

// Built on first use, not at import: constructing zod schemas is a few ms of every command's startup, and most
// runs (no config file) never validate one.
function buildSchemas() {
  const serverEntry = z.strictObject({
    url: z.string().refine((u) => {
      try {
        parseServerUrl(u);
        return true;
      } catch {
        return false;
      }
    }, 'must be an http(s) URL'),
    token: z.string().min(1).optional(),
  });

  /**
   * The user's config file (`$XDG_CONFIG_HOME/<product>/config.json`, mode 0600):
   * named servers, the current one, and their tokens. The single `server`/`token`
   * pair of the first release is still read.
   */
  const config = z.strictObject({
    current: z.string().regex(SERVER_NAME_PATTERN).optional(),
    servers: z
      .record(z.string().regex(SERVER_NAME_PATTERN, 'server names are lower-case letters, digits, ".", "_" or "-"'), serverEntry)
      .default({}),
    /** Legacy: one unnamed server. */
    server: z.string().optional(),
    /** Legacy: the token of `server`. */
    token: z.string().optional(),
  });
  return { serverEntry, config };
}
let schemas: ReturnType<typeof buildSchemas> | undefined;
const configSchemas = (): ReturnType<typeof buildSchemas> => (schemas ??= buildSchemas());

export type Config = z.output<ReturnType<typeof buildSchemas>['config']>;
export type ServerEntry = z.output<ReturnType<typeof buildSchemas>['serverEntry']>;

/** A config file as read: its content, and any warning about it (e.g. a mode wider than 0600). */
export interface LoadedConfig {
  path: string;
  config: Config;
  exists: boolean;
  warnings: string[];
}

/**
 * `$XDG_CONFIG_HOME/<product>/config.json`, defaulting to `~/.config`; null when there is neither
 * (a uid without a passwd entry and without HOME). A blank or relative XDG_CONFIG_HOME is a usage
 * error naming it ({@link directoryFromEnv}).
 */
export function findConfigPath(env: NodeJS.ProcessEnv, product = 'handshake'): string | null {
  const xdg = directoryFromEnv(env, 'XDG_CONFIG_HOME');
  if (xdg) return join(xdg, product, 'config.json');
  const home = homeDirectory(env);
  return home ? join(home, '.config', product, 'config.json') : null;
}

/** {@link findConfigPath}, or a usage error naming HOME and XDG_CONFIG_HOME when there is no home directory. */
export function configPath(env: NodeJS.ProcessEnv, product = 'handshake'): string {
  const path = findConfigPath(env, product);
  if (path) return path;
  throw new HandshakeError(
    ErrorCode.Usage,
    'there is no home directory (HOME is unset or empty and this user has no passwd entry), so there is no config file',
    {
      remedy: `Set XDG_CONFIG_HOME (or HOME) to a writable directory, e.g. export XDG_CONFIG_HOME=/tmp/${product}-config`,
    },
  );
}

/** Where `JSON.parse` stopped in `text`, as 1-based line and column, from its error message. */
export function jsonErrorPosition(text: string, err: unknown): { line: number; column: number } | null {
  const message = err instanceof Error ? err.message : '';
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return { line: Number(lc[1]), column: Number(lc[2]) };
  const at = /position (\d+)/.exec(message);
  const offset = at ? Number(at[1]) : /end of (JSON )?input|Unterminated/i.test(message) ? text.length : null;
  if (offset === null) return null;
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** The largest config file read: thousands of servers fit in far less. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** Reads the config file; a missing file is an empty config, an invalid one an error naming the file and field. */
export function loadConfig(path: string): LoadedConfig {
  const read = readRegularFile(path, MAX_CONFIG_BYTES);
  if (!read.ok) {
    if (read.missing) return { path, config: { servers: {} }, exists: false, warnings: [] };
    throw new HandshakeError(ErrorCode.ConfigInvalid, `cannot read config file ${path}: ${read.why}`, {
      remedy: `Fix ${path} (a regular file, readable by you), or remove it`,
    });
  }
  const text = read.data.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const at = jsonErrorPosition(text, err);
    const where = at ? ` at line ${at.line}, column ${at.column}` : '';
    const why = err instanceof SyntaxError ? `: ${err.message.split(/, "|\n/)[0]}` : '';
    throw new HandshakeError(ErrorCode.ConfigInvalid, `config file ${path} is not valid JSON${where}${why}`, {
      remedy: `Fix ${path}${where}, or remove it`,
    });
  }
  const parsed = configSchemas().config.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'document';
    throw new HandshakeError(ErrorCode.ConfigInvalid, `config file ${path}: ${where}: ${issue?.message ?? 'invalid'}`, {
      remedy: `Fix or remove ${path}`,
    });
  }
  const warnings: string[] = [];
  const mode = fileMode(path);
  const holdsToken = Boolean(parsed.data.token || Object.values(parsed.data.servers).some((s) => s.token));
  if (holdsToken && mode !== null && (mode & 0o077) !== 0) {
    warnings.push(
      `config file ${path} holds a token but is readable by others (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${quote([path])}`,
    );
  }
  return { path, config: parsed.data, exists: true, warnings };
}

/**
 * {@link loadConfig} that never throws: a missing, unreadable or invalid file (or no home at all) is
 * an empty config, with the problem as a value. For commands that can run without the file
 * (`compat check --server URL`).
 */
export function tryLoadConfig(path: string | null): LoadedConfig & { error: HandshakeError | null } {
  if (!path) return { path: '', config: { servers: {} }, exists: false, warnings: [], error: null };
  try {
    return { ...loadConfig(path), error: null };
  } catch (err) {
    const error = isHandshakeError(err)
      ? err
      : new HandshakeError(ErrorCode.ConfigInvalid, `cannot read config file ${path}`, { cause: err });
    return { path, config: { servers: {} }, exists: true, warnings: [], error };
  }
}

/** Back-compat for callers of the first release: the config only. */
export function readConfig(path: string): Config {
  return loadConfig(path).config;
}

function fileMode(path: string): number | null {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return null;
  }
}

/**
 * The file a config write replaces: `path` itself, or, when `path` is a symbolic link (a dotfile
 * manager's), the file it points to, so the link stays a link and the write goes through it on
 * purpose (docs/commands.md, "The config file"). A link to nothing is refused, naming both.
 */
export function configWriteTarget(path: string): string {
  let isLink = false;
  try {
    isLink = lstatSync(path).isSymbolicLink();
  } catch {
    return path;
  }
  if (!isLink) return path;
  try {
    return realpathSync(path);
  } catch {
    let to = '?';
    try {
      to = resolve(dirname(path), readlinkSync(path));
    } catch {
      // Gone meanwhile: the message still names the link.
    }
    throw new HandshakeError(ErrorCode.ConfigInvalid, `config file ${path} is a symbolic link to ${to}, which does not exist`, {
      remedy: `Create ${to}, or remove the link ${path}`,
    });
  }
}

function configDirectoryVariable(path: string, env: NodeJS.ProcessEnv): { variable?: string } {
  return env.XDG_CONFIG_HOME && path.startsWith(env.XDG_CONFIG_HOME) ? { variable: 'XDG_CONFIG_HOME' } : {};
}

function writeConfigFile(target: string, config: Config): void {
  try {
    writeFileAtomic(target, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  } catch (err) {
    throw new HandshakeError(ErrorCode.ConfigInvalid, `cannot write config file ${target}: ${(err as Error).message}`, {
      remedy: `Check that ${dirname(target)} is writable`,
    });
  }
}

/**
 * Writes the config atomically (a synced temporary file renamed over it), mode 0600, in a 0700
 * directory, through a symbolic link ({@link configWriteTarget}). No lock: a read-change-write
 * goes through {@link updateConfig}, or a concurrent writer's change is lost.
 */
export function writeConfig(path: string, config: Config, env: NodeJS.ProcessEnv = process.env): void {
  const target = configWriteTarget(path);
  // Bounded, and a usage error naming the variable: Node's recursive mkdir spins forever under /proc.
  ensureDirectory(dirname(target), { what: 'the config directory', ...configDirectoryVariable(target, env) });
  writeConfigFile(target, config);
}

/** How long a config lock is held before another writer may take it over (its holder died), in ms. */
const CONFIG_LOCK_STALE_MS = 10_000;

/**
 * Reads the config, applies `change` and writes the result, holding a lock the whole time
 * (`config.json.lock`, a directory, proper-lockfile's), so concurrent `server add`s each see the
 * others' entries and none is lost. A lock left by a killed process is stale after 10 s (its
 * holder refreshes it while alive) and taken over; a writer waits up to about half a minute. The
 * write is atomic, 0600, and goes through a symbolic link ({@link writeConfig}).
 */
export async function updateConfig(
  path: string,
  change: (config: Config) => Config,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ before: Config; after: Config }> {
  const target = configWriteTarget(path);
  ensureDirectory(dirname(target), { what: 'the config directory', ...configDirectoryVariable(target, env) });
  const release = await lockConfig(target);
  try {
    const before = loadConfig(path).config;
    const after = change(before);
    writeConfigFile(target, after);
    return { before, after };
  } finally {
    await release();
  }
}

async function lockConfig(target: string): Promise<() => Promise<void>> {
  // Loaded on a config write only: no other command pays for it.
  const { lock } = await import('proper-lockfile');
  const lockfilePath = `${target}.lock`;
  try {
    const release = await lock(target, {
      realpath: false,
      lockfilePath,
      stale: CONFIG_LOCK_STALE_MS,
      // Up to ~30 s in all: longer than a dead holder's lock takes to go stale.
      retries: { retries: 80, factor: 1.2, minTimeout: 20, maxTimeout: 500, randomize: true },
      // Compromised (its refresh failed, e.g. the machine was suspended): the write that follows is atomic anyway.
      onCompromised: () => {},
    });
    return () => release().catch(() => {});
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOCKED') {
      throw new HandshakeError(ErrorCode.ConfigInvalid, `config file ${target} is locked by another process (${lockfilePath})`, {
        remedy: `Wait for the other command to finish; if none is running, remove the lock: rm -r ${quote([lockfilePath])}`,
      });
    }
    throw new HandshakeError(ErrorCode.ConfigInvalid, `cannot lock config file ${target}: ${(err as Error).message}`, {
      remedy: `Check that ${dirname(target)} is writable`,
    });
  }
}

/** Every configured server by name; the legacy single server appears as `default`. */
export function namedServers(config: Config): Record<string, ServerEntry> {
  const servers = { ...config.servers };
  if (config.server && !servers.default) servers.default = { url: config.server, ...(config.token ? { token: config.token } : {}) };
  return servers;
}

/** The name of the current server, if any. */
export function currentServer(config: Config): string | undefined {
  if (config.current && namedServers(config)[config.current]) return config.current;
  return config.server ? 'default' : undefined;
}

function checkName(name: string): void {
  if (!SERVER_NAME_PATTERN.test(name)) {
    throw new HandshakeError(ErrorCode.Usage, `"${name}" is not a valid server name`, {
      remedy: 'Use lower-case letters, digits, ".", "_" or "-", e.g. prod or eu-staging',
    });
  }
}

/**
 * A name that is not configured. `asServer`: it was given where a URL would also do (`--server`),
 * so a name that looks like a host name gets "did you mean https://…"; `server use`/`remove` only
 * take names, so they list the configured ones.
 */
function unknownServer(name: string, config: Config, asServer = false): HandshakeError {
  const names = Object.keys(namedServers(config)).sort();
  const configured = names.length ? ` (configured: ${names.join(', ')})` : ' (none is configured)';
  const host = asServer && name.includes('.') ? ` If "${name}" is a host, give its URL: https://${name}.` : '';
  const add = hint.run(['server', 'add', name, 'https://your-server.example.com']);
  const remedy = names.length
    ? hint.say(`Use one of: ${names.join(', ')} ({0} shows them), or add it: {1}.${host}`, hint.run(['server', 'list']), add)
    : hint.say(`Add it first: {0}.${host}`, add);
  return new HandshakeError(ErrorCode.Usage, `no server named "${name}"${configured}`, { hint: remedy });
}

/**
 * `server add`: a new server, or the same name and URL again (its token replaced when one is
 * given); the first one added becomes current. A name already configured with another URL is
 * refused unless `replace` (`--force`): a typo must not silently lose a server and its token.
 */
export function addServer(
  config: Config,
  name: string,
  url: string,
  token: string | undefined,
  makeCurrent: boolean,
  replace = false,
): Config {
  checkName(name);
  const parsed = parseServerUrl(url, { what: 'the URL argument' });
  if (parsed.username || parsed.password) {
    throw new HandshakeError(ErrorCode.Usage, 'the URL holds credentials, which would be stored in clear text', {
      hint: hint.flag('with-token', undefined, 'Add the server without user:password@ and give its token on stdin with {flag}'),
    });
  }
  const normalized = redactUrl(parsed);
  const previous = config.servers[name];
  if (previous && previous.url !== normalized && !replace) {
    throw new HandshakeError(ErrorCode.Usage, `a server named "${name}" is already configured (${redactUrl(previous.url)})`, {
      hint: hint.say(
        'Replace it: {0}, or choose another name',
        hint.run(['server', 'add', name, normalized], { args: [{ flag: 'force' }] }),
      ),
    });
  }
  const entry: ServerEntry = {
    url: normalized,
    ...(token ? { token } : previous?.token && previous.url === normalized ? { token: previous.token } : {}),
  };
  const servers = { ...config.servers, [name]: entry };
  return { ...config, servers, current: makeCurrent || !currentServer(config) ? name : config.current };
}

/** `server use`. */
export function useServer(config: Config, name: string): Config {
  if (!namedServers(config)[name]) throw unknownServer(name, config);
  return { ...config, current: name };
}

/** `server remove`. Removing the current server leaves none current. */
export function removeServer(config: Config, name: string): Config {
  if (!namedServers(config)[name]) throw unknownServer(name, config);
  const { [name]: _removed, ...servers } = config.servers;
  const next: Config = { ...config, servers };
  if (name === 'default' && config.server) {
    delete next.server;
    delete next.token;
  }
  if (next.current === name) delete next.current;
  return next;
}

/** Finds a server by name, or by URL among the configured ones (so `--server URL` still gets that server's token). */
export function lookupServer(config: Config, nameOrUrl: string): { name: string | null; url: URL; token: string | null } {
  const servers = namedServers(config);
  const named = servers[nameOrUrl];
  if (named) return { name: nameOrUrl, url: parseServerUrl(named.url), token: named.token ?? null };
  if (SERVER_NAME_PATTERN.test(nameOrUrl) && !nameOrUrl.includes(':')) throw unknownServer(nameOrUrl, config, true);
  const url = parseServerUrl(nameOrUrl);
  const match = Object.entries(servers).find(([, e]) => sameServer(parseServerUrl(e.url), url));
  return { name: match?.[0] ?? null, url, token: match?.[1].token ?? null };
}

function sameServer(a: URL, b: URL): boolean {
  return a.origin === b.origin && a.pathname === b.pathname;
}
