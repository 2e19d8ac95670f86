import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as undici from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerInterceptor, type ResponseHeadInfo, withHeaderHook } from '../../src/transport/interceptor.js';
import { httpRequest } from '../../src/transport/request.js';
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

describe('the header hook', () => {
  it('withHeaderHook sees every response of httpRequest, with headers as undici parses them', async () => {
    const seen: ResponseHeadInfo[] = [];
    const agent = new undici.Agent();
    const hooked = withHeaderHook(agent, (info) => seen.push(info));
    const res = await httpRequest(`${base}/one?x=1`, { timeoutMs: 5000, dispatcher: hooked });
    expect(res.body.toString()).toBe('GET /one?x=1');
    expect(seen).toEqual([expect.objectContaining({ origin: base, path: '/one?x=1', statusCode: 200 })]);
    expect(seen[0]?.headers['x-schema-revision']).toBe('0005_add_retention_policy');
    expect(seen[0]?.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    await hooked.close();
    expect(agent.closed).toBe(true);
  });

  it('withHeaderHook also serves handlers of undici’s newer API, behind other interceptors', async () => {
    const seen: number[] = [];
    const agent = new undici.Agent();
    const hooked = withHeaderHook(agent, (info) => seen.push(info.statusCode)).compose(undici.interceptors.dump());
    const res = await undici.request(`${base}/two`, { dispatcher: hooked });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(seen).toEqual([200]);
    await agent.close();
  });

  it('with names, the hook is told only those headers (any case; repeated ones as a list), on either handler API', async () => {
    const seen: ResponseHeadInfo['headers'][] = [];
    const agent = new undici.Agent();
    const hooked = withHeaderHook(agent, (info) => seen.push(info.headers), { names: ['X-Schema-Revision', 'Set-Cookie'] });
    await httpRequest(`${base}/five`, { timeoutMs: 5000, dispatcher: hooked });
    const res = await undici.request(`${base}/six`, { dispatcher: hooked.compose(undici.interceptors.dump()) });
    await res.body.dump();
    const expected = { 'x-schema-revision': '0005_add_retention_policy', 'set-cookie': ['a=1', 'b=2'] };
    expect(seen).toEqual([expected, expected]);
    await agent.close();
  });

  it('a hook that throws never breaks the request it observes', async () => {
    const agent = new undici.Agent();
    const throwing = () => {
      throw new Error('boom');
    };
    const viaWrapper = await httpRequest(`${base}/three`, { timeoutMs: 5000, dispatcher: withHeaderHook(agent, throwing) });
    const viaCompose = await httpRequest(`${base}/four`, { timeoutMs: 5000, dispatcher: agent.compose(headerInterceptor(throwing)) });
    expect([viaWrapper.status, viaCompose.status]).toEqual([200, 200]);
    await agent.close();
  });
});
