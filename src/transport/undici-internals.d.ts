// Types for the undici modules src/transport/undici.ts imports directly (undici declares only its index).
declare module 'undici/lib/dispatcher/dispatcher.js' {
  const Dispatcher: typeof import('undici').Dispatcher;
  export default Dispatcher;
}
declare module 'undici/lib/dispatcher/env-http-proxy-agent.js' {
  const EnvHttpProxyAgent: typeof import('undici').EnvHttpProxyAgent;
  export default EnvHttpProxyAgent;
}
declare module 'undici/lib/handler/decorator-handler.js' {
  const DecoratorHandler: typeof import('undici').DecoratorHandler;
  export default DecoratorHandler;
}
declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';

  function request(this: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export default request;
}
declare module 'undici/lib/core/util.js' {
  export const parseHeaders: typeof import('undici').util.parseHeaders;
}
declare module 'undici/lib/core/errors.js' {
  const errors: typeof import('undici').errors;
  export default errors;
}
declare module 'undici/lib/api/index.js' {
  const api: Record<'request' | 'stream' | 'pipeline' | 'upgrade' | 'connect', (...args: never[]) => unknown>;
  export default api;
}
declare module 'undici/lib/dispatcher/client-h1.js' {
  function connectH1(client: Record<symbol, unknown>, socket: import('node:events').EventEmitter): unknown;
  export default connectH1;
}
declare module 'undici/lib/core/symbols.js' {
  const symbols: Record<'kParser' | 'kQueue' | 'kRunning' | 'kRunningIdx', symbol>;
  export default symbols;
}
