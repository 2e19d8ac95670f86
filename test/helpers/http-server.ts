import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll } from 'vitest';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface TestServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

/** A real loopback HTTP server on port 0 that records every request. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    try {
      await handler(req, res, body);
    } catch {
      res.destroy();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers JSON with the given status and headers. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A version-endpoint server answering `doc` (and the revision headers) on every request. */
export function versionServer(doc: Record<string, unknown>, headers: Record<string, string> = {}): Promise<TestServer> {
  return startServer((_req, res) => json(res, 200, doc, headers));
}

/** A port that nothing listens on: bind, note the port, close. */
export async function closedPort(): Promise<number> {
  const s = await startServer(() => {});
  await s.close();
  return s.port;
}

/**
 * Streams `total` bytes of `chunk` (repeated) with back-pressure, then ends with `tail` (unless `end` is false);
 * stops as soon as the client hangs up. Resolves with how much was sent by then: a client that refuses a large
 * body early makes this small.
 */
export function pumpBody(res: ServerResponse, total: number, opts: { chunk?: Buffer; tail?: string; end?: boolean } = {}): Promise<number> {
  const chunk = opts.chunk ?? Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  return new Promise((resolve) => {
    res.on('close', () => resolve(sent));
    const pump = () => {
      while (sent < total && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (opts.end !== false && !res.destroyed) res.end(opts.tail ?? '');
    };
    pump();
  });
}

/** For a test file: a function that awaits a started server and closes it after the file's tests. */
export function closeAfterAll(): (started: Promise<TestServer>) => Promise<TestServer> {
  const servers: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  return async (started) => {
    const server = await started;
    servers.push(server);
    return server;
  };
}
