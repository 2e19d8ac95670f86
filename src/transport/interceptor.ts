import type { Duplex } from 'node:stream';
import type { Dispatcher as UndiciDispatcher } from 'undici';
import { DecoratorHandler, Dispatcher, parseHeaders } from './undici.js';

/** What the header hook is told about each response. */
export interface ResponseHeadInfo {
  origin: string;
  path: string;
  statusCode: number;
  /** Lower-cased names. */
  headers: Record<string, string | string[] | undefined>;
}

export type HeaderHook = (info: ResponseHeadInfo) => void;

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

  constructor(handler: Handler, opts: UndiciDispatcher.DispatchOptions, hook: HeaderHook) {
    super(handler);
    this.#hook = hook;
    this.#origin = String(opts.origin ?? '');
    this.#path = opts.path;
  }

  override onResponseStart(
    controller: UndiciDispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<Required<Handler>['onResponseStart']>[2],
    statusMessage?: string,
  ): void {
    try {
      this.#hook({ origin: this.#origin, path: this.#path, statusCode, headers });
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

  constructor(handler: Handler, opts: UndiciDispatcher.DispatchOptions, hook: HeaderHook) {
    this.#handler = handler;
    this.#hook = hook;
    this.#origin = String(opts.origin ?? '');
    this.#path = opts.path;
  }

  onConnect(abort: (err?: Error) => void, context?: unknown): void {
    (this.#handler.onConnect as ((abort: (err?: Error) => void, context?: unknown) => void) | undefined)?.(abort, context);
  }

  onResponseStarted(): void {
    this.#handler.onResponseStarted?.();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    try {
      this.#hook({ origin: this.#origin, path: this.#path, statusCode, headers: parseHeaders(rawHeaders) });
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
 * handler APIs (~7–9% over 2,000 loopback requests, BENCHMARKS.md; a no-op
 * interceptor costs the same). Closing it closes `dispatcher`.
 */
export function withHeaderHook(dispatcher: UndiciDispatcher, hook: HeaderHook): UndiciDispatcher {
  return new HookedDispatcher(dispatcher, hook);
}

class HookedDispatcher extends Dispatcher {
  readonly #inner: UndiciDispatcher;
  readonly #hook: HeaderHook;

  constructor(inner: UndiciDispatcher, hook: HeaderHook) {
    super();
    this.#inner = inner;
    this.#hook = hook;
  }

  override dispatch(opts: UndiciDispatcher.DispatchOptions, handler: Handler): boolean {
    const hooked = handler.onRequestStart
      ? new HeaderHookHandler(handler, opts, this.#hook)
      : new ClassicHeaderHookHandler(handler, opts, this.#hook);
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
