import { afterAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, sandbox, signalWhen } from '../helpers/cli.js';
import { closedPort } from '../helpers/http-server.js';
import { runInProcess } from '../helpers/in-process.js';
import { scenarios } from '../helpers/upgrade-server.js';

const box = sandbox();
afterAll(() => box.cleanup());
const scenario = scenarios();

const OLD = {
  server_version: '1.3.0',
  schema_revision: '0003_add_insight_meta_cache',
  pending_migrations: [{ revision: '0004_split_events_table', description: 'split events' }],
  deployment: 'docker-compose',
  migration_status: 'idle',
};
const RUNNING = {
  server_version: '1.4.2',
  schema_revision: '0004_split_events_table',
  pending_migrations: ['0005_add_retention_policy'],
  deployment: 'docker-compose',
  migration_status: 'running',
};
const NEW = {
  server_version: '1.4.2',
  schema_revision: '0005_add_retention_policy',
  deployment: 'docker-compose',
  migration_status: 'idle',
};

interface Hop {
  from: string;
  to: string;
  backup_file: string;
  backup: string[];
  upgrade: string[];
  restore: string[];
}
interface UpgradeDoc {
  outcome: string;
  message: string;
  remedy: string | null;
  commands: string[];
  before: { status: string; server: { version: string | null } };
  plan: { target: string; hops: Hop[]; rejected: Array<{ field: string; value: string }>; deployment: { templates: string } } | null;
  hop: number | null;
  after: { status: string; server: { version: string | null; schema_revision: string | null } } | null;
}

const FAST = ['--interval', '0.2']; // the floor (docs/commands.md "Upgrading the server")
/**
 * `server upgrade` run in process (test/helpers/in-process.ts): its plan, polling and outcome. Ctrl-C below, a
 * signal to the process, is spawned (so is the upgrade's first look, in hostile.test.ts and server-upgrade-tty).
 */
const upgrade = (url: string, args: string[]) => runInProcess(['server', 'upgrade', '--server', url, ...args], { env: box.env });

/** The lines of stdout that are commands (not headings, notes or the summary block). */
const commandLines = (stdout: string) =>
  stdout.split('\n').filter((l) => l && !l.startsWith(' ') && !l.startsWith('#') && !/^(OK|WARN|ERROR) |^Upgrade plan:/.test(l));

describe('server upgrade: the restart window', () => {
  it('old revision → refused connections → 502s → migration running → new revision: exit 0, commands on stdout', async () => {
    const s = await scenario([{ doc: OLD, times: 3 }, { down: 600 }, { status: 502, times: 2 }, { doc: RUNNING, times: 2 }, { doc: NEW }]);
    const r = await upgrade(s.url, ['--yes', ...FAST]);
    expect(r.code, r.stderr).toBe(0);
    // The commands an operator runs, from the docker-compose templates, backup first.
    const lines = commandLines(r.stdout);
    const backup = lines.findIndex((l) => l.includes('pg_dump'));
    const pull = lines.indexOf('SERVER_VERSION=1.4.2 docker compose pull server');
    expect(backup).toBeGreaterThanOrEqual(0);
    expect(pull).toBeGreaterThan(backup);
    expect(lines[backup]).toMatch(/> backup-1\.3\.0-\d{8}-\d{6}\.dump$/);
    // It kept polling through the outage and the 502s, and only stopped at the new revision.
    expect(s.downs).toBe(1);
    expect(r.stderr).toMatch(/refused/);
    expect(s.requests.some((q) => q.step === 2)).toBe(true);
    expect(s.requests.filter((q) => q.step === 3)).toHaveLength(2);
    expect(s.requests.at(-1)?.step).toBe(4);
    expect(r.stdout).toContain('0005_add_retention_policy');
    // Progress is on stderr, never mixed into stdout.
    expect(r.stderr).toContain('1.3.0');
    expect(r.stdout).not.toContain('not answering');
  });

  it('--json: one document with the plan and the outcome; progress still on stderr', async () => {
    const s = await scenario([{ doc: OLD, times: 2 }, { down: 300 }, { status: 503, times: 1 }, { doc: NEW }]);
    const r = await upgrade(s.url, ['--yes', '--json', ...FAST]);
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson<UpgradeDoc>(r);
    expect(doc.outcome).toBe('upgraded');
    expect(doc.before.server.version).toBe('1.3.0');
    expect(doc.after?.server).toMatchObject({ version: '1.4.2', schema_revision: '0005_add_retention_policy' });
    expect(doc.after?.status).toBe('compatible');
    expect(doc.plan?.hops).toHaveLength(1);
    expect(doc.plan?.hops[0]?.upgrade).toContain('SERVER_VERSION=1.4.2 docker compose pull server');
    expect(r.stderr.length).toBeGreaterThan(0);
  });

  it('honours Retry-After on a 503 (capped at 5 × --interval)', async () => {
    const s = await scenario([{ doc: OLD, times: 1 }, { status: 503, times: 2, headers: { 'retry-after': '30' } }, { doc: NEW }]);
    const r = await upgrade(s.url, ['--yes', ...FAST]);
    expect(r.code, r.stderr).toBe(0);
    const at = s.requests.map((q) => q.at);
    // After each 503 the next look waits the cap (0.5 s), not the interval (0.1 s) and not the 30 s asked for.
    for (const i of [1, 2]) {
      const gap = (at[i + 1] ?? 0) - (at[i] ?? 0);
      expect(gap).toBeGreaterThanOrEqual(450);
      expect(gap).toBeLessThan(5000);
    }
  });
});

describe('server upgrade: two hops through an upgrade stop', () => {
  it('1.2.0 → 1.3.0 → 1.4.2: all commands up front, polled hop by hop, never done at the stop', async () => {
    const v120 = { server_version: '1.2.0', schema_revision: '0003_add_insight_meta_cache', deployment: 'helm' };
    const v130 = { server_version: '1.3.0', schema_revision: '0004_split_events_table', deployment: 'helm' };
    const s = await scenario([
      { doc: v120, times: 3 },
      { down: 300 },
      { doc: v130, times: 4 },
      { down: 300 },
      { status: 502, times: 1 },
      { doc: { ...NEW, deployment: 'helm' } },
    ]);
    const r = await upgrade(s.url, ['--yes', '--json', ...FAST]);
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson<UpgradeDoc>(r);
    expect(doc.plan?.hops.map((h) => [h.from, h.to])).toEqual([
      ['1.2.0', '1.3.0'],
      ['1.3.0', '1.4.2'],
    ]);
    expect(doc.plan?.hops[0]?.upgrade[0]).toContain('--version 1.3.0');
    expect(doc.plan?.hops[1]?.upgrade[0]).toContain('--version 1.4.2');
    // 1.3.0 is compatible, but the poll waited on until 1.4.2.
    expect(doc.after?.server.version).toBe('1.4.2');
    expect(s.requests.filter((q) => q.step === 2)).toHaveLength(4);
    expect(r.stderr).toMatch(/1\/2/);
    expect(r.stderr).toMatch(/2\/2/);
    expect(r.stderr.indexOf('1/2')).toBeLessThan(r.stderr.indexOf('2/2'));
  });

  it('human output prints every hop’s commands before waiting', async () => {
    const s = await scenario([{ doc: { server_version: '1.2.0', deployment: 'rpm' } }]);
    const r = await upgrade(s.url, ['--dry-run']);
    expect(r.code).toBe(0);
    const lines = commandLines(r.stdout);
    const first = lines.indexOf('sudo dnf install -y reference-server-1.3.0');
    const second = lines.indexOf('sudo dnf install -y reference-server-1.4.2');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(second).toBeGreaterThan(first);
    // A backup between the two hops too.
    expect(lines.slice(first, second).some((l) => l.includes('pg_dump') && l.includes('backup-1.3.0-'))).toBe(true);
  });
});

describe('server upgrade: failures', () => {
  it('a failed migration → exit 3 with the restore commands for the backup the plan took', async () => {
    const s = await scenario([
      { doc: OLD, times: 2 },
      { down: 300 },
      { doc: RUNNING, times: 2 },
      { doc: { ...RUNNING, migration_status: 'failed' } },
    ]);
    const r = await upgrade(s.url, ['--yes', '--json', ...FAST]);
    expect(r.code, r.stderr).toBe(3);
    const doc = parseJson<UpgradeDoc>(r);
    expect(doc.outcome).toBe('migration_failed');
    const file = doc.plan?.hops[0]?.backup_file ?? 'none';
    expect(doc.commands).toEqual(doc.plan?.hops[0]?.restore);
    expect(doc.commands.join('\n')).toContain(`pg_restore`);
    expect(doc.commands.join('\n')).toContain(file);
    // And it stopped there: no more polling after the failure.
    expect(s.requests.at(-1)?.step).toBe(3);
    expect(s.requests.filter((q) => q.step === 3)).toHaveLength(1);
  });

  it('human output of a failed migration prints the restore command on stdout', async () => {
    const s = await scenario([{ doc: OLD, times: 1 }, { doc: { ...RUNNING, migration_status: 'failed' } }]);
    const r = await upgrade(s.url, ['--yes', ...FAST]);
    expect(r.code).toBe(3);
    expect(commandLines(r.stdout).some((l) => l.startsWith('docker compose exec -T db pg_restore') && /backup-1\.3\.0-/.test(l))).toBe(
      true,
    );
  });

  it('a server that never finishes → exit 4 after --wait, saying what it last saw', async () => {
    const s = await scenario([{ doc: OLD }]);
    const r = await upgrade(s.url, ['--yes', '--json', '--wait', '1', ...FAST]);
    expect(r.code).toBe(4);
    const doc = parseJson<UpgradeDoc>(r);
    expect(doc.outcome).toBe('timeout');
    expect(doc.after?.server.version).toBe('1.3.0');
    expect(doc.message).toContain('1.3.0');
    expect(r.ms).toBeLessThan(8000);
    // About one look per interval over the second it waited.
    expect(s.requests.length).toBeGreaterThan(5);
    expect(s.requests.length).toBeLessThan(20);
  });

  it('unreachable at first → exit 4 with what to run on the server host', async () => {
    const port = await closedPort();
    const r = await upgrade(`http://127.0.0.1:${port}`, ['--yes', '--deployment', 'deb']);
    expect(r.code).toBe(4);
    expect(commandLines(r.stdout)).toContain('sudo systemctl status reference-server');
  });

  it('a dev build → exit 3, no plan', async () => {
    const s = await scenario([{ doc: { server_version: 'dev', schema_revision: '0003_add_insight_meta_cache' } }]);
    const r = await upgrade(s.url, ['--yes', '--json', ...FAST]);
    expect(r.code).toBe(3);
    const doc = parseJson<UpgradeDoc>(r);
    expect(doc.outcome).toBe('refused');
    expect(doc.plan).toBeNull();
    expect(s.requests).toHaveLength(1);
  });
});

describe('server upgrade: confirmation, dry run, usage', () => {
  it('no TTY and no --yes → exit 2 naming --yes, nothing polled', async () => {
    const s = await scenario([{ doc: OLD }]);
    const r = await upgrade(s.url, ['--json', ...FAST]);
    expect(r.code).toBe(2);
    const doc = parseJson<{ error: { code: string; message: string; remedy: string } }>(r);
    expect(doc.error.code).toBe('E_USAGE');
    expect(`${doc.error.message} ${doc.error.remedy}`).toContain('--yes');
    // The remedy is the command to paste: the same command line with --yes, for the server checked (issue 28).
    expect(doc.error.remedy).toBe(`handshake server upgrade --server ${s.url} --interval 0.2 --json --yes`);
    expect(s.requests).toHaveLength(1);
  });

  it('no TTY and no --yes in human mode: the plan on stdout, the error on stderr, exit 2', async () => {
    const s = await scenario([{ doc: OLD }]);
    const r = await upgrade(s.url, FAST);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('docker compose pull server');
    expect(r.stderr).toContain('--yes');
  });

  it('--dry-run prints the plan and exits 0 after one request', async () => {
    const s = await scenario([{ doc: OLD }]);
    const r = await upgrade(s.url, ['--dry-run', ...FAST]);
    expect(r.code).toBe(0);
    expect(commandLines(r.stdout)).toContain('SERVER_VERSION=1.4.2 docker compose up --detach --wait server');
    expect(s.requests).toHaveLength(1);
  });

  it('already up to date → exit 0 after one request', async () => {
    const s = await scenario([{ doc: NEW }]);
    const r = await upgrade(s.url, ['--json']);
    expect(r.code).toBe(0);
    expect(parseJson<UpgradeDoc>(r).outcome).toBe('up_to_date');
    expect(s.requests).toHaveLength(1);
  });

  it('a hostile deployment from the server is rejected and appears in no command', async () => {
    const s = await scenario([{ doc: { ...OLD, deployment: 'docker-compose; rm -rf /' } }]);
    const r = await upgrade(s.url, ['--dry-run', '--json']);
    expect(r.code).toBe(0);
    const doc = parseJson<UpgradeDoc>(r);
    expect(doc.plan?.rejected).toEqual([expect.objectContaining({ field: 'deployment', value: 'docker-compose; rm -rf /' })]);
    expect(doc.plan?.deployment.templates).toBe('generic');
    for (const hop of doc.plan?.hops ?? [])
      for (const c of [...hop.backup, ...hop.upgrade, ...hop.restore]) expect(c).not.toContain('rm -rf');
  });

  it.each([
    ['--to above what this CLI supports', ['--to', '9.9.9']],
    ['--to that is not a version', ['--to', 'latest']],
    ['--interval that is not a number', ['--interval', 'fast']],
    ['--wait of zero', ['--wait', '0']],
    ['--deployment with shell syntax', ['--deployment', 'helm;id']],
  ])('%s → exit 2 before any request', async (_name, args) => {
    const s = await scenario([{ doc: OLD }]);
    const r = await upgrade(s.url, ['--yes', '--json', ...args]);
    expect(r.code).toBe(2);
    expect(parseJson<{ error: { code: string } }>(r).error.code).toBe('E_USAGE');
    expect(s.requests).toHaveLength(0);
  });
});

describe('server upgrade: Ctrl-C', () => {
  it('SIGINT while polling → exit 130, saying the upgrade may still run and how to check', async () => {
    const s = await scenario([{ doc: OLD }]);
    // Interrupt once polling is under way.
    const result = await runCli(['server', 'upgrade', '--server', s.url, '--yes', ...FAST], {
      env: { ...box.env, NO_COLOR: '1' },
      timeoutMs: 15_000,
      onSpawn: signalWhen(() => s.requests.length >= 3, 'SIGINT'),
    });
    expect(result.code).toBe(130);
    expect(result.stdout).toContain('server status');
  });
});
