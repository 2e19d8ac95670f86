// The three readers compat sync had wrong against the tools' own answers (issue 27), the --format that
// read another tool's files, and symlinked migration files (issue 22, item 7). Each case here failed on
// the code before it.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { orderMigrations, READERS, SyncError, type SyncFormat, syncMatrix } from '../../src/matrix/sync/index.js';
import { exitCodeForError } from '../../src/render/exit-codes.js';
import { thrown } from '../helpers/thrown.js';

const thrownSync = (f: () => unknown): SyncError => thrown(f, SyncError);

const ROOT = join(import.meta.dirname, '../..');
const FIX = join(ROOT, 'test/fixtures/migrations');
const tmp = mkdtempSync(join(tmpdir(), 'handshake-sync-fixes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

const chain = (format: SyncFormat, dir: string) => orderMigrations(READERS[format](dir));
const ids = (format: SyncFormat, dir: string) => chain(format, dir).map((c) => c.revision);

function dirOf(files: Record<string, string>): string {
  const dir = join(tmp, `d-${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

function matrixWith(chain: { revision: string }[]): string {
  const doc = JSON.parse(readFileSync(join(ROOT, 'compat.json'), 'utf8'));
  doc.schema_chain = chain;
  doc.min_schema_revision = chain[0]?.revision;
  delete doc.max_schema_revision;
  delete doc.baseline;
  const file = join(tmp, `compat-${n++}.json`);
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}

describe("Django: the app's label as Django derives it", () => {
  // wagtail/apps.py: `label = "wagtailcore"` for the app in wagtail/; its migrations depend on ("wagtailcore", …).
  const WAGTAIL = join(FIX, 'wagtail/wagtail/migrations');

  it("wagtail (label wagtailcore, directory wagtail): one head, as Django's MigrationLoader finds", () => {
    const c = chain('django', WAGTAIL);
    // 0001_squashed_0016 replaces 0001…0016; the rest follow it through their wagtailcore dependencies.
    expect(c[0]?.revision).toBe('0001_squashed_0016_change_page_url_path_to_text_field');
    expect(c.find((x) => x.revision === '0017_change_edit_page_permission_description')?.parents).toEqual([
      '0001_squashed_0016_change_page_url_path_to_text_field',
    ]);
    expect(c.find((x) => x.revision === '0028_merge')?.parents).toEqual([
      '0024_alter_page_content_type_on_delete_behaviour',
      '0027_fix_collection_path_collation',
    ]);
    expect(c.map((x) => x.revision)).not.toContain('0005_add_page_lock_permission_to_moderators');
    expect(c).toHaveLength(100 - 16);
  });

  it("without apps.py, the label the app's own migrations use in their dependencies", () => {
    // ("auth", "0001_initial") and ("contenttypes", "0001_initial") name files that exist here too; their other
    // dependencies do not, so only wagtailcore names this directory's migrations throughout.
    const dir = join(tmp, 'wagtail-no-config/wagtail/migrations');
    cpSync(WAGTAIL, dir, { recursive: true });
    expect(ids('django', dir)).toEqual(ids('django', WAGTAIL));
  });

  it('an AppConfig without label: the last part of its name', () => {
    const app = join(tmp, 'shop-dir');
    mkdirSync(join(app, 'migrations'), { recursive: true });
    writeFileSync(join(app, 'apps.py'), 'from django.apps import AppConfig\n\nclass ShopConfig(AppConfig):\n    name = "acme.shop"\n');
    writeFileSync(join(app, 'migrations/0001_initial.py'), 'class Migration(migrations.Migration):\n    initial = True\n');
    writeFileSync(
      join(app, 'migrations/0002_x.py'),
      'class Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n',
    );
    expect(chain('django', join(app, 'migrations')).map((x) => x.parents)).toEqual([[], ['0001_initial']]);
  });
});

describe('Rails: versions as integers', () => {
  it('001_setup.rb is version 1 (MigrationContext#parse_migration_filename: version.to_i)', () => {
    // activerecord/lib/active_record/migration.rb: `[Integer(version), name.camelize, scope]`, recorded as text.
    const dir = dirOf({ '001_setup.rb': '', '002_issue_move.rb': '', '010_x.rb': '', '20240101000000_ts.rb': '' });
    expect(ids('rails', dir)).toEqual(['1', '2', '10', '20240101000000']);
  });

  it('001 and 1 are one version: a duplicate, as ActiveRecord refuses (DuplicateMigrationVersionError)', () => {
    const dir = dirOf({ '001_a.rb': '', '1_b.rb': '' });
    expect(thrownSync(() => chain('rails', dir)).problem).toBe('duplicate');
  });
});

describe("golang-migrate: file names parsed with its source reader's regex", () => {
  it("30_ignore_autotag.up..sql is version 30's up file (source/parse.go: ^([0-9]+)_(.*)\\.(down|up)\\.(.*)$)", () => {
    const dir = dirOf({
      '29_a.up.sql': '',
      '29_a.down.sql': '',
      '30_ignore_autotag.up..sql': '',
      '30_ignore_autotag.down..sql': '',
      '31_b.up.sql': '',
    });
    const c = chain('sql', dir);
    expect(c.map((x) => x.revision)).toEqual(['29', '30', '31']);
    expect(c[1]?.description).toBe('ignore autotag');
  });
});

describe("--format on another tool's files is a usage error naming a file", () => {
  it('django on an Alembic directory names a file that is not a Django migration', () => {
    const err = thrownSync(() =>
      syncMatrix({ dir: join(FIX, 'observal/versions'), format: 'django', matrixFile: matrixWith([{ revision: 'x' }]), check: true }),
    );
    expect(err.problem).toBe('wrong_format');
    expect(err.file).toMatch(/observal\/versions\/[^/]+\.py$/);
    expect(err.message).toContain(err.file as string);
    expect(exitCodeForError(err)).toBe(2);
  });

  it.each([
    ['rails', 'kestra/postgres', /kestra\/postgres\/V[^/]+\.sql$/],
    ['flyway', 'huginn/migrate', /huginn\/migrate\/\d+_[^/]+\.rb$/],
    ['prisma', 'harbor/postgresql', /harbor\/postgresql\/\d+_[^/]+\.sql$/],
    ['sql', 'umami/migrations', /umami\/migrations\//],
  ] as const)('%s on %s', (format, dir, file) => {
    const err = thrownSync(() => syncMatrix({ dir: join(FIX, dir), format, matrixFile: matrixWith([{ revision: 'x' }]), check: true }));
    expect(err.problem).toBe('wrong_format');
    expect(err.file).toMatch(file);
    expect(exitCodeForError(err)).toBe(2);
  });
});

describe('symlinked migration files are followed, as the tools follow them', () => {
  it('--check does not report them removed, and a sync keeps their entries', () => {
    const real = dirOf({ '0002_b.up.sql': '', '0003_c.up.sql': '' });
    const dir = dirOf({ '0001_a.up.sql': '' });
    symlinkSync(join(real, '0002_b.up.sql'), join(dir, '0002_b.up.sql'));
    symlinkSync(join(real, '0003_c.up.sql'), join(dir, '0003_c.up.sql'));
    const file = matrixWith([{ revision: '1' }, { revision: '2' }, { revision: '3' }]);
    const r = syncMatrix({ dir, matrixFile: file, check: true });
    expect(r).toMatchObject({ format: 'sql', removed: [], added: [], changed: false });
    expect(syncMatrix({ dir, matrixFile: file }).chain.map((c) => c.revision)).toEqual(['1', '2', '3']);
    expect(JSON.parse(readFileSync(file, 'utf8')).schema_chain).toHaveLength(3);
  });

  it('a symlinked Alembic file and a symlinked Prisma migration directory count', () => {
    const real = dirOf({ 'b.py': 'revision = "b"\ndown_revision = "a"\n' });
    const dir = dirOf({ 'a.py': 'revision = "a"\ndown_revision = None\n' });
    symlinkSync(join(real, 'b.py'), join(dir, 'b.py'));
    expect(ids('alembic', dir)).toEqual(['a', 'b']);
    const target = join(tmp, `prisma-real-${n++}`);
    mkdirSync(target);
    writeFileSync(join(target, 'migration.sql'), '');
    const prisma = dirOf({ 'migration_lock.toml': '' });
    mkdirSync(join(prisma, '20240101000000_init'));
    writeFileSync(join(prisma, '20240101000000_init/migration.sql'), '');
    symlinkSync(target, join(prisma, '20240202000000_linked'));
    expect(ids('prisma', prisma)).toEqual(['20240101000000_init', '20240202000000_linked']);
  });

  it('a dangling symlink is a file the reader cannot read, named, not a migration silently dropped', () => {
    const dir = dirOf({ 'a.py': 'revision = "a"\ndown_revision = None\n' });
    symlinkSync(join(tmp, 'nowhere.py'), join(dir, 'b.py'));
    const err = thrownSync(() => READERS.alembic(dir));
    expect(err.problem).toBe('unreadable');
    expect(err.file).toBe(join(dir, 'b.py'));
  });
});
