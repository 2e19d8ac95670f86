import type { Duplex } from 'node:stream';
import type { Dispatcher as UndiciDispatcher } from 'undici';
import { DecoratorHandler, Dispatcher, parseHeaders } from './undici.js';

/** What the header hook is told about each response. */
export interface ResponseHeadInfo {
  origin: string;
  path: string;
  statusCode: number;
  /** Lower-cased names; with {@link HeaderHookOptions.names}, only those. */
  headers: Record<string, string | string[] | undefined>;
}

export type HeaderHook = (info: ResponseHeadInfo) => void;

export interface HeaderHookOptions {
  /**
   * Report only these headers (any case). The others are never decoded: on a
   * hook that sees every response, decoding all of them again (undici decodes
   * them for the caller too) is most of what the hook costs.
   */
  names?: readonly string[];
}

/** Picks the named headers out of undici's raw `[name, value, …]` list, decoding only those. */
function headerPicker(
  names: readonly string[],
): (raw: ReadonlyArray<Buffer | string | (Buffer | string)[]>) => ResponseHeadInfo['headers'] {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const lengths = new Set([...wanted].map((n) => n.length));
  const decode = (v: Buffer | string | (Buffer | string)[]): string | string[] =>
    Array.isArray(v) ? v.map((x) => x.toString('latin1')) : v.toString('latin1');
  return (raw) => {
    const out: Record<string, string | string[]> = {};
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as Buffer | string;
      if (!lengths.has(name.length)) continue;
      const key = name.toString('latin1').toLowerCase();
      if (!wanted.has(key)) continue;
      const value = decode(raw[i + 1] as Buffer | string);
      const seen = out[key];
      out[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), ...(Array.isArray(value) ? value : [value])];
    }
    return out;
  };
}

type Handler = UndiciDispatcher.DispatchHandler;
// undici's typings declare DecoratorHandler without its methods; it forwards every one of them.
interface ForwardingHandler extends Handler {
  onResponseStart(...args: Parameters<Required<Handler>['onResponseStart']>): void;
}
const Decorator = DecoratorHandler as unknown as new (handler: Handler) => ForwardingHandler;

class HeaderHookHandler extends Decorator {
  readonly #hook: HeaderHook;
  readonly #origin: string;
  readonly #path: string;
  readonly #names: ReadonlySet<string> | null;

  constructor(handler: Handler, opts: UndiciDispatcher.DispatchOptions, hook: HeaderHook, names: ReadonlySet<string> | null = null) {
    super(handler);
    this.#hook = hook;
    this.#origin = String(opts.origin ?? '');
    this.#path = opts.path;
    this.#names = names;
  }

  override onResponseStart(
    controller: UndiciDispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<Required<Handler>['onResponseStart']>[2],
    statusMessage?: string,
  ): void {
    try {
      const names = this.#names;
      const reported = names ? Object.fromEntries(Object.entries(headers).filter(([k]) => names.has(k))) : headers;
      this.#hook({ origin: this.#origin, path: this.#path, statusCode, headers: reported });
    } catch {
      // A hook must never break the request it observes.
    }
    super.onResponseStart(controller, statusCode, headers, statusMessage);
  }
}

/**
 * The same hook in front of a handler that speaks undici's classic callbacks
 * (`onHeaders`, `onData`…), as the one behind `request()` does. Answering in
 * kind keeps undici from translating every response between the two handler
 * APIs (headers parsed into an object, encoded back into Buffers, parsed
 * again): that translation, not the hook, was what a header hook cost.
 */
class ClassicHeaderHookHandler implements Handler {
  readonly #handler: Handler;
  readonly #hook: HeaderHook;
  readonly #origin: string;
  readonly #path: string;
  readonly #decode: (raw: Buffer[]) => ResponseHeadInfo['headers'];

  constructor(
    handler: Handler,
    opts: UndiciDispatcher.DispatchOptions,
    hook: HeaderHook,
    decode: (raw: Buffer[]) => ResponseHeadInfo['headers'],
  ) {
    this.#handler = handler;
    this.#hook = hook;
    this.#origin = String(opts.origin ?? '');
    this.#path = opts.path;
    this.#decode = decode;
  }

  onConnect(abort: (err?: Error) => void, context?: unknown): void {
    (this.#handler.onConnect as ((abort: (err?: Error) => void, context?: unknown) => void) | undefined)?.(abort, context);
  }

  onResponseStarted(): void {
    this.#handler.onResponseStarted?.();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    try {
      this.#hook({ origin: this.#origin, path: this.#path, statusCode, headers: this.#decode(rawHeaders) });
    } catch {
      // A hook must never break the request it observes.
    }
    return this.#handler.onHeaders?.(statusCode, rawHeaders, resume, statusText) ?? true;
  }

  onData(chunk: Buffer): boolean {
    return this.#handler.onData?.(chunk) ?? true;
  }

  onComplete(trailers: string[] | null): void {
    this.#handler.onComplete?.(trailers);
  }

  onError(err: Error): void {
    if (!this.#handler.onError) throw err;
    this.#handler.onError(err);
  }

  onUpgrade(statusCode: number, headers: Buffer[] | string[] | null, socket: Duplex): void {
    this.#handler.onUpgrade?.(statusCode, headers, socket);
  }

  onBodySent(chunkSize: number, totalBytesSent: number): void {
    this.#handler.onBodySent?.(chunkSize, totalBytesSent);
  }

  onRequestSent(): void {
    (this.#handler as { onRequestSent?: () => void }).onRequestSent?.();
  }
}

/**
 * An undici interceptor that reports the status and headers of every response
 * to `hook`, for a vendor composing its own agent (`agent.compose(headerInterceptor(hook))`).
 * It knows nothing about versions or caches: whoever composes it decides what
 * the headers mean.
 */
export function headerInterceptor(hook: HeaderHook): UndiciDispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => dispatch(opts, new HeaderHookHandler(handler, opts, hook));
}

/**
 * `dispatcher` with `hook` told the status and headers of every response: what
 * `dispatcher.compose(headerInterceptor(hook))` does, without the cost of
 * compose(), which makes undici translate every response between its two
 * handler APIs (~5–9% over 2,000 loopback requests, BENCHMARKS.md; a no-op
 * interceptor costs the same). Name the headers the hook reads
 * (`options.names`) and the others are never decoded. Closing it closes
 * `dispatcher`.
 */
export function withHeaderHook(dispatcher: UndiciDispatcher, hook: HeaderHook, options: HeaderHookOptions = {}): UndiciDispatcher {
  return new HookedDispatcher(dispatcher, hook, options);
}

class HookedDispatcher extends Dispatcher {
  readonly #inner: UndiciDispatcher;
  readonly #hook: HeaderHook;
  readonly #names: ReadonlySet<string> | null;
  readonly #decode: (raw: Buffer[]) => ResponseHeadInfo['headers'];

  constructor(inner: UndiciDispatcher, hook: HeaderHook, options: HeaderHookOptions) {
    super();
    this.#inner = inner;
    this.#hook = hook;
    this.#names = options.names ? new Set(options.names.map((n) => n.toLowerCase())) : null;
    this.#decode = options.names ? headerPicker(options.names) : (raw) => parseHeaders(raw);
  }

  override dispatch(opts: UndiciDispatcher.DispatchOptions, handler: Handler): boolean {
    const hooked = handler.onRequestStart
      ? new HeaderHookHandler(handler, opts, this.#hook, this.#names)
      : new ClassicHeaderHookHandler(handler, opts, this.#hook, this.#decode);
    return this.#inner.dispatch(opts, hooked);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    return callback ? this.#inner.close(callback) : this.#inner.close();
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    if (typeof a === 'function') return this.#inner.destroy(a);
    if (b) return this.#inner.destroy(a ?? null, b);
    return this.#inner.destroy(a ?? null);
  }
}
