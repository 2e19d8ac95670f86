import { afterAll, describe, expect, it } from 'vitest';
import { parseJson, sandbox } from '../helpers/cli.js';
import { closeAfterAll, json, startServer } from '../helpers/http-server.js';
import { runInProcess } from '../helpers/in-process.js';

/**
 * The statuses of the truth round (docs/verdicts.md), each reached by the built CLI against a loopback server,
 * and the same status from compat check, server status, doctor and the passive check on an ordinary call.
 * The bundled chain: 0001 (1.0.0) … 0004 (1.3.0), 0005 (1.4.0); the window >=1.3.0 <1.5.0-0.
 */

const box = sandbox();
afterAll(() => box.cleanup());
const serve = closeAfterAll();
const VERSION_PATH = '/api/v1/config/version';

interface Scenario {
  name: string;
  doc: Record<string, unknown>;
  status: string;
  exit: number;
  /** Ordinary routes answer maintenance-mode 503s. */
  maintenance?: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    name: "release 1.4.2 whose migrations never ran (its database at 1.3.0's head), no pending list",
    doc: { server_version: '1.4.2', schema_revision: '0004_split_events_table' },
    status: 'schema_behind',
    exit: 3,
  },
  {
    name: 'release 1.3.0 on a database 1.4.0 migrated (rolled back without a downgrade)',
    doc: { server_version: '1.3.0', schema_revision: '0005_add_retention_policy' },
    status: 'schema_ahead',
    exit: 3,
  },
  {
    name: 'a runner in the middle of its migrations',
    doc: {
      server_version: '1.4.2',
      schema_revision: '0004_split_events_table',
      migration_status: 'running',
      migration_progress: { applied: 0, total: 1, current: '0005_add_retention_policy' },
    },
    status: 'migration_running',
    exit: 4,
    maintenance: true,
  },
  {
    name: 'a failed migration run',
    doc: { server_version: '1.4.2', schema_revision: '0004_split_events_table', migration_status: 'failed', deployment: 'docker-compose' },
    status: 'migration_failed',
    exit: 3,
  },
  {
    name: 'a covered release on a revision not in the chain (a hand-made hotfix)',
    doc: { server_version: '1.4.2', schema_revision: '0005_hotfix_by_hand' },
    status: 'schema_unknown',
    exit: 0,
  },
  {
    name: 'GitLab-style flavoured version cannot be expressed without version_flavors: a prerelease below the window',
    doc: { server_version: '1.3.0-ee', schema_revision: '0004_split_events_table' },
    status: 'server_outdated',
    exit: 3,
  },
];

function scenarioServer(s: Scenario) {
  return serve(
    startServer((req, res) => {
      if (req.url === VERSION_PATH) return json(res, 200, s.doc);
      if (s.maintenance) {
        return json(res, 503, { error: 'migrating', migration_progress: s.doc.migration_progress }, { 'Retry-After': '5' });
      }
      return json(
        res,
        200,
        { projects: [] },
        { 'X-Server-Version': String(s.doc.server_version), 'X-Schema-Revision': String(s.doc.schema_revision) },
      );
    }),
  );
}

// What every command says of one server: run in process (test/helpers/in-process.ts); the built CLI is spawned for
// the same commands in compat-check, server-status, doctor and api.
describe('every status of the truth round, the same from every command', () => {
  it.each(SCENARIOS)('$name → $status (exit $exit)', async (s) => {
    const server = await scenarioServer(s);
    const env = { ...box.env };
    const check = await runInProcess(['compat', 'check', '--json', '--server', server.url], { env });
    expect(check.code, check.stderr).toBe(s.exit);
    const report = parseJson<{ status: string; remedy: string | null }>(check);
    expect(report.status).toBe(s.status);

    const status = await runInProcess(['server', 'status', '--json', '--server', server.url], { env });
    expect(status.code).toBe(s.exit);
    expect(parseJson<{ status: string }>(status).status).toBe(s.status);

    const doctor = await runInProcess(['doctor', '--json', '--server', server.url], { env });
    const doc = parseJson<{ summary: { verdict: string }; sections: Array<{ checks: Array<{ id: string; detail: string }> }> }>(doctor);
    expect(doc.summary.verdict).toBe(s.status);
    const verdict = doc.sections.flatMap((x) => x.checks).find((c) => c.id === 'server.verdict');
    expect(verdict?.detail.startsWith(`${s.status}:`)).toBe(true);

    if (s.maintenance) {
      // A maintenance-mode 503 on an ordinary call: the server is migrating, said as such (never "unreachable").
      const api = await runInProcess(['api', '/api/v1/projects', '--server', server.url], { env });
      expect(api.code).toBe(4);
      expect(api.stderr).toMatch(/applying its migrations/);
    } else {
      // The passive check on an ordinary call agrees: the verdict's exit code, a warning only when not compatible.
      const api = await runInProcess(['api', '/api/v1/projects', '--server', server.url], {
        env: { ...box.env, HANDSHAKE_CACHE_DIR: `${box.dir}/c-${Math.random()}` },
      });
      expect(api.code, api.stderr).toBe(s.exit);
    }
  });

  it('a maintenance-mode 503 on the version endpoint itself is migration_running, never unreachable', async () => {
    const server = await serve(
      startServer((_req, res) =>
        json(res, 503, { error: 'migrating', migration_progress: { applied: 1, total: 2, current: null } }, { 'Retry-After': '3' }),
      ),
    );
    const r = await runInProcess(['compat', 'check', '--json', '--server', server.url], { env: box.env });
    expect(r.code).toBe(4);
    const report = parseJson<{ status: string; message: string }>(r);
    expect(report.status).toBe('migration_running');
    expect(report.message).toContain('1 of 2');
  });

  it('migration_failed names the restore; schema_unknown on a covered release is not told to upgrade the CLI', async () => {
    const failed = await scenarioServer(SCENARIOS[3] as Scenario);
    const f = parseJson<{ remedy: string }>(await runInProcess(['compat', 'check', '--json', '--server', failed.url], { env: box.env }));
    expect(f.remedy).toContain('pg_restore');
    const diverged = await scenarioServer(SCENARIOS[4] as Scenario);
    const d = parseJson<{ remedy: string }>(await runInProcess(['compat', 'check', '--json', '--server', diverged.url], { env: box.env }));
    expect(d.remedy).not.toMatch(/npm install/);
  });
});
