import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as undici from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as lean from '../../src/transport/undici.js';

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-schema-revision': '0005_add_retention_policy', 'set-cookie': ['a=1', 'b=2'] });
    res.end(`${req.method} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

// src/transport/undici.ts imports undici's own modules, not its index: if an upgrade of undici moves them, this fails first.
describe('the undici modules the transport imports directly', () => {
  it('are the very classes undici exports', () => {
    expect(lean.Dispatcher).toBe(undici.Dispatcher);
    expect(lean.EnvHttpProxyAgent).toBe(undici.EnvHttpProxyAgent);
    expect(lean.DecoratorHandler).toBe(undici.DecoratorHandler);
    expect(lean.parseHeaders).toBe(undici.util.parseHeaders);
  });

  it('request() sends method, path and query, and reads the answer', async () => {
    const agent = new undici.Agent();
    try {
      const res = await lean.request(new URL(`${base}/a/b?c=1&d=2`), { method: 'POST', body: 'x', dispatcher: agent });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('POST /a/b?c=1&d=2');
    } finally {
      await agent.close();
    }
  });
});
