import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvHttpProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noProxyMatch, routeFor } from '../../src/doctor/proxy.js';

/**
 * doctor says which proxy a request takes (src/doctor/proxy.ts) with its own copy of undici's NO_PROXY rule:
 * undici keeps the rule private (EnvHttpProxyAgent's #shouldProxy, a yes or no), and doctor must name the
 * entry that covers the host. The tool is the oracle: undici's own agent sends each request, to a loopback
 * "proxy" or straight to the server, and doctor's answer must be where it went.
 */

const servers: Server[] = [];
let directPort = 0;
let proxyUrl = '';

function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

beforeAll(async () => {
  directPort = await listen(createServer((_req, res) => res.end('direct')));
  // Answers every request itself: absolute-form, or inside a CONNECT tunnel (undici's default for http too).
  const proxy = createServer((_req, res) => res.end('proxy'));
  proxy.on('connect', (_req, socket) => {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nproxy'));
  });
  proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** Where undici sends a request to `url` with this NO_PROXY: every name resolves to loopback, so no DNS. */
async function undiciRoute(url: string, noProxy: string): Promise<'direct' | 'proxy'> {
  const lookup = (_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) =>
    options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
  const agent = new EnvHttpProxyAgent({ httpProxy: proxyUrl, httpsProxy: proxyUrl, noProxy, connect: { lookup } as never });
  try {
    const res = await request(url, { dispatcher: agent });
    return (await res.body.text()) as 'direct' | 'proxy';
  } finally {
    await agent.close();
  }
}

describe("doctor's NO_PROXY rule is undici's", () => {
  it('for hosts, subdomains, ports, case, wildcards and lists', async () => {
    const hosts = ['example.com', 'ops.example.com', 'a.b.example.com', 'notexample.com', 'internal', 'localhost', 'Example.COM'];
    const lists = [
      '',
      '*',
      ' * ',
      'example.com',
      '.example.com',
      '*.example.com',
      'EXAMPLE.com',
      `example.com:${directPort}`,
      'example.com:1',
      'internal, localhost',
      'ample.com',
      'a.b.example.com',
      ' example.com ,x',
      '*example.com',
    ];
    const disagreements: string[] = [];
    const seen = new Set<string>();
    for (const host of hosts) {
      for (const noProxy of lists) {
        const url = `http://${host}:${directPort}/`;
        const ours = noProxyMatch(new URL(url), noProxy) === null ? 'proxy' : 'direct';
        const route = routeFor(new URL(url), { set: [], http: proxyUrl, https: proxyUrl, noProxy });
        expect(route.via).toBe(ours);
        const theirs = await undiciRoute(url, noProxy);
        seen.add(theirs);
        if (ours !== theirs) disagreements.push(`${url} NO_PROXY=${JSON.stringify(noProxy)}: doctor says ${ours}, undici went ${theirs}`);
      }
    }
    expect(disagreements).toEqual([]);
    expect([...seen].sort()).toEqual(['direct', 'proxy']);
  }, 60_000);
});
