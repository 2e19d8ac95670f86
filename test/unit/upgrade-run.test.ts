import { describe, expect, it } from 'vitest';
import { intervalFlag, MAX_WAIT_SECONDS, waitFlag } from '../../commands/_lib/flags.js';
import type { Observation } from '../../src/handshake/observe.js';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import { createStyle } from '../../src/render/style.js';
import { formatPlan, UPGRADE_OUTCOMES, upgradeDocument, upgradeExitCode } from '../../src/render/upgrade.js';
import { buildReport, createSession } from '../../src/session/session.js';
import { migrateEndpoint, type StartOptions } from '../../src/upgrade/admin.js';
import type { Probe } from '../../src/upgrade/poll.js';
import { type UpgradeOptions, type UpgradeOutcome, upgradeServer } from '../../src/upgrade/upgrade.js';
import { sandbox } from '../helpers/cli.js';
import { parseFlag } from '../helpers/flags.js';
import { fakeUpgradeOptions } from '../helpers/upgrade-fake.js';

// The flow's typed steps, its outcome table and the admin path, with a fake server, clock and sleep.
const box = sandbox();
const SERVER = 'http://127.0.0.1:9';
const ADMIN = 'adm-unit-4f2a9c';
const makeSession = (env: Record<string, string> = {}) =>
  createSession({ server: SERVER, cliVersion: '0.9.0', env: { ...box.env, ...env } });
const session = makeSession();

const doc = (fields: Record<string, unknown>): Probe => {
  const observation: Observation = {
    kind: 'document',
    document: versionDocumentSchema.parse(fields),
    headers: { schemaRevision: null, serverVersion: null },
  };
  return { observation, report: buildReport(session, new URL(`${SERVER}/`), observation) };
};
const OLD = doc({
  server_version: '1.3.0',
  schema_revision: '0003_add_insight_meta_cache',
  pending_migrations: ['0004_split_events_table'],
});
const OWN = (extra: Record<string, unknown> = {}) =>
  doc({
    server_version: '1.4.2',
    schema_revision: '0004_split_events_table',
    pending_migrations: ['0005_add_retention_policy'],
    capabilities: { migrate: '/api/v1/admin/migrations' },
    ...extra,
  });
const DONE = doc({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy' });

function options(probes: Probe[], extra: Partial<UpgradeOptions> = {}) {
  const { options: o, calls } = fakeUpgradeOptions(probes, extra);
  return { o, calls };
}

describe('the outcome table', () => {
  it('every outcome has one row; exit codes as README.md "Exit codes" says; SIGTERM 143, SIGINT 130', () => {
    const expected: Record<UpgradeOutcome, number> = {
      up_to_date: 0,
      planned: 0,
      upgraded: 0,
      declined: 2,
      unreachable: 4,
      unchecked: 4,
      refused: 3,
      migration_failed: 3,
      cli_rejected: 3,
      timeout: 4,
      interrupted: 130,
    };
    expect(Object.fromEntries(Object.entries(UPGRADE_OUTCOMES).map(([k, v]) => [k, v.exit]))).toEqual(expected);
    expect(upgradeExitCode('interrupted', 'SIGTERM')).toBe(143);
    expect(upgradeExitCode('interrupted', 'SIGINT')).toBe(130);
    expect(upgradeExitCode('timeout', 'SIGTERM')).toBe(4);
  });
});

describe('--interval and --wait', () => {
  // The flags as upgradeFlags defines them (commands/_lib/flags.ts), parsed by oclif and refused in our words.
  const flags = { interval: intervalFlag(2), wait: waitFlag(600) };
  const interval = (v: string) => parseFlag(flags, 'interval', v);
  const wait = (v: string) => parseFlag(flags, 'wait', v);
  it('a floor of 0.2 s between polls, and nothing a timer cannot hold', async () => {
    expect(await interval('0.2')).toBe(200);
    await expect(interval('0.0001')).rejects.toThrow(/--interval/);
    await expect(interval('0.19')).rejects.toThrow(/--interval/);
    expect(await wait(String(MAX_WAIT_SECONDS))).toBe(MAX_WAIT_SECONDS * 1000);
    expect(MAX_WAIT_SECONDS * 1000).toBeLessThan(2 ** 31);
    await expect(wait('3000000')).rejects.toThrow(/--wait/);
    await expect(interval('3000000')).rejects.toThrow(/--interval/);
    for (const bad of ['', 'fast', '-1', '0', 'Infinity', 'NaN']) await expect(wait(bad)).rejects.toThrow(/--wait/);
  });
});

describe('the run', () => {
  it('interrupted (the signal fires while polling): the document names the checked server and the hop', async () => {
    const controller = new AbortController();
    const { o } = options([OLD], {
      signal: controller.signal,
      sleep: async () => {
        controller.abort('SIGTERM');
        throw new Error('aborted');
      },
    });
    const result = await upgradeServer(session, o, { confirm: async () => true });
    expect(result.outcome).toBe('interrupted');
    expect(result.hop).toBe(1);
    const document = upgradeDocument(result);
    expect(document.remedy).toContain(`server status --server ${SERVER}`);
    expect(Object.keys(document).sort()).toEqual(['after', 'before', 'commands', 'hop', 'message', 'outcome', 'plan', 'remedy']);
    expect(document.before).not.toHaveProperty('findings');
    expect(document.plan?.from).toEqual({ version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' });
  });

  it('the poll ends on the first look that reaches the target, not before', async () => {
    const { o, calls } = options([
      OLD,
      OLD,
      doc({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy', background_migrations_pending: 2 }),
      DONE,
      DONE,
    ]);
    const result = await upgradeServer(session, o, { confirm: async () => true });
    expect(result.outcome).toBe('upgraded');
    expect(calls()).toBe(4);
  });
});

describe('the admin path (issue 18)', () => {
  const admin = makeSession({ HANDSHAKE_ADMIN_TOKEN: ADMIN });

  it('one call, to the advertised path on the server’s origin, for the head of its release; then polled', async () => {
    const starts: StartOptions[] = [];
    const { o } = options([OWN(), OWN({ migration_status: 'running', migration_progress: { applied: 0, total: 1 } }), DONE], {
      startMigration: async (s) => {
        starts.push(s);
        return { kind: 'started' };
      },
    });
    const result = await upgradeServer(admin, o, { confirm: async () => true });
    expect(result.outcome).toBe('upgraded');
    expect(starts).toHaveLength(1);
    expect(starts[0]?.url.href).toBe(`${SERVER}/api/v1/admin/migrations`);
    expect(starts[0]?.token).toBe(ADMIN);
    expect(starts[0]?.targetRevision).toBe('0005_add_retention_policy');
    expect(result.plan?.server_migration?.migrations).toEqual(['0005_add_retention_policy']);
  });

  it('the plan of the server applying its own migrations says what it does, never "1.4.2 → 1.4.2" (issue 28)', async () => {
    const { o } = options([OWN()], { dryRun: true, startMigration: async () => ({ kind: 'started' }) });
    let text = '';
    await upgradeServer(admin, o, {
      confirm: async () => true,
      plan: (plan, before) => {
        text = formatPlan(plan, before, createStyle(false));
      },
    });
    expect(text).toContain('Upgrade plan: 1.4.2: apply 1 pending migration\n');
    expect(text).not.toContain('1.4.2 → 1.4.2');
  });

  it('a refusal ends the run at once: nothing polled', async () => {
    const { o, calls } = options([OWN()], {
      startMigration: async () => ({ kind: 'refused', httpStatus: 409, message: 'HTTP 409', hint: null }),
    });
    const result = await upgradeServer(admin, o, { confirm: async () => true });
    expect(result.outcome).toBe('refused');
    expect(calls()).toBe(1);
  });

  it('a new release to install is never the admin path: the commands are printed', async () => {
    const { o } = options([OLD], { dryRun: true, startMigration: async () => ({ kind: 'started' }) });
    const result = await upgradeServer(admin, o, { confirm: async () => true });
    expect(result.plan?.server_migration).toBeNull();
    expect(result.plan?.hops[0]?.upgrade.length).toBeGreaterThan(0);
  });

  it('declined: no call', async () => {
    let called = 0;
    const { o } = options([OWN()], {
      startMigration: async () => {
        called += 1;
        return { kind: 'started' };
      },
    });
    expect((await upgradeServer(admin, o, { confirm: async () => false })).outcome).toBe('declined');
    expect(called).toBe(0);
  });
});

describe('migrateEndpoint', () => {
  const base = new URL('https://user:pw@obs.example.com/prefix/');
  it.each([
    ['/api/v1/admin/migrations', 'https://obs.example.com/prefix/api/v1/admin/migrations'],
    ['/a/../admin', 'https://obs.example.com/prefix/admin'],
  ])('%s → %s (same origin, no credentials in the URL)', (value, href) => {
    const e = migrateEndpoint(base, value);
    expect(e.kind).toBe('ok');
    if (e.kind === 'ok') expect(e.url.href).toBe(href);
  });
  it.each([
    'https://evil.example.com/x',
    '//evil.example.com/x',
    'admin/migrations',
    '/\\evil.example.com',
    '/x y',
    ' /x',
    'javascript:alert(1)',
  ])('%j is refused', (value) => {
    expect(migrateEndpoint(base, value).kind).toBe('rejected');
  });
  it('absent: none', () => {
    expect(migrateEndpoint(base, null)).toEqual({ kind: 'none' });
  });
});
