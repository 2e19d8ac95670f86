import { Buffer } from 'node:buffer';
import type { Dispatcher } from 'undici';
import { ErrorCode, HandshakeError, TransportError } from '../errors.js';
import { hint } from '../hint.js';
import { proxySettings } from '../input/index.js';
import { DEFAULT_HEADER_NAMES } from '../protocol/defaults.js';
import { formatBytes } from '../text.js';
import { redactUrl } from '../url.js';
import { classifyError } from './errors.js';
import { ignoreUnsolicitedContinue } from './informational.js';
import { destroyDispatcher, EnvHttpProxyAgent, request as undiciRequest } from './undici.js';

/** The default cap on a response body: larger answers are refused while streaming. */
export const DEFAULT_MAX_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 3;
/** The longest deadline a Node timer holds (2^31-1 ms); a longer one would fire after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

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
  /** The environment whose proxy variables the process-wide agent honours (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /**
   * Header names (any case) that may follow a redirect to another origin; every other header given
   * here is dropped there, and so is the body. Default {@link CROSS_ORIGIN_HEADERS}.
   */
  crossOriginHeaders?: readonly string[];
}

/**
 * What crosses to another origin on a redirect: only these of the caller's headers, never a body.
 * A header the caller added may be a credential under any name (`X-Api-Key`, `Private-Token`…),
 * so the rule is an allow-list of headers known to carry none; the CLI-version header, whose name
 * a matrix may override, is added by the caller through {@link RequestOptions.crossOriginHeaders}.
 */
export const CROSS_ORIGIN_HEADERS: readonly string[] = [
  'accept',
  'accept-language',
  'user-agent',
  DEFAULT_HEADER_NAMES.cliVersion.toLowerCase(),
];

export interface HttpResponse {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The URL that answered (after redirects), without credentials. */
  url: string;
}

/**
 * The process-wide agents, one per connect timeout (a CLI run uses one `--timeout`, so one agent), per environment
 * they were made from: a command run in process with its own environment (docs/architecture.md "One IO") never
 * gets, nor closes, another run's agent. A CLI run has one environment, `process.env`.
 *
 * Held weakly by the environment object: an SDK caller that makes a fresh `env` per session keeps no agent once
 * that object is gone (the agents are closed when it is collected), and sessions given the same object share one.
 */
interface EnvAgents {
  /** The environment, weakly: what `closeDefaultDispatcher()` with no argument walks. */
  ref: WeakRef<NodeJS.ProcessEnv>;
  /** Per connect timeout: the agent and the proxy settings it was made with. */
  agents: Map<string, { proxies: string; agent: Dispatcher }>;
}
const sharedDispatchers = new WeakMap<NodeJS.ProcessEnv, EnvAgents>();
const liveEnvs = new Set<WeakRef<NodeJS.ProcessEnv>>();
const collected = new FinalizationRegistry<EnvAgents>(({ ref, agents }) => {
  liveEnvs.delete(ref);
  for (const { agent } of agents.values()) closeQuietly(agent);
});

/** Closes an agent no one will take again; requests still in flight on it finish first (undici's close). */
function closeQuietly(agent: Dispatcher): void {
  agent.close().catch(() => {});
}

// Verification pinned on for every TLS connection (direct, to a proxy, and through a proxy's tunnel), so
// NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment cannot silently turn it off. A private CA is trusted
// with NODE_EXTRA_CA_CERTS; there is deliberately no way to skip verification.
const VERIFY = { rejectUnauthorized: true } as const;

/**
 * An agent like the process-wide one: HTTP_PROXY, HTTPS_PROXY and NO_PROXY
 * (either case), short keep-alive, and TLS verification pinned on whatever
 * `connect` options are added (a connect timeout, say). Every agent that
 * sends a request must come from here.
 */
export function createAgent(options: { connectTimeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Dispatcher {
  // The proxy variables, validated (a usage error naming the variable) and normalized (`host:port`
  // is http://host:port, as in curl).
  return agentWith(proxySettings(options.env ?? process.env), options.connectTimeoutMs);
}

/** {@link createAgent} for proxy settings already read. An empty string tells undici "no proxy" without reading the environment again. */
function agentWith(proxies: ReturnType<typeof proxySettings>, connectTimeoutMs: number | undefined): Dispatcher {
  const connect = { ...(connectTimeoutMs === undefined ? {} : { timeout: connectTimeoutMs }), ...VERIFY };
  ignoreUnsolicitedContinue();
  return new EnvHttpProxyAgent({
    httpProxy: proxies.httpProxy ?? '',
    httpsProxy: proxies.httpsProxy ?? '',
    // Given, not left to undici (which would read process.env): the run's environment decides (commands/_lib/io.ts).
    noProxy: proxies.noProxy,
    keepAliveTimeout: 1000,
    keepAliveMaxTimeout: 1000,
    connect,
    requestTls: VERIFY,
    proxyTls: VERIFY,
  } as EnvHttpProxyAgent.Options);
}

/**
 * The process-wide agent: honours HTTP_PROXY, HTTPS_PROXY and NO_PROXY (either case), TLS always verified.
 * With `connectTimeoutMs`, connecting (TCP and the TLS handshake) is bounded by it too: undici does not
 * abort a pending connect when a request's signal fires, so without this a server that accepts and never
 * completes TLS would hold the process for undici's own 10 s connect timeout, past `--timeout`.
 */
export function defaultDispatcher(connectTimeoutMs?: number, env: NodeJS.ProcessEnv = process.env): Dispatcher {
  let entry = sharedDispatchers.get(env);
  if (!entry) {
    entry = { ref: new WeakRef(env), agents: new Map() };
    sharedDispatchers.set(env, entry);
    liveEnvs.add(entry.ref);
    collected.register(env, entry, entry.ref);
  }
  const key = String(connectTimeoutMs ?? '');
  // The proxies checked on every call: a variable changed since the agent was made takes effect, and the agent it
  // replaces is closed, not kept.
  const settings = proxySettings(env);
  const proxies = JSON.stringify(settings);
  const kept = entry.agents.get(key);
  if (kept?.proxies === proxies) return kept.agent;
  if (kept) closeQuietly(kept.agent);
  const agent = agentWith(settings, connectTimeoutMs);
  entry.agents.set(key, { proxies, agent });
  return agent;
}

const HTTP_TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
// A header value may hold visible Latin-1 and tabs; a line break would end the header (or forge one).
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const BAD_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]|[^\u0000-\u00ff]/;

/**
 * Refuses, before anything is sent, what undici would refuse with an error that reads like a network
 * failure: a method or header name that is no HTTP token, a value with a control character, a token
 * with a line break, a deadline no timer can hold. A usage error: the input is wrong, not the server.
 */
function checkRequest(method: string, headers: Record<string, string>, token: string | undefined, timeoutMs: number): void {
  const usage = (message: string, remedy: string) => new HandshakeError(ErrorCode.Usage, `${message}: nothing was sent`, { remedy });
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMER_MS) {
    throw usage(
      `the timeout must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${timeoutMs}`,
      'Use a timeout such as 5000',
    );
  }
  if (!HTTP_TOKEN.test(method)) throw usage(`"${method.slice(0, 40)}" is not an HTTP method`, 'Use GET, POST, PUT, PATCH or DELETE');
  for (const [name, value] of Object.entries(headers)) {
    if (!HTTP_TOKEN.test(name)) throw usage(`"${name.slice(0, 40)}" is not a header name`, 'Use a header name of letters, digits and -');
    if (BAD_VALUE.test(value))
      throw usage(`the header ${name} holds a control or non-Latin-1 character`, 'Remove line breaks and control characters from it');
  }
  if (token !== undefined && (token === '' || BAD_VALUE.test(token) || /\s/.test(token))) {
    throw usage('the token holds a line break, a space or a control character', 'Set the token variable to the token alone');
  }
}

/**
 * Drops the shared agents' sockets (and anything still in flight) so the process can exit at once: those made from
 * `env`, or every one.
 */
export async function closeDefaultDispatcher(env?: NodeJS.ProcessEnv): Promise<void> {
  const envs = env ? [env] : [...liveEnvs].map((ref) => ref.deref()).filter((e): e is NodeJS.ProcessEnv => e !== undefined);
  const agents: Dispatcher[] = [];
  for (const e of envs) {
    const entry = sharedDispatchers.get(e);
    if (!entry) continue;
    sharedDispatchers.delete(e);
    liveEnvs.delete(entry.ref);
    collected.unregister(entry.ref);
    for (const { agent } of entry.agents.values()) agents.push(agent);
  }
  await Promise.all(agents.map(destroyDispatcher));
}

/** First value of a header, whatever undici handed us; only an own, string value (a name such as `constructor` is no header). */
export function headerValue(headers: HttpResponse['headers'], name: string): string | undefined {
  const key = name.toLowerCase();
  if (!Object.hasOwn(headers, key)) return undefined;
  const v = headers[key];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : undefined;
}

/**
 * One HTTP request with every limit a CLI needs: a total deadline (an
 * AbortSignal, because undici's own timers never bound a trickling body), a
 * body-size cap enforced while streaming, the token only for its own origin,
 * and errors classified into stable codes.
 */
export async function httpRequest(input: URL | string, opts: RequestOptions): Promise<HttpResponse> {
  const method = (opts.method ?? 'GET').toUpperCase();
  checkRequest(method, opts.headers ?? {}, opts.auth?.token, opts.timeoutMs);
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([deadline, opts.signal]) : deadline;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const crossing = new Set((opts.crossOriginHeaders ?? CROSS_ORIGIN_HEADERS).map((n) => n.toLowerCase()));
  const follow = (opts.followRedirects ?? true) && (method === 'GET' || method === 'HEAD');
  let url = new URL(typeof input === 'string' ? input : input.href);
  // Credentials in the URL (`user:pass@`) become Basic auth for this origin only, and leave the URL.
  const origin = url.origin;
  const basic =
    url.username || url.password
      ? `Basic ${Buffer.from(`${safeDecode(url.username)}:${safeDecode(url.password)}`).toString('base64')}`
      : null;
  if (basic) {
    url.username = '';
    url.password = '';
  }

  for (let hop = 0; ; hop++) {
    const printable = redactUrl(url);
    try {
      // A redirect to another origin gets no credentials at all: not the token, not Basic, none of the
      // caller's own headers but the allow-list (any of them may be a credential), and no body.
      const sameOrigin = url.origin === origin;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(opts.headers ?? {})) {
        if (sameOrigin || crossing.has(name.toLowerCase())) headers[name] = value;
      }
      if (opts.auth && url.origin === opts.auth.origin) headers.authorization = `Bearer ${opts.auth.token}`;
      else if (basic && sameOrigin) headers.authorization ??= basic;
      const res = await undiciRequest(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body: sameOrigin ? opts.body : undefined,
        signal,
        dispatcher: opts.dispatcher ?? defaultDispatcher(opts.timeoutMs, opts.env),
      });
      const location = headerValue(res.headers, 'location');
      if (follow && res.statusCode >= 300 && res.statusCode < 400 && location && hop < MAX_REDIRECTS) {
        // Not read: a redirect's body could be endless. The connection goes with it.
        discard(res.body);
        url = redirectTarget(url, location);
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

const RIGHT_SERVICE = hint.flag('server', undefined, 'Check that {flag} points at the right service');

/** Where a redirect leads, if it may be followed: http(s) only, and never from https down to plain http. */
function redirectTarget(from: URL, location: string): URL {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new TransportError(ErrorCode.InvalidResponse, `${redactUrl(from)} redirected to an invalid URL`, redactUrl(from), {
      hint: RIGHT_SERVICE,
    });
  }
  const insecure = from.protocol === 'https:' && next.protocol === 'http:';
  if ((next.protocol !== 'http:' && next.protocol !== 'https:') || insecure) {
    const why = insecure ? 'from https to plain http' : `to a ${next.protocol} URL`;
    throw new TransportError(ErrorCode.InvalidResponse, `${redactUrl(from)} redirected ${why}: not followed`, redactUrl(from), {
      ...(insecure ? { remedy: 'Fix the redirect on the server, or use the https URL that serves the API' } : { hint: RIGHT_SERVICE }),
    });
  }
  next.username = '';
  next.password = '';
  return next;
}

/** Drops a body unread: undici reports an unread body's destruction as an 'error', which must not go unhandled. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function readCapped(res: Dispatcher.ResponseData, maxBytes: number, url: string): Promise<Buffer> {
  const tooLarge = () =>
    new TransportError(ErrorCode.TooLarge, `the response from ${url} is larger than ${formatBytes(maxBytes)}`, url, {
      remedy:
        maxBytes === DEFAULT_MAX_BYTES
          ? 'Check that the server URL points at the right service (a proxy or a wrong path can answer with a large page)'
          : `Allow a larger answer than ${maxBytes} bytes, or check that the server URL points at the right service`,
    });
  const declared = Number(headerValue(res.headers, 'content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    discard(res.body);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      discard(res.body);
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}
