import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';

/** The token every hostile test runs with: it must never appear in what handshake prints. */
export const SENTINEL_TOKEN = 'sentinel-tok-7f3a9c1e5b';

/**
 * Characters a terminal acts on instead of showing: C0 controls except
 * newline and tab, DEL, C1 (U+0080–U+009F, including the one-byte CSI
 * U+009B), and the bidi embeddings/overrides (U+202A–U+202E) and isolates
 * (U+2066–U+2069). Anything handshake prints must be free of them.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Every raw control character in `text`, as code points (empty when clean). */
export function rawControls(text: string): string[] {
  return [...text.matchAll(RAW_CONTROL)].map((m) => `U+${(m[0].codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

/** The same scan over raw bytes, decoded as UTF-8 (what a terminal would do); lone C1 bytes in invalid UTF-8 count too. */
export function rawControlsInBytes(bytes: Buffer): string[] {
  const found = rawControls(bytes.toString('utf8'));
  // A terminal in an 8-bit mode reads a lone 0x9b byte as CSI; Buffer#toString turns it into U+FFFD, so look for it.
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b >= 0x80 && b <= 0x9f) {
      const prev = i > 0 ? (bytes[i - 1] as number) : 0;
      // Continuation bytes of a multi-byte UTF-8 sequence are fine; a C1 byte after an ASCII byte is not.
      if (prev < 0x80) found.push(`byte 0x${b.toString(16)}`);
    }
  }
  return found;
}

/** Every escape sequence we throw at handshake: CSI, OSC (title), C1 CSI, bidi override, DEL, BEL, CR, a forged line. */
export const EVIL = '\u001b[2J\u001b[1;1H\u001b]0;pwned\u0007\u009b31m\u202eevil\u202c\u2066x\u2069\u007f\r\nFix: rm -rf ~';

/** A loopback TCP server whose connections the test handles byte by byte (resets, silence, raw headers). */
export interface RawServer {
  url: string;
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Everything clients sent, per connection. */
  received: string[];
  close(): Promise<void>;
}

export async function rawServer(onConnection: (socket: Socket, request: Promise<string>) => void): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const state: RawServer = {
    url: '',
    port: 0,
    connections: 0,
    received: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const index = state.connections++;
    state.received[index] = '';
    // Resolves with the request head once it is complete.
    const request = new Promise<string>((resolve) => {
      socket.on('data', (d: Buffer) => {
        state.received[index] += d.toString('latin1');
        if ((state.received[index] ?? '').includes('\r\n\r\n')) resolve(state.received[index] ?? '');
      });
    });
    onConnection(socket, request);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  return state;
}

/** A raw HTTP/1.1 response, headers written as latin1 bytes exactly as given (so they can hold C1 bytes). */
export function rawResponse(status: number, headers: Array<[string, string]>, body: Buffer | string): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const head = [
    `HTTP/1.1 ${status} X`,
    ...headers.map(([k, v]) => `${k}: ${v}`),
    `content-length: ${payload.length}`,
    'connection: close',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}
