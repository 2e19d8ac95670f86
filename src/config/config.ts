import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { quote } from 'shell-quote';
import * as z from 'zod';
import { ErrorCode, HandshakeError } from '../errors.js';
import { parseServerUrl, redactUrl } from '../url.js';

/** A server name: what `--server NAME` and `server use NAME` take. */
export const SERVER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

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
export const configSchema = z.strictObject({
  current: z.string().regex(SERVER_NAME_PATTERN).optional(),
  servers: z
    .record(z.string().regex(SERVER_NAME_PATTERN, 'server names are lower-case letters, digits, ".", "_" or "-"'), serverEntry)
    .default({}),
  /** Legacy: one unnamed server. */
  server: z.string().optional(),
  /** Legacy: the token of `server`. */
  token: z.string().optional(),
});
export type Config = z.output<typeof configSchema>;
export type ServerEntry = z.output<typeof serverEntry>;

/** A config file as read: its content, and any warning about it (e.g. a mode wider than 0600). */
export interface LoadedConfig {
  path: string;
  config: Config;
  exists: boolean;
  warnings: string[];
}

/** `$XDG_CONFIG_HOME/<product>/config.json`, defaulting to `~/.config`. */
export function configPath(env: NodeJS.ProcessEnv, product = 'handshake'): string {
  const base = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, product, 'config.json');
}

/** Reads the config file; a missing file is an empty config, an invalid one an error naming the file and field. */
export function loadConfig(path: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path, config: { servers: {} }, exists: false, warnings: [] };
    throw new HandshakeError(ErrorCode.ConfigInvalid, `cannot read config file ${path}: ${(err as Error).message}`, {
      remedy: `Fix the permissions of ${path}, or remove it`,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HandshakeError(ErrorCode.ConfigInvalid, `config file ${path} is not valid JSON`, { remedy: `Fix or remove ${path}` });
  }
  const parsed = configSchema.safeParse(json);
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

/** Writes the config atomically (temp file + rename), mode 0600, in a 0700 directory. */
export function writeConfig(path: string, config: Config): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw new HandshakeError(ErrorCode.ConfigInvalid, `cannot write config file ${path}: ${(err as Error).message}`, {
      remedy: `Check that ${dirname(path)} is writable`,
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

function unknownServer(name: string, config: Config, bin: string): HandshakeError {
  const names = Object.keys(namedServers(config));
  return new HandshakeError(ErrorCode.Usage, `no server named "${name}"${names.length ? ` (configured: ${names.join(', ')})` : ''}`, {
    remedy: `Pass a full URL (https://…), or add it: ${bin} server add ${name} https://your-server.example.com`,
  });
}

/** `server add`: a new or replaced server; the first one added becomes current. Returns the new config. */
export function addServer(config: Config, name: string, url: string, token: string | undefined, makeCurrent: boolean): Config {
  checkName(name);
  const parsed = parseServerUrl(url);
  if (parsed.username || parsed.password) {
    throw new HandshakeError(ErrorCode.Usage, 'the URL holds credentials, which would be stored in clear text', {
      remedy: 'Add the server without user:password@ and give its token on stdin with --with-token',
    });
  }
  const normalized = redactUrl(parsed);
  const previous = config.servers[name];
  const entry: ServerEntry = {
    url: normalized,
    ...(token ? { token } : previous?.token && previous.url === normalized ? { token: previous.token } : {}),
  };
  const servers = { ...config.servers, [name]: entry };
  return { ...config, servers, current: makeCurrent || !currentServer(config) ? name : config.current };
}

/** `server use`. */
export function useServer(config: Config, name: string, bin: string): Config {
  if (!namedServers(config)[name]) throw unknownServer(name, config, bin);
  return { ...config, current: name };
}

/** `server remove`. Removing the current server leaves none current. */
export function removeServer(config: Config, name: string, bin: string): Config {
  if (!namedServers(config)[name]) throw unknownServer(name, config, bin);
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
export function lookupServer(config: Config, nameOrUrl: string, bin: string): { name: string | null; url: URL; token: string | null } {
  const servers = namedServers(config);
  const named = servers[nameOrUrl];
  if (named) return { name: nameOrUrl, url: parseServerUrl(named.url), token: named.token ?? null };
  if (SERVER_NAME_PATTERN.test(nameOrUrl) && !nameOrUrl.includes(':')) throw unknownServer(nameOrUrl, config, bin);
  const url = parseServerUrl(nameOrUrl);
  const match = Object.entries(servers).find(([, e]) => sameServer(parseServerUrl(e.url), url));
  return { name: match?.[0] ?? null, url, token: match?.[1].token ?? null };
}

function sameServer(a: URL, b: URL): boolean {
  return a.origin === b.origin && a.pathname === b.pathname;
}
