import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, sandbox, signalWhen } from '../helpers/cli.js';
import { startServer } from '../helpers/http-server.js';
import { runInProcess } from '../helpers/in-process.js';
import { bundledJson } from '../helpers/matrix.js';
import { type ScenarioServer, scenarios } from '../helpers/upgrade-server.js';

// The poll of `server upgrade` (issue 14, docs/commands.md "Upgrading the server"): it ends exactly when the target is reached, and not before.
const box = sandbox();
afterAll(() => box.cleanup());
const scenario = scenarios();

const OLD = {
  server_version: '1.3.0',
  schema_revision: '0003_add_insight_meta_cache',
  pending_migrations: ['0004_split_events_table'],
  deployment: 'docker-compose',
};
const NEW = { server_version: '1.4.2', schema_revision: '0005_add_retention_policy', deployment: 'docker-compose' };

interface Doc {
  outcome: string;
  message: string;
  remedy: string | null;
  before: unknown;
  plan: { from: { version: string; schema_revision: string | null }; hops: Array<{ to: string }> } | null;
  hop: number | null;
  after: { server: { version: string | null } } | null;
  commands: string[];
}

// The poll's logic runs in process (test/helpers/in-process.ts); the signals below are sent to a spawned CLI.
const upgrade = (url: string, args: string[], env: Record<string, string> = {}) =>
  runInProcess(['server', 'upgrade', '--server', url, '--interval', '0.2', ...args], { env: { ...box.env, ...env } });

describe('server upgrade: when the poll ends', () => {
  it('a flavoured version (1.4.2-ee) reaches --to 1.4.2 through a whole --yes poll', async () => {
    const compat = join(box.dir, 'flavours.json');
    writeFileSync(compat, JSON.stringify({ ...bundledJson(), version_flavors: ['ee'] }));
    const s = await scenario([{ doc: { ...OLD, server_version: '1.3.0-ee' }, times: 2 }, { doc: { ...NEW, server_version: '1.4.2-ee' } }]);
    const r = await upgrade(s.url, ['--yes', '--json', '--to', '1.4.2', '--wait', '20', '--compat', compat]);
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson<Doc>(r);
    expect(doc.outcome).toBe('upgraded');
    expect(doc.plan?.from.version).toBe('1.3.0-ee');
    expect(doc.after?.server.version).toBe('1.4.2-ee');
    // The first look, one more old answer, then the flavoured target ends it: three requests, no more.
    expect(s.requests).toHaveLength(3);
  });

  it('background migrations hold the hop open; it ends on the first answer with none left, not before and not after', async () => {
    const s = await scenario([
      { doc: OLD, times: 1 },
      { doc: { ...NEW, background_migrations_pending: 12 }, times: 2 },
      { doc: { ...NEW, background_migrations_pending: 1 }, times: 1 },
      { doc: { ...NEW, background_migrations_pending: 0 } },
    ]);
    const r = await upgrade(s.url, ['--yes', '--json', '--wait', '20']);
    expect(r.code, r.stderr).toBe(0);
    expect(parseJson<Doc>(r).outcome).toBe('upgraded');
    expect(s.requests).toHaveLength(5);
    expect(s.requests.at(-1)?.step).toBe(3);
  });

  it('maintenance-mode 503s while the server migrates keep the poll going', async () => {
    const migrating = { error: 'migrating', migration_progress: { applied: 1, total: 2, current: '0005_add_retention_policy' } };
    const s = await scenario([
      { doc: OLD, times: 1 },
      { status: 503, times: 2, headers: { 'retry-after': '0' } },
      { doc: { ...NEW, migration_status: 'running', migration_progress: migrating.migration_progress }, times: 1 },
      { doc: NEW },
    ]);
    const r = await upgrade(s.url, ['--yes', '--wait', '20']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1 of 2 applied/);
  });
});

describe('server upgrade: --interval and --wait', () => {
  it.each([
    ['--interval', '0.0001'],
    ['--interval', '0.19'],
    ['--wait', '3000000'],
    ['--interval', '3000000'],
  ])('%s %s is a usage error naming the flag (exit 2), before any request', async (flag, value) => {
    const s = await scenario([{ doc: OLD }]);
    const r = await runInProcess(['server', 'upgrade', '--server', s.url, '--yes', '--json', flag, value], { env: box.env });
    expect(r.code).toBe(2);
    expect(parseJson<{ error: { message: string } }>(r).error.message).toContain(flag);
    expect(s.requests).toHaveLength(0);
  });

  it('the largest --wait (one day, well inside what a timer holds) and the 0.2 s floor are accepted', async () => {
    const s = await scenario([{ doc: OLD }]);
    const r = await runInProcess(['server', 'upgrade', '--server', s.url, '--dry-run', '--interval', '0.2', '--wait', '86400'], {
      env: box.env,
    });
    expect(r.code, r.stderr).toBe(0);
  });
});

/** Runs `server upgrade --yes --json` and sends `signal` once polling is under way. */
function interrupt(s: ScenarioServer, signal: 'SIGINT' | 'SIGTERM') {
  return runCli(['server', 'upgrade', '--server', s.url, '--yes', '--json', '--interval', '0.2'], {
    env: { ...box.env, NO_COLOR: '1' },
    timeoutMs: 15_000,
    onSpawn: signalWhen(() => s.requests.length >= 3, signal),
  });
}

describe('server upgrade: SIGINT and SIGTERM', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s while polling: the interrupted document, the command to check on the server, exit %i', async (signal, code) => {
    const s = await scenario([{ doc: OLD }]);
    const r = await interrupt(s, signal);
    expect(r.code, r.stderr).toBe(code);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(Object.keys(doc).sort()).toEqual(['after', 'before', 'commands', 'hop', 'message', 'outcome', 'plan', 'remedy']);
    expect(doc.outcome).toBe('interrupted');
    expect(doc.hop).toBe(1);
    expect(doc.plan?.hops.map((h) => h.to)).toEqual(['1.4.2']);
    // The server this run checked, as it was given: by URL.
    expect(doc.remedy).toContain(`server status --server ${s.url}`);
  });
});

describe('server upgrade: a signal before the first answer', () => {
  it('SIGTERM while the first look waits: still the interrupted document (hop null), exit 143', async () => {
    const hanging = await startServer(() => new Promise(() => {}));
    try {
      const { code, stdout } = await runCli(['server', 'upgrade', '--server', hanging.url, '--yes', '--json', '--timeout', '20000'], {
        env: { ...box.env, NO_COLOR: '1' },
        timeoutMs: 15_000,
        onSpawn: signalWhen(() => hanging.requests.length >= 1, 'SIGTERM'),
      });
      expect(code).toBe(143);
      const doc = JSON.parse(stdout) as Doc;
      expect(doc.outcome).toBe('interrupted');
      expect(doc.hop).toBeNull();
      expect(doc.remedy).toContain('server status');
    } finally {
      await hanging.close();
    }
  });
});
