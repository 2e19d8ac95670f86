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

describe('destroyDispatcher', () => {
  // A pending request and a kept-alive socket, on a server that answers /hang never.
  async function busyAgent(hanging: Server): Promise<{ agent: undici.Agent; inFlight: Promise<unknown> }> {
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    const agent = new undici.Agent();
    await (await lean.request(new URL(`${url}/ok`), { method: 'GET', dispatcher: agent })).body.text();
    const inFlight = lean.request(new URL(`${url}/hang`), { method: 'GET', dispatcher: agent }).then(
      () => 'answered',
      (err: Error & { code?: string }) => err,
    );
    await new Promise((r) => setTimeout(r, 50));
    return { agent, inFlight };
  }
  // How many of undici's errors have their stack formatted while `run` runs (V8 calls Error.prepareStackTrace
  // for each; the test server's own "aborted" errors, in this process too, are not counted).
  async function stacksFormatted(run: () => Promise<unknown>): Promise<number> {
    const original = Error.prepareStackTrace;
    let count = 0;
    Error.prepareStackTrace = (err, frames) => {
      if (String((err as { code?: unknown }).code).startsWith('UND_ERR')) count++;
      return original ? original(err, frames) : `${err}`;
    };
    try {
      await run();
    } finally {
      Error.prepareStackTrace = original;
    }
    return count;
  }

  it('fails what is in flight with undici’s ClientDestroyedError and formats no stack trace doing it', async () => {
    const hanging = createServer((req, res) => {
      if (req.url === '/ok') res.end('ok');
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const ours = await busyAgent(hanging);
      expect(await stacksFormatted(() => lean.destroyDispatcher(ours.agent))).toBe(0);
      expect(ours.agent.destroyed).toBe(true);
      expect(await ours.inFlight).toMatchObject({ name: 'ClientDestroyedError', code: 'UND_ERR_DESTROYED' });
      // The control: undici's own destroy() makes its error and Node's streams format its stack at once.
      const plain = await busyAgent(hanging);
      expect(await stacksFormatted(() => plain.agent.destroy())).toBeGreaterThan(0);
      expect(await plain.inFlight).toMatchObject({ code: 'UND_ERR_DESTROYED' });
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
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
