import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../src/handshake/observe.js';
import { parseMatrix } from '../../src/matrix/load.js';
import type { MatrixInput } from '../../src/matrix/schema.js';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import { remedyText } from '../../src/render/remedy.js';
import { compatDocument } from '../../src/render/report.js';
import { buildReport } from '../../src/session/session.js';
import { featureRelease, unknownFeatures } from '../../src/verdict/features.js';
import { type CliContext, computeVerdict, featureGate, find, judge } from '../../src/verdict/verdict.js';
import { bundledJson, matrixWith } from '../helpers/matrix.js';

const cli: CliContext = { version: '0.9.0', installMethod: 'npm' };
const CHAIN = [
  '0001_initial',
  '0002_add_event_tags',
  '0003_add_insight_meta_cache',
  '0004_split_events_table',
  '0005_add_retention_policy',
];
const RETENTION = { min_server_version: '1.4.0', min_schema_revision: '0005_add_retention_policy', capability: 'retention' };
const ctx = { bin: 'handshake', envPrefix: 'HANDSHAKE', server: { kind: 'url', url: 'http://127.0.0.1:9' } as const };

function observation(fields: Record<string, unknown>): Observation {
  return { kind: 'document', document: versionDocumentSchema.parse(fields), headers: { schemaRevision: null, serverVersion: null } };
}
function feature(matrix = matrixWith(), fields: Record<string, unknown>, name = 'retention') {
  const o = observation(fields);
  if (o.kind !== 'document') throw new Error('unreachable');
  return find(matrix, o.document, cli).features.find((f) => f.name === name);
}

describe('features in compat.json', () => {
  it('the bundled matrix declares retention: server 1.4.0, revision 0005, capability retention', () => {
    expect(matrixWith().doc.features?.['retention']).toMatchObject(RETENTION);
  });

  it('a matrix without features stays valid and means what it meant', () => {
    const { features: _, ...old } = bundledJson() as MatrixInput & { features?: unknown };
    const m = parseMatrix(old, 'old');
    expect(m.doc.features).toBeUndefined();
    expect(computeVerdict(m, observation({ server_version: '1.3.0', schema_revision: '0004_split_events_table' }), cli).status).toBe(
      'compatible',
    );
  });

  it.each([
    [{ x: {} }, 'features.x: needs at least one of min_server_version, min_schema_revision, capability'],
    [{ x: { description: 'only words' } }, 'features.x: needs at least one'],
    [{ x: { min_schema_revision: '0009_nope' } }, 'features.x.min_schema_revision: "0009_nope" is not in schema_chain'],
    [{ x: { min_server_version: '1.4' } }, 'features.x.min_server_version: must be a semver version'],
    [{ x: { capability: 'migrate' } }, 'features.x.capability: "migrate" is the admin migration endpoint'],
    [{ x: { capability: 'a b' } }, 'features.x.capability: must be a capability key'],
    [{ 'Bad Name': { capability: 'x' } }, 'features.Bad Name: must be a feature name'],
    [{ x: { capability: 'x', typo: 1 } }, 'features.x: unknown field typo'],
  ])('refuses %j, naming the field', (features, message) => {
    expect(() => matrixWith({ features } as Partial<MatrixInput>)).toThrow(message);
  });

  it('unknownFeatures names what the matrix does not declare (inherited names are not features)', () => {
    expect(unknownFeatures(matrixWith(), ['retention', 'exports', 'constructor', '__proto__'])).toEqual([
      'exports',
      'constructor',
      '__proto__',
    ]);
  });

  it('the first release that brings a feature is the later of its version and its revision’s release', () => {
    const m = matrixWith();
    expect(featureRelease(m, { min_schema_revision: '0005_add_retention_policy' })).toBe('1.4.0');
    expect(featureRelease(m, { min_server_version: '1.4.2', min_schema_revision: '0004_split_events_table' })).toBe('1.4.2');
    expect(featureRelease(m, { capability: 'retention' })).toBeNull();
  });
});

describe('capabilities in the version document', () => {
  it('keeps boolean feature flags beside migrate, and parses its own output back to itself (the cache stores it)', () => {
    const d = versionDocumentSchema.parse({
      server_version: '1.4.2',
      capabilities: { migrate: '/api/v1/admin/migrations', retention: false, exports: true, weird: 'x', 'bad key': false, n: 1 },
    });
    expect(d.capabilities).toEqual({ migrate: '/api/v1/admin/migrations', retention: false, exports: true });
    expect(versionDocumentSchema.parse(d).capabilities).toEqual(d.capabilities);
  });
  it('a capabilities value of another shape is no capabilities, never a failed handshake', () => {
    for (const capabilities of [[], 'x', 3, null]) {
      expect(versionDocumentSchema.parse({ server_version: '1.4.2', capabilities }).capabilities).toEqual({ migrate: null });
    }
  });
});

describe('feature availability: the one rule', () => {
  it.each([
    ['1.4.2 at 0005', { server_version: '1.4.2', schema_revision: CHAIN[4] }, true, null],
    ['1.4.0 at 0005 (exactly the minimum)', { server_version: '1.4.0', schema_revision: CHAIN[4] }, true, null],
    [
      '1.3.0 at 0004',
      { server_version: '1.3.0', schema_revision: CHAIN[3] },
      false,
      'server 1.3.0 is older than 1.4.0; schema 0004_split_events_table precedes 0005_add_retention_policy',
    ],
    [
      '1.4.2 with its migrations not run (0004)',
      { server_version: '1.4.2', schema_revision: CHAIN[3] },
      false,
      'schema 0004_split_events_table precedes 0005_add_retention_policy',
    ],
    [
      '1.4.2 with the capability off',
      { server_version: '1.4.2', schema_revision: CHAIN[4], capabilities: { retention: false } },
      false,
      'the server has capability retention switched off',
    ],
    ['1.4.2 with the capability on', { server_version: '1.4.2', schema_revision: CHAIN[4], capabilities: { retention: true } }, true, null],
    [
      '1.4.0-rc.1 precedes 1.4.0',
      { server_version: '1.4.0-rc.1', schema_revision: CHAIN[4] },
      false,
      'server 1.4.0-rc.1 is older than 1.4.0',
    ],
    [
      'no schema revision',
      { server_version: '1.4.2' },
      false,
      'the server reports no schema revision (it needs 0005_add_retention_policy)',
    ],
    [
      'a revision not in the chain on a covered release',
      { server_version: '1.4.2', schema_revision: '0005b_hotfix' },
      false,
      "schema 0005b_hotfix is not in this CLI's chain, so it cannot be shown to include 0005_add_retention_policy",
    ],
    ['a server newer than this CLI, on a revision it does not know', { server_version: '1.5.0', schema_revision: '0006_next' }, true, null],
    ['a dev build: its revision decides', { server_version: 'dev', schema_revision: CHAIN[4] }, true, null],
  ])('%s', (_name, fields, available, reason) => {
    const f = feature(undefined, fields);
    expect(f?.available).toBe(available);
    expect(f?.reason).toBe(reason);
  });

  it('honours version flavours (16.11.10-ee compares as 16.11.10)', () => {
    const m = matrixWith({
      version_flavors: ['ee'],
      supported_server_range: '>=1.3.0 <2.0.0-0',
      features: { sso: { min_server_version: '1.6.0' } },
    } as Partial<MatrixInput>);
    expect(feature(m, { server_version: '1.6.0-ee' }, 'sso')?.available).toBe(true);
    expect(feature(m, { server_version: '1.5.9-ee' }, 'sso')?.available).toBe(false);
  });
});

describe('feature availability: properties', () => {
  const versions = fc
    .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }))
    .map(([a, b, c]) => `${a}.${b}.${c}`);
  const revisionIndex = fc.integer({ min: 0, max: CHAIN.length - 1 });
  const capability = fc.constantFrom<boolean | undefined>(true, false, undefined);
  const wide = { supported_server_range: '>=0.0.0 <4.0.0-0', min_server_version: '0.0.0' } as Partial<MatrixInput>;
  const specArb = fc.record(
    {
      min_server_version: versions,
      min_schema_revision: fc.constantFrom(...CHAIN),
      capability: fc.constant('retention'),
    },
    { requiredKeys: [] },
  );
  const withSpec = (spec: Record<string, unknown>) => {
    // A spec with no requirement is invalid: give it the capability.
    const valid = Object.keys(spec).length ? spec : { capability: 'retention' };
    return matrixWith({ ...wide, features: { retention: valid } } as Partial<MatrixInput>);
  };
  const available = (m: ReturnType<typeof matrixWith>, version: string, rev: number, cap: boolean | undefined) =>
    feature(m, {
      server_version: version,
      schema_revision: CHAIN[rev],
      ...(cap === undefined ? {} : { capabilities: { retention: cap } }),
    })?.available;

  it('is monotone in version and in revision, for a fixed capability', () => {
    fc.assert(
      fc.property(specArb, versions, versions, revisionIndex, revisionIndex, capability, (spec, v1, v2, r1, r2, cap) => {
        const m = withSpec(spec);
        const [lowV, highV] = semver.lte(v1, v2) ? [v1, v2] : [v2, v1];
        const [lowR, highR] = r1 <= r2 ? [r1, r2] : [r2, r1];
        if (available(m, lowV, lowR, cap)) expect(available(m, highV, highR, cap)).toBe(true);
        if (available(m, lowV, highR, cap)) expect(available(m, highV, highR, cap)).toBe(true);
        if (available(m, highV, lowR, cap)) expect(available(m, highV, highR, cap)).toBe(true);
      }),
    );
  });

  it('is never available below its minimum version or revision, nor with its capability off', () => {
    fc.assert(
      fc.property(specArb, versions, revisionIndex, capability, (spec, v, r, cap) => {
        const m = withSpec(spec);
        const ok = available(m, v, r, cap);
        if (spec.min_server_version && semver.lt(v, spec.min_server_version)) expect(ok).toBe(false);
        if (spec.min_schema_revision && r < CHAIN.indexOf(spec.min_schema_revision)) expect(ok).toBe(false);
        if (cap === false && (spec.capability || Object.keys(spec).length === 0)) expect(ok).toBe(false);
      }),
    );
  });

  it('a feature with only a capability follows only the capability', () => {
    const m = withSpec({ capability: 'retention' });
    fc.assert(
      fc.property(versions, revisionIndex, capability, (v, r, cap) => {
        expect(available(m, v, r, cap)).toBe(cap !== false);
      }),
    );
  });
});

describe('feature_unavailable: the verdict', () => {
  const m = matrixWith();
  const need = { features: ['retention'], command: 'handshake projects retention' };
  const say = (fields: Record<string, unknown>) => {
    const v = featureGate(m, observation(fields), cli, need);
    return v && { ...v, remedy: remedyText(v.hint, ctx) };
  };

  it('names the command, the feature, what it needs and what the server has; the remedy upgrades to the first release', () => {
    const v = say({ server_version: '1.3.0', schema_revision: CHAIN[3] });
    expect(v?.status).toBe('feature_unavailable');
    expect(v?.severity).toBe('error');
    expect(v?.message).toBe(
      'handshake projects retention needs feature retention (server 1.4.0, schema 0005_add_retention_policy, capability retention); server 1.3.0 (schema 0004_split_events_table) lacks it: server 1.3.0 is older than 1.4.0; schema 0004_split_events_table precedes 0005_add_retention_policy',
    );
    expect(v?.remedy).toBe('handshake server upgrade --server http://127.0.0.1:9 --to 1.4.0');
    expect(v?.feature).toEqual({ name: 'retention', ...RETENTION });
  });

  it('a capability switched off: the operator must switch it on, no upgrade', () => {
    const v = say({ server_version: '1.4.2', schema_revision: CHAIN[4], capabilities: { retention: false } });
    expect(v?.status).toBe('feature_unavailable');
    expect(v?.remedy).toBe(
      "No upgrade brings it: ask the server's operator to switch capability retention on, and check again: handshake compat check --server http://127.0.0.1:9 --feature retention",
    );
    expect(v?.remedy).not.toContain('upgrade --');
  });

  it('its own migrations not run: plain server upgrade (the release is there already)', () => {
    expect(say({ server_version: '1.4.2', schema_revision: CHAIN[3] })?.remedy).toBe(
      'handshake server upgrade --server http://127.0.0.1:9',
    );
  });

  it('both: upgrade to the release, then switch it on', () => {
    expect(say({ server_version: '1.3.0', schema_revision: CHAIN[3], capabilities: { retention: false } })?.remedy).toBe(
      "handshake server upgrade --server http://127.0.0.1:9 --to 1.4.0; then ask the server's operator to switch capability retention on, and check again: handshake compat check --server http://127.0.0.1:9 --feature retention",
    );
  });

  it('the gate lets a server that has the feature through, even one the verdict warns about', () => {
    expect(say({ server_version: '1.4.2', schema_revision: CHAIN[4] })).toBeNull();
    expect(say({ server_version: 'dev', schema_revision: CHAIN[4] })).toBeNull();
  });

  it('the gate stops a server it could not check, or one mid-migration, with that verdict', () => {
    expect(featureGate(m, { kind: 'not_found', httpStatus: 404 }, cli, need)?.status).toBe('not_found');
    expect(say({ server_version: '1.4.2', schema_revision: CHAIN[3], migration_status: 'running' })?.status).toBe('migration_running');
  });

  it('the gate ends a command on a server lacking the feature whatever else is wrong (schema_behind)', () => {
    expect(say({ server_version: '1.3.0', schema_revision: CHAIN[2] })?.status).toBe('feature_unavailable');
  });

  it('in the judge (compat check --feature), it comes after the errors and before the warnings', () => {
    const j = (fields: Record<string, unknown>) => judge(m, observation(fields), cli, { features: ['retention'] }).verdict.status;
    expect(j({ server_version: '1.3.0', schema_revision: CHAIN[2] })).toBe('schema_behind');
    expect(j({ server_version: '1.3.0', schema_revision: CHAIN[3] })).toBe('feature_unavailable');
    expect(j({ server_version: '1.4.2', schema_revision: CHAIN[4] })).toBe('compatible');
    // Without a feature asked for, nothing changes.
    expect(judge(m, observation({ server_version: '1.3.0', schema_revision: CHAIN[3] }), cli).verdict.status).toBe('compatible');
  });

  it('compat check --json: features for every feature of the matrix, feature for feature_unavailable (null requirements kept)', () => {
    const m2 = matrixWith({ features: { retention: RETENTION, audit: { capability: 'audit' } } } as Partial<MatrixInput>);
    const url = new URL('http://127.0.0.1:9');
    const report = compatDocument(
      buildReport({ matrix: m2, cli }, url, observation({ server_version: '1.3.0', schema_revision: CHAIN[3] }), null, {
        features: ['audit', 'retention'],
      }),
    );
    expect(report.status).toBe('feature_unavailable');
    expect(report.features).toEqual({
      retention: {
        available: false,
        reason: 'server 1.3.0 is older than 1.4.0; schema 0004_split_events_table precedes 0005_add_retention_policy',
      },
      audit: { available: true, reason: null },
    });
    expect(report.feature).toEqual({ name: 'retention', ...RETENTION });
    const audit = buildReport({ matrix: m2, cli }, url, observation({ server_version: '1.4.2', capabilities: { audit: false } }), null, {
      features: ['audit'],
    });
    expect(compatDocument(audit).feature).toEqual({
      name: 'audit',
      min_server_version: null,
      min_schema_revision: null,
      capability: 'audit',
    });
    const none = compatDocument(buildReport({ matrix: m2, cli }, url, { kind: 'not_found', httpStatus: 404 }));
    expect(none.features?.['audit']).toEqual({ available: false, reason: 'not checked: the server gave no version document (not_found)' });
    expect(none).not.toHaveProperty('feature');
  });

  it('a matrix without features adds nothing to the document', () => {
    const { features: _, ...old } = bundledJson() as MatrixInput & { features?: unknown };
    const report = compatDocument(
      buildReport({ matrix: parseMatrix(old, 'old'), cli }, new URL('http://h'), observation({ server_version: '1.3.0' })),
    );
    expect(Object.keys(report)).toEqual(['status', 'severity', 'message', 'remedy', 'cli', 'server']);
  });
});
