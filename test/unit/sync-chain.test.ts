import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { parseMatrix } from '../../src/matrix/load.js';
import { detectIndent, isRevisionId, type Migration, orderMigrations, type SyncError, syncMatrix } from '../../src/matrix/sync/index.js';
import { exitCodeForError } from '../../src/render/exit-codes.js';

const ROOT = join(import.meta.dirname, '../..');
const FIX = join(ROOT, 'test/fixtures/migrations');
const tmp = mkdtempSync(join(tmpdir(), 'handshake-sync-chain-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

const m = (revision: string, parents: string[], file = `${revision}.py`): Migration => ({
  revision,
  parents,
  description: null,
  file,
  sortKey: null,
});

function alembicDir(revs: Record<string, string | string[] | null>): string {
  const dir = join(tmp, `alembic-${n++}`);
  mkdirSync(dir);
  for (const [rev, down] of Object.entries(revs)) {
    const d = down === null ? 'None' : Array.isArray(down) ? `(${down.map((x) => JSON.stringify(x)).join(', ')})` : JSON.stringify(down);
    writeFileSync(join(dir, `${rev}.py`), `"""${rev} message."""\nrevision = "${rev}"\ndown_revision = ${d}\n`);
  }
  return dir;
}

/** The repository's compat.json with another chain, written to a temp file. */
function matrixWith(chain: unknown[], extra: Record<string, unknown> = {}, indent: string | number = 2): string {
  const doc = JSON.parse(readFileSync(join(ROOT, 'compat.json'), 'utf8'));
  doc.schema_chain = chain;
  doc.min_schema_revision = (chain[0] as { revision: string }).revision;
  delete doc.features; // the bundled features name revisions of the bundled chain
  Object.assign(doc, extra);
  const file = join(tmp, `compat-${n++}.json`);
  writeFileSync(file, `${JSON.stringify(doc, null, indent)}\n`);
  return file;
}

describe('ordering and checking the graph', () => {
  it('a cycle is a usage error naming a file on it', () => {
    const err = (() => {
      try {
        orderMigrations([m('base', []), m('a', ['base', 'b']), m('b', ['a'])]);
      } catch (e) {
        return e as SyncError;
      }
    })();
    expect(err?.problem).toBe('cycle');
    expect(['a.py', 'b.py']).toContain(err?.file);
    expect(exitCodeForError(err)).toBe(2);
  });

  it('a parent that does not exist is a usage error naming the file', () => {
    expect(() => orderMigrations([m('a', []), m('b', ['gone'])])).toThrow(
      expect.objectContaining({ problem: 'missing_parent', file: 'b.py' }),
    );
  });

  it('two heads: exit 3, naming both', () => {
    try {
      orderMigrations([m('a', []), m('b', ['a']), m('c', ['a'])]);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ problem: 'multiple_heads', code: ErrorCode.ChainMismatch });
      expect([...(e as SyncError).heads].sort()).toEqual(['b', 'c']);
      expect(exitCodeForError(e)).toBe(3);
    }
  });

  it('a duplicate id names both files', () => {
    expect(() => orderMigrations([m('a', [], 'one.py'), m('a', [], 'two.py')])).toThrow(/one\.py.*two\.py/);
  });

  it('among revisions that could go next, the chain already known keeps its order', () => {
    const ms = [m('base', []), m('x', ['base']), m('y', ['base']), m('merge', ['x', 'y'])];
    expect(orderMigrations(ms).map((r) => r.revision)).toEqual(['base', 'x', 'y', 'merge']);
    expect(orderMigrations(ms, ['base', 'y', 'x', 'merge']).map((r) => r.revision)).toEqual(['base', 'y', 'x', 'merge']);
  });

  it('revision ids: printable text up to 256 characters (Liquibase ids too)', () => {
    expect(isRevisionId('db/changelog.xml::create-users::alice')).toBe(true);
    expect(isRevisionId('1.1')).toBe(true);
    expect(isRevisionId('x'.repeat(256))).toBe(true);
    expect(isRevisionId('x'.repeat(257))).toBe(false);
    expect(isRevisionId('a\u202eb')).toBe(false);
    expect(isRevisionId('a\nb')).toBe(false);
    expect(isRevisionId('')).toBe(false);
  });

  it('10,000 revisions order in well under a second', () => {
    const ms = Array.from({ length: 10_000 }, (_, i) => m(`r${i}`, i === 0 ? [] : [`r${i - 1}`]));
    const started = performance.now();
    const out = orderMigrations(ms.reverse());
    expect(performance.now() - started).toBeLessThan(1000);
    expect(out[9_999]?.revision).toBe('r9999');
  });
});

describe('syncMatrix: rewriting compat.json', () => {
  it('the reference server matches compat.json: nothing written, not a byte touched', () => {
    const file = join(tmp, 'compat-ref.json');
    cpSync(join(ROOT, 'compat.json'), file);
    const before = statSync(file).mtimeMs;
    const r = syncMatrix({ dir: join(ROOT, 'examples/reference-server/migrations'), matrixFile: file });
    expect(r).toMatchObject({ format: 'sql', changed: false, written: false, added: [], removed: [] });
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it('only schema_chain changes; known entries keep their fields, new ones get the release and their message', () => {
    const dir = alembicDir({ a: null, b: 'a', c: 'b' });
    const file = matrixWith([{ revision: 'a', description: 'kept', server_version: '1.0.0', extra: { k: 1 } }], {
      upgrade_stops: ['1.3.0'],
    });
    const text = readFileSync(file, 'utf8');
    const r = syncMatrix({ dir, matrixFile: file });
    expect(r).toMatchObject({ changed: true, written: true, added: ['b', 'c'], removed: [] });
    const out = readFileSync(file, 'utf8');
    const doc = JSON.parse(out);
    expect(doc.schema_chain).toEqual([
      { revision: 'a', description: 'kept', server_version: '1.0.0', extra: { k: 1 } },
      // No --release: in no released server yet (docs/compat-sync.md; the CLI's own version was recorded before).
      { revision: 'b', description: 'b message.', server_version: null },
      { revision: 'c', description: 'c message.', server_version: null },
    ]);
    // Everything outside schema_chain is byte for byte what it was.
    const cut = (s: string) => [s.slice(0, s.indexOf('"schema_chain"')), s.slice(s.indexOf('"supported_server_range"'))];
    expect(cut(out)).toEqual(cut(text));
    expect(Object.keys(doc)).toEqual(Object.keys(JSON.parse(text)));
  });

  it('--release sets the server_version of new revisions', () => {
    const file = matrixWith([{ revision: 'a' }]);
    syncMatrix({ dir: alembicDir({ a: null, b: 'a' }), matrixFile: file, release: '2.0.0' });
    expect(JSON.parse(readFileSync(file, 'utf8')).schema_chain[1].server_version).toBe('2.0.0');
  });

  it('merges get parents; the file keeps its indentation', () => {
    for (const indent of [2, 4, '\t']) {
      const file = matrixWith([{ revision: 'base' }], {}, indent);
      syncMatrix({ dir: alembicDir({ base: null, x: 'base', y: 'base', merge: ['x', 'y'] }), matrixFile: file });
      const out = readFileSync(file, 'utf8');
      expect(detectIndent(out)).toBe(typeof indent === 'number' ? ' '.repeat(indent) : indent);
      const chain = JSON.parse(out).schema_chain;
      expect(chain.map((e: { revision: string }) => e.revision)).toEqual(['base', 'x', 'y', 'merge']);
      expect(chain[1].parents).toBeUndefined();
      expect(chain[2].parents).toEqual(['base']);
      expect(chain[3].parents).toEqual(['x', 'y']);
      // Each entry's fields sit three levels deep, in the file's own unit.
      const unit = typeof indent === 'number' ? ' '.repeat(indent) : indent;
      const revisionLines = out.split('\n').filter((l) => l.includes('"revision"'));
      expect(revisionLines).toHaveLength(4);
      for (const l of revisionLines) expect(l.startsWith(unit.repeat(3)) && !l.startsWith(unit.repeat(4))).toBe(true);
    }
  });

  it('the rewritten matrix is still a valid matrix (minus parents, which the schema owner adds)', () => {
    const file = join(tmp, 'compat-observal.json');
    writeFileSync(file, readFileSync(matrixWith([{ revision: 'v1_baseline' }]), 'utf8'));
    syncMatrix({ dir: join(FIX, 'observal/versions'), matrixFile: file });
    const matrix = parseMatrix(JSON.parse(readFileSync(file, 'utf8')), file);
    expect(matrix.revisionIndex('011_migration_jobs')).toBeGreaterThan(matrix.revisionIndex('c680c63ced65'));
    expect(matrix.revisionIndex('c680c63ced65')).toBeGreaterThan(matrix.revisionIndex('010_global_unique_names'));
  });

  it('check mode writes nothing and names what differs', () => {
    const file = matrixWith([{ revision: 'a' }, { revision: 'c' }, { revision: 'b' }, { revision: 'old' }]);
    const text = readFileSync(file, 'utf8');
    const r = syncMatrix({ dir: alembicDir({ a: null, b: 'a', c: 'b', d: 'c' }), matrixFile: file, check: true });
    expect(r).toMatchObject({ changed: true, written: false, added: ['d'], removed: ['old'] });
    expect(r.reordered.length).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('changed parents alone are a difference', () => {
    const file = matrixWith([{ revision: 'base' }, { revision: 'x' }, { revision: 'y' }, { revision: 'merge' }]);
    const r = syncMatrix({ dir: alembicDir({ base: null, x: 'base', y: 'base', merge: ['x', 'y'] }), matrixFile: file, check: true });
    expect(r).toMatchObject({ changed: true, added: [], removed: [], reordered: [] });
    expect(r.parentsChanged).toEqual(['y', 'merge']);
  });

  it('a matrix whose min_schema_revision would leave the chain is refused, and not written', () => {
    const file = matrixWith([{ revision: 'gone' }]);
    const text = readFileSync(file, 'utf8');
    expect(() => syncMatrix({ dir: alembicDir({ a: null }), matrixFile: file })).toThrow(expect.objectContaining({ problem: 'matrix' }));
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('a matrix that is not JSON, or is missing, is a matrix error naming the file (exit 2)', () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{ nope');
    for (const file of [bad, join(tmp, 'missing.json')]) {
      try {
        syncMatrix({ dir: alembicDir({ a: null }), matrixFile: file });
        expect.unreachable();
      } catch (e) {
        expect(e).toMatchObject({ code: ErrorCode.MatrixInvalid, file });
        expect(exitCodeForError(e)).toBe(2);
      }
    }
  });

  it('a directory with no migrations of the format is a usage error', () => {
    const dir = join(tmp, 'empty');
    mkdirSync(dir);
    expect(() => syncMatrix({ dir, format: 'flyway', matrixFile: join(ROOT, 'compat.json'), check: true })).toThrow(
      expect.objectContaining({ problem: 'no_migrations' }),
    );
  });
});
