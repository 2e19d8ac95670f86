import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeVersionOutcome } from '../../src/doctor/checks/local.js';
// Through the public SDK entry, as a vendor imports it.
import { builtinChecks, type DoctorCheck, type DoctorContext, runDoctor, SECTION } from '../../src/index.js';
import { closeDefaultDispatcher } from '../../src/transport/request.js';
import { json, startServer, type TestServer } from '../helpers/http-server.js';

const HEAD = '0005_add_retention_policy';
let server: TestServer;
let dir: string;
const env = () => ({ XDG_CONFIG_HOME: join(dir, 'config') });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'handshake-doctor-'));
  server = await startServer((req, res) => {
    const headers = { 'X-Server-Version': '1.4.2', 'X-Schema-Revision': HEAD };
    if (req.url === '/api/v1/config/version') return json(res, 200, { server_version: '1.4.2', schema_revision: HEAD }, headers);
    if (req.url === '/api/v1/license') return json(res, 200, { valid_until: '2099-01-01' }, headers);
    return json(res, 200, {}, headers);
  });
});
afterAll(async () => {
  await server.close();
  await closeDefaultDispatcher();
  rmSync(dir, { recursive: true, force: true });
});

describe('runDoctor: a vendor extends the built-in checks', () => {
  it('runs vendor checks beside the built-in ones, in their own section, sharing the version request', async () => {
    const license: DoctorCheck<DoctorContext> = {
      id: 'acme.license',
      title: 'License',
      section: 'Acme',
      async run(ctx) {
        const probe = await ctx.versionProbe();
        const res = await ctx.request('/api/v1/license');
        const body = JSON.parse(res.body.toString('utf8')) as { valid_until: string };
        return { status: 'pass', detail: `valid until ${body.valid_until} (server ${probe.observation.kind})` };
      },
    };
    const broken: DoctorCheck<DoctorContext> = {
      id: 'acme.broken',
      title: 'Broken',
      section: SECTION.server,
      run() {
        throw new Error('vendor bug');
      },
    };
    const before = server.requests.length;
    const report = await runDoctor({ cliVersion: '0.9.0', server: server.url, env: env(), checks: [...builtinChecks(), license, broken] });
    expect(report.sections.map((s) => s.title)).toEqual([SECTION.cli, SECTION.network, SECTION.server, 'Acme']);
    const all = report.sections.flatMap((s) => s.checks);
    expect(all.find((c) => c.id === 'acme.license')).toMatchObject({ status: 'pass', detail: 'valid until 2099-01-01 (server document)' });
    expect(all.find((c) => c.id === 'acme.broken')).toMatchObject({ status: 'fail' });
    expect(all.find((c) => c.id === 'acme.broken')?.detail).toContain('vendor bug');
    expect(report.ok).toBe(false);
    const versionRequests = server.requests.slice(before).filter((r) => r.url === '/api/v1/config/version');
    expect(versionRequests).toHaveLength(1);
  });

  it('with network off, runs no request at all and skips the server section', async () => {
    const before = server.requests.length;
    const report = await runDoctor({ cliVersion: '0.9.0', server: server.url, env: env(), network: false });
    expect(server.requests.length).toBe(before);
    const health = report.sections.find((s) => s.title === SECTION.server);
    expect(health?.checks.every((c) => c.status === 'skip')).toBe(true);
    expect(report.ok).toBe(true);
  });

  it('an invalid server URL fails Reachable with the parser’s remedy and skips the rest', async () => {
    const report = await runDoctor({ cliVersion: '0.9.0', server: 'ftp://example.com', env: env() });
    const health = report.sections.find((s) => s.title === SECTION.server)?.checks ?? [];
    expect(health[0]).toMatchObject({ id: 'server.reachable', status: 'fail' });
    expect(health[0]?.remedy).toBeTruthy();
    expect(health.slice(1).every((c) => c.status === 'skip')).toBe(true);
  });
});

describe('runDoctor redacts every secret it knows of', () => {
  it('including the tokens of configured servers other than the one checked', async () => {
    const cfg = join(dir, 'cfg-secrets');
    mkdirSync(join(cfg, 'handshake'), { recursive: true });
    writeFileSync(
      join(cfg, 'handshake', 'config.json'),
      JSON.stringify({
        servers: {
          a: { url: 'https://a.example.com', token: 'token-of-a-1234' },
          b: { url: 'https://b.example.com', token: 'token-of-b-5678' },
        },
      }),
      { mode: 0o600 },
    );
    const leaky: DoctorCheck<DoctorContext> = {
      id: 'vendor.leaky',
      title: 'Leaky',
      section: 'Vendor',
      run: () => ({ status: 'warn', detail: 'saw token-of-a-1234 and token-of-b-5678', remedy: 'token-of-b-5678' }),
    };
    const report = await runDoctor({ cliVersion: '0.9.0', server: 'a', network: false, env: { XDG_CONFIG_HOME: cfg }, checks: [leaky] });
    const text = JSON.stringify(report);
    expect(text).not.toContain('token-of-a-1234');
    expect(text).not.toContain('token-of-b-5678');
    expect(text).toContain('[redacted]');
  });
});

describe('Node version against engines.node', () => {
  it('passes inside the range and fails below it naming the minimum to install', () => {
    expect(nodeVersionOutcome('20.20.2', '>=20.19').status).toBe('pass');
    const low = nodeVersionOutcome('20.10.0', '>=20.19');
    expect(low.status).toBe('fail');
    expect(low.remedy).toContain('20.19');
  });
});
