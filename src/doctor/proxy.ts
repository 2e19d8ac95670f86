/**
 * Which proxy a request to a URL goes through, read from the environment the
 * way the transport's undici `EnvHttpProxyAgent` reads it: the lower-case
 * variable wins over the upper-case one (even when empty), https falls back
 * to the http proxy, and `NO_PROXY` entries match a host, its subdomains
 * (`.example.com`, `*.example.com`), an optional `:port`, or `*` for all.
 * Pure, so it is tested without touching `process.env`.
 */

import { noProxyVariable, proxyVariable } from '../input/index.js';
import { PROXY_VARIABLES } from '../session/resolve.js';

export { PROXY_VARIABLES };

export interface ProxySettings {
  /** The variables that are set (even to an empty string), in {@link PROXY_VARIABLES} order. */
  set: Array<{ name: string; value: string }>;
  http: string | null;
  https: string | null;
  noProxy: string;
}

export function readProxySettings(env: NodeJS.ProcessEnv): ProxySettings {
  const set = PROXY_VARIABLES.filter((name) => env[name] !== undefined).map((name) => ({ name, value: env[name] ?? '' }));
  const http = proxyVariable(env, 'http')?.value;
  const https = proxyVariable(env, 'https')?.value;
  return {
    set,
    http: http || null,
    https: https || http || null,
    noProxy: noProxyVariable(env),
  };
}

/** The proxy a request to `url` uses, and why. */
export type ProxyRoute =
  | { via: 'direct'; reason: 'no-proxy-set' }
  | { via: 'direct'; reason: 'no_proxy'; entry: string }
  | { via: 'proxy'; proxy: string };

export function routeFor(url: URL, settings: ProxySettings): ProxyRoute {
  const proxy = url.protocol === 'https:' ? settings.https : settings.http;
  if (!proxy) return { via: 'direct', reason: 'no-proxy-set' };
  const entry = noProxyMatch(url, settings.noProxy);
  return entry === null ? { via: 'proxy', proxy } : { via: 'direct', reason: 'no_proxy', entry };
}

/** The `NO_PROXY` entry that covers `url`, or null. */
export function noProxyMatch(url: URL, noProxy: string): string | null {
  if (noProxy === '*') return '*';
  const hostname = url.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number.parseInt(url.port, 10) || (url.protocol === 'https:' ? 443 : 80);
  for (const raw of noProxy.split(/[,\s]/)) {
    if (!raw) continue;
    const parsed = /^(.+):(\d+)$/.exec(raw);
    const host = (parsed?.[1] ?? raw).replace(/^\*?\./, '').toLowerCase();
    const entryPort = parsed?.[2] ? Number.parseInt(parsed[2], 10) : 0;
    if (entryPort && entryPort !== port) continue;
    if (hostname === host || hostname.endsWith(`.${host}`)) return raw;
  }
  return null;
}

/** A proxy URL as safe to print: credentials dropped, their presence noted. */
export function describeProxy(value: string): { text: string; valid: boolean; hasCredentials: boolean } {
  try {
    const u = new URL(value);
    const hasCredentials = Boolean(u.username || u.password);
    u.username = '';
    u.password = '';
    const text = u.pathname === '/' && !u.search ? u.href.replace(/\/$/, '') : u.href;
    return { text, valid: true, hasCredentials };
  } catch {
    const hasCredentials = /:\/\/[^/\s]*@/.test(value);
    return { text: value.replace(/:\/\/[^/\s]*@/, '://'), valid: false, hasCredentials };
  }
}
