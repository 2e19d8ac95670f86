import fc from 'fast-check';
import semver from 'semver';
import { parse } from 'shell-quote';
import { describe, expect, it } from 'vitest';
import { HandshakeError } from '../../src/errors.js';
import type { Observation } from '../../src/handshake/observe.js';
import { hint } from '../../src/hint.js';
import type { MatrixInput } from '../../src/matrix/schema.js';
import { fillTemplate } from '../../src/matrix/templates.js';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import { OWN_WORDS, remedyText } from '../../src/render/remedy.js';
import { planNotes, upgradeDocument } from '../../src/render/upgrade.js';
import { buildReport, type StatusReport } from '../../src/session/session.js';
import {
  backupFileName,
  hopReached,
  type PlanDecision,
  type PlanReport,
  parseTarget,
  planUpgrade,
  statusCommands,
  type UpgradePlan,
} from '../../src/upgrade/plan.js';
import { minorOf } from '../../src/upgrade/stops.js';
import { bundledJson, matrixWith } from '../helpers/matrix.js';

// Bundled matrix: window >=1.3.0 <1.5.0-0, recommended 1.4.2, stop 1.3.0, min schema 0004, chain 0001..0005.
const matrix = matrixWith();
const NOW = new Date(Date.UTC(2026, 10, 21, 6, 3, 2));
const STAMP = '20261121-060302';
const URL_ = new URL('http://127.0.0.1:9/');
const CTX = { bin: 'handshake', envPrefix: 'HANDSHAKE' };

function report(fields: Record<string, unknown>, m = matrix): StatusReport {
  const observation: Observation = {
    kind: 'document',
    document: versionDocumentSchema.parse(fields),
    headers: { schemaRevision: null, serverVersion: null },
  };
  return buildReport({ matrix: m, cli: { version: '0.9.0', installMethod: 'npm' } }, URL_, observation);
}

/** A report as a server could shape it if it skipped our parser (for the plan's own validation). */
function raw(fields: Partial<PlanReport> & { version: string; revision?: string | null }): PlanReport {
  return {
    status: fields.status ?? 'schema_behind',
    message: 'm',
    hint: hint.run(['server', 'upgrade']),
    server: { url: 'http://x', version: fields.version, schema_revision: fields.revision ?? null, min_cli_version: null },
    pending_migrations: fields.pending_migrations ?? [],
    deployment: fields.deployment ?? null,
    migration_status: fields.migration_status ?? null,
  };
}

function plan(input: { report: PlanReport; to?: string; deployment?: string; m?: typeof matrix }): UpgradePlan {
  const d = planUpgrade({ matrix: (input.m ?? matrix).doc, report: input.report, to: input.to, deployment: input.deployment, now: NOW });
  if (d.kind !== 'plan') throw new Error(`expected a plan, got ${d.kind}: ${JSON.stringify(d)}`);
  return d.plan;
}

function decide(r: PlanReport, extra: { to?: string; deployment?: string } = {}): PlanDecision {
  return planUpgrade({ matrix: matrix.doc, report: r, now: NOW, ...extra });
}

const OLD = { server_version: '1.2.0', schema_revision: '0003_add_insight_meta_cache', deployment: 'docker-compose' };
const allCommands = (p: UpgradePlan) => p.hops.flatMap((h) => [...h.backup, ...h.upgrade, ...h.restore]);

describe('plan: hops through the required upgrade stops', () => {
  it('goes through the stop between current and target, then to the target', () => {
    const p = plan({ report: report(OLD) });
    expect(p.target).toBe('1.4.2');
    expect(p.target_source).toBe('recommended');
    expect(p.hops.map((h) => [h.from, h.to, h.stop])).toEqual([
      ['1.2.0', '1.3.0', true],
      ['1.3.0', '1.4.2', false],
    ]);
    expect(p.hops.map((h) => h.number)).toEqual([1, 2]);
  });

  it('never skips a stop: several stops, unsorted and repeated in the matrix, in order; one minor is one hop (its highest stop)', () => {
    // A stop is reached by any release of its major.minor at or above it (docs/commands.md "Upgrading the server"): 1.3.5 reaches
    // 1.3.0 too, and the target 1.4.2 reaches the stop 1.4.0.
    const m = matrixWith({ upgrade_stops: ['1.4.0', '1.3.0', '1.4.0', '1.3.5'] });
    const p = plan({ report: report(OLD, m), m });
    expect(p.hops.map((h) => h.to)).toEqual(['1.3.5', '1.4.2']);
  });

  it('a stop equal to the current version or the target is not an extra hop', () => {
    const atStop = plan({ report: report({ server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' }) });
    expect(atStop.hops.map((h) => [h.from, h.to])).toEqual([['1.3.0', '1.4.2']]);
    const toStop = plan({ report: report(OLD), to: '1.3.0' });
    expect(toStop.hops.map((h) => [h.from, h.to])).toEqual([['1.2.0', '1.3.0']]);
    expect(toStop.hops[0]?.stop).toBe(false);
  });

  it('property: hops are contiguous, strictly increasing, end at the target and land on every stop in between', () => {
    const version = fc.tuple(fc.constantFrom(1), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 3 })).map((v) => v.join('.'));
    fc.assert(
      fc.property(
        fc.array(
          version.filter((v) => semver.gte(v, '1.3.0')),
          { maxLength: 6 },
        ),
        version,
        (stops, current) => {
          const m = matrixWith({ upgrade_stops: stops, recommended_server_version: '1.4.2' });
          const d = planUpgrade({
            matrix: m.doc,
            report: report({ server_version: current, schema_revision: '0001_initial' }, m),
            now: NOW,
          });
          if (semver.gt(current, '1.4.2')) return; // no upgrade to plan
          expect(d.kind).toBe('plan');
          if (d.kind !== 'plan') return;
          const hops = d.plan.hops;
          expect(hops[0]?.from).toBe(current);
          expect(hops.at(-1)?.to).toBe('1.4.2');
          for (const [i, h] of hops.entries()) {
            if (i > 0) expect(h.from).toBe(hops[i - 1]?.to);
            if (h.from !== h.to) expect(semver.lt(h.from, h.to)).toBe(true);
          }
          // Every stop between is reached by some hop: a hop to a release of its minor at or above it, or past it.
          for (const s of stops) {
            if (!semver.gt(s, current) || !semver.lt(s, '1.4.2')) continue;
            expect(hops.some((h) => semver.gte(h.to, s) && minorOf(h.to) === minorOf(s))).toBe(true);
          }
          for (const h of hops) expect(semver.lte(h.to, '1.4.2')).toBe(true);
        },
      ),
    );
  });

  it('each hop waits for its own version; the last also for a compatible verdict, and for the target when there are several hops', () => {
    const p = plan({ report: report(OLD) });
    expect(p.hops[0]?.done_when).toEqual({ min_version: '1.3.0', past_minor: null, compatible: false });
    // The last hop after a stop: any release past the stop that is compatible with nothing pending (docs/commands.md "Upgrading the server").
    expect(p.hops[1]?.done_when).toEqual({ min_version: null, past_minor: '1.3.0', compatible: true });
    const single = plan({ report: report({ server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' }) });
    expect(single.hops[0]?.done_when).toEqual({ min_version: null, past_minor: null, compatible: true });
    const withTo = plan({ report: report({ server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' }), to: '1.4.0' });
    expect(withTo.hops[0]?.done_when).toEqual({ min_version: '1.4.0', past_minor: null, compatible: true });
  });
});

describe('plan: backup first, then the exact commands of the deployment kind', () => {
  it('every hop starts with a backup to a dated file named after the version it leaves', () => {
    const p = plan({ report: report(OLD) });
    expect(p.hops.map((h) => h.backup_file)).toEqual([`backup-1.2.0-${STAMP}.dump`, `backup-1.3.0-${STAMP}.dump`]);
    for (const h of p.hops) {
      expect(h.backup.length).toBeGreaterThan(0);
      expect(h.backup.join('\n')).toContain(h.backup_file);
      expect(h.restore.join('\n')).toContain(h.backup_file);
    }
    expect(backupFileName('1.4.0-rc.1', NOW)).toBe(`backup-1.4.0-rc.1-${STAMP}.dump`);
  });

  it.each(['docker-compose', 'helm', 'rpm', 'deb'])('%s: the matrix templates, filled with the hop versions', (kind) => {
    const p = plan({ report: report({ ...OLD, deployment: kind }) });
    const steps = matrix.doc.server.deployments[kind];
    expect(steps).toBeDefined();
    expect(p.deployment).toEqual({ kind, source: 'server', templates: kind });
    for (const h of p.hops) {
      const values = { version: h.to, from_version: h.from, backup_file: h.backup_file, date: STAMP, bin: 'handshake' };
      expect(h.backup).toEqual(steps?.backup.map((t) => fillTemplate(t, values)));
      expect(h.upgrade).toEqual(steps?.upgrade.map((t) => fillTemplate(t, values)));
      expect(h.upgrade.join('\n')).toContain(h.to);
    }
  });

  it('--deployment names the kind when the server reports none', () => {
    const p = plan({ report: report({ ...OLD, deployment: null }), deployment: 'helm' });
    expect(p.deployment).toEqual({ kind: 'helm', source: 'flag', templates: 'helm' });
    expect(p.hops[0]?.upgrade[0]).toMatch(/^helm upgrade /);
  });

  it('an unknown kind gets the generic steps, and the plan says so', () => {
    const p = plan({ report: report({ ...OLD, deployment: 'nomad' }) });
    expect(p.deployment).toEqual({ kind: 'nomad', source: 'server', templates: 'generic' });
    expect(p.hops[0]?.upgrade).toEqual(matrix.doc.server.generic.upgrade.map((t) => fillTemplate(t, { version: '1.3.0' })));
    expect(p.notes.join('\n')).toContain('nomad');
  });

  it('no kind at all: generic steps, and the plan names --deployment', () => {
    const p = plan({ report: report({ ...OLD, deployment: null }) });
    expect(p.deployment).toEqual({ kind: null, source: 'none', templates: 'generic' });
    // A note naming a flag is data until render/ says it in the host's words.
    expect(planNotes(p, OWN_WORDS).join('\n')).toContain('--deployment');
  });

  it('server upgrade --json: a note that names a flag is data in the plan, a string in the document (the host says it)', () => {
    const before = report({ ...OLD, deployment: null });
    const p = plan({ report: before });
    expect(p.notes.some((n) => typeof n !== 'string')).toBe(true);
    const result = { outcome: 'planned' as const, message: 'm', hint: null, commands: [], before, plan: p, hop: null, after: null };
    const notes = upgradeDocument(result).plan?.notes ?? [];
    expect(notes.every((n) => typeof n === 'string')).toBe(true);
    expect(notes.join('\n')).toContain('; pass --deployment docker-compose|');
    const acme = { ...result, before: { ...before, remedies: { bin: 'acme', envPrefix: 'ACME', flags: { deployment: '--kind' } } } };
    expect(upgradeDocument(acme).plan?.notes.join('\n')).toContain('; pass --kind docker-compose|');
  });

  it('a kind that is an Object.prototype key is just an unknown kind', () => {
    const p = plan({ report: report({ ...OLD, deployment: 'constructor' }) });
    expect(p.deployment.templates).toBe('generic');
  });
});

describe('plan: server-supplied values are validated before they reach a command', () => {
  it('a deployment with shell syntax is rejected, named with the reason, and appears in no command', () => {
    const hostile = 'docker-compose; rm -rf /';
    const p = plan({ report: report({ ...OLD, deployment: hostile }) });
    expect(p.rejected).toEqual([expect.objectContaining({ field: 'deployment', value: hostile })]);
    expect(p.rejected[0]?.reason.length).toBeGreaterThan(0);
    expect(p.deployment.templates).toBe('generic');
    for (const c of allCommands(p)) expect(c).not.toContain('rm -rf');
  });

  it('a revision starting with "-" is never filled into a command (it would read as an option)', () => {
    const base = bundledJson();
    const m = matrixWith({
      server: {
        ...base.server,
        generic: { ...base.server.generic, backup: ['dump {revision} --file={backup_file}'] },
      } as MatrixInput['server'],
    });
    const d = planUpgrade({ matrix: m.doc, report: raw({ version: '1.2.0', revision: '--sql=DROP' }), now: NOW });
    if (d.kind !== 'plan') throw new Error(`expected a plan, got ${d.kind}`);
    expect(d.plan.rejected).toEqual([expect.objectContaining({ field: 'schema_revision', value: '--sql=DROP' })]);
    for (const c of d.plan.hops.flatMap((h) => h.backup)) expect(c).not.toContain('--sql');
  });

  it('a revision with $() is an id like any printable text: it reaches a command only shell-quoted, as one word', () => {
    const base = bundledJson();
    const m = matrixWith({
      server: {
        ...base.server,
        generic: { ...base.server.generic, backup: ['dump --tag={revision} --file={backup_file}'] },
      } as MatrixInput['server'],
    });
    const hostile = '$(touch /tmp/pwned)';
    const d = planUpgrade({ matrix: m.doc, report: raw({ version: '1.2.0', revision: hostile }), now: NOW });
    expect(d.kind).toBe('plan');
    if (d.kind !== 'plan') return;
    expect(d.plan.rejected).toEqual([]);
    const backup = d.plan.hops[0]?.backup[0] ?? '';
    expect(parse(backup)).toEqual(['dump', `--tag=${hostile}`, `--file=backup-1.2.0-${STAMP}.dump`]);
    // After the first hop the revision is the chain's for the stop: validated by the matrix itself.
    expect(d.plan.hops[1]?.backup[0]).toContain('--tag=0004_split_events_table');
  });

  it('a version that is not semver is never planned from', () => {
    const d = decide(raw({ version: '1.2.0; rm -rf /' }));
    expect(d).toMatchObject({ kind: 'refused', reason: 'invalid_version' });
    if (d.kind === 'refused') expect(d.rejected.map((r) => r.field)).toContain('server_version');
  });

  it('valid values are shell-quoted: whatever a shell reads back is exactly the value', () => {
    const p = plan({ report: report({ ...OLD, server_version: '1.2.0-rc.1+build.7' }) });
    const cmd = p.hops[0]?.backup[0] ?? '';
    expect(parse(cmd)).toContain(`backup-1.2.0-rc.1-${STAMP}.dump`);
  });

  it('--deployment with shell syntax is a usage error', () => {
    expect(() => decide(report(OLD), { deployment: 'helm && curl evil' })).toThrow(HandshakeError);
    try {
      decide(report(OLD), { deployment: 'helm && curl evil' });
    } catch (err) {
      expect((err as HandshakeError).code).toBe('E_USAGE');
    }
  });
});

describe('plan: --to', () => {
  const usage = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(HandshakeError);
      return (err as HandshakeError).code;
    }
    return 'no error';
  };

  it.each([
    ['not semver', 'banana'],
    ['above the supported window', '1.5.0'],
    ['far above', '2.0.0'],
    ['below the supported window', '1.2.0'],
  ])('%s → usage error', (_name, to) => {
    expect(usage(() => parseTarget(matrix.doc, to))).toBe('E_USAGE');
    expect(usage(() => decide(report(OLD), { to }))).toBe('E_USAGE');
  });

  it('a version inside the window is the target, a leading v dropped', () => {
    expect(parseTarget(matrix.doc, 'v1.4.1')).toBe('1.4.1');
    const p = plan({ report: report(OLD), to: '1.4.1' });
    expect(p.target).toBe('1.4.1');
    expect(p.target_source).toBe('to');
    expect(p.hops.map((h) => h.to)).toEqual(['1.3.0', '1.4.1']);
  });

  it('never downgrades: --to below the running version is a usage error', () => {
    expect(
      usage(() =>
        decide(
          report({
            server_version: '1.4.2',
            schema_revision: '0004_split_events_table',
            pending_migrations: ['0005_add_retention_policy'],
          }),
          { to: '1.4.0' },
        ),
      ),
    ).toBe('E_USAGE');
  });

  it('up to date is judged with --to: compatible but older than --to is not', () => {
    const compatible = report({ server_version: '1.3.0', schema_revision: '0004_split_events_table' });
    expect(decide(compatible).kind).toBe('up_to_date');
    expect(decide(compatible, { to: '1.3.0' }).kind).toBe('up_to_date');
    expect(decide(compatible, { to: '1.4.2' }).kind).toBe('plan');
  });
});

describe('plan: when there is nothing to plan', () => {
  it('compatible with nothing pending: up to date', () => {
    expect(decide(report({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy' })).kind).toBe('up_to_date');
  });

  it('compatible with a pending migration: not up to date; the same version is re-run to apply it', () => {
    const d = decide(
      report({ server_version: '1.4.2', schema_revision: '0004_split_events_table', pending_migrations: ['0005_add_retention_policy'] }),
    );
    expect(d.kind).toBe('plan');
    if (d.kind === 'plan') expect(d.plan.hops.map((h) => [h.from, h.to])).toEqual([['1.4.2', '1.4.2']]);
  });

  it('a dev build is refused: there is no version to plan from', () => {
    const d = decide(report({ server_version: 'dev', schema_revision: '0005_add_retention_policy' }));
    expect(d).toMatchObject({ kind: 'refused', reason: 'dev_server' });
    if (d.kind === 'refused') expect(remedyText(d.hint, CTX)).toContain('1.4.2');
  });

  it('a server that refuses this CLI: upgrade the CLI, not the server', () => {
    const d = decide(report({ server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache', min_cli_version: '1.0.0' }));
    expect(d).toMatchObject({ kind: 'refused', reason: 'cli_outdated' });
    if (d.kind === 'refused') expect(remedyText(d.hint, CTX)).toContain('npm install -g handshake-compat@');
  });

  it('a server newer than this CLI knows is never downgraded', () => {
    const d = decide(report({ server_version: '1.5.0', schema_revision: '0005_add_retention_policy', pending_migrations: ['x_1'] }));
    expect(d).toMatchObject({ kind: 'refused', reason: 'server_newer' });
  });

  it('already at the target with a verdict an upgrade cannot fix (schema unknown): refused, with the verdict remedy', () => {
    const d = decide(report({ server_version: '1.4.2', schema_revision: '0009_diverged' }));
    expect(d).toMatchObject({ kind: 'refused', reason: 'diverged_schema' });
  });

  it('a failed migration: refused, with the restore steps of its deployment', () => {
    const d = decide(report({ ...OLD, migration_status: 'failed' }));
    expect(d).toMatchObject({ kind: 'refused', reason: 'migration_failed' });
    // The same restore commands compat check's migration_failed remedy names: the file is the one the server logs name.
    const templates = matrix.doc.server.deployments['docker-compose']?.restore ?? [];
    if (d.kind === 'refused') expect(d.commands).toEqual(templates.map((t) => t.replace('{backup_file}', 'BACKUP_FILE')));
  });
});

describe('hopReached', () => {
  const at = (fields: Record<string, unknown>) => report({ schema_revision: '0005_add_retention_policy', ...fields });
  it('an intermediate hop: at least its version, nothing pending, no migration running', () => {
    const goal = { min_version: '1.3.0', past_minor: null, compatible: false };
    expect(hopReached(matrix, goal, report({ server_version: '1.2.0', schema_revision: '0003_add_insight_meta_cache' }))).toBe(false);
    expect(hopReached(matrix, goal, report({ server_version: '1.3.0', schema_revision: '0004_split_events_table' }))).toBe(true);
    // A pending migration of its own release holds the hop; one of a later release (a server listing every file it ships) does not.
    const own = {
      server_version: '1.3.0',
      schema_revision: '0003_add_insight_meta_cache',
      pending_migrations: ['0004_split_events_table'],
    };
    expect(hopReached(matrix, goal, report(own))).toBe(false);
    expect(hopReached(matrix, goal, at({ server_version: '1.3.0', pending_migrations: ['0005_add_retention_policy'] }))).toBe(true);
    expect(hopReached(matrix, goal, at({ server_version: '1.3.0', migration_status: 'running' }))).toBe(false);
    expect(hopReached(matrix, goal, at({ server_version: '1.4.2' }))).toBe(true);
  });
  it('the last hop: a compatible verdict too', () => {
    const goal = { min_version: null, past_minor: null, compatible: true };
    expect(hopReached(matrix, goal, at({ server_version: '1.4.2' }))).toBe(true);
    expect(hopReached(matrix, goal, at({ server_version: '1.4.2', max_cli_version: '0.8.0' }))).toBe(false);
    expect(hopReached(matrix, goal, at({ server_version: 'dev' }))).toBe(false);
  });
  it('the last hop after a stop: past the stop, whichever release that is', () => {
    const goal = { min_version: null, past_minor: '1.3.0', compatible: true };
    expect(hopReached(matrix, goal, report({ server_version: '1.3.0', schema_revision: '0004_split_events_table' }))).toBe(false);
    // A later patch of the stop's minor is still the stop, not the release after it.
    expect(hopReached(matrix, goal, report({ server_version: '1.3.5', schema_revision: '0004_split_events_table' }))).toBe(false);
    expect(hopReached(matrix, goal, at({ server_version: '1.4.0' }))).toBe(true);
    expect(hopReached(matrix, goal, at({ server_version: '1.4.2' }))).toBe(true);
  });
});

describe('statusCommands (what to run when the server is unreachable)', () => {
  it('one kind: its status templates; no kind: every kind that has some', () => {
    expect(statusCommands(matrix.doc, 'helm')).toEqual([{ kinds: ['helm'], commands: matrix.doc.server.deployments.helm?.status }]);
    const all = statusCommands(matrix.doc, null);
    expect(all.flatMap((g) => g.kinds)).toEqual(expect.arrayContaining(['docker-compose', 'helm', 'rpm', 'deb']));
    // rpm and deb have the same commands: listed once.
    expect(all.find((g) => g.kinds.includes('rpm'))?.kinds).toEqual(['rpm', 'deb']);
    expect(statusCommands(matrix.doc, 'nomad')).toEqual([]);
  });
});
