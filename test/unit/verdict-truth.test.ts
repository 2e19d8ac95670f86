import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyResponse, type Observation } from '../../src/handshake/observe.js';
import type { Matrix } from '../../src/matrix/load.js';
import type { MatrixInput } from '../../src/matrix/schema.js';
import { type VersionDocumentInput, versionDocumentSchema } from '../../src/protocol/version-document.js';
import { exitCodeForVerdict } from '../../src/render/exit-codes.js';
import { type CliContext, judge, type Severity } from '../../src/verdict/verdict.js';
import { ROOT } from '../helpers/cli.js';
import { bundledJson, saidVerdict as computeVerdict, matrixWith } from '../helpers/matrix.js';

/**
 * The verdict judged against the server's own release and its migration state (docs/verdicts.md), on real
 * products' data: Airflow's published version → revision map, GitLab's flavoured versions, Liquibase ids.
 */

const cli: CliContext = { version: '0.9.0', installMethod: 'npm' };
const fixture = (name: string) => JSON.parse(readFileSync(join(ROOT, 'test/fixtures/real', name), 'utf8'));

const doc = (d: VersionDocumentInput): Observation => ({
  kind: 'document',
  document: versionDocumentSchema.parse(d),
  headers: { schemaRevision: null, serverVersion: null },
});

/** A matrix for a CLI of Airflow's 2.5–2.6 servers, on Airflow's own chain (test/fixtures/real/airflow-migrations.json). */
function airflow(patch: Partial<MatrixInput> = {}): Matrix {
  const { chain } = fixture('airflow-migrations.json') as { chain: MatrixInput['schema_chain'] };
  return matrixWith({
    schema_chain: chain,
    min_server_version: '2.4.0',
    min_schema_revision: 'ecb43d2a1842',
    supported_server_range: '>=2.4.0 <2.7.0-0',
    recommended_server_version: '2.6.3',
    upgrade_stops: [],
    ...patch,
  });
}
const AIRFLOW_242_HEAD = 'b0d31815b5a6';
const AIRFLOW_262_HEAD = 'c804e5c76e3e';

describe('truth: a server judged against its own release (Airflow)', () => {
  it('new code on a database its migrations never reached is schema_behind, without any pending list', () => {
    const v = computeVerdict(airflow(), doc({ server_version: '2.6.3', schema_revision: AIRFLOW_242_HEAD }), cli);
    expect(v.status).toBe('schema_behind');
    // 2.4.3, 2.5.0 (3), 2.6.0 (2), 2.6.2: seven migrations of its own release never ran.
    expect(v.message).toContain('7 migrations');
    expect(v.remedy).toContain('server upgrade');
  });

  it('the same with the server listing them as pending, though this CLI needs none of them', () => {
    const pending = ['e07f49787c9d', 'ee8d93fcc81e'];
    const v = computeVerdict(
      airflow(),
      doc({ server_version: '2.6.3', schema_revision: AIRFLOW_242_HEAD, pending_migrations: pending }),
      cli,
    );
    expect(v.status).toBe('schema_behind');
  });

  it('old code on a database a later release migrated (a rollback without a downgrade) is schema_ahead', () => {
    const v = computeVerdict(airflow(), doc({ server_version: '2.4.3', schema_revision: '6abdffdd4815' }), cli);
    expect(v.status).toBe('schema_ahead');
    expect(v.message).toContain('2.6.0');
    expect(exitCodeForVerdict(v)).toBe(3);
  });

  it('a server at the head of its own release is compatible', () => {
    expect(computeVerdict(airflow(), doc({ server_version: '2.6.3', schema_revision: AIRFLOW_262_HEAD }), cli).status).toBe('compatible');
    expect(computeVerdict(airflow(), doc({ server_version: '2.4.2', schema_revision: AIRFLOW_242_HEAD }), cli).status).toBe('compatible');
  });

  it('a database past max_schema_revision (a contract migration) is schema_ahead, with a CLI remedy', () => {
    const m = airflow({ max_schema_revision: '290244fb8b83' });
    const v = computeVerdict(m, doc({ server_version: '2.6.3', schema_revision: AIRFLOW_262_HEAD }), cli);
    expect(v.status).toBe('schema_ahead');
    expect(v.remedy).toMatch(/npm install -g /);
  });

  it('a matrix whose chain names no releases means what it meant: no judgement against the release', () => {
    const { chain } = fixture('airflow-migrations.json') as { chain: { revision: string }[] };
    const m = airflow({ schema_chain: chain.map(({ revision }) => ({ revision })) });
    expect(computeVerdict(m, doc({ server_version: '2.6.3', schema_revision: AIRFLOW_242_HEAD }), cli).status).toBe('compatible');
  });

  it("a covered release on a revision not in the chain has diverged: schema_unknown, and the remedy is not 'upgrade the CLI'", () => {
    const v = computeVerdict(airflow(), doc({ server_version: '2.6.3', schema_revision: 'deadbeef0001' }), cli);
    expect(v.status).toBe('schema_unknown');
    expect(v.remedy).not.toMatch(/npm install/);
    const newer = computeVerdict(airflow(), doc({ server_version: '2.7.0', schema_revision: 'deadbeef0001' }), cli);
    expect(newer.status).toBe('server_newer');
    expect(newer.remedy).toMatch(/npm install/);
  });
});

describe('truth: a covered release older than the chain (the chain continues below its first entry)', () => {
  it("Airflow 2.3.0 on 1de7bc13c950 (the revision before the fixture's first) predates the chain: schema_behind, not diverged", () => {
    const m = airflow({ min_server_version: '2.3.0', supported_server_range: '>=2.3.0 <2.7.0-0' });
    const v = computeVerdict(m, doc({ server_version: '2.3.0', schema_revision: '1de7bc13c950' }), cli);
    expect(v.status).toBe('schema_behind');
    expect(v.remedy).toContain('server upgrade');
    expect(judge(m, doc({ server_version: '2.3.0', schema_revision: '1de7bc13c950' }), cli).findings?.schema.status).toBe('predates');
  });
});

describe('truth: the migration runner', () => {
  const bundled = matrixWith();
  const at = { server_version: '1.4.2', schema_revision: '0005_add_retention_policy' };
  it('running is migration_running (exit 4) naming the progress', () => {
    const v = computeVerdict(
      bundled,
      doc({ ...at, migration_status: 'running', migration_progress: { applied: 1, total: 3, current: '0005_add_retention_policy' } }),
      cli,
    );
    expect(v.status).toBe('migration_running');
    expect(v.message).toContain('1 of 3');
    expect(exitCodeForVerdict(v)).toBe(4);
  });
  it('failed is migration_failed (exit 3) with the restore as remedy', () => {
    const v = computeVerdict(bundled, doc({ ...at, migration_status: 'failed', deployment: 'docker-compose' }), cli);
    expect(v.status).toBe('migration_failed');
    expect(v.remedy).toContain('pg_restore');
    expect(exitCodeForVerdict(v)).toBe(3);
  });
  it('a maintenance-mode 503 on any call is migration_running, never unreachable', () => {
    const body = Buffer.from(JSON.stringify({ error: 'migrating', migration_progress: { applied: 2, total: 5, current: null } }));
    const o = classifyResponse(
      { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '5' }, body, url: 'http://x/api/v1/config/version' },
      bundled,
    );
    expect(o).toMatchObject({ kind: 'migrating', retryAfterMs: 5000 });
    expect(computeVerdict(bundled, o, cli).status).toBe('migration_running');
    // A plain 503 from a proxy stays unreachable.
    const proxy = classifyResponse(
      { status: 503, headers: { 'content-type': 'text/html' }, body: Buffer.from('<h1>503</h1>'), url: 'http://x/' },
      bundled,
    );
    expect(proxy.kind).toBe('unreachable');
  });
});

describe('truth: version flavours (GitLab EE) and revision ids of other tools', () => {
  const gitlab = (flavors: string[]) =>
    matrixWith({
      schema_chain: [{ revision: '20220510000000', server_version: '15.0.0' }],
      min_schema_revision: '20220510000000',
      min_server_version: '15.0.0',
      supported_server_range: '>=15.0.0 <18.0.0-0',
      recommended_server_version: '17.3.7',
      upgrade_stops: [],
      version_flavors: flavors,
    });
  it('15.0.0-ee at the minimum 15.0.0 is inside the window when ee is a flavour, and shown as reported', () => {
    const o = doc({ server_version: '15.0.0-ee', schema_revision: '20220510000000' });
    expect(computeVerdict(gitlab([]), o, cli).status).toBe('server_outdated');
    const v = computeVerdict(gitlab(['ee', 'ce']), o, cli);
    expect(v.status).toBe('compatible');
    expect(v.message).toContain('15.0.0-ee');
  });
  it("every version GitLab's version API reports compares as its release", () => {
    const { versions } = fixture('gitlab-version.json') as { versions: string[] };
    const m = gitlab(['ee', 'ce']);
    for (const reported of versions) expect(m.serverVersion(reported)).toBe(reported.replace(/-(ee|ce)$/, ''));
  });
  it('a Liquibase changeset id, a Flyway version and a Prisma directory are revision ids', () => {
    for (const id of ['db/changelog/db.changelog-1.0.xml::1::nvoxland', '1.1', '20240101120000_init']) {
      const m = matrixWith({ schema_chain: [...bundledJson().schema_chain, { revision: id, server_version: '1.4.0' }] });
      const o = doc({ server_version: '1.4.2', schema_revision: id });
      expect(o.kind).toBe('document');
      expect(computeVerdict(m, o, cli).status).toBe('compatible');
    }
  });
});

// Property tests over generated chains: releases 1.0.0, 1.1.0, … each introducing 1–3 revisions.
const RANK: Record<Severity, number> = { ok: 0, warn: 1, error: 2 };
const chainArb = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 8 }).map((perRelease) => {
  const chain: { revision: string; server_version: string }[] = [];
  perRelease.forEach((n, minor) => {
    for (let i = 0; i < n; i++) chain.push({ revision: `r${minor}_${i}`, server_version: `1.${minor}.0` });
  });
  return { chain, releases: perRelease.length };
});
function generated(chain: { revision: string; server_version: string }[], releases: number): Matrix {
  return matrixWith({
    schema_chain: chain,
    min_schema_revision: chain[0]?.revision ?? '',
    min_server_version: '1.0.0',
    supported_server_range: `>=1.0.0 <1.${releases}.0-0`,
    recommended_server_version: `1.${releases - 1}.0`,
    upgrade_stops: [],
  });
}

describe('truth: properties', () => {
  it('a server at the head of its own supported release, nothing pending, is never an error', () => {
    fc.assert(
      fc.property(chainArb, fc.nat(), fc.nat(), ({ chain, releases }, pick, patch) => {
        const m = generated(chain, releases);
        const minor = pick % releases;
        const version = `1.${minor}.${patch % 5}`;
        const head = m.releaseHead(version) ?? -1;
        const v = judge(m, doc({ server_version: version, schema_revision: chain[head]?.revision ?? null }), cli).verdict;
        expect(v.severity).not.toBe('error');
      }),
    );
  });
  it('moving the database back (at or below its release head) never improves the verdict', () => {
    fc.assert(
      fc.property(chainArb, fc.nat(), fc.nat(), fc.nat(), ({ chain, releases }, pick, a, b) => {
        const m = generated(chain, releases);
        const version = `1.${pick % releases}.0`;
        const head = m.releaseHead(version) ?? 0;
        const [lo, hi] = [a % (head + 1), b % (head + 1)].sort((x, y) => x - y) as [number, number];
        const sev = (i: number) =>
          RANK[judge(m, doc({ server_version: version, schema_revision: chain[i]?.revision }), cli).verdict.severity];
        expect(sev(lo)).toBeGreaterThanOrEqual(sev(hi));
      }),
    );
  });
  it('adding an unrelated later revision (a later release) to the chain never changes a verdict', () => {
    fc.assert(
      fc.property(chainArb, fc.nat(), fc.nat(), ({ chain, releases }, pick, at) => {
        const version = `1.${pick % releases}.0`;
        const o = doc({ server_version: version, schema_revision: chain[at % chain.length]?.revision });
        const before = judge(generated(chain, releases), o, cli).verdict;
        const longer = [...chain, { revision: 'later_0', server_version: `1.${releases}.0` }];
        const after = judge(generated(longer, releases), o, cli).verdict;
        expect(after.status).toBe(before.status);
      }),
    );
  });
});
