import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type AdminServer, API_TOKEN, adminServer, HEAD, MIGRATE_PATH } from '../helpers/admin-server.js';
import { parseJson, sandbox } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http-server.js';
import { runInProcess } from '../helpers/in-process.js';

// Issue 18, the CLI half: the server applies its own pending migrations on an admin's request (docs/protocol.md §1b; docs/commands.md, "Upgrading the server").
const box = sandbox();
afterAll(() => box.cleanup());
const open: Array<TestServer | AdminServer> = [];
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
});
async function server(opts: Parameters<typeof adminServer>[0] = {}): Promise<AdminServer> {
  const s = await adminServer(opts);
  open.push(s);
  return s;
}

interface Doc {
  outcome: string;
  message: string;
  remedy: string | null;
  commands: string[];
  plan: {
    server_migration: { endpoint: string; target_revision: string; migrations: string[] } | null;
    hops: Array<{ by: string; upgrade: string[]; backup: string[] }>;
    rejected: Array<{ field: string; value: string }>;
    notes: string[];
  } | null;
  after: { server: { schema_revision: string | null } } | null;
}

// Run in process (test/helpers/in-process.ts): what the upgrade asks, sends and says. The spawned CLI runs server
// upgrade in server-upgrade, server-upgrade-poll, server-upgrade-tty and hostile.
const run = (url: string, args: string[], env: Record<string, string> = { HANDSHAKE_ADMIN_TOKEN: ADMIN_TOKEN }) =>
  runInProcess(['server', 'upgrade', '--server', url, '--interval', '0.2', '--wait', '20', ...args], { env: { ...box.env, ...env } });

const authOf = (s: TestServer) => s.requests.map((r) => ({ method: r.method, url: r.url, auth: r.headers.authorization ?? null }));

describe('server upgrade: the server migrates itself', () => {
  it('the plan says the server backs up and applies N migrations; one POST with the admin token; polled to the head; exit 0', async () => {
    const s = await server();
    const r = await run(s.url, ['--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson<Doc>(r);
    expect(doc.outcome).toBe('upgraded');
    expect(doc.plan?.server_migration).toEqual({ endpoint: MIGRATE_PATH, target_revision: HEAD, migrations: [HEAD] });
    expect(doc.plan?.hops.map((h) => [h.by, h.upgrade.length])).toEqual([['server', 0]]);
    expect(doc.after?.server.schema_revision).toBe(HEAD);
    const posts = s.requests.filter((q) => q.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.url).toBe(MIGRATE_PATH);
    expect(posts[0]?.headers.authorization).toBe(`Bearer ${ADMIN_TOKEN}`);
    expect(JSON.parse(posts[0]?.body ?? '')).toEqual({ target_revision: HEAD });
  });

  it('the admin token goes to that one path only, and is never printed (with an API token set too)', async () => {
    const s = await server();
    const r = await run(s.url, ['--yes'], { HANDSHAKE_ADMIN_TOKEN: ADMIN_TOKEN, HANDSHAKE_TOKEN: API_TOKEN });
    expect(r.code, r.stderr).toBe(0);
    for (const q of authOf(s)) {
      if (q.method === 'POST') expect(q).toEqual({ method: 'POST', url: MIGRATE_PATH, auth: `Bearer ${ADMIN_TOKEN}` });
      else expect(q.auth).not.toContain(ADMIN_TOKEN);
    }
    expect(r.stdout + r.stderr).not.toContain(ADMIN_TOKEN);
    expect(r.stdout).toMatch(/backs up/);
  });

  it.each([
    [401, 'refused'],
    [403, 'refused'],
    [409, 'refused'],
    [422, 'refused'],
  ])('HTTP %i from the endpoint: one POST, no retry, a message naming it and a remedy; exit 3', async (status, outcome) => {
    const s = await server({ force: status });
    const r = await run(s.url, ['--yes', '--json']);
    expect(r.code, r.stderr).toBe(3);
    const doc = parseJson<Doc>(r);
    expect(doc.outcome).toBe(outcome);
    expect(doc.message).toContain(String(status));
    expect(doc.remedy).toBeTruthy();
    expect(s.posts()).toBe(1);
    // Nothing was polled after a refusal: the first look and the POST.
    expect(s.requests).toHaveLength(2);
  });

  it('an ordinary token where the admin token should be is 403; 401 and 403 each say what to set', async () => {
    const wrong = await server();
    const r403 = await run(wrong.url, ['--yes', '--json'], { HANDSHAKE_ADMIN_TOKEN: API_TOKEN });
    const noAuth = await server({ force: 401 });
    const r401 = await run(noAuth.url, ['--yes', '--json']);
    const d403 = parseJson<Doc>(r403);
    const d401 = parseJson<Doc>(r401);
    expect(d403.message).toContain('403');
    expect(d403.remedy).toContain('HANDSHAKE_ADMIN_TOKEN');
    expect(d401.remedy).toContain('HANDSHAKE_ADMIN_TOKEN');
    expect(d403.message).not.toEqual(d401.message);
    expect([r401.code, r403.code]).toEqual([3, 3]);
    expect(wrong.posts()).toBe(1);
  });

  it('a failed run: exit 3, migration_failed, with the restore commands', async () => {
    const s = await server({ fail: true });
    const r = await run(s.url, ['--yes', '--json']);
    expect(r.code, r.stderr).toBe(3);
    const doc = parseJson<Doc>(r);
    expect(doc.outcome).toBe('migration_failed');
    expect(doc.commands.join('\n')).toMatch(/pg_restore/);
    expect(s.posts()).toBe(1);
  });

  it('--print-only keeps the printed commands: no POST', async () => {
    const s = await server();
    const r = await run(s.url, ['--print-only', '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson<Doc>(r);
    expect(doc.plan?.server_migration).toBeNull();
    expect(doc.plan?.hops[0]?.upgrade.length).toBeGreaterThan(0);
    expect(s.posts()).toBe(0);
  });

  it('without the admin token: the commands, a note naming the variable, no POST', async () => {
    const s = await server();
    const r = await run(s.url, ['--dry-run', '--json'], {});
    const doc = parseJson<Doc>(r);
    expect(doc.plan?.server_migration).toBeNull();
    expect(doc.plan?.notes.join('\n')).toContain('HANDSHAKE_ADMIN_TOKEN');
    expect(s.posts()).toBe(0);
  });
});

describe('server upgrade: a malformed admin token is a usage error', () => {
  it('a line break in HANDSHAKE_ADMIN_TOKEN: exit 2 naming the variable, never its value, nothing requested', async () => {
    const s = await server();
    const r = await run(s.url, ['--yes', '--json'], { HANDSHAKE_ADMIN_TOKEN: `${ADMIN_TOKEN}\n` });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toContain('HANDSHAKE_ADMIN_TOKEN');
    expect(r.stdout + r.stderr).not.toContain(ADMIN_TOKEN);
    expect(s.posts()).toBe(0);
  });
});

describe('server upgrade: the admin token never leaves the server', () => {
  it.each([
    ['a URL of another origin', (other: string) => `${other}/steal`],
    ['a protocol-relative URL', (other: string) => `//${other.replace('http://', '')}/steal`],
    ['a relative path', () => 'admin/migrations'],
  ])('capabilities.migrate as %s is refused: nothing is sent anywhere, the commands are printed', async (_what, value) => {
    const other = await startServer((_req, res) => {
      res.end();
    });
    open.push(other);
    const s = await server({ migrate: value(other.url) });
    const r = await run(s.url, ['--dry-run', '--json']);
    const doc = parseJson<Doc>(r);
    expect(doc.plan?.server_migration).toBeNull();
    expect(doc.plan?.rejected.map((x) => x.field)).toContain('capabilities.migrate');
    expect(other.requests).toHaveLength(0);
    expect(s.posts()).toBe(0);
  });

  it('a redirect from the endpoint is not followed: the other origin gets nothing; exit 3', async () => {
    const other = await startServer((_req, res) => {
      res.end();
    });
    open.push(other);
    const s = await server({ force: 307, forceHeaders: { location: `${other.url}${MIGRATE_PATH}` } });
    const r = await run(s.url, ['--yes', '--json']);
    expect(r.code, r.stderr).toBe(3);
    expect(parseJson<Doc>(r).outcome).toBe('refused');
    expect(other.requests).toHaveLength(0);
    expect(s.posts()).toBe(1);
  });
});
