// New revisions without --release are in no released server yet (`server_version: null`): the verdict
// never counts them as pending of a server's own release, sync says which they are and the command that
// sets their release, and --check's remedy names a release (issue 28 item 8: pasting it recorded the
// revision under the CLI's own version, and a healthy server on the previous release read schema_behind).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Observation } from '../../src/handshake/observe.js';
import { parseMatrix } from '../../src/matrix/load.js';
import { syncMatrix } from '../../src/matrix/sync/index.js';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import { createStyle } from '../../src/render/style.js';
import { formatSync } from '../../src/render/sync.js';
import { computeVerdict } from '../../src/verdict/verdict.js';
import { bundledJson } from '../helpers/matrix.js';

const ROOT = join(import.meta.dirname, '../..');
const REF = join(ROOT, 'examples/reference-server/migrations');
const tmp = mkdtempSync(join(tmpdir(), 'handshake-sync-release-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const ctx = { bin: 'handshake', envPrefix: 'HANDSHAKE' };
const plain = createStyle(false);

/** The reference server's migrations plus two new ones. */
function withTwoNew(): string {
  const dir = join(tmp, `mig-${n++}`);
  mkdirSync(dir);
  for (const f of [
    '0001_initial',
    '0002_add_event_tags',
    '0003_add_insight_meta_cache',
    '0004_split_events_table',
    '0005_add_retention_policy',
  ]) {
    writeFileSync(join(dir, `${f}.sql`), readFileSync(join(REF, `${f}.sql`)));
  }
  writeFileSync(join(dir, '0006_add_dashboards.sql'), '-- description: dashboards\n');
  writeFileSync(join(dir, '0007_add_alerts.sql'), '-- description: alerts\n');
  return dir;
}

function bundledCopy(): string {
  const file = join(tmp, `compat-${n++}.json`);
  writeFileSync(file, readFileSync(join(ROOT, 'compat.json')));
  return file;
}

const chainOf = (file: string) => JSON.parse(readFileSync(file, 'utf8')).schema_chain as Record<string, unknown>[];

describe('compat sync without --release', () => {
  it('gives new revisions server_version null, and says which and the command that sets their release', () => {
    const dir = withTwoNew();
    const file = bundledCopy();
    const r = syncMatrix({ dir, matrixFile: file });
    expect(r).toMatchObject({
      written: true,
      added: ['0006_add_dashboards', '0007_add_alerts'],
      unreleased: ['0006_add_dashboards', '0007_add_alerts'],
    });
    expect(chainOf(file).slice(5)).toEqual([
      { revision: '0006_add_dashboards', description: 'dashboards', server_version: null },
      { revision: '0007_add_alerts', description: 'alerts', server_version: null },
    ]);
    // The matrix stays valid.
    expect(() => parseMatrix(JSON.parse(readFileSync(file, 'utf8')), file)).not.toThrow();
    const text = formatSync(r, plain, { check: false, ctx });
    expect(text).toContain('2 revisions are in no released server yet (server_version null): 0006_add_dashboards, 0007_add_alerts');
    // The newest release in the chain is 1.4.0: 1.4.1 is the smallest release that can ship them.
    expect(text).toContain(`handshake compat sync ${dir} --compat ${file} --release 1.4.1`);
  });

  it('a later sync with --release gives them that release; known revisions with a release keep theirs', () => {
    const dir = withTwoNew();
    const file = bundledCopy();
    syncMatrix({ dir, matrixFile: file });
    const r = syncMatrix({ dir, matrixFile: file, release: '1.5.0' });
    expect(r).toMatchObject({ written: true, changed: false, released: ['0006_add_dashboards', '0007_add_alerts'], unreleased: [] });
    expect(chainOf(file).map((e) => e['server_version'])).toEqual(['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0', '1.5.0', '1.5.0']);
    expect(formatSync(r, plain, { check: false, ctx })).not.toContain('no released server');
  });

  it('with --release, new revisions get it (as before)', () => {
    const file = bundledCopy();
    syncMatrix({ dir: withTwoNew(), matrixFile: file, release: '1.4.1' });
    expect(
      chainOf(file)
        .slice(5)
        .map((e) => e['server_version']),
    ).toEqual(['1.4.1', '1.4.1']);
  });
});

describe('--check: the remedy names a release', () => {
  it('without --release: the newest release in the chain bumped by a patch; with it: that release', () => {
    const dir = withTwoNew();
    const file = bundledCopy();
    const r = syncMatrix({ dir, matrixFile: file, check: true });
    expect(r.changed).toBe(true);
    const text = formatSync(r, plain, { check: true, ctx });
    expect(text).toContain(`Fix: handshake compat sync ${dir} --compat ${file} --release 1.4.1`);
    const given = syncMatrix({ dir, matrixFile: file, check: true, release: '2.0.0', format: 'sql' });
    expect(formatSync(given, plain, { check: true, ctx: { bin: 'acme', envPrefix: 'ACME' } })).toContain(
      `Fix: acme compat sync ${dir} --compat ${file} --format sql --release 2.0.0`,
    );
  });
});

describe('the verdict honours null: in no released server yet', () => {
  const doc = (fields: Record<string, unknown>): Observation => ({
    kind: 'document',
    document: versionDocumentSchema.parse(fields),
    headers: { schemaRevision: null, serverVersion: null },
  });
  const cli = { version: '0.9.0', installMethod: 'npm' as const };
  const matrix = (release: string | null | undefined) => {
    const json = bundledJson();
    const extra = [{ revision: '0006_add_dashboards' }, { revision: '0007_add_alerts' }] as Record<string, unknown>[];
    if (release !== undefined) (extra[0] as Record<string, unknown>)['server_version'] = release;
    return parseMatrix({ ...json, schema_chain: [...json.schema_chain, ...extra] }, 'test');
  };
  const status = (release: string | null | undefined, fields: Record<string, unknown>) =>
    computeVerdict(matrix(release), doc({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy', ...fields }), cli).status;

  it('a 1.4.2 server at 0005 that lists the unreleased revisions as pending is compatible', () => {
    const pending = { pending_migrations: [{ revision: '0006_add_dashboards' }, { revision: '0007_add_alerts' }] };
    expect(status(null, pending)).toBe('compatible');
    // Absent keeps its old meaning: the entry before's release (1.4.0), so 1.4.2 ships them and they are pending.
    expect(status(undefined, pending)).toBe('schema_behind');
    expect(status('1.5.0', pending)).toBe('compatible');
  });

  it('a 1.4.2 server at 0005 is not missing them (its migrations ran)', () => {
    expect(status(null, {})).toBe('compatible');
    expect(status(undefined, {})).toBe('schema_behind');
  });
});
