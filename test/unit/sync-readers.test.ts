import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectFormat, orderMigrations, READERS, type SyncFormat } from '../../src/matrix/sync/index.js';

const FIX = join(import.meta.dirname, '../fixtures/migrations');
const tmp = mkdtempSync(join(tmpdir(), 'handshake-sync-readers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function chain(format: SyncFormat, dir: string) {
  return orderMigrations(READERS[format](dir));
}
const ids = (format: SyncFormat, dir: string) => chain(format, dir).map((n) => n.revision);

/** A directory of files with the given contents. */
function dirOf(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

describe('format detection on real directories', () => {
  it.each([
    ['observal/versions', 'alembic'],
    ['redash/versions', 'alembic'],
    ['django-auth/auth/migrations', 'django'],
    ['django-squashed/migrations', 'django'],
    ['umami/migrations', 'prisma'],
    ['huginn/migrate', 'rails'],
    ['kestra/postgres', 'flyway'],
    ['harbor/postgresql', 'sql'],
    ['../../../examples/reference-server/migrations', 'sql'],
  ])('%s is %s', (dir, format) => {
    expect(detectFormat(join(FIX, dir))).toBe(format);
  });

  it('a directory no tool wrote is refused, not guessed', () => {
    expect(() => detectFormat(dirOf('unknown', { 'notes.txt': 'hello' }))).toThrow(expect.objectContaining({ problem: 'unknown_format' }));
  });
});

describe('Alembic: ids from `revision`, order from `down_revision`', () => {
  it("Observal: hex ids between numbered ones, in down_revision order (never the file name's)", () => {
    const order = ids('alembic', join(FIX, 'observal/versions'));
    expect(order[0]).toBe('v1_baseline');
    expect(order.slice(9, 15)).toEqual([
      '010_global_unique_names',
      '1caa45d85720',
      '1a79544a6936',
      'c680c63ced65',
      '011_migration_jobs',
      '015_sandbox_runtime_config',
    ]);
    expect(order.at(-1)).toBe('025_team_visibility_review');
    expect(order).toHaveLength(25);
  });

  it('the id is the revision variable: not the file name, not the docstring', () => {
    const order = ids('alembic', join(FIX, 'observal/versions'));
    // 014_migration_jobs.py declares 011_migration_jobs; 006's docstring says "Revision ID: 006".
    expect(order).toContain('011_migration_jobs');
    expect(order).not.toContain('014_migration_jobs');
    expect(order).toContain('006_feedback_one_per_user');
    expect(order).not.toContain('006');
  });

  it("the description is the docstring's first line", () => {
    const byId = new Map(chain('alembic', join(FIX, 'observal/versions')).map((n) => [n.revision, n]));
    expect(byId.get('1caa45d85720')?.description).toBe('Add soft deletion for agents.');
    expect(byId.get('020_remove_legacy_scope')?.description).toBe('Remove the legacy deployment scope and preserve its settings.');
  });

  it('Redash: the merge revision follows both branches, and comes after them', () => {
    const c = chain('alembic', join(FIX, 'redash/versions'));
    const at = (id: string) => c.findIndex((n) => n.revision === id);
    const merge = c[at('89bc7873a3e0')];
    expect(merge?.parents).toEqual(['0ec979123ba4', 'd7d747033183']);
    expect(at('89bc7873a3e0')).toBeGreaterThan(at('0ec979123ba4'));
    expect(at('89bc7873a3e0')).toBeGreaterThan(at('d7d747033183'));
    expect(c[0]?.parents).toEqual([]);
    expect(c.at(-1)?.revision).toBe('db0aca1ebd32');
    // Every revision comes after its parents.
    for (const [i, n] of c.entries()) for (const p of n.parents) expect(at(p)).toBeLessThan(i);
  });

  it('a file whose revision cannot be read fails naming the file and line', () => {
    const dir = dirOf('alembic-bad', {
      'a.py': 'revision = "a"\ndown_revision = None\n',
      'b.py': '"""B."""\nimport x\nrevision = x.make()\ndown_revision = "a"\n',
    });
    expect(() => READERS.alembic(dir)).toThrow(expect.objectContaining({ problem: 'unreadable', file: join(dir, 'b.py') }));
    expect(() => READERS.alembic(dir)).toThrow(/b\.py:3/);
  });

  it('a file without down_revision, or with an unterminated string, is unreadable', () => {
    const noDown = dirOf('alembic-nodown', { 'a.py': 'revision = "a"\n' });
    expect(() => READERS.alembic(noDown)).toThrow(expect.objectContaining({ problem: 'unreadable' }));
    const broken = dirOf('alembic-broken', { 'a.py': 'revision = "a\ndown_revision = None\n' });
    expect(() => READERS.alembic(broken)).toThrow(/a\.py:1/);
  });
});

describe('Django: migration names, ordered by same-app dependencies', () => {
  it("django.contrib.auth: contenttypes' migrations are not parents", () => {
    const c = chain('django', join(FIX, 'django-auth/auth/migrations'));
    expect(c.map((n) => n.revision)).toEqual([
      '0001_initial',
      '0002_alter_permission_name_max_length',
      '0003_alter_user_email_max_length',
      '0004_alter_user_username_opts',
      '0005_alter_user_last_login_null',
      '0006_require_contenttypes_0002',
      '0007_alter_validators_add_error_messages',
      '0008_alter_user_username_max_length',
      '0009_alter_user_last_name_max_length',
      '0010_alter_group_name_max_length',
      '0011_update_proxy_permissions',
      '0012_alter_user_first_name_max_length',
    ]);
    expect(c[0]?.parents).toEqual([]);
    expect(c[5]?.parents).toEqual(['0005_alter_user_last_login_null']);
    expect(c[1]?.description).toBe('alter permission name max length');
  });

  it("a squashed migration takes the place of the ones it replaces (Django's loader on a fresh database)", () => {
    expect(ids('django', join(FIX, 'django-squashed/migrations'))).toEqual(['0001_squashed_0002']);
  });

  it('what depended on a replaced migration depends on the squash', () => {
    const dir = dirOf('app/migrations', {
      '0001_initial.py': 'class Migration(migrations.Migration):\n    operations = []\n',
      '0002_second.py': 'class Migration(migrations.Migration):\n    dependencies = [("app", "0001_initial")]\n',
      '0001_squashed_0002.py': 'class Migration(migrations.Migration):\n    replaces = [("app", "0001_initial"), ("app", "0002_second")]\n',
      '0003_third.py': 'class Migration(migrations.Migration):\n    dependencies = [("app", "0002_second"), ("other", "0002_second")]\n',
    });
    expect(chain('django', dir)).toEqual([
      { revision: '0001_squashed_0002', parents: [], description: 'squashed 0002' },
      { revision: '0003_third', parents: ['0001_squashed_0002'], description: 'third' },
    ]);
  });

  it('a merge migration has both parents', () => {
    const dir = dirOf('shop/migrations', {
      '0001_initial.py': 'class Migration(migrations.Migration):\n    initial = True\n',
      '0002_a.py': "class Migration(migrations.Migration):\n    dependencies = [('shop', '0001_initial')]\n",
      '0002_b.py': "class Migration(migrations.Migration):\n    dependencies = [('shop', '0001_initial')]\n",
      '0003_merge_20240101_1200.py':
        "class Migration(migrations.Migration):\n    dependencies = [('shop', '0002_a'), ('shop', '0002_b')]\n",
    });
    const c = chain('django', dir);
    expect(c.map((n) => n.revision)).toEqual(['0001_initial', '0002_a', '0002_b', '0003_merge_20240101_1200']);
    expect(c[3]?.parents).toEqual(['0002_a', '0002_b']);
  });
});

describe('tools ordered by name or version', () => {
  it('Prisma (umami): directory names, in name order', () => {
    const order = ids('prisma', join(FIX, 'umami/migrations'));
    expect(order).toHaveLength(19);
    expect(order[0]).toBe('01_init');
    expect(order.slice(8, 10)).toEqual(['09_update_hostname_region', '10_add_distinct_id']);
  });

  it('Rails (huginn): the timestamp version, ordered numerically', () => {
    const c = chain('rails', join(FIX, 'huginn/migrate'));
    expect(c[0]).toMatchObject({ revision: '20120728210244', description: 'devise create users' });
    expect(c.at(-1)?.revision).toBe('20140408150825');
    expect(c).toHaveLength(25);
  });

  it('Rails: a shorter version is older, whatever the name sort says', () => {
    const dir = dirOf('rails-mixed', { '9_old.rb': '', '10_new.rb': '', '20240101000000_ts.rb': '', 'README.rb': '' });
    expect(ids('rails', dir)).toEqual(['9', '10', '20240101000000']);
  });

  it('Flyway (kestra): versions compare part by part as numbers: 1.9 < 1.10 < 1.12', () => {
    const order = ids('flyway', join(FIX, 'kestra/postgres'));
    expect(order.slice(0, 12)).toEqual(['1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '1.7', '1.8', '1.9', '1.10', '1.12', '1.13']);
    expect(order.at(-1)).toBe('1.27');
  });

  it('Flyway: V2 precedes V10; repeatable scripts are not in the chain; 1.0 and 1 are one version', () => {
    const dir = dirOf('flyway', { 'V10__ten.sql': '', 'V2__two.sql': '', 'V2_1__two_one.sql': '', 'R__views.sql': '' });
    const c = chain('flyway', dir);
    expect(c.map((n) => n.revision)).toEqual(['2', '2.1', '10']);
    expect(c[1]?.description).toBe('two one');
    const dup = dirOf('flyway-dup', { 'V1__a.sql': '', 'V1_0__b.sql': '' });
    expect(() => chain('flyway', dup)).toThrow(expect.objectContaining({ problem: 'duplicate' }));
  });

  it('golang-migrate (harbor): the number as it records it, numerically ordered', () => {
    const c = chain('sql', join(FIX, 'harbor/postgresql'));
    expect(c.slice(0, 8).map((n) => n.revision)).toEqual(['1', '2', '3', '4', '5', '10', '11', '12']);
    expect(c[1]?.description).toBe('1.7.0 schema');
    expect(c.at(-1)?.revision).toBe('190');
  });

  it('dbmate: the version as written; plain numbered files: the file name without .sql', () => {
    const dbmate = dirOf('dbmate', {
      '20151129054053_create_users.sql': '-- migrate:up\ncreate table users();\n-- migrate:down\n',
      '20151129054100_add_email.sql': '-- migrate:up\n',
    });
    expect(ids('sql', dbmate)).toEqual(['20151129054053', '20151129054100']);
    const ref = chain('sql', join(FIX, '../../../examples/reference-server/migrations'));
    expect(ref.map((n) => n.revision)).toEqual([
      '0001_initial',
      '0002_add_event_tags',
      '0003_add_insight_meta_cache',
      '0004_split_events_table',
      '0005_add_retention_policy',
    ]);
    expect(ref[1]?.description).toBe('tags on events');
  });
});
