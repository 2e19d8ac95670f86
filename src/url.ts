import { ErrorCode, HandshakeError } from './errors.js';

/**
 * Parses a server base URL as the user typed it (`https://ops.example.com`,
 * `http://127.0.0.1:8080/observal/`). Only http and https; the path is kept
 * (a server may live under a prefix), the query and fragment are not.
 */
export function parseServerUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new HandshakeError(ErrorCode.Usage, `"${redactText(input)}" is not a URL`, {
      remedy: 'Pass the server base URL, e.g. --server https://observability.example.com',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HandshakeError(ErrorCode.Usage, `unsupported URL scheme "${url.protocol}" in --server`, {
      remedy: 'Use an http:// or https:// URL',
    });
  }
  url.hash = '';
  url.search = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
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
