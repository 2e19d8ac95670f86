import { describe, expect, it } from 'vitest';
import type { Observation } from '../../src/handshake/observe.js';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import { type CliContext, SEVERITY, STATUSES, type Status } from '../../src/verdict/verdict.js';
import { saidVerdict as computeVerdict, matrixWith } from '../helpers/matrix.js';

// Bundled matrix: min server 1.3.0, window >=1.3.0 <1.5.0-0, min schema 0004_split_events_table, chain 0001..0005.
const matrix = matrixWith();
const cli: CliContext = { version: '0.9.0', installMethod: 'npm' };
const HEAD = '0005_add_retention_policy';
const MIN = '0004_split_events_table';

function doc(fields: Record<string, unknown>): Observation {
  return { kind: 'document', document: versionDocumentSchema.parse(fields), headers: { schemaRevision: null, serverVersion: null } };
}
const verdict = (o: Observation, c: CliContext = cli) => computeVerdict(matrix, o, c);
const status = (o: Observation, c: CliContext = cli) => verdict(o, c).status;

describe('verdict: every status of the contract', () => {
  const table: Array<[string, Observation, Status]> = [
    ['within both windows', doc({ server_version: '1.4.2', schema_revision: HEAD }), 'compatible'],
    ['at min_server_version and min_schema_revision exactly', doc({ server_version: '1.3.0', schema_revision: MIN }), 'compatible'],
    ['one patch below min_server_version', doc({ server_version: '1.2.9', schema_revision: MIN }), 'server_outdated'],
    ['the last version of the window', doc({ server_version: '1.4.99', schema_revision: HEAD }), 'compatible'],
    ['the first version past the window', doc({ server_version: '1.5.0', schema_revision: HEAD }), 'server_newer'],
    ['a prerelease of the next minor is past the window', doc({ server_version: '1.5.0-rc.1', schema_revision: HEAD }), 'server_newer'],
    ['a prerelease inside the window counts as inside', doc({ server_version: '1.4.0-rc.1', schema_revision: HEAD }), 'compatible'],
    ['a prerelease of min_server_version precedes it', doc({ server_version: '1.3.0-rc.1', schema_revision: MIN }), 'server_outdated'],
    ['schema one revision behind', doc({ server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' }), 'schema_behind'],
    ['schema unknown', doc({ server_version: '1.4.2', schema_revision: '0006_add_dashboards' }), 'schema_unknown'],
    [
      'no schema reported (Observal 1.12 shape)',
      doc({ server_version: '1.4.2', max_cli_version: '2.0.0', api_version: 'v1', frontend_version: '1.4.2' }),
      'compatible',
    ],
    ['dev build', doc({ server_version: 'dev', schema_revision: HEAD }), 'dev_server'],
    ['CLI equal to min_cli_version', doc({ server_version: '1.4.2', schema_revision: HEAD, min_cli_version: '0.9.0' }), 'compatible'],
    [
      'CLI one patch below min_cli_version',
      doc({ server_version: '1.4.2', schema_revision: HEAD, min_cli_version: '0.9.1' }),
      'cli_outdated',
    ],
    ['CLI equal to max_cli_version', doc({ server_version: '1.4.2', schema_revision: HEAD, max_cli_version: '0.9.0' }), 'compatible'],
    [
      'CLI one patch above max_cli_version',
      doc({ server_version: '1.4.2', schema_revision: HEAD, max_cli_version: '0.8.9' }),
      'cli_too_new',
    ],
    ['426 with a required version', { kind: 'cli_rejected', requiredVersion: '1.0.0', httpStatus: 426 }, 'cli_outdated'],
    ['426 without one', { kind: 'cli_rejected', requiredVersion: null, httpStatus: 426 }, 'cli_outdated'],
    ['401', { kind: 'unauthorized', httpStatus: 401 }, 'unauthorized'],
    ['403', { kind: 'unauthorized', httpStatus: 403 }, 'unauthorized'],
    ['404', { kind: 'not_found', httpStatus: 404 }, 'not_found'],
    ['HTML page', { kind: 'invalid_response', reason: 'text/html', httpStatus: 200 }, 'invalid_response'],
    ['refused', { kind: 'unreachable', reason: 'refused', code: 'E_UNREACHABLE', remedy: null, httpStatus: null }, 'unreachable'],
  ];
  it.each(table)('%s → %s', (_name, observation, expected) => {
    const v = verdict(observation);
    expect(v.status).toBe(expected);
    expect(v.severity).toBe(SEVERITY[expected]);
    expect(v.message).not.toBe('');
  });

  it('covers every status of the contract', () => {
    const covered = new Set(table.map(([, , s]) => s));
    // The statuses of the truth round have their own table (verdict-truth.test.ts).
    for (const s of ['schema_behind', 'schema_ahead', 'migration_running', 'migration_failed'] as const) covered.add(s);
    // feature_unavailable needs a feature asked for: features.test.ts.
    covered.add('feature_unavailable');
    expect([...STATUSES].filter((s) => !covered.has(s))).toEqual([]);
  });
});

describe('verdict: precedence when several things are wrong', () => {
  it('the server refusing this CLI beats an outdated server', () => {
    expect(status(doc({ server_version: '1.0.0', schema_revision: '0001_initial', min_cli_version: '5.0.0' }))).toBe('cli_outdated');
  });
  it('an outdated server beats its schema', () => {
    expect(status(doc({ server_version: '1.2.0', schema_revision: '0003_add_insight_meta_cache' }))).toBe('server_outdated');
  });
  it('a schema behind beats a dev build', () => {
    expect(status(doc({ server_version: 'dev', schema_revision: '0002_add_event_tags' }))).toBe('schema_behind');
  });
  it('a dev build with an unknown schema is just dev_server', () => {
    expect(status(doc({ server_version: 'dev', schema_revision: 'zz_local_experiment' }))).toBe('dev_server');
  });
  it('server_newer explains an unknown schema on a newer server', () => {
    expect(status(doc({ server_version: '1.6.0', schema_revision: '0007_new' }))).toBe('server_newer');
  });
});

describe('verdict: pending migrations', () => {
  it('a pending migration at or before min_schema_revision is schema_behind', () => {
    const v = verdict(doc({ server_version: '1.3.0', pending_migrations: [MIN] }));
    expect(v.status).toBe('schema_behind');
    expect(v.message).toContain(MIN);
  });
  it("a pending migration of the server's own release counts, even one this CLI does not need", () => {
    expect(status(doc({ server_version: '1.4.0', schema_revision: MIN, pending_migrations: [{ revision: HEAD }] }))).toBe('schema_behind');
  });
  it('a pending migration the chain places in a later release than the server runs does not count', () => {
    expect(status(doc({ server_version: '1.3.0', schema_revision: MIN, pending_migrations: [{ revision: HEAD }] }))).toBe('compatible');
  });
});

describe('verdict: messages and remedies', () => {
  it('names both versions', () => {
    const v = verdict(doc({ server_version: '1.2.0', schema_revision: '0003_add_insight_meta_cache' }));
    expect(v.message).toContain('1.2.0');
    expect(v.message).toContain('0.9.0');
  });

  it('an outdated server gets `handshake server upgrade`', () => {
    expect(verdict(doc({ server_version: '1.2.0' })).remedy).toBe('handshake server upgrade');
    expect(verdict(doc({ server_version: '1.3.0', schema_revision: '0001_initial' })).remedy).toBe('handshake server upgrade');
  });

  it('an outdated CLI gets the install command for its install method, with the exact version', () => {
    const o = doc({ server_version: '1.4.2', min_cli_version: '1.1.0' });
    expect(verdict(o, { ...cli, installMethod: 'npm' }).remedy).toBe('npm install -g handshake-compat@1.1.0');
    expect(verdict(o, { ...cli, installMethod: 'pnpm' }).remedy).toBe('pnpm add -g handshake-compat@1.1.0');
    expect(verdict(o, { ...cli, installMethod: 'yarn' }).remedy).toBe('yarn global add handshake-compat@1.1.0');
    expect(verdict(o, { ...cli, installMethod: 'homebrew' }).remedy).toBe('brew upgrade handshake');
    expect(verdict(o, { ...cli, installMethod: 'standalone' }).remedy).toBe('handshake update --version 1.1.0');
  });

  it('prefers recommended_cli_version when it satisfies the window', () => {
    const o = doc({ server_version: '1.4.2', min_cli_version: '1.1.0', recommended_cli_version: '1.3.0' });
    expect(verdict(o).remedy).toBe('npm install -g handshake-compat@1.3.0');
    const outside = doc({ server_version: '1.4.2', min_cli_version: '1.1.0', max_cli_version: '1.2.0', recommended_cli_version: '1.3.0' });
    expect(verdict(outside).remedy).toBe('npm install -g handshake-compat@1.1.0');
  });

  it('a 426 installs exactly the required version', () => {
    expect(verdict({ kind: 'cli_rejected', requiredVersion: '2.0.1', httpStatus: 426 }).remedy).toBe(
      'npm install -g handshake-compat@2.0.1',
    );
  });

  it('a 426 naming a version at or below this CLI is the server contradicting itself: no downgrade, no install', () => {
    for (const requiredVersion of ['0.8.0', '0.9.0', '0.9.0-rc.1']) {
      const v = verdict({ kind: 'cli_rejected', requiredVersion, httpStatus: 426 });
      expect(v.status, requiredVersion).toBe('invalid_response');
      expect(v.message).toContain(`requires ${requiredVersion} or newer, which this CLI is`);
      expect(v.remedy).not.toMatch(/install -g/);
      expect(v.remedy).toMatch(/operator/);
    }
    expect(verdict({ kind: 'cli_rejected', requiredVersion: '0.9.1', httpStatus: 426 }).status).toBe('cli_outdated');
  });

  it('a CLI too new installs max_cli_version', () => {
    expect(verdict(doc({ server_version: '1.4.2', max_cli_version: '0.8.0' })).remedy).toBe('npm install -g handshake-compat@0.8.0');
  });

  it('compatible and dev have no remedy', () => {
    expect(verdict(doc({ server_version: '1.4.2', schema_revision: HEAD })).remedy).toBeNull();
    expect(verdict(doc({ server_version: 'dev' })).remedy).toBeNull();
  });

  it('uses the matrix bin and env prefix in remedies (a vendor CLI)', () => {
    const vendor = matrixWith({ cli: { ...matrixWith().doc.cli, package: '@acme/cli', bin: 'acme' } });
    expect(computeVerdict(vendor, doc({ server_version: '1.2.0' }), cli).remedy).toBe('acme server upgrade');
    expect(computeVerdict(vendor, { kind: 'unauthorized', httpStatus: 401 }, { ...cli, envPrefix: 'ACME' }).remedy).toContain('ACME_TOKEN');
  });
});
