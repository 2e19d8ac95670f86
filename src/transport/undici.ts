/**
 * The parts of undici the transport uses, imported from undici's own modules
 * instead of its index. The index loads everything undici offers on every
 * start (fetch, WebSocket, EventSource, the cache stores, the mock agents:
 * ~110 modules) where a request needs ~30 of them; in the bundled CLI that is
 * ~30 ms of every command's start (bench/NOTES.md), and a check that runs on
 * every call cannot pay for what it never uses.
 *
 * These paths are undici internals (the package has no `exports` map, so
 * they resolve, but they are not its public API):
 * test/unit/transport-undici.test.ts fails loudly if an upgrade moves them,
 * and the types still come from undici's public declarations.
 */
import type * as Undici from 'undici';
import apiRequest from 'undici/lib/api/api-request.js';
import api from 'undici/lib/api/index.js';
import errors from 'undici/lib/core/errors.js';
import { parseHeaders as parseHeadersImpl } from 'undici/lib/core/util.js';
import DispatcherImpl from 'undici/lib/dispatcher/dispatcher.js';
import EnvHttpProxyAgentImpl from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import DecoratorHandlerImpl from 'undici/lib/handler/decorator-handler.js';

// What undici's index does on load, and its parts rely on: the proxy agent opens a tunnel with
// `client.connect()`, a method the index puts on every dispatcher.
Object.assign(DispatcherImpl.prototype, api);

export const Dispatcher: typeof Undici.Dispatcher = DispatcherImpl;
export const EnvHttpProxyAgent: typeof Undici.EnvHttpProxyAgent = EnvHttpProxyAgentImpl;
/** `EnvHttpProxyAgent.Options`, as undici declares it. */
export declare namespace EnvHttpProxyAgent {
  type Options = Undici.EnvHttpProxyAgent.Options;
}
export const DecoratorHandler: typeof Undici.DecoratorHandler = DecoratorHandlerImpl;
/** Raw header Buffers to an object with lower-cased names, as undici hands them to `onResponseStart`. */
export const parseHeaders: typeof Undici.util.parseHeaders = parseHeadersImpl;

/**
 * Closes a dispatcher's sockets, and fails anything still in flight, at once: `dispatcher.destroy()` with
 * undici's own ClientDestroyedError, made here with its stack already a string. Given none, undici makes
 * one, and Node's stream destroy reads its `stack` at once (streams' checkError): formatting frames of
 * the bundled CLI makes V8 recompute those functions' source positions over a 1.8 MB script, ≈ 4 ms at
 * the end of every command that made a request (bench/NOTES.md).
 */
export function destroyDispatcher(dispatcher: Undici.Dispatcher): Promise<void> {
  const reason = new errors.ClientDestroyedError();
  reason.stack = `${reason.name}: ${reason.message}`;
  return dispatcher.destroy(reason);
}

export type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Undici.Dispatcher };

/** undici's `request(url, options)` for a URL and an explicit dispatcher (what the index's wrapper does, minus the global dispatcher). */
export function request(url: URL, { dispatcher, ...opts }: RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  return apiRequest.call(dispatcher, {
    ...opts,
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: opts.method ?? (opts.body ? 'PUT' : 'GET'),
  });
}
