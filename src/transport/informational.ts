/**
 * RFC 9110 §15.2: "A client MUST be able to parse one or more 1xx responses received prior to a
 * final response, even if the client does not expect one." undici parses them, and ignores 102 and
 * 103, but destroys the connection on an unsolicited `100 Continue` ("bad response"): a server or
 * proxy that sends one before every answer made every command fail with "connection closed
 * unexpectedly". This teaches undici's HTTP/1.1 parser to skip a 100 like any other interim answer.
 *
 * The parser class is internal to undici (client-h1.js exports only `connectH1`), so its prototype is
 * reached by connecting a parser to an inert stand-in socket once; test/unit/transport-*.test.ts
 * fails loudly if an undici upgrade changes what this relies on.
 */
import { EventEmitter } from 'node:events';
import symbols from 'undici/lib/core/symbols.js';
import connectH1 from 'undici/lib/dispatcher/client-h1.js';

type ParserLike = {
  client: Record<symbol, unknown>;
  socket: { destroyed: boolean };
  statusCode: number | null;
  headers: unknown[];
  headersSize: number;
  timeout?: { refresh?: () => void } | null;
  destroy(): void;
  onHeadersComplete(statusCode: number, upgrade: boolean, shouldKeepAlive: boolean): number;
};

let patched: boolean | null = null;

/** Installs the fix once per process; false when undici's internals are not what it expects. */
export function ignoreUnsolicitedContinue(): boolean {
  if (patched !== null) return patched;
  patched = false;
  try {
    const socket = Object.assign(new EventEmitter(), { destroyed: false, errored: null });
    const client: Record<symbol, unknown> = {};
    connectH1(client, socket);
    const parser = (socket as unknown as Record<symbol, ParserLike | undefined>)[symbols.kParser];
    if (!parser || typeof parser.onHeadersComplete !== 'function') return false;
    const proto = Object.getPrototypeOf(parser) as ParserLike;
    parser.destroy();
    const original = proto.onHeadersComplete;
    proto.onHeadersComplete = function onHeadersComplete(this: ParserLike, statusCode, upgrade, shouldKeepAlive) {
      if (statusCode !== 100 || upgrade || this.socket.destroyed) return original.call(this, statusCode, upgrade, shouldKeepAlive);
      const running = this.client[symbols.kRunning] as number;
      const queue = this.client[symbols.kQueue] as unknown[] | undefined;
      const index = this.client[symbols.kRunningIdx] as number;
      // No request waiting for it: undici's own handling (a bad response) stands.
      if (!running || !queue?.[index]) return original.call(this, statusCode, upgrade, shouldKeepAlive);
      // As undici treats 102/103: remember the interim status so the message completes as 1xx, drop its
      // headers, keep the headers timeout running, and skip to the next response on the connection.
      this.statusCode = statusCode;
      this.headers = [];
      this.headersSize = 0;
      this.timeout?.refresh?.();
      return 1;
    };
    patched = true;
  } catch {
    patched = false;
  }
  return patched;
}
