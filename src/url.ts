import { ErrorCode, HandshakeError } from './errors.js';
import { DEFAULT_VERSION_PATH } from './protocol/defaults.js';

export interface ParseServerUrlOptions {
  /** What the input is, in messages: "the server URL" (default), "the URL argument", "the config file's URL"… */
  what?: string;
  /** The version endpoint's path: a URL that ends in it is taken as its base (default {@link DEFAULT_VERSION_PATH}). */
  versionEndpoint?: string;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;

/**
 * Parses a server base URL as the user typed it (`https://ops.example.com`,
 * `http://127.0.0.1:8080/observal/`). Only http and https; the path is kept
 * (a server may live under a prefix), the query and fragment are not. The
 * version endpoint's own URL is recognised and cut back to its base. Input
 * without a scheme (`localhost:8080`) is a usage error that says which URL
 * was probably meant.
 */
export function parseServerUrl(input: string, options: ParseServerUrlOptions = {}): URL {
  const what = options.what ?? 'the server URL';
  const text = input.trim();
  // `http//host`, `http:/host`, `https:host`: a scheme missing its colon or a slash. Said as the URL
  // meant, not as a host named "http" (which then fails as a DNS lookup of "http").
  const mangled = /^(https?)(?::\/?|\/\/)(?!\/)(\S+)$/i.exec(text);
  if (mangled) {
    const guess = `${(mangled[1] as string).toLowerCase()}://${mangled[2]}`;
    throw new HandshakeError(ErrorCode.Usage, `${what} "${redactText(text)}" has a broken scheme: did you mean ${redactText(guess)}?`, {
      remedy: `Give the full URL, e.g. ${redactText(guess)}`,
    });
  }
  if (text && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && /^[^\s/?#:@]+(?::\d*)?(?:[/?#].*)?$/.test(text)) {
    const host = text.split(/[/?#]/)[0] ?? text;
    const guess = `${LOOPBACK.test(host) ? 'http' : 'https'}://${text}`;
    throw new HandshakeError(ErrorCode.Usage, `${what} "${redactText(text)}" has no scheme: did you mean ${redactText(guess)}?`, {
      remedy: `Give the full URL, e.g. ${redactText(guess)}`,
    });
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new HandshakeError(ErrorCode.Usage, `${what} "${redactText(input)}" is not a URL`, {
      remedy: 'Give the server base URL, e.g. https://observability.example.com',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HandshakeError(ErrorCode.Usage, `unsupported URL scheme "${url.protocol}" in ${what}`, {
      remedy: 'Use an http:// or https:// URL',
    });
  }
  if (!url.hostname) {
    throw new HandshakeError(ErrorCode.Usage, `${what} "${redactText(input)}" names no host`, {
      remedy: 'Give the server base URL, e.g. https://observability.example.com',
    });
  }
  url.hash = '';
  url.search = '';
  const endpoint = (options.versionEndpoint ?? DEFAULT_VERSION_PATH).replace(/\/+$/, '');
  const path = url.pathname.replace(/\/+$/, '');
  if (endpoint && path.endsWith(endpoint)) url.pathname = path.slice(0, -endpoint.length) || '/';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/**
 * The base a user probably meant when `base`'s path ends where the endpoint's path begins
 * (`http://host/api` + `/api/v1/config/version` requests `/api/api/v1/…`): `base` without the
 * doubled part, or null when nothing is doubled. For a 404's message.
 */
export function suggestBase(base: URL, endpoint: string = DEFAULT_VERSION_PATH): URL | null {
  const baseParts = base.pathname.split('/').filter(Boolean);
  const endParts = endpoint.split('/').filter(Boolean);
  for (let n = Math.min(baseParts.length, endParts.length); n > 0; n--) {
    const tail = baseParts.slice(-n).join('/');
    if (tail === endParts.slice(0, n).join('/')) {
      const fixed = new URL(base.href);
      fixed.pathname = `/${baseParts.slice(0, -n).join('/')}`;
      if (!fixed.pathname.endsWith('/')) fixed.pathname += '/';
      return fixed;
    }
  }
  return null;
}

/** Joins an absolute API path onto a base URL, keeping the base's path prefix. */
export function resolveApiUrl(base: URL, path: string): URL {
  const url = new URL(base.href);
  const [pathname, query] = splitOnce(path, '?');
  url.pathname = base.pathname.replace(/\/$/, '') + (pathname.startsWith('/') ? pathname : `/${pathname}`);
  if (query !== undefined) url.search = `?${query}`;
  return url;
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

/**
 * How a remedy names the server a request went to: "the server at `scheme://host:port`" (no credentials), or
 * "the server" when the text is no URL with an origin (nothing of it is then repeated). Given the API path the
 * request was for (`/api/v1/version`), the base URL's path prefix stays (`https://h/observal`, docs/server.md).
 */
export function serverAt(url: string, apiPath?: string): string {
  let origin = 'null';
  try {
    const u = new URL(url);
    origin = u.origin;
    if (origin !== 'null' && apiPath && u.pathname.endsWith(apiPath)) {
      origin += u.pathname.slice(0, -apiPath.length).replace(/\/$/, '');
    }
  } catch {
    // not a URL
  }
  return origin === 'null' ? 'the server' : `the server at ${origin}`;
}

/** A URL as safe to print: no user name or password, no trailing slash on a bare origin. */
export function redactUrl(url: URL | string): string {
  let u: URL;
  try {
    u = new URL(typeof url === 'string' ? url : url.href);
  } catch {
    return redactText(String(url));
  }
  u.username = '';
  u.password = '';
  const href = u.href;
  return u.pathname === '/' && !u.search && href.endsWith('/') ? href.slice(0, -1) : href;
}

/** Removes `user:password@` from any URLs inside free text. */
export function redactText(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
}

/** Whether `url` names this machine (localhost, *.localhost, ::1, 127.x): plain http there crosses no network. */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
