import { afterAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, sandbox } from '../helpers/cli.js';
import { closeAfterAll, closedPort, type TestServer, versionServer } from '../helpers/http-server.js';
import { runInProcess } from '../helpers/in-process.js';

// What server status says and decides runs in process (test/helpers/in-process.ts); the first test spawns the built CLI.

const box = sandbox();
afterAll(() => box.cleanup());
const track = closeAfterAll();
const serve = (doc: Record<string, unknown>): Promise<TestServer> => track(versionServer(doc));

interface StatusDoc {
  status: string;
  severity: string;
  message: string;
  remedy: string | null;
  cli: { version: string };
  server: { url: string; version: string | null; schema_revision: string | null; min_cli_version: string | null };
  pending_migrations: Array<{ revision: string; description: string | null }>;
  deployment: string | null;
  migration_status: string | null;
}

describe('server status', () => {
  it('--json: the compat check fields plus pending migrations, deployment and migration status', async () => {
    const s = await serve({
      server_version: '1.3.0',
      schema_revision: '0003_add_insight_meta_cache',
      pending_migrations: [{ revision: '0004_split_events_table', description: 'split events' }, '0005_add_retention_policy'],
      deployment: 'helm',
      migration_status: 'idle',
    });
    const r = await runCli(['server', 'status', '--server', s.url, '--json'], { env: box.env });
    expect(r.code).toBe(3);
    const doc = parseJson<StatusDoc>(r);
    expect(doc.status).toBe('schema_behind');
    expect(doc.remedy).toBe(`handshake server upgrade --server ${s.url}`);
    expect(doc.server).toEqual({ url: s.url, version: '1.3.0', schema_revision: '0003_add_insight_meta_cache', min_cli_version: null });
    expect(doc.pending_migrations).toEqual([
      { revision: '0004_split_events_table', description: 'split events' },
      { revision: '0005_add_retention_policy', description: null },
    ]);
    expect(doc.deployment).toBe('helm');
    expect(doc.migration_status).toBe('idle');
    expect(r.stderr).toBe('');
  });

  it('human output: every field, the pending migrations with descriptions, the place in the chain', async () => {
    const s = await serve({
      server_version: '1.3.0',
      schema_revision: '0002_add_event_tags',
      pending_migrations: [{ revision: '0003_add_insight_meta_cache', description: 'insight cache' }],
      deployment: 'docker-compose',
      migration_status: 'running',
    });
    const r = await runInProcess(['server', 'status', '--server', s.url], { env: box.env });
    // A runner in the middle of its migrations: migration_running, the server cannot be judged now (exit 4).
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('migration_running');
    for (const text of [
      s.url,
      '1.3.0',
      '0002_add_event_tags',
      '0003_add_insight_meta_cache',
      'insight cache',
      'docker-compose',
      'running',
    ]) {
      expect(r.stdout).toContain(text);
    }
    // 0002 is two revisions before the minimum 0004.
    expect(r.stdout).toMatch(/0002_add_event_tags \(2 revisions behind/);
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('9,999 pending migrations: the first and last five and how many lie between, not 10,000 lines; --json has them all', async () => {
    const pending = Array.from({ length: 9999 }, (_, i) => `${String(i + 6).padStart(5, '0')}_step_${i}`);
    const s = await serve({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy', pending_migrations: pending });
    const r = await runInProcess(['server', 'status', '--server', s.url], { env: box.env });
    const lines = r.stdout.split('\n');
    expect(lines.length).toBeLessThan(40);
    expect(r.stdout).toContain('Pending migrations  9999');
    expect(r.stdout).toContain('    … and 9989 more (--json lists them all)');
    for (const shown of [pending[0], pending[4], pending[9994], pending[9998]]) expect(r.stdout).toContain(`- ${shown}`);
    expect(r.stdout).not.toContain(`- ${pending[5]}`);
    const json = await runInProcess(['server', 'status', '--server', s.url, '--json'], { env: box.env });
    expect(parseJson<StatusDoc>(json).pending_migrations).toHaveLength(9999);
  }, 90_000);

  it('compatible → exit 0', async () => {
    const s = await serve({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy' });
    const r = await runInProcess(['server', 'status', '--server', s.url, '--json'], { env: box.env });
    expect(r.code).toBe(0);
    expect(parseJson<StatusDoc>(r)).toMatchObject({ status: 'compatible', pending_migrations: [], deployment: null });
  });

  it('a warning (dev build) → exit 0, as compat check', async () => {
    const s = await serve({ server_version: 'dev' });
    const r = await runInProcess(['server', 'status', '--server', s.url, '--json'], { env: box.env });
    expect(r.code).toBe(0);
    expect(parseJson<StatusDoc>(r).status).toBe('dev_server');
  });

  it('unreachable → exit 4', async () => {
    const port = await closedPort();
    const r = await runInProcess(['server', 'status', '--server', `http://127.0.0.1:${port}`, '--json'], { env: box.env });
    expect(r.code).toBe(4);
    expect(parseJson<StatusDoc>(r).status).toBe('unreachable');
  });

  it('server-supplied text cannot drive the terminal', async () => {
    const s = await serve({
      server_version: '1.4.2',
      schema_revision: '0004_split_events_table',
      pending_migrations: [{ revision: '0005_add_retention_policy', description: 'evil \u001b[2J\u001b]0;pwned\u0007 text' }],
    });
    const r = await runInProcess(['server', 'status', '--server', s.url], { env: box.env });
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).not.toContain('\u0007');
    expect(r.stdout).toContain('evil');
  });
});
