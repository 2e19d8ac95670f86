import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, sandbox } from '../helpers/cli.js';
import { rawControls, SENTINEL_TOKEN } from '../helpers/hostile.js';
import { json, startServer, type TestServer } from '../helpers/http-server.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { type HttpsTestServer, makeCerts, startHttpsServer } from '../helpers/tls.js';

/**
 * HTTP_PROXY, HTTPS_PROXY and NO_PROXY, in either case, through undici's
 * EnvHttpProxyAgent, against a real CONNECT proxy on loopback that counts what
 * went through it. Proxy credentials go to the proxy only and are never printed.
 */

const HEAD = '0005_add_retention_policy';
const VERSION_PATH = '/api/v1/config/version';
const PROXY_PASSWORD = 'proxy-pw-e81b77';
const certs = makeCerts();
const box = sandbox();

let origin: TestServer;
let tlsOrigin: HttpsTestServer;
let selfSigned: HttpsTestServer;
let proxy: TestProxy;
let authProxy: TestProxy;

const answer = (url: string | undefined) =>
  url === VERSION_PATH ? { server_version: '1.4.2', schema_revision: HEAD } : { ok: true, path: url ?? '' };

beforeAll(async () => {
  origin = await startServer((req, res) => json(res, 200, answer(req.url)));
  tlsOrigin = await startHttpsServer(certs.good, (req, res) => json(res, 200, answer(req.url)));
  selfSigned = await startHttpsServer(certs.selfSigned, (req, res) => json(res, 200, answer(req.url)));
  proxy = await startProxy();
  authProxy = await startProxy({ requireAuth: `carol:${PROXY_PASSWORD}` });
});
afterAll(async () => {
  await Promise.all([origin, tlsOrigin, selfSigned, proxy, authProxy].map((s) => s.close()));
  certs.cleanup();
  box.cleanup();
});

/** How many times the proxy carried traffic to `target` (a `host:port`). */
function through(p: TestProxy, target: string): number {
  return p.tunnels.filter((t) => t === target).length + p.forwarded.filter((u) => u.includes(target)).length;
}

function hostPort(url: string): string {
  return new URL(url).host;
}

async function check(server: string, env: Record<string, string | undefined>) {
  const r = await runCli(['compat', 'check', '--json', '--server', server], {
    env: { ...box.env, HANDSHAKE_TOKEN: SENTINEL_TOKEN, ...env },
  });
  return { r, report: parseJson<{ status: string; message: string; remedy: string | null }>(r) };
}

function expectNoSecrets(r: { stdout: string; stderr: string }) {
  for (const text of [r.stdout, r.stderr]) {
    expect(text).not.toContain(PROXY_PASSWORD);
    expect(text).not.toContain(Buffer.from(`carol:${PROXY_PASSWORD}`).toString('base64'));
    expect(text).not.toContain(SENTINEL_TOKEN);
    expect(rawControls(text)).toEqual([]);
  }
}

describe('proxy variables, either case', () => {
  for (const name of ['HTTP_PROXY', 'http_proxy']) {
    it(`${name} carries http:// requests through the proxy`, async () => {
      const before = through(proxy, hostPort(origin.url));
      const { r, report } = await check(origin.url, { [name]: proxy.url });
      expect(r.code).toBe(0);
      expect(report.status).toBe('compatible');
      expect(through(proxy, hostPort(origin.url))).toBeGreaterThan(before);
    });
  }

  for (const name of ['HTTPS_PROXY', 'https_proxy']) {
    it(`${name} tunnels https:// requests, and the server certificate is still verified end to end`, async () => {
      const before = through(proxy, hostPort(tlsOrigin.url));
      const { r, report } = await check(tlsOrigin.url, { [name]: proxy.url, NODE_EXTRA_CA_CERTS: certs.caFile });
      expect(r.code).toBe(0);
      expect(report.status).toBe('compatible');
      expect(through(proxy, hostPort(tlsOrigin.url))).toBeGreaterThan(before);
    });
  }

  it('through a proxy, a self-signed server certificate is still a TLS failure (exit 4)', async () => {
    const before = through(proxy, hostPort(selfSigned.url));
    const { r, report } = await check(selfSigned.url, { HTTPS_PROXY: proxy.url });
    expect(r.code).toBe(4);
    expect(report.status).toBe('unreachable');
    expect(report.message).toMatch(/TLS/);
    // It did go through the proxy: the tunnel was opened, the certificate refused inside it.
    expect(through(proxy, hostPort(selfSigned.url))).toBeGreaterThan(before);
    expect(selfSigned.requests).toBe(0);
  });

  for (const name of ['NO_PROXY', 'no_proxy']) {
    it(`${name} naming the host bypasses the proxy`, async () => {
      const before = through(proxy, hostPort(origin.url));
      const { r, report } = await check(origin.url, { HTTP_PROXY: proxy.url, [name]: '127.0.0.1' });
      expect(r.code).toBe(0);
      expect(report.status).toBe('compatible');
      expect(through(proxy, hostPort(origin.url))).toBe(before);
    });
  }

  it('api: the call and the passive check both go through the proxy', async () => {
    const before = through(proxy, hostPort(origin.url));
    const local = sandbox();
    const r = await runCli(['api', '/api/v1/projects', '--server', origin.url], { env: { ...local.env, HTTP_PROXY: proxy.url } });
    local.cleanup();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, path: '/api/v1/projects' });
    expect(through(proxy, hostPort(origin.url)) - before).toBeGreaterThanOrEqual(1);
  });
});

describe('proxy credentials', () => {
  it('go to the proxy as Proxy-Authorization, never to the server, and are never printed', async () => {
    const seen = origin.requests.length;
    const proxyUrl = authProxy.url.replace('http://', `http://carol:${PROXY_PASSWORD}@`);
    const { r, report } = await check(origin.url, { HTTP_PROXY: proxyUrl });
    expect(r.code).toBe(0);
    expect(report.status).toBe('compatible');
    expect(authProxy.authorizations).toContain(`Basic ${Buffer.from(`carol:${PROXY_PASSWORD}`).toString('base64')}`);
    for (const req of origin.requests.slice(seen)) expect(req.headers['proxy-authorization']).toBeUndefined();
    expectNoSecrets(r);
  });

  for (const json of [true, false]) {
    it(`a proxy refusing the credentials (407): exit 4 naming the proxy, the password nowhere${json ? ' (--json)' : ''}`, async () => {
      const proxyUrl = authProxy.url.replace('http://', `http://carol:wrong-${PROXY_PASSWORD}@`);
      const r = await runCli(['compat', 'check', '--server', origin.url, ...(json ? ['--json'] : [])], {
        env: { ...box.env, HTTP_PROXY: proxyUrl },
      });
      expect(r.code).toBe(4);
      expect(r.stdout + r.stderr).toMatch(/proxy/i);
      expect(r.stdout + r.stderr).not.toContain(`wrong-${PROXY_PASSWORD}`);
      expectNoSecrets(r);
    });
  }

  it('a proxy that is down: exit 4 in bounded time, blaming the proxy rather than the server', async () => {
    const gone = await startProxy();
    await gone.close();
    const { r, report } = await check(origin.url, { HTTP_PROXY: gone.url.replace('http://', `http://carol:${PROXY_PASSWORD}@`) });
    expect(r.code).toBe(4);
    expect(report.status).toBe('unreachable');
    expect(report.message).toMatch(/proxy/);
    expect(report.remedy).toMatch(/HTTP_PROXY/);
    expect(r.ms).toBeLessThan(15_000);
    expectNoSecrets(r);
  });
});
