import { describe, expect, it } from 'vitest';
import { HandshakeError } from '../../src/errors.js';
import type { Observation } from '../../src/handshake/observe.js';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import { buildReport, createSession } from '../../src/session/session.js';
import type { Probe } from '../../src/upgrade/poll.js';
import { type UpgradeHooks, type UpgradeOptions, upgradeServer } from '../../src/upgrade/upgrade.js';
import { sandbox } from '../helpers/cli.js';
import { fakeUpgradeOptions } from '../helpers/upgrade-fake.js';

// The orchestration of `server upgrade` with a fake server, clock and sleep: no network, no waiting.
const box = sandbox();
const session = createSession({ server: 'http://127.0.0.1:9', cliVersion: '0.9.0', env: box.env });
const probeOf = (observation: Observation): Probe => ({
  observation,
  report: buildReport(session, new URL('http://127.0.0.1:9/'), observation),
});
const doc = (fields: Record<string, unknown>) =>
  probeOf({ kind: 'document', document: versionDocumentSchema.parse(fields), headers: { schemaRevision: null, serverVersion: null } });
const REFUSED = probeOf({
  kind: 'unreachable',
  reason: 'cannot reach x: connection refused',
  code: 'E_UNREACHABLE',
  remedy: null,
  httpStatus: null,
});
const OLD = doc({ server_version: '1.2.0', schema_revision: '0003_add_insight_meta_cache', deployment: 'deb' });
const STOP = doc({ server_version: '1.3.0', schema_revision: '0004_split_events_table', deployment: 'deb' });
const NEW = doc({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy', deployment: 'deb' });

function fake(probes: Probe[], extra: Partial<UpgradeOptions> = {}, confirm: UpgradeHooks['confirm'] = async () => true) {
  const hops: number[] = [];
  const { options, calls } = fakeUpgradeOptions(probes, extra);
  const hooks: UpgradeHooks = { confirm, hopStart: (hop) => hops.push(hop.number) };
  return { run: () => upgradeServer(session, options, hooks), calls, hops };
}

describe('upgradeServer', () => {
  it('two hops through the stop; the last hop does not end at the stop even though the stop is compatible', async () => {
    const f = fake([OLD, OLD, REFUSED, STOP, STOP, STOP, REFUSED, NEW]);
    const result = await f.run();
    expect(result.outcome).toBe('upgraded');
    expect(result.after?.server.version).toBe('1.4.2');
    expect(f.hops).toEqual([1, 2]);
    expect(result.plan?.hops.map((h) => h.to)).toEqual(['1.3.0', '1.4.2']);
    expect(f.calls()).toBe(8);
  });

  it('--dry-run: the plan, one request, no confirmation', async () => {
    let asked = false;
    const f = fake([OLD, NEW], { dryRun: true }, async () => {
      asked = true;
      return true;
    });
    const result = await f.run();
    expect(result.outcome).toBe('planned');
    expect(result.plan?.hops).toHaveLength(2);
    expect(asked).toBe(false);
    expect(f.calls()).toBe(1);
  });

  it('a declined confirmation polls nothing', async () => {
    const f = fake([OLD, NEW], {}, async () => false);
    expect((await f.run()).outcome).toBe('declined');
    expect(f.calls()).toBe(1);
  });

  it('a confirmation hook that throws (no TTY, no --yes) stops before polling', async () => {
    const f = fake([OLD, NEW], {}, async () => {
      throw new HandshakeError('E_USAGE', 'confirmation needed');
    });
    await expect(f.run()).rejects.toMatchObject({ code: 'E_USAGE' });
    expect(f.calls()).toBe(1);
  });

  it('unreachable at first: the status commands of every kind, or of --deployment', async () => {
    const all = await fake([REFUSED]).run();
    expect(all.outcome).toBe('unreachable');
    expect(all.commands.some((c) => c.includes('docker compose ps'))).toBe(true);
    expect(all.commands.some((c) => c.includes('systemctl status'))).toBe(true);
    const helm = await fake([REFUSED], { deployment: 'helm' }).run();
    expect(helm.commands.length).toBeGreaterThan(0);
    for (const c of helm.commands) expect(c).toMatch(/^kubectl /);
  });

  it('--wait counts for all hops together', async () => {
    const f = fake([OLD, OLD, STOP], { waitMs: 5000 });
    const result = await f.run();
    expect(result.outcome).toBe('timeout');
    expect(result.hop).toBe(2);
    expect(result.after?.server.version).toBe('1.3.0');
  });

  it('a failed migration during a hop: the restore steps with that hop’s backup file', async () => {
    const result = await fake([OLD, REFUSED, doc({ server_version: '1.3.0', migration_status: 'failed', deployment: 'deb' })]).run();
    expect(result.outcome).toBe('migration_failed');
    expect(result.hop).toBe(1);
    const file = result.plan?.hops[0]?.backup_file ?? '';
    expect(file).toBe('backup-1.2.0-20260102-030405.dump');
    expect(result.commands.length).toBeGreaterThan(0);
    expect(result.commands.join('\n')).toContain(file);
  });

  it('usage errors come before any request', async () => {
    const f = fake([OLD], { to: 'nope' });
    await expect(f.run()).rejects.toMatchObject({ code: 'E_USAGE' });
    expect(f.calls()).toBe(0);
  });
});
