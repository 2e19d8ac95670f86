import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../src/handshake/observe.js';
import type { Matrix } from '../../src/matrix/load.js';
import type { MatrixInput } from '../../src/matrix/schema.js';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import { buildReport, type StatusReport } from '../../src/session/session.js';
import { hopReached, type PlanDecision, planUpgrade, type UpgradePlan } from '../../src/upgrade/plan.js';
import { minorOf, stopsBetween } from '../../src/upgrade/stops.js';
import { matrixWith } from '../helpers/matrix.js';

// Upgrade paths as real products publish them (issue 14).
const NOW = new Date(Date.UTC(2026, 10, 21, 6, 3, 2));
const URL_ = new URL('http://127.0.0.1:9/');

function report(m: Matrix, fields: Record<string, unknown>): StatusReport {
  const observation: Observation = {
    kind: 'document',
    document: versionDocumentSchema.parse(fields),
    headers: { schemaRevision: null, serverVersion: null },
  };
  return buildReport({ matrix: m, cli: { version: '0.9.0', installMethod: 'npm' } }, URL_, observation);
}

/** A server on `version` whose database is at its release's head (as a healthy install is). */
function healthy(m: Matrix, version: string): StatusReport {
  const head = m.releaseHead(m.serverVersion(version) ?? version);
  const revision = head !== null && head >= 0 ? (m.doc.schema_chain[head]?.revision ?? null) : null;
  return report(m, { server_version: version, schema_revision: revision });
}

function decide(m: Matrix, r: StatusReport, to?: string): PlanDecision {
  return planUpgrade({ matrix: m, report: r, to, now: NOW });
}

function plan(m: Matrix, r: StatusReport, to?: string): UpgradePlan {
  const d = decide(m, r, to);
  if (d.kind !== 'plan') throw new Error(`expected a plan, got ${JSON.stringify(d)}`);
  return d.plan;
}

const hopList = (p: UpgradePlan) => p.hops.map((h) => h.to);

/**
 * GitLab's required upgrade stops, written from GitLab's own page:
 * https://docs.gitlab.com/update/upgrade_paths/ ("Required upgrade stops": upgrade to the required
 * stop after your current version, let its background migrations finish, then the next stop; use
 * the latest patch of a stop's major.minor, e.g. 16.8.7 rather than 16.8.0; from 17.5 the stops are
 * x.2, x.5, x.8 and x.11). GitLab 15: 15.0, 15.4, 15.11. GitLab 16: 16.3, 16.7, 16.11 (16.0, 16.1 and
 * 16.2 only for some instances; not listed here). GitLab 17: 17.1 (only for instances with a large
 * ci_pipeline_messages table: a condition on the instance this CLI cannot see, so it is a stop with
 * its note, the safe side), 17.3, 17.5, 17.8, 17.11. The patch levels are the latest each minor had
 * when this was written: a vendor keeps them current (README).
 */
const GITLAB_STOPS: MatrixInput['upgrade_stops'] = [
  '15.0.5',
  '15.4.6',
  '15.11.13',
  '16.3.9',
  '16.7.10',
  '16.11.10',
  { version: '17.1.8', note: 'Required for instances with a large ci_pipeline_messages table' },
  '17.3.7',
  '17.5.5',
  '17.8.7',
  '17.11.6',
];
const gitlabReleases = ['15.0.0', '15.4.0', '15.11.0', '16.3.0', '16.7.0', '16.11.0', '17.1.0', '17.3.0', '17.5.0', '17.8.0', '17.11.0'];
const gitlab = matrixWith({
  min_server_version: '15.0.0',
  min_schema_revision: 'gl_15_0',
  schema_chain: gitlabReleases.map((v) => ({ revision: `gl_${v.split('.').slice(0, 2).join('_')}`, server_version: v })),
  supported_server_range: '>=15.0.0 <18.0.0-0',
  recommended_server_version: '17.11.6',
  upgrade_stops: GITLAB_STOPS,
  version_flavors: ['ee', 'ce'],
});

describe("GitLab's published upgrade path", () => {
  it.each([
    ['14.10.5', '15.11.13', ['15.0.5', '15.4.6', '15.11.13']],
    ['15.2.1', '16.11.10', ['15.4.6', '15.11.13', '16.3.9', '16.7.10', '16.11.10']],
    ['15.0.5', '17.3.7', ['15.4.6', '15.11.13', '16.3.9', '16.7.10', '16.11.10', '17.1.8', '17.3.7']],
    ['16.3.9', '17.0.8', ['16.7.10', '16.11.10', '17.0.8']],
    ['16.11.10', '17.8.7', ['17.1.8', '17.3.7', '17.5.5', '17.8.7']],
    ['17.6.2', '17.11.6', ['17.8.7', '17.11.6']],
    // A server inside a stop's minor but below its patch is not at the stop yet: the hop installs the patch the matrix names.
    ['16.7.2', '16.11.10', ['16.7.10', '16.11.10']],
  ])('%s → %s: %j', (from, to, hops) => {
    const p = plan(gitlab, healthy(gitlab, from), to);
    expect(hopList(p)).toEqual(hops);
    expect(p.hops[0]?.from).toBe(from);
    expect(p.hops.at(-1)?.stop).toBe(false);
    expect(p.hops.slice(0, -1).every((h) => h.stop)).toBe(true);
  });

  it("a stop's note goes with its hop", () => {
    const p = plan(gitlab, healthy(gitlab, '16.11.10'), '17.3.7');
    expect(p.hops.find((h) => h.to === '17.1.8')?.note).toContain('ci_pipeline_messages');
  });

  it('a target inside a stop’s minor, at or above it, is ONE hop (stop 17.3.0, target 17.3.7)', () => {
    const m = matrixWith({ ...gitlabPatch(), upgrade_stops: ['17.3.0'] });
    expect(hopList(plan(m, healthy(m, '17.2.4'), '17.3.7'))).toEqual(['17.3.7']);
    // Before the fix: two hops, 17.3.0 then 17.3.7, each with its backup and downtime.
    expect(plan(m, healthy(m, '17.2.4'), '17.3.7').hops).toHaveLength(1);
  });

  it('a flavoured version (16.11.10-ee) compares as its release: planned from, shown as reported, and a hop ends on a flavoured answer', () => {
    const p = plan(gitlab, healthy(gitlab, '16.11.10-ee'), '17.3.7');
    expect(p.from.version).toBe('16.11.10-ee');
    expect(p.hops[0]?.from).toBe('16.11.10-ee');
    // 16.11.10-ee IS the 16.11 stop: no hop back to 16.11.10.
    expect(hopList(p)).toEqual(['17.1.8', '17.3.7']);
    const first = p.hops[0];
    if (!first) throw new Error('no hop');
    expect(hopReached(gitlab, first.done_when, healthy(gitlab, '17.1.8-ee'))).toBe(true);
    expect(hopReached(gitlab, first.done_when, healthy(gitlab, '17.1.7-ee'))).toBe(false);
    const last = p.hops.at(-1);
    if (!last) throw new Error('no hop');
    expect(hopReached(gitlab, last.done_when, healthy(gitlab, '17.3.7-ee'))).toBe(true);
  });

  it('background migrations hold a hop open until they are done (GitLab: let them finish before the next stop)', () => {
    const p = plan(gitlab, healthy(gitlab, '16.11.10'), '17.3.7');
    const first = p.hops[0];
    if (!first) throw new Error('no hop');
    const at = (bg: number | null) =>
      report(gitlab, { server_version: '17.1.8', schema_revision: 'gl_17_1', background_migrations_pending: bg });
    expect(hopReached(gitlab, first.done_when, at(3))).toBe(false);
    expect(hopReached(gitlab, first.done_when, at(0))).toBe(true);
    expect(hopReached(gitlab, first.done_when, at(null))).toBe(true);
  });
});

function gitlabPatch(): Partial<MatrixInput> {
  return {
    min_server_version: gitlab.doc.min_server_version,
    min_schema_revision: gitlab.doc.min_schema_revision,
    schema_chain: gitlab.doc.schema_chain,
    supported_server_range: gitlab.doc.supported_server_range,
    recommended_server_version: gitlab.doc.recommended_server_version,
  };
}

/** Airflow: "you must be on 2.7 or later before upgrading to Airflow 3" — a stop only for 3.x targets. */
const airflow = matrixWith({
  min_server_version: '2.6.0',
  min_schema_revision: 'af_2_6',
  schema_chain: [
    { revision: 'af_2_6', server_version: '2.6.0' },
    { revision: 'af_2_7', server_version: '2.7.0' },
    { revision: 'af_2_10', server_version: '2.10.0' },
    { revision: 'af_3_0', server_version: '3.0.0' },
  ],
  supported_server_range: '>=2.6.0 <3.1.0-0',
  recommended_server_version: '3.0.2',
  upgrade_stops: [{ version: '2.7.3', when_target: '>=3.0.0-0', note: 'Airflow 3 upgrades from 2.7 or later only' }],
});

describe("Airflow's conditional stop", () => {
  it('2.6 → 2.10: the 3.x-only stop is no hop', () => {
    expect(hopList(plan(airflow, healthy(airflow, '2.6.3'), '2.10.5'))).toEqual(['2.10.5']);
  });
  it('2.6 → 3.0: through 2.7, with its note', () => {
    const p = plan(airflow, healthy(airflow, '2.6.3'), '3.0.2');
    expect(hopList(p)).toEqual(['2.7.3', '3.0.2']);
    expect(p.hops[0]?.note).toContain('2.7');
  });
  it('2.8 → 3.0: already past the stop, one hop', () => {
    expect(hopList(plan(airflow, healthy(airflow, '2.8.1'), '3.0.2'))).toEqual(['3.0.2']);
  });
});

/** Observal: pre-1.0 installs run `alembic stamp v1_baseline` before anything else (the chain restarts there). */
const STAMP = 'docker compose run --rm server alembic stamp v1_baseline';
const observalInput = (withBaseline: boolean): Partial<MatrixInput> => ({
  min_server_version: '1.0.0',
  min_schema_revision: 'v1_baseline',
  schema_chain: [
    { revision: 'v1_baseline', server_version: '1.0.0' },
    { revision: '0002_add_insights', server_version: '1.1.0' },
  ],
  supported_server_range: '>=1.0.0 <1.2.0-0',
  recommended_server_version: '1.1.0',
  upgrade_stops: [],
  ...(withBaseline ? { baseline: { revision: 'v1_baseline', steps: [STAMP], note: 'the 1.0 chain was squashed' } } : {}),
});

describe('a server that predates the chain, and one whose schema diverged', () => {
  const observal = matrixWith(observalInput(true));
  const preOne = (m: Matrix) => report(m, { server_version: '0.9.4', schema_revision: '3f1c2a9b7d10', deployment: 'docker-compose' });

  it('pre-1.0 with a baseline: planned by version, the baseline steps in hop 1 after its backup and before its upgrade', () => {
    const p = plan(observal, preOne(observal));
    expect(p.baseline).toMatchObject({ revision: 'v1_baseline' });
    expect(hopList(p)).toEqual(['1.1.0']);
    expect(p.hops[0]?.baseline).toEqual([STAMP]);
    expect(p.hops[0]?.backup.length).toBeGreaterThan(0);
  });

  it('pre-1.0 without a baseline: still planned by its version, no steps invented', () => {
    const m = matrixWith(observalInput(false));
    const p = plan(m, preOne(m));
    expect(p.baseline).toBeNull();
    expect(p.hops.flatMap((h) => h.baseline)).toEqual([]);
  });

  it('a released server on its own chain needs no baseline', () => {
    const p = plan(observal, report(observal, { server_version: '1.0.2', schema_revision: 'v1_baseline' }), '1.1.0');
    expect(p.baseline).toBeNull();
    expect(p.hops[0]?.baseline).toEqual([]);
  });

  it('a release this CLI covers on a revision not in the chain is refused: a person must look first', () => {
    const d = decide(observal, report(observal, { server_version: '1.0.2', schema_revision: 'hotfix_by_hand' }));
    expect(d).toMatchObject({ kind: 'refused', reason: 'diverged_schema' });
    const bundled = matrixWith();
    expect(decide(bundled, report(bundled, { server_version: '1.3.1', schema_revision: 'zz_local_patch' }))).toMatchObject({
      kind: 'refused',
      reason: 'diverged_schema',
    });
  });
});

describe('property: the planner', () => {
  const version = fc
    .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 4 }))
    .map((v) => v.join('.'));
  const stop = fc.record({
    version,
    when_target: fc.option(fc.constantFrom('>=2.0.0', '>=3.0.0', '<2.5.0'), { nil: null }),
    note: fc.constant(null),
  });

  it('hops strictly increase, never pass the target, and visit every applicable stop’s minor; inapplicable ones never', () => {
    fc.assert(
      fc.property(fc.array(stop, { maxLength: 8 }), version, version, (stops, a, b) => {
        const [from, target] = semver.lt(a, b) ? [a, b] : [b, a];
        if (semver.eq(from, target)) return;
        const points = [from, ...stopsBetween(stops, from, target).map((s) => s.version), target];
        for (let i = 1; i < points.length; i++) expect(semver.lt(points[i - 1] as string, points[i] as string)).toBe(true);
        for (const p of points) expect(semver.lte(p, target)).toBe(true);
        const minors = new Set(points.slice(1).map(minorOf));
        for (const s of stops) {
          const applies = !s.when_target || semver.satisfies(target, s.when_target);
          const between = semver.gt(s.version, from) && semver.lt(s.version, target);
          if (applies && between) {
            expect(minors.has(minorOf(s.version))).toBe(true);
            expect(points.slice(1).some((p) => minorOf(p) === minorOf(s.version) && semver.gte(p, s.version))).toBe(true);
          }
        }
        // One hop per minor at most: a minor's stops are reached by its highest.
        expect(minors.size).toBe(points.length - 1);
      }),
    );
  });

  it('a stop that applies to no target in play is never a hop', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        const [from, target] = semver.lt(a, b) ? [a, b] : [b, a];
        if (semver.eq(from, target) || semver.satisfies(target, '>=9.0.0')) return;
        expect(stopsBetween([{ version: '2.5.0', when_target: '>=9.0.0', note: null }], from, target)).toEqual([]);
      }),
    );
  });
});
