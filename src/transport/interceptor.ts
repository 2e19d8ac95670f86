import { DecoratorHandler, type Dispatcher } from 'undici';

/** What the header hook is told about each response. */
export interface ResponseHeadInfo {
  origin: string;
  path: string;
  statusCode: number;
  /** Lower-cased names. */
  headers: Record<string, string | string[] | undefined>;
}

export type HeaderHook = (info: ResponseHeadInfo) => void;

type Handler = Dispatcher.DispatchHandler;
// undici's typings declare DecoratorHandler without its methods; it forwards every one of them.
interface ForwardingHandler extends Handler {
  onResponseStart(...args: Parameters<Required<Handler>['onResponseStart']>): void;
}
const Decorator = DecoratorHandler as unknown as new (handler: Handler) => ForwardingHandler;

class HeaderHookHandler extends Decorator {
  readonly #hook: HeaderHook;
  readonly #origin: string;
  readonly #path: string;

  constructor(handler: Handler, opts: Dispatcher.DispatchOptions, hook: HeaderHook) {
    super(handler);
    this.#hook = hook;
    this.#origin = String(opts.origin ?? '');
    this.#path = opts.path;
  }

  override onResponseStart(
    controller: Dispatcher.DispatchController,
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
 * An undici interceptor that reports the status and headers of every response
 * to `hook`. It knows nothing about versions or caches: whoever composes it
 * decides what the headers mean.
 */
export function headerInterceptor(hook: HeaderHook): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => dispatch(opts, new HeaderHookHandler(handler, opts, hook));
}
