import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, startServer as startReference } from '../../examples/reference-server/index.js';
import type { CheckStatus } from '../../src/doctor/framework.js';
import { REFUSED_ADMIN_BODY, runVerify, type VerifyReport } from '../../src/doctor/verify/index.js';
import { verifyDocument } from '../../src/render/verify.js';
import { resolveRun } from '../../src/session/resolve.js';
import { ROOT } from '../helpers/cli.js';
import type { RecordedRequest } from '../helpers/http-server.js';
import { closedPort } from '../helpers/http-server.js';
import { type Breakage, PROTO_ADMIN, PROTO_MIGRATE, PROTO_TOKEN, type ProtocolServer, protocolServer } from '../helpers/protocol-server.js';

/**
 * `server verify` (docs/protocol.md §1c) in process: a conforming server passes, each broken one fails the
 * check of the section it breaks, and no request it sends could start a migration or change data.
 */

const home = mkdtempSync(join(tmpdir(), 'verify-home-'));
/** Set in every run's environment: verify must never send it (it never reads it). */
const NEVER_SENT = 'admin-variable-never-sent-4b7e1a';
afterAll(() => rmSync(home, { recursive: true, force: true }));

function verify(url: string, opts: { token?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<VerifyReport> {
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    HANDSHAKE_ADMIN_TOKEN: NEVER_SENT,
    ...(opts.token ? { HANDSHAKE_TOKEN: opts.token } : {}),
    ...opts.env,
  };
  const resolution = resolveRun({ cliVersion: '0.9.0', server: url, env, timeoutMs: opts.timeoutMs ?? 5000, root: ROOT });
  return runVerify({ resolution });
}

function statusOf(report: VerifyReport): Record<string, CheckStatus> {
  return Object.fromEntries(verifyDocument(report).checks.map((c) => [c.id, c.status]));
}

function row(report: VerifyReport, id: string) {
  const c = verifyDocument(report).checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
}

/** Every request a verify run made is a read, or one of the two admin POSTs that can start nothing. */
function expectReadOnly(requests: RecordedRequest[], ordinaryToken: string | null): void {
  expect(requests.length).toBeGreaterThan(0);
  for (const r of requests) {
    const auth = r.headers.authorization ?? null;
    expect(auth ?? '').not.toContain(NEVER_SENT);
    expect(auth ?? '').not.toContain(PROTO_ADMIN);
    if (r.method === 'GET' || r.method === 'HEAD') {
      expect(r.body).toBe('');
      continue;
    }
    expect(r.method).toBe('POST');
    expect(new URL(r.url, 'http://x').pathname).toBe(PROTO_MIGRATE);
    expect(r.body).toBe(REFUSED_ADMIN_BODY);
    expect([null, `Bearer ${ordinaryToken}`]).toContain(auth);
  }
}

const servers: ProtocolServer[] = [];
async function serve(b: Breakage = {}): Promise<ProtocolServer> {
  const s = await protocolServer(b);
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('a server that follows docs/protocol.md', () => {
  it('passes every check, with a token (the authenticated route and the ordinary-token refusal too)', async () => {
    const s = await serve({ requireToken: true });
    const report = await verify(s.url, { token: PROTO_TOKEN });
    const statuses = statusOf(report);
    expect(report.ok, JSON.stringify(verifyDocument(report), null, 1)).toBe(true);
    expect(report.reachable).toBe(true);
    for (const [id, status] of Object.entries(statuses)) {
      expect([id, status]).toEqual([id, id === 'maintenance.503' ? 'skip' : 'pass']);
    }
    expect(row(report, 'admin.refusals').detail).toContain('with the ordinary token: 403');
    expect(row(report, 'admin.refusals').section).toBe('§1b');
    expect(row(report, 'headers.not_found').section).toBe('§1.4');
    expectReadOnly(s.requests, PROTO_TOKEN);
    expect(s.started()).toBe(false);
  });

  it('passes without a token: the authenticated route is skipped, a made-up token is sent to the 404 route and redacted', async () => {
    const s = await serve();
    const report = await verify(s.url);
    expect(report.ok).toBe(true);
    expect(statusOf(report)['headers.auth']).toBe('skip');
    expect(row(report, 'headers.auth').detail).toContain('HANDSHAKE_TOKEN');
    expect(row(report, 'admin.refusals').detail).toContain('the ordinary token was not tried');
    const madeUp = s.requests.find((r) => r.url.includes('no-such-route'))?.headers.authorization;
    expect(madeUp).toMatch(/^Bearer [0-9a-f]{32}$/);
    expect(JSON.stringify(verifyDocument(report))).not.toContain(String(madeUp).slice(7));
    expectReadOnly(s.requests, null);
  });

  it('while migrating: the 503 of maintenance mode passes, the CLI window is not tried', async () => {
    const s = await serve({ doc: { migration_status: 'running', migration_progress: { applied: 0, total: 1, current: null } } });
    const report = await verify(s.url);
    expect(statusOf(report)['maintenance.503']).toBe('pass');
    expect(statusOf(report)['cli_window.426']).toBe('skip');
    expect(report.ok).toBe(true);
  });

  it('a feature flag clients ignore is a warning, not a failure', async () => {
    const s = await serve({ doc: { capabilities: { migrate: PROTO_MIGRATE, retention: 'yes' } } });
    const report = await verify(s.url);
    expect(row(report, 'version.capabilities')).toMatchObject({ status: 'warn', detail: expect.stringContaining('retention: "yes"') });
    expect(report.ok).toBe(true);
  });

  it('honours the matrix: its version path, its header names and its endpoints', async () => {
    const { writeFileSync, readFileSync } = await import('node:fs');
    const base = JSON.parse(readFileSync(join(ROOT, 'compat.json'), 'utf8')) as Record<string, unknown>;
    const matrixFile = (name: string, patch: Record<string, unknown>) => {
      const file = join(home, name);
      writeFileSync(file, JSON.stringify({ ...base, ...patch }));
      return { HANDSHAKE_COMPAT_FILE: file };
    };
    const s = await serve({ versionPath: '/api/acme/version', requireToken: true });
    // The default path is not where this server answers: the remedy says how to name its path.
    const lost = await verify(s.url, { token: PROTO_TOKEN });
    expect(row(lost, 'version.endpoint')).toMatchObject({
      status: 'fail',
      remedy: expect.stringContaining("compat.json's version_endpoint"),
    });
    expect(lost.ok).toBe(false);

    const named = matrixFile('vendor.json', {
      version_endpoint: '/api/acme/version',
      endpoints: { auth_check: '/api/v1/auth-check', health: '/api/v1/health' },
    });
    const found = await verify(s.url, { token: PROTO_TOKEN, env: named });
    expect(found.ok, JSON.stringify(verifyDocument(found), null, 1)).toBe(true);
    expect(row(found, 'headers.version').detail).toContain('GET /api/acme/version');

    const renamed = matrixFile('renamed.json', { headers: { schema_revision: 'X-Acme-Revision', server_version: 'X-Acme-Server' } });
    const report = await verify(s.url, { token: PROTO_TOKEN, env: renamed });
    expect(row(lost, 'headers.version').status).toBe('skip');
    // The server sends X-Schema-Revision: under the matrix's names it sends nothing.
    expect(row(report, 'headers.not_found')).toMatchObject({ status: 'fail', detail: expect.stringContaining('X-Acme-Server') });
    expect(row(report, 'headers.not_found').detail).toContain('compat.json');

    const before = s.requests.length;
    await verify(s.url, {
      token: PROTO_TOKEN,
      env: matrixFile('auth.json', {
        version_endpoint: '/api/acme/version',
        endpoints: { auth_check: '/api/v1/me', health: '/api/v1/ping' },
      }),
    });
    const paths = s.requests.slice(before).map((r) => `${r.method} ${r.url} ${r.headers.authorization ? 'token' : '-'}`);
    expect(paths).toContain(`GET /api/v1/me token`);
    expect(paths.some((p) => p.startsWith('GET /api/v1/ping'))).toBe(true);
  });
});

describe('a broken server fails the check of the section it breaks', () => {
  const cases: Array<[string, Breakage, string, RegExp]> = [
    ['headers missing on errors', { noHeadersOnErrors: true }, 'headers.not_found', /without X-Server-Version or X-Schema-Revision/],
    ['headers missing on HEAD', { noHeadersOnHead: true }, 'headers.head', /HEAD \/api\/v1\/config\/version answered HTTP 200 without/],
    [
      'a header disagreeing with the document',
      { headerVersion: '1.4.1' },
      'headers.version',
      /X-Server-Version "1.4.1" but the document says 1.4.2/,
    ],
    ['a version that is not semver', { doc: { server_version: '1.4' } }, 'version.server_version', /"1.4" is not a semver version/],
    [
      'an enum value the protocol does not have',
      { doc: { migration_status: 'done' } },
      'version.document',
      /migration_status must be one of "idle", "running", "failed"/,
    ],
    ['a revision that is not an id', { doc: { schema_revision: ' 0004' } }, 'version.revisions', /schema_revision " 0004"/],
    [
      'capabilities.migrate that is not a path',
      { doc: { capabilities: { migrate: 'https://elsewhere.example/x' } } },
      'version.capabilities',
      /not a path/,
    ],
    ['HTML error bodies', { htmlErrors: true }, 'errors.json', /HTTP 404 as an HTML page/],
    ['an echoed token', { echoAuthorization: true }, 'errors.no_echo', /repeats the token/],
    ['a 426 without the required-version header', { no426Header: true }, 'cli_window.426', /426 without X-Required-CLI-Version/],
    [
      'a 426 requiring the version it refused',
      { required: '0.0.0' },
      'cli_window.426',
      /requiring 0.0.0, which the request's CLI already is/,
    ],
    [
      'maintenance without 503',
      { doc: { migration_status: 'running' }, maintenance: 'none' },
      'maintenance.503',
      /answered HTTP 200 while migration_status is running, not 503/,
    ],
    [
      'maintenance without Retry-After',
      { doc: { migration_status: 'running' }, maintenance: 'no-retry-after' },
      'maintenance.503',
      /no valid Retry-After/,
    ],
    [
      'an admin endpoint that accepts no token',
      { admin: 'accepts-anonymous' },
      'admin.refusals',
      /without a token answered HTTP 202, not 401/,
    ],
    [
      'an admin endpoint that accepts the ordinary token',
      { admin: 'accepts-ordinary' },
      'admin.refusals',
      /with the ordinary token answered HTTP 202, not 403/,
    ],
  ];

  it.each(cases)('%s → %s fails', async (_name, breakage, id, detail) => {
    const s = await serve(breakage);
    const report = await verify(s.url, { token: PROTO_TOKEN });
    const c = row(report, id);
    expect(c.status, JSON.stringify(c)).toBe('fail');
    expect(c.detail).toMatch(detail);
    expect(c.remedy).toBeTruthy();
    expect(report.ok).toBe(false);
    expect(report.reachable).toBe(true);
    // Even against a broken server, verify only reads (and sends the admin endpoint what can start nothing).
    expectReadOnly(s.requests, PROTO_TOKEN);
  });

  it('a declared CLI window without 426 is a warning, not a failure: the client enforces the window from the document', async () => {
    const s = await serve({ no426: true });
    const report = await verify(s.url, { token: PROTO_TOKEN });
    const c = row(report, 'cli_window.426');
    expect(c.status, JSON.stringify(c)).toBe('warn');
    expect(c.detail).toMatch(/answered HTTP 200, not 426, though min_cli_version is 0.9.0/);
    expect(c.remedy).toMatch(/Answer 426 with X-Required-CLI-Version: 0.9.0/);
    expect(report.ok).toBe(true);
    expectReadOnly(s.requests, PROTO_TOKEN);
  });

  it('a started run is noticed: the document says running after the refused requests', async () => {
    const s = await serve({ admin: 'accepts-anonymous' });
    const report = await verify(s.url);
    expect(row(report, 'admin.refusals').detail).toContain('a run started');
  });

  it('nothing answering is unreachable: every other check skipped', async () => {
    const report = await verify(`http://127.0.0.1:${await closedPort()}`, { timeoutMs: 2000 });
    expect(report.reachable).toBe(false);
    expect(report.ok).toBe(false);
    const doc = verifyDocument(report);
    expect(doc.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['version.endpoint']);
    expect(doc.checks.filter((c) => c.id !== 'version.endpoint').every((c) => c.status === 'skip')).toBe(true);
  });
});

describe('the reference server (examples/reference-server)', () => {
  const root = mkdtempSync(join(tmpdir(), 'verify-ref-'));
  const template = join(root, 'template');
  beforeAll(async () => {
    expect(await migrate({ dataDir: template, to: '0003_add_insight_meta_cache' })).toMatchObject({ status: 'migrated' });
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('passes, with its token, its CLI window and its admin endpoint on', async () => {
    const dataDir = join(root, 'data');
    cpSync(template, dataDir, { recursive: true });
    const ordinary = 'rt-5a9c1e3b7d2f';
    const server = await startReference({
      dataDir,
      version: '1.4.2',
      minCliVersion: '0.9.0',
      deployment: 'docker-compose',
      token: ordinary,
      adminToken: 'ref-admin-token-0123456789abcdef',
    });
    try {
      const report = await verify(server.url, { token: ordinary });
      const doc = verifyDocument(report);
      expect(report.ok, JSON.stringify(doc, null, 1)).toBe(true);
      expect(doc.checks.filter((c) => c.status === 'fail')).toEqual([]);
      expect(statusOf(report)['admin.refusals']).toBe('pass');
      expect(statusOf(report)['cli_window.426']).toBe('pass');
      expect(statusOf(report)['headers.auth']).toBe('pass');
      // Nothing started: the database is where it was.
      const after = (await (await fetch(`${server.url}/api/v1/config/version`)).json()) as Record<string, unknown>;
      expect(after.schema_revision).toBe('0003_add_insight_meta_cache');
      expect(after.migration_status).not.toBe('running');
    } finally {
      await server.close();
    }
  });

  it('passes while its admin endpoint applies migrations: maintenance mode answers 503 with Retry-After', async () => {
    const dataDir = join(root, 'data-running');
    cpSync(template, dataDir, { recursive: true });
    const admin = 'ref-admin-token-fedcba9876543210';
    const server = await startReference({ dataDir, version: '1.4.2', adminToken: admin, migrationDelayMs: 4000 });
    try {
      const res = await fetch(`${server.url}/api/v1/admin/migrations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ target_revision: '0005_add_retention_policy' }),
      });
      expect(res.status).toBe(202);
      const report = await verify(server.url);
      expect(statusOf(report)['maintenance.503']).toBe('pass');
      expect(report.ok, JSON.stringify(verifyDocument(report), null, 1)).toBe(true);
    } finally {
      await server.close();
    }
  });
});

const hasPython = spawnSync('python3', ['--version']).status === 0;

describe.skipIf(!hasPython)('a Python server written from docs/protocol.md alone (examples/python-server)', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGTERM');
  });
  async function python(env: Record<string, string>, args: string[] = []): Promise<string> {
    const child = spawn('python3', [join(ROOT, 'examples/python-server/server.py'), '--port', '0', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(child);
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`python server exited ${code}`)));
    });
    return (JSON.parse(line) as { url: string }).url;
  }

  it('passes, with its token and its admin endpoint', async () => {
    const url = await python({ PYSERVER_TOKEN: 'pt-8e2a6c4f0b9d', PYSERVER_ADMIN_TOKEN: 'py-admin-token-8d2f6a' });
    const report = await verify(url, { token: 'pt-8e2a6c4f0b9d' });
    const doc = verifyDocument(report);
    expect(report.ok, JSON.stringify(doc, null, 1)).toBe(true);
    for (const c of doc.checks) expect([c.id, c.status]).toEqual([c.id, c.id === 'maintenance.503' ? 'skip' : 'pass']);
  });

  it('passes while it migrates: maintenance mode answers 503 with Retry-After', async () => {
    const admin = 'py-admin-token-8d2f6a';
    const url = await python({ PYSERVER_ADMIN_TOKEN: admin }, ['--migration-delay', '30']);
    const res = await fetch(`${url}/api/v1/admin/migrations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target_revision: '0005_add_retention_policy' }),
    });
    expect(res.status).toBe(202);
    const report = await verify(url);
    expect(statusOf(report)['maintenance.503']).toBe('pass');
    expect(report.ok, JSON.stringify(verifyDocument(report), null, 1)).toBe(true);
  });
});
