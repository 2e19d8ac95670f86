// The thirteen formats compat sync reads beyond the first six. Where the tool runs from npm (knex, umzug for
// Sequelize, kysely, typeorm, drizzle-orm, node-pg-migrate), the tool is the oracle: it is asked for its own
// order of the same file names and the reader must agree. For the others, the tool's ordering code is cited
// beside each test. Fixtures are real directories (SOURCE.md in each).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectFormat, orderMigrations, READERS, SyncError, type SyncFormat } from '../../src/matrix/sync/index.js';
import { exitCodeForError } from '../../src/render/exit-codes.js';
import { thrown } from '../helpers/thrown.js';

const thrownSync = (f: () => unknown): SyncError => thrown(f, SyncError);

const ROOT = join(import.meta.dirname, '../..');
const FIX = join(ROOT, 'test/fixtures/migrations');
const require = createRequire(join(ROOT, 'package.json'));
const tmp = mkdtempSync(join(tmpdir(), 'handshake-sync-formats-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

const chain = (format: SyncFormat, dir: string) => orderMigrations(READERS[format](dir));
const ids = (format: SyncFormat, dir: string) => chain(format, dir).map((c) => c.revision);

function dirOf(files: Record<string, string>): string {
  const dir = join(tmp, `d-${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

/** The same file names, each a module the JavaScript tools can load. */
function stubs(names: readonly string[], body = 'exports.up = async () => {};\nexports.down = async () => {};\n'): string {
  return dirOf(Object.fromEntries(names.map((name) => [name, body])));
}

/** Names that sort differently by code unit, by locale, by number and by length. */
const TRICKY = ['20240101000000_b.js', '20240101000000_B.js', '9_old.js', '10_new.js', '2024_a-b.js', '2024_a_b.js', '2024_ä.js'];

describe('knex: the file name with its extension, in lodash sortBy order (FsMigrations is the oracle)', () => {
  const { FsMigrations } = require('knex/lib/migrations/migrate/sources/fs-migrations.js');
  const knexOrder = async (dir: string): Promise<string[]> => {
    const source = new FsMigrations([dir], false);
    return (await source.getMigrations()).map((m: unknown) => source.getMigrationName(m));
  };

  it('knex/knex test_per_migration_trx_enabled: as knex reads it', async () => {
    const dir = join(FIX, 'knex/migrations');
    expect(detectFormat(dir)).toBe('knex');
    expect(ids('knex', dir)).toEqual(await knexOrder(dir));
    expect(ids('knex', dir)[0]).toBe('20131019235242_migration_1.js');
  });

  it('tricky names, other extensions and a README: as knex reads them', async () => {
    const dir = stubs([...TRICKY, 'README.md', 'x.ts', 'y.cjs', 'z.mjs']);
    const order = await knexOrder(dir);
    expect(ids('knex', dir)).toEqual(order);
    expect(order).not.toContain('z.mjs');
  });
});

describe('Sequelize (sequelize-cli on umzug): the file name, sorted (umzug is the oracle)', () => {
  const { Umzug, memoryStorage } = require('umzug');
  const umzugOrder = async (dir: string): Promise<string[]> => {
    const umzug = new Umzug({
      migrations: {
        glob: ['*.{cjs,js,cts,ts}', { cwd: dir, ignore: ['**/*.d.ts'] }],
        resolve: ({ name }: { name: string }) => ({ name, up: async () => {} }),
      },
      storage: memoryStorage(),
      logger: undefined,
    });
    return (await umzug.pending()).map((m: { name: string }) => m.name);
  };

  it("umzug's Sequelize example (dotted timestamps): as umzug reads it", async () => {
    const dir = join(FIX, 'umzug/migrations');
    expect(detectFormat(dir)).toBe('sequelize');
    expect(ids('sequelize', dir)).toEqual(await umzugOrder(dir));
    expect(ids('sequelize', dir)).toEqual(['2020.11.24T16.52.04.users-table.ts', '2020.11.24T18.54.32.roles.ts']);
  });

  it('tricky names, declarations and other files: as umzug reads them', async () => {
    const dir = stubs([...TRICKY, 'types.d.ts', 'x.cts', 'notes.md']);
    expect(ids('sequelize', dir)).toEqual(await umzugOrder(dir));
  });
});

describe("Kysely: the name without extension, Object.keys().sort() (kysely's Migrator is the oracle)", () => {
  const kysely = require('kysely');
  /** kysely's FileMigrationProvider and Migrator over these names, each loading a stub module. */
  const kyselyOrder = async (names: string[]): Promise<string[]> => {
    const stub = join(stubs(['stub.mjs'], 'export async function up() {}\n'), 'stub.mjs');
    const provider = new kysely.FileMigrationProvider({
      fs: { readdir: async () => names },
      path: { join: () => stub },
      migrationFolder: tmp,
    });
    const db = new kysely.Kysely({
      dialect: {
        createAdapter: () => new kysely.SqliteAdapter(),
        createDriver: () => new kysely.DummyDriver(),
        createIntrospector: (d: unknown) => new kysely.SqliteIntrospector(d),
        createQueryCompiler: () => new kysely.SqliteQueryCompiler(),
      },
    });
    return (await new kysely.Migrator({ db, provider }).getMigrations()).map((m: { name: string }) => m.name);
  };

  it("kysely-ctl's example: as kysely reads it", async () => {
    const dir = join(FIX, 'kysely/migrations');
    expect(detectFormat(dir)).toBe('kysely');
    expect(ids('kysely', dir)).toEqual(await kyselyOrder(readdirSync(dir)));
    expect(ids('kysely', dir)[0]).toBe('1716743937856_add_table_moshe');
  });

  it('tricky names, .d.ts, .mjs and .mts: as kysely reads them', async () => {
    const names = [...TRICKY.map((t) => t.replace(/\.js$/, '.ts')), 'a.d.ts', 'c.mts', 'c.d.mts', '11_z.mjs'];
    expect(ids('kysely', stubs(names))).toEqual(await kyselyOrder(names));
  });
});

describe("TypeORM: the class's name, by its 13-digit timestamp (TypeORM's MigrationExecutor is the oracle)", () => {
  const { MigrationExecutor } = require('typeorm/migration/MigrationExecutor.js');
  const typeormOrder = (names: string[]): string[] =>
    new MigrationExecutor({
      options: {},
      driver: { options: {}, buildTableName: (t: string) => t },
      migrations: names.map((name) => ({ name })),
    })
      .getMigrations()
      .map((m: { name: string }) => m.name);

  it("typeorm revert-command: two classes with one timestamp keep the files' order", () => {
    const dir = join(FIX, 'typeorm/migration');
    expect(detectFormat(dir)).toBe('typeorm');
    const order = ids('typeorm', dir);
    // The files in name order are what TypeORM's glob hands the executor; it sorts them by timestamp, stably.
    const classes = readdirSync(dir)
      .sort()
      .map((f) => /class (\w+)/.exec(readFileSync(join(dir, f), 'utf8'))?.[1] as string);
    expect(order).toEqual(typeormOrder(classes));
    expect(order.slice(0, 2)).toEqual(['ExampleMigration1568745078665', 'ExampleMigrationOne1568745078665']);
  });

  it('a `name` property wins over the class name; a class without a timestamp names its file', () => {
    const dir = dirOf({
      'b.ts': "export class Later1700000000002 implements MigrationInterface {\n  name = 'Renamed1700000000002'\n}\n",
      'a.ts':
        'export class First1700000000001 implements MigrationInterface {}\nexport class Second1700000000003 implements MigrationInterface {}\n',
    });
    expect(ids('typeorm', dir)).toEqual(typeormOrder(['First1700000000001', 'Second1700000000003', 'Renamed1700000000002']));
    const bad = dirOf({ 'x.ts': 'export class NoTimestamp implements MigrationInterface {}\n' });
    expect(() => typeormOrder(['NoTimestamp'])).toThrow(/timestamp/);
    expect(thrownSync(() => READERS.typeorm(bad)).file).toBe(join(bad, 'x.ts'));
  });
});

describe("Drizzle: the journal's tags in its order (drizzle-orm's readMigrationFiles is the oracle)", () => {
  it('drizzle-orm pg-concurrently: the same files, in the same order, as the migrator hashes them', async () => {
    const { readMigrationFiles } = await import('drizzle-orm/migrator');
    const dir = join(FIX, 'drizzle/pg-concurrently');
    expect(detectFormat(dir)).toBe('drizzle');
    const c = chain('drizzle', dir);
    expect(c.map((x) => x.revision)).toEqual(['0000_concurrent_index', '0001_add_last_name']);
    const hashes = readMigrationFiles({ migrationsFolder: dir }).map((m) => m.hash);
    expect(READERS.drizzle(dir).map((m) => createHash('sha256').update(readFileSync(m.file)).digest('hex'))).toEqual(hashes);
  });

  it('the journal, not the names, orders; a tag without its file is an error naming it', async () => {
    const journal = (tags: string[]) => JSON.stringify({ entries: tags.map((tag, idx) => ({ idx, when: idx, tag, breakpoints: true })) });
    const dir = dirOf({ 'meta/_journal.json': journal(['0001_b', '0000_a']), '0000_a.sql': 'a', '0001_b.sql': 'b' });
    expect(ids('drizzle', dir)).toEqual(['0001_b', '0000_a']);
    const missing = dirOf({ 'meta/_journal.json': journal(['0000_a', '0001_gone']), '0000_a.sql': 'a' });
    const { readMigrationFiles } = await import('drizzle-orm/migrator');
    expect(() => readMigrationFiles({ migrationsFolder: missing })).toThrow(/0001_gone/);
    expect(thrownSync(() => READERS.drizzle(missing)).file).toBe(join(missing, '0001_gone.sql'));
  });
});

describe('node-pg-migrate: the name without extension, by numeric prefix then locale (its runner is the oracle)', () => {
  /** node-pg-migrate's runner, dry, against a client that answers every query with no rows. */
  const pgmOrder = async (dir: string): Promise<string[]> => {
    const { runner } = await import('node-pg-migrate');
    const client = { query: async () => ({ rows: [], rowCount: 0 }), connect: async () => {}, end: async () => {} };
    const quiet = { info() {}, warn() {}, error() {}, debug() {} };
    const r = await runner({
      dbClient: client as never,
      dir,
      direction: 'up',
      migrationsTable: 'pgmigrations',
      noLock: true,
      dryRun: true,
      logger: quiet,
    });
    return r.map((m) => m.name);
  };

  it("node-pg-migrate's own test migrations: as its runner orders them", async () => {
    const dir = join(FIX, 'node-pg-migrate/migrations');
    expect(detectFormat(dir)).toBe('node-pg-migrate');
    expect(ids('node-pg-migrate', dir)).toEqual(await pgmOrder(stubs(readdirSync(dir))));
    expect(ids('node-pg-migrate', dir)[0]).toBe('001_noop');
  });

  it('mixed padding, a 17-digit UTC timestamp, equal prefixes: as its runner orders them', async () => {
    const names = ['001_a.js', '2_b.js', '10_c.js', '10_C.js', '10-c.js', '20240101000000000_d.js', '20240101000000001_e.js', '11_f.cjs'];
    expect(ids('node-pg-migrate', stubs(names))).toEqual(await pgmOrder(stubs(names)));
  });

  it('a file without a numeric prefix is an error naming it, as in node-pg-migrate', async () => {
    const dir = stubs(['1_a.js', 'helper.js']);
    await expect(pgmOrder(dir)).rejects.toThrow(/helper/);
    expect(thrownSync(() => READERS['node-pg-migrate'](dir)).file).toBe(join(dir, 'helper.js'));
  });
});

describe('goose: the version as an integer (migration.go NumericComponent, migrate.go collectMigrationsFS)', () => {
  it("goose's own Postgres migrations: 00001 is recorded as 1", () => {
    const dir = join(FIX, 'goose/postgres');
    expect(detectFormat(dir)).toBe('goose');
    expect(ids('goose', dir)).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('.sql and .go files by version (Migrations.Less); a .sql name without a version is an error, a .go one skipped', () => {
    const dir = dirOf({ '10_x.sql': '', '9_y.go': '', '9_y_test.go': '', 'helpers.go': '', '011_z.sql': '' });
    expect(ids('goose', dir)).toEqual(['9', '10', '11']);
    const bad = dirOf({ '1_a.sql': '', 'seed.sql': '' });
    expect(thrownSync(() => READERS.goose(bad)).file).toBe(join(bad, 'seed.sql'));
    const zero = dirOf({ '0_a.sql': '' });
    expect(exitCodeForError(thrownSync(() => READERS.goose(zero)))).toBe(2);
    expect(thrownSync(() => chain('goose', dirOf({ '1_a.sql': '', '01_b.sql': '' }))).problem).toBe('duplicate');
  });
});

describe('Liquibase: file::id::author in changelog order, following include and includeAll', () => {
  // DatabaseChangeLog: includes in document order; includeAll sorted by getStandardChangeLogComparator (String order).
  it('jhipster-sample-app: the master includes entities first, constraints after (not name order)', () => {
    const dir = join(FIX, 'jhipster/resources');
    expect(detectFormat(dir)).toBe('liquibase');
    const order = ids('liquibase', dir);
    expect(order[0]).toBe('config/liquibase/changelog/00000000000000_initial_schema.xml::00000000000000::jhipster');
    const files = [...new Set(order.map((id) => id.split('::')[0]))];
    expect(files).toEqual([
      'config/liquibase/changelog/00000000000000_initial_schema.xml',
      'config/liquibase/changelog/20150805124838_added_entity_BankAccount.xml',
      'config/liquibase/changelog/20150805124936_added_entity_Label.xml',
      'config/liquibase/changelog/20150805125054_added_entity_Operation.xml',
      'config/liquibase/changelog/20150805124838_added_entity_constraints_BankAccount.xml',
      'config/liquibase/changelog/20150805125054_added_entity_constraints_Operation.xml',
    ]);
  });

  it('YAML, JSON and formatted SQL; includeAll recursive in path order; relativeToChangelogFile; logicalFilePath', () => {
    const dir = dirOf({
      'db/master.yaml': [
        'databaseChangeLog:',
        '  - changeSet:',
        '      id: 1',
        '      author: ann',
        '      changes:',
        '        - createTable:',
        '            tableName: t',
        '  - include:',
        '      file: parts/b.json',
        '      relativeToChangelogFile: true',
        '  - includeAll:',
        '      path: db/all/',
        '  - changeSet:',
        '      id: "last one"',
        "      author: 'bob'",
        '',
      ].join('\n'),
      'db/parts/b.json': JSON.stringify({ databaseChangeLog: [{ changeSet: { id: 'j1', author: 'joe', changes: [] } }] }),
      'db/all/2.sql': '--liquibase formatted sql\n--changeset sue:s2\nselect 1;\n',
      'db/all/10.xml': '<databaseChangeLog logicalFilePath="ten">\n<changeSet id="x" author="al"/>\n</databaseChangeLog>\n',
      'db/all/sub/1.sql': '-- liquibase formatted sql\n-- changeset "sue smith":s1 runOnChange:true\n',
    });
    expect(ids('liquibase', dir)).toEqual([
      'db/master.yaml::1::ann',
      'db/parts/b.json::j1::joe',
      'ten::x::al',
      'db/all/2.sql::s2::sue',
      'db/all/sub/1.sql::s1::sue smith',
      'db/master.yaml::last one::bob',
    ]);
  });

  it('an include of a missing changelog, and a changeSet without an author, name the file', () => {
    const missing = dirOf({ 'master.xml': '<databaseChangeLog><include file="gone.xml"/></databaseChangeLog>' });
    expect(thrownSync(() => READERS.liquibase(missing)).file).toBe(join(missing, 'gone.xml'));
    const noAuthor = dirOf({ 'master.xml': '<databaseChangeLog><changeSet id="1"/></databaseChangeLog>' });
    expect(thrownSync(() => READERS.liquibase(noAuthor)).file).toBe(join(noAuthor, 'master.xml'));
  });
});

describe('Laravel: the file name without .php, by name (Migrator::getMigrationFiles)', () => {
  it("the skeleton's migrations are detected; the framework's multi-path test migrations ordered", () => {
    expect(detectFormat(join(FIX, 'laravel/skeleton'))).toBe('laravel');
    expect(ids('laravel', join(FIX, 'laravel/skeleton'))).toEqual([
      '0001_01_01_000000_create_users_table',
      '0001_01_01_000001_create_cache_table',
      '0001_01_01_000002_create_jobs_table',
    ]);
    const dir = join(FIX, 'laravel/vendor');
    const order = ids('laravel', dir);
    expect(order[0]).toBe('2016_01_01_200000_create_flights_table');
    expect(order.at(-1)).toBe('2019_08_08_000008_create_table_four');
  });

  it('only `*_*.php`; names sort by byte (uppercase first)', () => {
    const dir = dirOf({ '2024_01_01_000000_b.php': '', '2024_01_01_000000_B.php': '', 'helpers.php': '', '0001_01_01_000000_x.php': '' });
    expect(ids('laravel', dir)).toEqual(['0001_01_01_000000_x', '2024_01_01_000000_B', '2024_01_01_000000_b']);
  });
});

describe('Ecto: the version as an integer, by version (Ecto.Migrator migrations_for)', () => {
  it('hex.pm: timestamps as integers, in order', () => {
    const dir = join(FIX, 'hexpm/migrations');
    expect(detectFormat(dir)).toBe('ecto');
    const order = ids('ecto', dir);
    expect(order[0]).toBe('20140128201839');
    expect(order).toHaveLength(30);
  });

  it('subdirectories count, .ex files do not, 0001 is 1, a duplicate version is refused', () => {
    const dir = dirOf({ '0002_b.exs': '', 'sub/1_a.exs': '', '3_c.ex': '', 'README.md': '', '.hidden/4_d.exs': '' });
    expect(ids('ecto', dir)).toEqual(['1', '2']);
    expect(thrownSync(() => READERS.ecto(dirOf({ '1_a.exs': '', '01_b.exs': '' }))).problem).toBe('duplicate');
  });
});

describe('EF Core: the [Migration("…")] id, ordered by id (MigrationsAssembly: orderby id)', () => {
  it('eShop Ordering: the designer attribute is the id; a class without one is not a migration EF records', () => {
    const dir = join(FIX, 'eshop/Migrations');
    expect(detectFormat(dir)).toBe('efcore');
    expect(ids('efcore', dir)).toEqual(['20230925222426_Initial']);
  });

  it('ids out of file order; two DbContexts in one directory are refused, naming a file', () => {
    const designer = (id: string, ctx = 'AppDb') => `[DbContext(typeof(${ctx}))]\n[Migration("${id}")]\npartial class X {}\n`;
    const dir = dirOf({
      'z.Designer.cs': designer('20200101000000_A'),
      'a.Designer.cs': designer('20210101000000_B'),
      'Snap.cs': 'class AppDbModelSnapshot : ModelSnapshot {}',
    });
    expect(ids('efcore', dir)).toEqual(['20200101000000_A', '20210101000000_B']);
    const two = dirOf({ 'a.cs': designer('1_A'), 'b.cs': designer('2_B', 'OtherDb') });
    expect(thrownSync(() => READERS.efcore(two)).problem).toBe('unreadable');
  });
});

describe('Diesel: the directory name to its first "_", dashes removed (migrations_internals version_from_string)', () => {
  it("Diesel's own MariaDB migrations: two naming schemes, one order", () => {
    const dir = join(FIX, 'diesel/mariadb');
    expect(detectFormat(dir)).toBe('diesel');
    const order = ids('diesel', dir);
    expect(order.slice(-3)).toEqual(['20170816164349', '20200125033332', '20200218111430']);
    expect(order).toHaveLength(13);
  });

  it('a non-empty directory without up.sql is refused, naming it; empty and hidden ones are skipped', () => {
    const dir = dirOf({ '2024-01-01-000000_a/up.sql': '', '2024-01-01-000000_a/down.sql': '', '.git/x': '', 'notes/readme.md': '' });
    mkdirSync(join(dir, 'empty'));
    expect(thrownSync(() => READERS.diesel(dir)).file).toBe(join(dir, 'notes'));
  });
});

describe('sqlx: the version as an i64, by version (sqlx-core migrate/source.rs resolve_blocking)', () => {
  it("sqlx's own Postgres test migrations: 0_setup is version 0", () => {
    expect(ids('sqlx', join(FIX, 'sqlx/postgres'))).toEqual(['0', '1', '2', '3']);
  });

  it('reversible files: the up file counts; a name without an integer version is an error naming it', () => {
    const dir = dirOf({ '002_b.up.sql': '', '002_b.down.sql': '', '1_a.sql': '', 'README.md': '' });
    expect(ids('sqlx', dir)).toEqual(['1', '2']);
    const bad = dirOf({ 'v1_a.sql': '' });
    expect(thrownSync(() => READERS.sqlx(bad)).file).toBe(join(bad, 'v1_a.sql'));
  });
});

describe('Rails and Flyway read subdirectories, as the tools do', () => {
  it('Rails: Dir["#{path}/**/[0-9]*_*.rb"] (MigrationContext#migration_files); Flyway scans its location recursively', () => {
    expect(ids('rails', dirOf({ '2_b.rb': '', 'archive/1_a.rb': '', 'archive/.x/3_c.rb': '' }))).toEqual(['1', '2']);
    expect(ids('flyway', dirOf({ 'V2__b.sql': '', 'old/V1__a.sql': '' }))).toEqual(['1', '2']);
  });
});

describe('every format follows symlinked files', () => {
  it('a knex migration reached through a symlink counts', () => {
    const real = stubs(['2_b.js']);
    const dir = stubs(['1_a.js']);
    symlinkSync(join(real, '2_b.js'), join(dir, '2_b.js'));
    expect(ids('knex', dir)).toEqual(['1_a.js', '2_b.js']);
  });
});
