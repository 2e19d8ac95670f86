/**
 * The one place that reads what the user gave outside argv's plain values: files named on the
 * command line (`-d @file`), environment variables (the token, the proxy variables) and the home
 * directory. Every mistake in them is a usage error ({@link ErrorCode.Usage}) naming the file or
 * the variable, never a raw Node error and never blamed on the server. Nothing here prints.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { ErrorCode, HandshakeError } from '../errors.js';
import { formatBytes } from '../text.js';

export { ensureDirectory } from './directory.js';

/**
 * The home directory, or null when there is none: `HOME` when set (an empty `HOME` means none),
 * else the passwd entry. A uid without a passwd entry and without `HOME` (a container run with
 * `--user 12345`, OpenShift) makes `os.homedir()` throw; this never does.
 */
export function homeDirectory(env: NodeJS.ProcessEnv = process.env): string | null {
  const home = env.HOME;
  if (home !== undefined) return home && isAbsolute(home) ? home : null;
  try {
    const dir = homedir();
    return dir && isAbsolute(dir) ? dir : null;
  } catch {
    return null;
  }
}

/**
 * A directory named by the variable `name` of `env` (`HANDSHAKE_CACHE_DIR`, `XDG_CONFIG_HOME`,
 * `XDG_CACHE_HOME`): null when unset or empty (the default applies, as the XDG spec says of an
 * empty one). A blank value (`" "`) or a relative path is a usage error naming the variable: it
 * would otherwise create a directory named by it in whatever the current directory is.
 */
export function directoryFromEnv(env: NodeJS.ProcessEnv, name: string): string | null {
  const value = env[name];
  if (value === undefined || value === '') return null;
  const why = value.trim() === '' ? 'is blank' : isAbsolute(value) ? null : `is a relative path (${JSON.stringify(value)})`;
  if (why === null) return value;
  throw new HandshakeError(ErrorCode.Usage, `${name} ${why}: it must name a directory by its absolute path`, {
    remedy: `Set ${name} to an absolute path, e.g. export ${name}="$HOME/${name.startsWith('XDG_CONFIG') ? '.config' : '.cache'}", or unset it`,
  });
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
  EMFILE: 'too many open files',
  EIO: 'an I/O error',
};

/** The largest file read as a request body or argument (a body is sent in one piece, from memory). */
export const MAX_USER_FILE_BYTES = 64 * 1024 * 1024;

/** A file read by {@link readRegularFile}, or why it was not: words for a message, after the file's name. */
export type FileRead = { ok: true; data: Buffer } | { ok: false; missing: boolean; why: string };

/**
 * The one reader of every file a user or another process controls: the config, cache entries,
 * `--compat`, `-d @file`, `NODE_EXTRA_CA_CERTS`. Only a regular file is read, and at most
 * `maxBytes` of it: a FIFO, a device (`/dev/zero`, also through a symbolic link), a socket or a
 * directory is refused without blocking — the file is opened with O_NONBLOCK (a FIFO without a
 * writer would otherwise hang the open), and its type is checked on the open descriptor, so a
 * swap between a check and the read cannot slip one in. Never throws: the caller words the
 * problem (a usage error naming the file for user input; ignored for a cache).
 */
export function readRegularFile(path: string, maxBytes: number): FileRead {
  const failed = (err: unknown): FileRead => {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    return { ok: false, missing: code === 'ENOENT', why: READ_ERRORS[code] ?? 'it cannot be read' };
  };
  if (path === '') return { ok: false, missing: false, why: 'no file name given' };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    return failed(err);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return { ok: false, missing: false, why: 'it is a directory' };
    if (!st.isFile()) {
      const kind = st.isFIFO()
        ? 'a pipe'
        : st.isCharacterDevice() || st.isBlockDevice()
          ? 'a device'
          : st.isSocket()
            ? 'a socket'
            : 'special';
      return { ok: false, missing: false, why: `it is ${kind}, not a regular file` };
    }
    const tooLarge: FileRead = { ok: false, missing: false, why: `it is larger than ${formatBytes(maxBytes)}` };
    if (st.size > maxBytes) return tooLarge;
    // Read to the end, not to the size fstat saw: the file may still grow (or shrink) while it is read.
    const data = readCappedFd(fd, maxBytes);
    return data === null ? tooLarge : { ok: true, data };
  } catch (err) {
    return failed(err);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a file the user named (`-d @file`); `-` is stdin. `what` says what the file is for, in the
 * message ("the request body file"). A missing file, a directory, a FIFO that is not stdin or an
 * unreadable file is a usage error naming the file ({@link readRegularFile}). `stdinFd` is where `-` reads
 * (a command's IO: fd 0, or a test's file).
 */
export function readUserFile(path: string, what = 'the file', stdinFd = 0): Buffer {
  if (path === '-') {
    const data = readCappedFd(stdinFd, MAX_USER_FILE_BYTES);
    if (data === null)
      throw new HandshakeError(ErrorCode.Usage, `cannot read ${what} from stdin: it is larger than ${formatBytes(MAX_USER_FILE_BYTES)}`, {
        remedy: 'Send a smaller body',
      });
    return data;
  }
  const read = readRegularFile(path, MAX_USER_FILE_BYTES);
  if (read.ok) return read.data;
  const why = read.why.startsWith('it is a pipe') ? `${read.why} (for a pipe, use @- and stdin)` : read.why;
  throw new HandshakeError(ErrorCode.Usage, `cannot read ${what} ${JSON.stringify(path)}: ${why}`, {
    remedy: path === '' ? 'Name a file after the @, or use @- for stdin' : `Check the path ${JSON.stringify(resolve(path))}`,
  });
}

/** Reads `fd` to its end, or null past `max` bytes (so an endless stream never fills the memory). */
function readCappedFd(fd: number, max: number): Buffer | null {
  const chunks: Buffer[] = [];
  let total = 0;
  const chunk = Buffer.alloc(65_536);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      if ((err as NodeJS.ErrnoException).code === 'EOF') break;
      throw err;
    }
    if (n === 0) break;
    total += n;
    if (total > max) return null;
    chunks.push(Buffer.from(chunk.subarray(0, n)));
  }
  return Buffer.concat(chunks, total);
}

// Anything but visible ASCII and the space: a token is sent in a header, where a control byte or a
// newline either breaks the request or splits it, and non-ASCII is not what any token looks like.
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A token from the variable `name` of `env` (default `HANDSHAKE_TOKEN`): null when unset or empty;
 * surrounding spaces and tabs are not part of it. A value with a newline (`$(cat file)` keeps none,
 * `$'tok\n'` does), a control byte, an inner space or a non-ASCII character is a usage error naming
 * the variable, before anything is sent.
 */
export function tokenFromEnv(env: NodeJS.ProcessEnv, name = 'HANDSHAKE_TOKEN'): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  return checkToken(raw, name);
}

/** {@link tokenFromEnv} for a value from elsewhere (a config file); `source` names where it came from. */
export function checkToken(raw: string, source: string): string | null {
  const value = raw.replace(/^[ \t]+|[ \t]+$/g, '');
  if (value === '') return null;
  if (TOKEN_PATTERN.test(value)) return value;
  const why = /[\r\n]/.test(value)
    ? 'a line break'
    : CONTROL.test(value)
      ? 'a control character'
      : /\s/.test(value)
        ? 'a space'
        : 'a non-ASCII character';
  throw new HandshakeError(ErrorCode.Usage, `${source} holds ${why}, which no token contains: nothing was sent`, {
    remedy: `Set ${source} to the token alone, e.g. export ${source}="$(tr -d '\\r\\n' < token.txt)"`,
  });
}

/** The proxies to use, validated: what undici's EnvHttpProxyAgent would read, in its order. */
export interface ProxySettings {
  /** The proxy for http:// URLs, normalized (`host:port` gets `http://`), or undefined for none. */
  httpProxy?: string;
  /** The proxy for https:// URLs (falls back to the http one, as undici does), or undefined. */
  httpsProxy?: string;
  /** NO_PROXY as it applies ({@link noProxyVariable}): the hosts that go direct; "" for none. */
  noProxy: string;
}

/**
 * The proxy variable for `scheme` that applies, as undici reads them: the lower-case spelling first,
 * and a variable set even to "" wins (`http_proxy ?? HTTP_PROXY`). Null when neither is set. The one
 * reading of which variable counts, for the transport and doctor alike.
 */
export function proxyVariable(env: NodeJS.ProcessEnv, scheme: 'http' | 'https'): { name: string; value: string } | null {
  for (const name of [`${scheme}_proxy`, `${scheme.toUpperCase()}_PROXY`]) {
    const value = env[name];
    if (value !== undefined) return { name, value };
  }
  return null;
}

/**
 * NO_PROXY as undici's EnvHttpProxyAgent reads it: the lower-case spelling first, even when empty; "" when
 * neither is set. The one reading, for the transport (handed to undici) and doctor (which reports it) alike.
 */
export function noProxyVariable(env: NodeJS.ProcessEnv): string {
  return env.no_proxy ?? env.NO_PROXY ?? '';
}

/**
 * Reads and validates `https_proxy`/`HTTPS_PROXY`/`http_proxy`/`HTTP_PROXY` the way undici picks
 * them (lower case first). `host:port` without a scheme is taken as `http://host:port`, as curl
 * does. Another scheme (`ftp://`, `socks5://`), a value that is not a URL, or a user name or
 * password with a broken %-escape is a usage error naming the variable.
 */
export function proxySettings(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  const http = proxyVariable(env, 'http');
  const https = proxyVariable(env, 'https');
  const settings: ProxySettings = { noProxy: noProxyVariable(env) };
  const httpProxy = http?.value ? normalizeProxy(http.name, http.value) : undefined;
  if (httpProxy) settings.httpProxy = httpProxy;
  const httpsProxy = https?.value ? normalizeProxy(https.name, https.value) : undefined;
  if (httpsProxy) settings.httpsProxy = httpsProxy;
  return settings;
}

/** One proxy variable's value as a URL undici accepts, or a usage error naming `name`. */
export function normalizeProxy(name: string, value: string): string {
  const trimmed = value.trim();
  const usage = (why: string, remedy = `export ${name}=http://proxy.example.com:3128`) =>
    new HandshakeError(ErrorCode.Usage, `${name} ${why}`, { remedy: `Fix or unset ${name}, e.g. ${remedy}` });
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw usage('is not a proxy URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usage(`names a ${url.protocol.slice(0, -1)}:// proxy; only http:// and https:// proxies are supported`);
  }
  if (!url.hostname) throw usage('names no proxy host');
  for (const part of [url.username, url.password]) {
    try {
      decodeURIComponent(part);
    } catch {
      throw usage(
        'holds a user name or password with an invalid %-escape',
        `write a literal % in the password as %25: http://user:p%25ss@proxy:3128`,
      );
    }
  }
  return url.href;
}
