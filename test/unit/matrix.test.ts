import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'shell-quote';
import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../src/errors.js';
import { matrixJsonSchema } from '../../src/matrix/json-schema.js';
import { loadMatrix, parseMatrix } from '../../src/matrix/load.js';
import { fillTemplate } from '../../src/matrix/templates.js';
import { ROOT, sandbox } from '../helpers/cli.js';
import { bundledJson } from '../helpers/matrix.js';

function issuesOf(value: unknown): { path: string; message: string }[] {
  try {
    parseMatrix(value, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(MatrixError);
    return [...(err as MatrixError).issues];
  }
  throw new Error('expected the matrix to be rejected');
}

describe('the bundled matrix', () => {
  it('validates', () => {
    const m = loadMatrix();
    expect(m.source).toBe('bundled');
    expect(m.doc.schema_chain.length).toBeGreaterThanOrEqual(4);
  });

  it('cli_version equals package.json version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(loadMatrix().doc.cli_version).toBe(pkg.version);
  });

  it('compat.schema.json is generated from the zod schema and current', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'compat.schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(matrixJsonSchema())));
  });

  it('the JSON Schema describes the input: defaulted fields are optional', () => {
    const schema = matrixJsonSchema() as { required: string[] };
    expect(schema.required).toContain('cli_version');
    expect(schema.required).not.toContain('upgrade_stops');
    expect(schema.required).not.toContain('version_endpoint');
  });
});

describe('matrix validation names the field and the problem', () => {
  const base = bundledJson();
  const cases: Array<[string, unknown, string]> = [
    ['missing cli_version', { ...base, cli_version: undefined }, 'cli_version'],
    ['non-semver min_server_version', { ...base, min_server_version: 'v1' }, 'min_server_version'],
    ['min_schema_revision not in the chain', { ...base, min_schema_revision: '0009_nope' }, 'min_schema_revision'],
    ['a duplicate revision', { ...base, schema_chain: [...base.schema_chain, { revision: '0001_initial' }] }, 'schema_chain[5].revision'],
    ['a revision with a control character', { ...base, schema_chain: [{ revision: '0001\u001b[2J' }] }, 'schema_chain[0].revision'],
    ['a revision with a format character', { ...base, schema_chain: [{ revision: '0001\u202e' }] }, 'schema_chain[0].revision'],
    [
      'a parent listed after its child',
      { ...base, schema_chain: [{ revision: 'a', parents: ['b'] }, { revision: 'b' }] },
      'schema_chain[0].parents[0]',
    ],
    ['max_schema_revision not in the chain', { ...base, max_schema_revision: 'nope' }, 'max_schema_revision'],
    ['a baseline not in the chain', { ...base, baseline: { revision: 'nope', steps: ['x'] } }, 'baseline.revision'],
    ['a conditional stop with a bad range', { ...base, upgrade_stops: [{ version: '1.3.0', when_target: 'nope' }] }, 'upgrade_stops[0]'],
    ['an invalid range', { ...base, supported_server_range: 'not a range' }, 'supported_server_range'],
    ['a stop above the window', { ...base, upgrade_stops: ['1.3.0', '2.0.0'] }, 'upgrade_stops[1]'],
    ['recommended outside the window', { ...base, recommended_server_version: '1.9.0' }, 'recommended_server_version'],
    ['min_server_version above the window', { ...base, min_server_version: '2.0.0' }, 'min_server_version'],
    [
      'an unknown placeholder in a CLI template',
      { ...base, cli: { ...base.cli, install: { ...base.cli.install, npm: 'npm i -g {pkg}' } } },
      'cli.install.npm',
    ],
    [
      'an unknown placeholder in a server template',
      { ...base, server: { ...base.server, generic: { backup: ['dump {target}'], upgrade: ['x'] } } },
      'server.generic.backup[0]',
    ],
    ['an unknown top-level field (a typo)', { ...base, min_server_versoin: '1.0.0' }, ''],
    ['a relative version endpoint', { ...base, version_endpoint: 'api/version' }, 'version_endpoint'],
    ['a bad header name', { ...base, headers: { schema_revision: 'X Bad' } }, 'headers.schema_revision'],
  ];
  it.each(cases)('%s', (_name, value, path) => {
    const issues = issuesOf(value);
    expect(issues.map((i) => i.path)).toContain(path);
    for (const issue of issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  it('the error message names the file and the first field', () => {
    try {
      parseMatrix({ ...base, min_server_version: 'v1' }, '/tmp/compat.json');
      expect.unreachable();
    } catch (err) {
      expect((err as MatrixError).message).toContain('/tmp/compat.json');
      expect((err as MatrixError).message).toContain('min_server_version');
      expect((err as MatrixError).code).toBe('E_MATRIX_INVALID');
    }
  });

  it('a file that is not JSON, or is missing, is a MatrixError naming the file', () => {
    const box = sandbox();
    try {
      const file = join(box.dir, 'x.json');
      writeFileSync(file, '{');
      expect(() => loadMatrix(file)).toThrow(MatrixError);
      expect(() => loadMatrix(join(box.dir, 'missing.json'))).toThrow(/missing\.json/);
    } finally {
      box.cleanup();
    }
  });
});

describe('revision placement', () => {
  const m = loadMatrix();
  it('places revisions before, at and after the minimum, in O(1)', () => {
    expect(m.placeRevision('0001_initial')).toEqual({ known: true, index: 0, relation: 'before', distance: -3 });
    expect(m.placeRevision('0004_split_events_table')).toMatchObject({ relation: 'at', distance: 0 });
    expect(m.placeRevision('0005_add_retention_policy')).toMatchObject({ relation: 'after', distance: 1 });
    expect(m.placeRevision('0099_unknown')).toEqual({ known: false });
  });
});

describe('templates', () => {
  it('shell-quotes every substituted value', () => {
    expect(fillTemplate('install {version}', { version: '1.4.2' })).toBe('install 1.4.2');
    // Whatever the quoting style, a shell reads each value back as exactly one literal word.
    for (const hostile of ['1.4.2; rm -rf /', '$(id)', '`id`', "a'b", 'a b\nc', '--help']) {
      expect(parse(fillTemplate('install {version}', { version: hostile }))).toEqual(['install', hostile]);
    }
  });
});
