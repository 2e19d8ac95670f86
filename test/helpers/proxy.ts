import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';

/**
 * A small forward proxy on loopback: CONNECT tunnels (what undici uses for
 * https, and by default for http too) and plain absolute-form HTTP requests.
 * It counts what passed through it, and can demand credentials (407).
 */
export interface TestProxy {
  url: string;
  port: number;
  /** `host:port` of every CONNECT, in order. */
  tunnels: string[];
  /** Absolute URLs of plain proxied requests. */
  forwarded: string[];
  /** The Proxy-Authorization header of every request it saw (undefined when absent). */
  authorizations: Array<string | undefined>;
  close(): Promise<void>;
}

export async function startProxy(options: { requireAuth?: string } = {}): Promise<TestProxy> {
  const sockets = new Set<Socket>();
  const state: TestProxy = {
    url: '',
    port: 0,
    tunnels: [],
    forwarded: [],
    authorizations: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const allowed = (req: IncomingMessage) => {
    const auth = req.headers['proxy-authorization'];
    state.authorizations.push(auth);
    return !options.requireAuth || auth === `Basic ${Buffer.from(options.requireAuth).toString('base64')}`;
  };
  const server: Server = createServer((req, res) => {
    if (!allowed(req)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' });
      res.end();
      return;
    }
    state.forwarded.push(req.url ?? '');
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('error', () => {});
    if (!allowed(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    state.tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host ?? '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  return state;
}
