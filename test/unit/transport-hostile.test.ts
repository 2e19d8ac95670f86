import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isHandshakeError } from '../../src/errors.js';
import { OWN_WORDS, remedyFor } from '../../src/render/remedy.js';
import { classifyError } from '../../src/transport/errors.js';
import { headerValue, httpRequest } from '../../src/transport/request.js';
import { json, pumpBody, startServer, type TestServer } from '../helpers/http-server.js';
import { makeCerts, startHttpsServer } from '../helpers/tls.js';

/** httpRequest against real loopback servers: what crosses a redirect, what is read, what is refused. */

const servers: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});
async function serve(handler: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

const CALLER_CREDENTIALS = {
  authorization: 'Bearer caller-own',
  cookie: 'session=abc',
  'proxy-authorization': 'Basic xyz',
  'x-trace': '42',
};

describe('redirects and credentials', () => {
  let other: TestServer;
  let first: TestServer;
  beforeAll(async () => {
    other = await serve((_req, res) => json(res, 200, { ok: true }));
    first = await serve((req, res) => {
      if (req.url === '/same') {
        res.writeHead(302, { location: '/landed' });
        return void res.end();
      }
      if (req.url === '/landed') return json(res, 200, { ok: true });
      res.writeHead(302, { location: `${other.url}/elsewhere` });
      res.end();
    });
  });

  it('a redirect to another origin carries no credential header at all: not the token, not Basic, not the caller’s own', async () => {
    const url = first.url.replace('http://', 'http://alice:pw-1234@');
    const res = await httpRequest(`${url}/x`, { timeoutMs: 5000, headers: CALLER_CREDENTIALS });
    expect(res.status).toBe(200);
    const landed = other.requests.at(-1);
    expect(landed?.url).toBe('/elsewhere');
    expect(landed?.headers.authorization).toBeUndefined();
    expect(landed?.headers.cookie).toBeUndefined();
    expect(landed?.headers['proxy-authorization']).toBeUndefined();
    // Nor any other header of the caller's: any name may be a credential (X-Api-Key, Private-Token…).
    expect(landed?.headers['x-trace']).toBeUndefined();
    // The first origin got them.
    expect(first.requests.at(-1)?.headers.cookie).toBe('session=abc');
  });

  it('the bearer token goes to its origin only', async () => {
    await httpRequest(`${first.url}/x`, { timeoutMs: 5000, auth: { origin: new URL(first.url).origin, token: 'tok-123456' } });
    expect(first.requests.at(-1)?.headers.authorization).toBe('Bearer tok-123456');
    expect(other.requests.at(-1)?.headers.authorization).toBeUndefined();
  });

  it('a same-origin redirect keeps the credentials, including Basic from user:pass@', async () => {
    const url = first.url.replace('http://', 'http://alice:pw-1234@');
    const res = await httpRequest(`${url}/same`, { timeoutMs: 5000, headers: { cookie: 'session=abc' } });
    expect(res.status).toBe(200);
    const landed = first.requests.at(-1);
    expect(landed?.url).toBe('/landed');
    expect(landed?.headers.authorization).toBe(`Basic ${Buffer.from('alice:pw-1234').toString('base64')}`);
    expect(landed?.headers.cookie).toBe('session=abc');
    // The URL reported back never has the credentials.
    expect(res.url).not.toContain('pw-1234');
  });

  it('a redirect to a non-http URL is refused, not followed', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(302, { location: 'file:///etc/passwd' });
      res.end();
    });
    const err = await httpRequest(`${s.url}/x`, { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(isHandshakeError(err, ErrorCode.InvalidResponse)).toBe(true);
  });

  it('a redirect’s body is never read: an endless one does not hold the request up', async () => {
    let closed = false;
    const s = await serve((_req, res: ServerResponse) => {
      res.writeHead(302, { location: `${other.url}/after-endless` });
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(chunk)), 5);
      res.on('close', () => {
        closed = true;
        clearInterval(timer);
      });
    });
    const res = await httpRequest(`${s.url}/x`, { timeoutMs: 10_000 });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    // The client hung up on the redirect instead of draining it.
    expect(closed).toBe(true);
  });
});

describe('https', () => {
  const certs = makeCerts();
  afterAll(() => certs.cleanup());

  it('a redirect from https down to plain http is refused', async () => {
    const plain = await serve((_req, res) => json(res, 200, { ok: true }));
    const dispatcher = new Agent({ connect: { ca: readFileSync(certs.caFile) } });
    const tls = await startHttpsServer(certs.good, (_req, res) => {
      res.writeHead(301, { location: `${plain.url}/downgraded` });
      res.end();
    });
    servers.push(tls);
    const err = await httpRequest(`${tls.url}/x`, { timeoutMs: 5000, dispatcher }).catch((e: unknown) => e);
    expect(isHandshakeError(err, ErrorCode.InvalidResponse)).toBe(true);
    expect(plain.requests.length).toBe(0);
    await dispatcher.close();
  });
});

describe('the size cap', () => {
  it('a declared 64 MiB body is refused from its Content-Length, before reading it', async () => {
    let sent: Promise<number> = Promise.resolve(0);
    const s = await serve((_req, res) => {
      const size = 64 * 1024 * 1024;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(size) });
      sent = pumpBody(res, size, { chunk: Buffer.alloc(256 * 1024, 0x20), end: false });
    });
    const err = await httpRequest(`${s.url}/big`, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(isHandshakeError(err, ErrorCode.TooLarge)).toBe(true);
    expect(await sent).toBeLessThan(16 * 1024 * 1024);
  });
});

describe('headerValue', () => {
  it('reads own string values only: a header named like an Object method is absent', () => {
    const headers = { 'x-a': 'one', 'x-b': ['two', 'three'] } as Record<string, string | string[] | undefined>;
    expect(headerValue(headers, 'X-A')).toBe('one');
    expect(headerValue(headers, 'x-b')).toBe('two');
    expect(headerValue(headers, 'constructor')).toBeUndefined();
    expect(headerValue(headers, 'toString')).toBeUndefined();
    expect(headerValue(headers, '__proto__')).toBeUndefined();
  });
});

describe('classifyError', () => {
  const ctx = { url: 'https://ops.example.com/api/v1/config/version', timeoutMs: 5000, timedOut: false, aborted: false };

  it('a failed connection to another port than the server’s was to the proxy, and says so', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:3128'), { code: 'ECONNREFUSED', address: '10.0.0.1', port: 3128 });
    const e = classifyError(err, ctx);
    expect(e.code).toBe(ErrorCode.Unreachable);
    expect(e.message).toContain('10.0.0.1:3128');
    expect(e.remedy).toMatch(/HTTPS_PROXY/);
  });

  it('a failed connection to the server’s own port blames the server', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 10.0.0.2:443'), { code: 'ECONNREFUSED', address: '10.0.0.2', port: 443 });
    expect(remedyFor(classifyError(err, ctx), OWN_WORDS)).toMatch(/--server/);
  });

  it('free text from below loses URL credentials', () => {
    const e = classifyError(new Error('weird failure at http://bob:hunter22@proxy.example:3128/'), ctx);
    expect(e.message).not.toContain('hunter22');
  });

  it('a proxy refusing the tunnel is named, with the credentials remedy for 407', () => {
    const e = classifyError(Object.assign(new Error('Proxy response (407) !== 200 when HTTP Tunneling'), { code: 'UND_ERR_ABORTED' }), ctx);
    expect(e.message).toMatch(/proxy/);
    expect(e.remedy).toMatch(/credentials|password/);
  });
});
