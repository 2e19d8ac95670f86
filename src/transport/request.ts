import { Buffer } from 'node:buffer';
import type { Dispatcher } from 'undici';
import { ErrorCode, TransportError } from '../errors.js';
import { redactUrl } from '../url.js';
import { classifyError } from './errors.js';
import { EnvHttpProxyAgent, request as undiciRequest } from './undici.js';

/** The default cap on a response body: larger answers are refused while streaming. */
export const DEFAULT_MAX_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 3;

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Total deadline for the request, headers and body, in ms. */
  timeoutMs: number;
  /** Refuse a body larger than this many bytes. */
  maxBytes?: number;
  /** Sent as a bearer token, and only to this origin: never across a redirect to another one. */
  auth?: { origin: string; token: string } | null;
  /** Cancels the request (Ctrl-C). */
  signal?: AbortSignal;
  /** Follow up to 3 redirects for GET and HEAD (default true). */
  followRedirects?: boolean;
  /** Defaults to the process-wide agent that honours HTTP(S)_PROXY and NO_PROXY. */
  dispatcher?: Dispatcher;
}

export interface HttpResponse {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The URL that answered (after redirects), without credentials. */
  url: string;
}

let sharedDispatcher: Dispatcher | undefined;

/** The process-wide agent: honours HTTP_PROXY, HTTPS_PROXY and NO_PROXY, TLS always verified. */
export function defaultDispatcher(): Dispatcher {
  sharedDispatcher ??= new EnvHttpProxyAgent({ keepAliveTimeout: 1000, keepAliveMaxTimeout: 1000 });
  return sharedDispatcher;
}

/** Drops the shared agent's sockets (and anything still in flight) so the process can exit at once. */
export async function closeDefaultDispatcher(): Promise<void> {
  const d = sharedDispatcher;
  sharedDispatcher = undefined;
  await d?.destroy();
}

/** First value of a header, whatever undici handed us. */
export function headerValue(headers: HttpResponse['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * One HTTP request with every limit a CLI needs: a total deadline (an
 * AbortSignal, because undici's own timers never bound a trickling body), a
 * body-size cap enforced while streaming, the token only for its own origin,
 * and errors classified into stable codes.
 */
export async function httpRequest(input: URL | string, opts: RequestOptions): Promise<HttpResponse> {
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([deadline, opts.signal]) : deadline;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const method = (opts.method ?? 'GET').toUpperCase();
  const follow = (opts.followRedirects ?? true) && (method === 'GET' || method === 'HEAD');
  let url = new URL(typeof input === 'string' ? input : input.href);

  for (let hop = 0; ; hop++) {
    const printable = redactUrl(url);
    try {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.auth && url.origin === opts.auth.origin) headers.authorization = `Bearer ${opts.auth.token}`;
      if (url.username || url.password) {
        headers.authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
        url = new URL(url.href);
        url.username = '';
        url.password = '';
      }
      const res = await undiciRequest(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body: opts.body,
        signal,
        dispatcher: opts.dispatcher ?? defaultDispatcher(),
      });
      const location = headerValue(res.headers, 'location');
      if (follow && res.statusCode >= 300 && res.statusCode < 400 && location && hop < MAX_REDIRECTS) {
        res.body.resume();
        url = new URL(location, url);
        continue;
      }
      const body = await readCapped(res, maxBytes, printable);
      return { status: res.statusCode, headers: res.headers, body, url: printable };
    } catch (err) {
      throw classifyError(err, {
        url: printable,
        timeoutMs: opts.timeoutMs,
        timedOut: deadline.aborted,
        aborted: opts.signal?.aborted ?? false,
      });
    }
  }
}

async function readCapped(res: Dispatcher.ResponseData, maxBytes: number, url: string): Promise<Buffer> {
  const tooLarge = () =>
    new TransportError(ErrorCode.TooLarge, `the response from ${url} is larger than ${formatBytes(maxBytes)}`, url, {
      remedy: 'Check that --server points at the right service (a proxy or a wrong path can answer with a large page)',
    });
  const declared = Number(headerValue(res.headers, 'content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      res.body.destroy();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}
