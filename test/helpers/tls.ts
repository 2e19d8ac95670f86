import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Handler } from './http-server.js';

/**
 * Certificates made for the test run with the openssl CLI (node:crypto can
 * make keys but not X.509 certificates): a CA, a good leaf for 127.0.0.1, an
 * expired leaf and a leaf for another host name (both from the same CA, so
 * the failure is exactly the one named), and a self-signed certificate.
 */
export interface TestCerts {
  dir: string;
  /** PEM of the CA: point NODE_EXTRA_CA_CERTS at `caFile`. */
  caFile: string;
  good: KeyPair;
  expired: KeyPair;
  wrongHost: KeyPair;
  selfSigned: KeyPair;
  cleanup(): void;
}

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('the TLS tests need the openssl CLI on PATH to make their certificates');
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr?.toString() ?? e.message}`);
  }
}

export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'handshake-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=handshake test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    ],
    dir,
  );
  openssl(['req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(join(dir, 'ip.ext'), 'subjectAltName=IP:127.0.0.1\n');
  writeFileSync(join(dir, 'other.ext'), 'subjectAltName=DNS:example.test\n');
  const sign = (out: string, days: string, ext: string) =>
    openssl(
      [
        'x509',
        '-req',
        '-in',
        'leaf.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        out,
        '-days',
        days,
        '-extfile',
        ext,
      ],
      dir,
    );
  sign('good.pem', '2', 'ip.ext');
  // -days -1: not after = yesterday. Verification reports it as expired.
  sign('expired.pem', '-1', 'ip.ext');
  sign('wrong-host.pem', '2', 'other.ext');
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'self.key',
      '-out',
      'self.pem',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    dir,
  );
  const read = (f: string) => readFileSync(join(dir, f));
  const leafKey = read('leaf.key');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    good: { cert: read('good.pem'), key: leafKey },
    expired: { cert: read('expired.pem'), key: leafKey },
    wrongHost: { cert: read('wrong-host.pem'), key: leafKey },
    selfSigned: { cert: read('self.pem'), key: read('self.key') },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface HttpsTestServer {
  url: string;
  port: number;
  /** Requests that got past the TLS handshake. */
  requests: number;
  close(): Promise<void>;
}

/** A real node:https loopback server with the given certificate. */
export async function startHttpsServer(pair: KeyPair, handler: Handler): Promise<HttpsTestServer> {
  const sockets = new Set<Socket>();
  const state: HttpsTestServer = {
    url: '',
    port: 0,
    requests: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer({ cert: pair.cert, key: pair.key }, async (req, res) => {
    state.requests += 1;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    await handler(req, res, Buffer.concat(chunks).toString('utf8'));
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `https://127.0.0.1:${state.port}`;
  return state;
}
