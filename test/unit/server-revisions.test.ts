/**
 * Revision readers on a real Postgres (PGlite): each migration tool's table created as the tool
 * creates it (its DDL cited below, or the tool itself creating and filling it: knex), filled as the
 * tool fills it, and read back. Where compat sync reads that tool's files, the ids are checked
 * against compat sync's own for the same migrations.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { knex as createKnex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openCluster } from '../../examples/reference-server/data-dir.js';
import { orderMigrations, READERS, type SyncFormat } from '../../src/matrix/sync/index.js';
import {
  createHandshakeServer,
  HandshakeServerError,
  type MigrationTool,
  migrationTableRevisions,
  readMigrationTable,
} from '../../src/server/index.js';

const root = mkdtempSync(join(tmpdir(), 'handshake-revisions-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * A database as the reference server opens its cluster (a copy of its template, with its settings): an open costs a
 * tenth of the initdb an in-memory PGlite runs.
 */
const copiedDatabase = (name: string): Promise<PGlite> => openCluster(join(root, name, 'pgdata'));

// One database for the file; each test on an empty public schema.
let db: PGlite;
const query = (sql: string) => db.query<Record<string, unknown>>(sql);
beforeAll(async () => {
  db = await copiedDatabase('shared');
}, 180_000);
beforeEach(() =>
  db.exec('DROP SCHEMA IF EXISTS app CASCADE; DROP SCHEMA IF EXISTS drizzle CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public;'),
);
afterAll(() => db.close());
let dirs = 0;

/** A migrations directory with these files; compat sync's chain for it, oldest first. */
function syncChain(format: SyncFormat, files: Record<string, string>, sub = ''): string[] {
  const dir = join(root, `m${++dirs}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return orderMigrations(READERS[format](join(dir, sub))).map((n) => n.revision);
}

type Options = Parameters<typeof readMigrationTable>[2];

async function read(tool: MigrationTool, options: Options = {}, q = query) {
  return readMigrationTable(tool, q, options);
}

async function pendingOf(tool: MigrationTool, release: string[], options: Options = {}, q = query) {
  return (await migrationTableRevisions(tool, q, { ...options, release }).pending()).map((p) => p.revision);
}

describe('tools compat sync reads: the same ids', () => {
  it('alembic: the head in alembic_version; several heads ordered by the release', async () => {
    const chain = syncChain('alembic', {
      'a_init.py': "revision = '1a2b3c4d5e6f'\ndown_revision = None\n",
      'b_events.py': "revision = '2b3c4d5e6f70'\ndown_revision = '1a2b3c4d5e6f'\n",
      'c_retention.py': "revision = '3c4d5e6f7081'\ndown_revision = '2b3c4d5e6f70'\n",
    });
    expect(chain).toEqual(['1a2b3c4d5e6f', '2b3c4d5e6f70', '3c4d5e6f7081']);
    // alembic/runtime/migration.py (MigrationContext._version): version_num String(32), primary key alembic_version_pkc.
    await db.exec(`CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
      INSERT INTO alembic_version (version_num) VALUES ('2b3c4d5e6f70');`);
    expect(await read('alembic')).toEqual({ revision: chain[1], applied: [chain[1]], failed: false });
    expect(await pendingOf('alembic', chain)).toEqual([chain[2]]);

    // Two unmerged heads: which is the latest is the release's order; without one, a setup error.
    await db.exec(`INSERT INTO alembic_version (version_num) VALUES ('3c4d5e6f7081');`);
    await expect(read('alembic')).rejects.toThrow(HandshakeServerError);
    expect((await read('alembic', { release: chain })).revision).toBe(chain[2]);
  });

  it("django: the app's migration applied last, other apps' rows aside", async () => {
    const mig = (deps: string) =>
      `from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [${deps}]\n`;
    const chain = syncChain(
      'django',
      {
        'projects/migrations/__init__.py': '',
        'projects/migrations/0001_initial.py': mig("('auth', '0012_alter_user_first_name_max_length')"),
        'projects/migrations/0002_events.py': mig("('projects', '0001_initial')"),
        'projects/migrations/0003_retention.py': mig("('projects', '0002_events')"),
      },
      'projects/migrations',
    );
    expect(chain).toEqual(['0001_initial', '0002_events', '0003_retention']);
    // What `manage.py sqlmigrate`-style DDL Django 5 emits on Postgres for MigrationRecorder.Migration
    // (django/db/migrations/recorder.py: app, name CharField(255), applied DateTimeField; BigAutoField id).
    await db.exec(`CREATE TABLE "django_migrations" ("id" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,
        "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" timestamp with time zone NOT NULL);
      INSERT INTO django_migrations (app, name, applied) VALUES
        ('contenttypes', '0001_initial', now()), ('auth', '0012_alter_user_first_name_max_length', now()),
        ('projects', '0001_initial', now()), ('projects', '0002_events', now()), ('sessions', '0001_initial', now());`);
    expect(await read('django', { app: 'projects' })).toEqual({ revision: '0002_events', applied: chain.slice(0, 2), failed: false });
    expect(await pendingOf('django', chain, { app: 'projects' })).toEqual(['0003_retention']);
    expect((await read('django', { app: 'billing' })).revision).toBeNull();
    expect(() => migrationTableRevisions('django', query)).toThrow(HandshakeServerError);
    expect(() => migrationTableRevisions('django', query, { app: "x' OR '1'='1" })).toThrow(HandshakeServerError);
  });

  it('rails: versions as integers, the highest applied', async () => {
    const chain = syncChain('rails', {
      '001_create_projects.rb': 'class CreateProjects < ActiveRecord::Migration[7.1]; end\n',
      '002_add_events.rb': 'class AddEvents < ActiveRecord::Migration[7.1]; end\n',
      '20240201183314_add_retention.rb': 'class AddRetention < ActiveRecord::Migration[7.1]; end\n',
    });
    expect(chain).toEqual(['1', '2', '20240201183314']);
    // activerecord/lib/active_record/schema_migration.rb (create_table): version string, primary key; Rails inserts version.to_s.
    await db.exec(`CREATE TABLE "schema_migrations" ("version" character varying NOT NULL PRIMARY KEY);
      INSERT INTO schema_migrations (version) VALUES ('2'), ('1');`);
    expect(await read('rails')).toEqual({ revision: '2', applied: ['1', '2'], failed: false });
    expect(await pendingOf('rails', chain)).toEqual(['20240201183314']);
  });

  it('golang-migrate: the one version row, dirty as a failed migration', async () => {
    const chain = syncChain('sql', {
      '0001_init.up.sql': 'CREATE TABLE a (id int);',
      '0001_init.down.sql': 'DROP TABLE a;',
      '0002_events.up.sql': 'CREATE TABLE b (id int);',
      '0010_retention.up.sql': 'CREATE TABLE c (id int);',
    });
    expect(chain).toEqual(['1', '2', '10']);
    // golang-migrate database/postgres/postgres.go (ensureVersionTable).
    await db.exec(`CREATE TABLE IF NOT EXISTS "schema_migrations" (version bigint not null primary key, dirty boolean not null);
      INSERT INTO schema_migrations (version, dirty) VALUES (2, false);`);
    expect(await read('golang-migrate')).toEqual({ revision: '2', applied: ['2'], failed: false });
    expect(await pendingOf('golang-migrate', chain)).toEqual(['10']);

    await db.exec('TRUNCATE schema_migrations; INSERT INTO schema_migrations (version, dirty) VALUES (10, true);');
    expect(await read('golang-migrate')).toEqual({ revision: '10', applied: ['10'], failed: true });
    expect(await migrationTableRevisions('golang-migrate', query).status?.()).toBe('failed');
  });

  it('dbmate: the versions as the files write them, the highest applied', async () => {
    const up = '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\n';
    const chain = syncChain('sql', { '20240101000000_init.sql': up, '20240201000000_events.sql': up, '20240301000000_retention.sql': up });
    expect(chain).toEqual(['20240101000000', '20240201000000', '20240301000000']);
    // dbmate pkg/driver/postgres/postgres.go (CreateMigrationsTable).
    await db.exec(`create table if not exists public.schema_migrations (version varchar(128) primary key);
      insert into public.schema_migrations (version) values ('20240201000000'), ('20240101000000');`);
    expect((await read('dbmate')).revision).toBe('20240201000000');
    expect(await pendingOf('dbmate', chain)).toEqual(['20240301000000']);
  });

  it('prisma: finished and not rolled back; an unfinished one is a failed migration', async () => {
    const chain = syncChain('prisma', {
      'migration_lock.toml': 'provider = "postgresql"\n',
      '20240101000000_init/migration.sql': 'CREATE TABLE a (id int);',
      '20240201000000_events/migration.sql': 'CREATE TABLE b (id int);',
      '20240301000000_retention/migration.sql': 'CREATE TABLE c (id int);',
    });
    // prisma-engines schema-engine sql-schema-connector, Postgres flavour (create_migrations_table).
    await db.exec(`CREATE TABLE "_prisma_migrations" (
        "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
        "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
        "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0);
      INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES
        ('a', 'x', now(), '20240101000000_init', 1), ('b', 'x', now(), '20240201000000_events', 1),
        ('c', 'x', NULL, '20240301000000_retention', 0);`);
    expect(await read('prisma')).toEqual({ revision: chain[1], applied: chain.slice(0, 2), failed: true });
    expect(await pendingOf('prisma', chain)).toEqual([chain[2]]);
    // `prisma migrate resolve --rolled-back`, then a successful deploy.
    await db.exec(`UPDATE _prisma_migrations SET rolled_back_at = now() WHERE id = 'c';
      INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ('d', 'x', now(), '20240301000000_retention', 1);`);
    expect(await read('prisma')).toEqual({ revision: chain[2], applied: chain, failed: false });
  });

  it('flyway: successful versioned rows by installed_rank, ordered as Flyway compares versions', async () => {
    const chain = syncChain('flyway', {
      'V1__init.sql': '',
      'V1_1__events.sql': '',
      'V2__retention.sql': '',
      'V10__archive.sql': '',
      'R__views.sql': '',
    });
    expect(chain).toEqual(['1', '1.1', '2', '10']);
    // flyway-database-postgresql: org/flywaydb/database/postgresql/createMetaDataTable.sql.
    await db.exec(`CREATE TABLE "public"."flyway_schema_history" (
        "installed_rank" INT NOT NULL, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL,
        "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL,
        "installed_on" TIMESTAMP NOT NULL DEFAULT now(), "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL);
      ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
      INSERT INTO flyway_schema_history VALUES
        (1, '0', '<< Flyway Schema Creation >>', 'SCHEMA', '"public"', NULL, 'app', now(), 0, true),
        (2, '1', 'init', 'SQL', 'V1__init.sql', 1, 'app', now(), 5, true),
        (3, '1.1', 'events', 'SQL', 'V1_1__events.sql', 2, 'app', now(), 5, true),
        (4, '2', 'retention', 'SQL', 'V2__retention.sql', 3, 'app', now(), 5, true),
        (5, NULL, 'views', 'SQL', 'R__views.sql', 4, 'app', now(), 5, true);`);
    expect(await read('flyway')).toEqual({ revision: '2', applied: ['1', '1.1', '2'], failed: false });
    expect(await pendingOf('flyway', chain)).toEqual(['10']);
    await db.exec(`INSERT INTO flyway_schema_history VALUES (6, '10', 'archive', 'SQL', 'V10__archive.sql', 5, 'app', now(), 5, false);`);
    expect(await read('flyway')).toEqual({ revision: '2', applied: ['1', '1.1', '2'], failed: true });
  });
});

describe('tools compat sync does not read (yet): the ids the tool records', () => {
  it('knex: the tool creates and fills knex_migrations itself; the id is the file name', { timeout: 180_000 }, async () => {
    const dir = join(root, `knex${++dirs}`);
    mkdirSync(dir);
    const migration = 'exports.up = (knex) => knex.raw("SELECT 1"); exports.down = () => {};\n';
    for (const name of ['20240101000000_init.cjs', '20240201000000_events.cjs', '20240301000000_retention.cjs']) {
      writeFileSync(join(dir, name), migration);
    }
    // A database of its own: knex.destroy() closes the PGlite it was given.
    const own = await copiedDatabase('knex');
    const ownQuery = (sql: string) => own.query<Record<string, unknown>>(sql);
    const knex = createKnex({ client: ClientPgLite, dialect: 'postgres', connection: () => ({ pglite: own }) as object });
    try {
      await knex.migrate.up({ directory: dir, loadExtensions: ['.cjs'] });
      await knex.migrate.up({ directory: dir, loadExtensions: ['.cjs'] });
      const [completed, pending] = (await knex.migrate.list({ directory: dir, loadExtensions: ['.cjs'] })) as [
        { name: string }[],
        { file: string }[],
      ];
      expect((await read('knex', {}, ownQuery)).applied).toEqual(completed.map((c) => c.name));
      expect((await read('knex', {}, ownQuery)).revision).toBe('20240201000000_events.cjs');
      const files = ['20240101000000_init.cjs', '20240201000000_events.cjs', '20240301000000_retention.cjs'];
      expect(await pendingOf('knex', files, {}, ownQuery)).toEqual(pending.map((p) => p.file));
      expect(orderMigrations(READERS.knex(dir)).map((n) => n.revision)).toEqual(files);
    } finally {
      await knex.destroy();
    }
  });

  it('typeorm: the migration class name, ordered by its timestamp', async () => {
    // typeorm src/migration/MigrationExecutor.ts (createMigrationsTableIfNotExist) on Postgres.
    await db.exec(`CREATE TABLE "migrations" ("id" SERIAL NOT NULL, "timestamp" bigint NOT NULL, "name" character varying NOT NULL,
        CONSTRAINT "PK_8c82d7f526340ab734260ea46be" PRIMARY KEY ("id"));
      INSERT INTO migrations ("timestamp", name) VALUES (1700000000000, 'Init1700000000000'), (1690000000000, 'Early1690000000000');`);
    expect(await read('typeorm')).toEqual({
      revision: 'Init1700000000000',
      applied: ['Early1690000000000', 'Init1700000000000'],
      failed: false,
    });
    const cls = (name: string) =>
      `import { MigrationInterface } from 'typeorm';\nexport class ${name} implements MigrationInterface {\n  async up() {}\n  async down() {}\n}\n`;
    expect(
      syncChain('typeorm', { '1700000000000-Init.ts': cls('Init1700000000000'), '1690000000000-Early.ts': cls('Early1690000000000') }),
    ).toEqual(['Early1690000000000', 'Init1700000000000']);
  });

  it('sequelize: SequelizeMeta, quoted as Sequelize creates it; the file name', async () => {
    // umzug src/storage/sequelize.ts (SequelizeStorage model: name STRING primary key), tableName SequelizeMeta.
    await db.exec(`CREATE TABLE IF NOT EXISTS "SequelizeMeta" ("name" VARCHAR(255) NOT NULL UNIQUE, PRIMARY KEY ("name"));
      INSERT INTO "SequelizeMeta" (name) VALUES ('20240201000000-events.js'), ('20240101000000-init.js');`);
    expect((await read('sequelize')).revision).toBe('20240201000000-events.js');
    const up = 'module.exports = { async up() {}, async down() {} };\n';
    expect(syncChain('sequelize', { '20240101000000-init.js': up, '20240201000000-events.js': up })).toEqual(
      (await read('sequelize')).applied,
    );
  });

  it('goose: a version applied by its latest row; version 0 is the table marker', async () => {
    // pressly/goose internal/dialect/dialectquery/postgres.go (CreateTable); goose inserts version 0 on creation.
    await db.exec(`CREATE TABLE goose_db_version (id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, version_id bigint NOT NULL,
        is_applied boolean NOT NULL, tstamp timestamp NOT NULL DEFAULT now());
      INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true), (3, true), (3, false);`);
    expect(await read('goose')).toEqual({ revision: '2', applied: ['1', '2'], failed: false });
    const chain = syncChain('goose', {
      '00001_init.sql': '-- +goose Up\nSELECT 1;\n',
      '00002_events.sql': '-- +goose Up\nSELECT 1;\n',
      '00003_retention.sql': '-- +goose Up\nSELECT 1;\n',
    });
    expect(chain).toEqual(['1', '2', '3']);
    expect(await pendingOf('goose', chain)).toEqual(['3']);
  });

  it('liquibase: FILENAME::ID::AUTHOR of the changesets run, in ORDEREXECUTED order', async () => {
    // liquibase-standard CreateDatabaseChangeLogTableGenerator, as `liquibase update-sql` prints it for Postgres.
    await db.exec(`CREATE TABLE public.databasechangelog (ID VARCHAR(255) NOT NULL, AUTHOR VARCHAR(255) NOT NULL, FILENAME VARCHAR(255) NOT NULL,
        DATEEXECUTED TIMESTAMP WITHOUT TIME ZONE NOT NULL, ORDEREXECUTED INTEGER NOT NULL, EXECTYPE VARCHAR(10) NOT NULL, MD5SUM VARCHAR(35),
        DESCRIPTION VARCHAR(255), COMMENTS VARCHAR(255), TAG VARCHAR(255), LIQUIBASE VARCHAR(20), CONTEXTS VARCHAR(255), LABELS VARCHAR(255),
        DEPLOYMENT_ID VARCHAR(10));
      INSERT INTO databasechangelog (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, EXECTYPE) VALUES
        ('1', 'alice', 'db/changelog/001-init.xml', now(), 1, 'EXECUTED'),
        ('2', 'bob', 'db/changelog/002-events.xml', now(), 2, 'MARK_RAN');`);
    expect((await read('liquibase')).revision).toBe('db/changelog/002-events.xml::2::bob');
    const changelog = (id: string, author: string) =>
      `<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n  <changeSet id="${id}" author="${author}"><sql>SELECT 1</sql></changeSet>\n</databaseChangeLog>\n`;
    const chain = syncChain('liquibase', {
      'db/changelog/db.changelog-master.xml':
        '<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n  <includeAll path="db/changelog/changes/"/>\n</databaseChangeLog>\n',
      'db/changelog/changes/001-init.xml': changelog('1', 'alice'),
      'db/changelog/changes/002-events.xml': changelog('2', 'bob'),
    });
    expect(chain).toEqual(['db/changelog/changes/001-init.xml::1::alice', 'db/changelog/changes/002-events.xml::2::bob']);
  });

  it('laravel: the file name without .php, in name order as its Migrator orders the files', async () => {
    // laravel/framework src/Illuminate/Database/Migrations/DatabaseMigrationRepository.php (createRepository) on Postgres.
    await db.exec(`create table "migrations" ("id" serial not null primary key, "migration" varchar(255) not null, "batch" integer not null);
      insert into migrations (migration, batch) values ('2024_02_01_000000_add_events', 1), ('2014_10_12_000000_create_users_table', 1),
        ('2024_01_15_000000_late_fix', 2);`);
    expect((await read('laravel')).applied).toEqual([
      '2014_10_12_000000_create_users_table',
      '2024_01_15_000000_late_fix',
      '2024_02_01_000000_add_events',
    ]);
    expect((await read('laravel')).revision).toBe('2024_02_01_000000_add_events');
    const php = '<?php\nreturn new class extends Migration { public function up(): void {} };\n';
    expect(
      syncChain('laravel', {
        '2024_02_01_000000_add_events.php': php,
        '2014_10_12_000000_create_users_table.php': php,
        '2024_01_15_000000_late_fix.php': php,
      }),
    ).toEqual((await read('laravel')).applied);
  });

  it('kysely and node-pg-migrate: the file name without extension', async () => {
    // kysely src/migration/migrator.ts (#ensureMigrationTableExists); node-pg-migrate src/runner.ts (ensureMigrationsTable).
    await db.exec(`create table "kysely_migration" ("name" varchar(255) not null primary key, "timestamp" varchar(255) not null);
      insert into kysely_migration values ('2024_02_01_events', '2024-02-01T00:00:00.000Z'), ('2024_01_01_init', '2024-01-01T00:00:00.000Z');
      CREATE TABLE "public"."pgmigrations" (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);
      INSERT INTO pgmigrations (name, run_on) VALUES ('1700000000000_init', now()), ('1700000000001_events', now());`);
    expect((await read('kysely')).revision).toBe('2024_02_01_events');
    expect((await read('node-pg-migrate')).applied).toEqual(['1700000000000_init', '1700000000001_events']);
    const ts = 'export async function up() {}\nexport async function down() {}\n';
    expect(syncChain('kysely', { '2024_01_01_init.ts': ts, '2024_02_01_events.ts': ts })).toEqual((await read('kysely')).applied);
    const js = 'exports.up = (pgm) => {};\n';
    expect(syncChain('node-pg-migrate', { '1700000000000_init.js': js, '1700000000001_events.js': js })).toEqual(
      (await read('node-pg-migrate')).applied,
    );
  });

  it("drizzle: the tool creates and fills its table; the journal's tag of the latest created_at", { timeout: 180_000 }, async () => {
    const dir = join(root, `drizzle${++dirs}`);
    mkdirSync(join(dir, 'meta'), { recursive: true });
    const entries = [
      { idx: 0, version: '7', when: 1_700_000_000_000, tag: '0000_init', breakpoints: true },
      { idx: 1, version: '7', when: 1_700_000_100_000, tag: '0001_events', breakpoints: true },
      { idx: 2, version: '7', when: 1_700_000_200_000, tag: '0002_retention', breakpoints: true },
    ];
    const journal = (n: number) => ({ version: '7', dialect: 'postgresql', entries: entries.slice(0, n) });
    writeFileSync(join(dir, '0000_init.sql'), 'CREATE TABLE projects (id int);');
    writeFileSync(join(dir, '0001_events.sql'), 'CREATE TABLE events (id int);');
    writeFileSync(join(dir, '0002_retention.sql'), 'CREATE TABLE retention (id int);');
    writeFileSync(join(dir, 'meta/_journal.json'), JSON.stringify(journal(2)));
    // drizzle-orm's own PGlite migrator (src/pglite/migrator.ts) creates drizzle.__drizzle_migrations and records each file.
    await migrate(drizzle(db), { migrationsFolder: dir });
    const release = entries.map((e) => e.tag);
    writeFileSync(join(dir, 'meta/_journal.json'), JSON.stringify(journal(3)));
    expect(orderMigrations(READERS.drizzle(dir)).map((n) => n.revision)).toEqual(release);
    expect(await read('drizzle', { journal: journal(3) })).toEqual({
      revision: '0001_events',
      applied: release.slice(0, 2),
      failed: false,
    });
    expect(await pendingOf('drizzle', release, { journal: journal(3) })).toEqual(['0002_retention']);
    // A database a later release migrated: its created_at is in no journal entry this server has.
    expect((await read('drizzle', { journal: journal(1) })).revision).toBe('1700000100000');
    expect(() => migrationTableRevisions('drizzle', query)).toThrow(HandshakeServerError);
  });

  it('ecto, EF Core, diesel and sqlx', async () => {
    // ecto_sql lib/ecto/migration/schema_migration.ex; Npgsql's HistoryRepository; diesel_migrations'
    // CREATE_MIGRATIONS_TABLE; sqlx-postgres src/migrate.rs (ensure_migrations_table).
    await db.exec(`CREATE TABLE "schema_migrations" ("version" bigint, "inserted_at" timestamp(0), PRIMARY KEY ("version"));
      INSERT INTO schema_migrations VALUES (20240101000000, now()), (20240201000000, now());
      CREATE TABLE IF NOT EXISTS "__EFMigrationsHistory" ("MigrationId" character varying(150) NOT NULL,
        "ProductVersion" character varying(32) NOT NULL, CONSTRAINT "PK___EFMigrationsHistory" PRIMARY KEY ("MigrationId"));
      INSERT INTO "__EFMigrationsHistory" VALUES ('20240201000000_AddEvents', '8.0.0'), ('20240101000000_InitialCreate', '8.0.0');
      CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
      INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101000000'), ('20240201000000');
      CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
        installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL);
      INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES
        (20240101000000, 'init', true, '\\x00', 1), (20240201000000, 'events', false, '\\x00', 1);`);
    expect((await read('ecto')).revision).toBe('20240201000000');
    expect((await read('efcore')).revision).toBe('20240201000000_AddEvents');
    expect((await read('diesel')).revision).toBe('20240201000000');
    expect(await read('sqlx')).toEqual({ revision: '20240101000000', applied: ['20240101000000'], failed: true });
    // compat sync's ids for the same migrations.
    expect(
      syncChain('ecto', { '20240101000000_init.exs': 'defmodule M1 do\nend\n', '20240201000000_events.exs': 'defmodule M2 do\nend\n' }),
    ).toEqual((await read('ecto')).applied);
    expect(syncChain('diesel', { '2024-01-01-000000_init/up.sql': 'SELECT 1;', '2024-02-01-000000_events/up.sql': 'SELECT 1;' })).toEqual(
      (await read('diesel')).applied,
    );
    expect(syncChain('sqlx', { '20240101000000_init.sql': 'SELECT 1;', '20240201000000_events.sql': 'SELECT 1;' })).toEqual([
      '20240101000000',
      '20240201000000',
    ]);
    const designer = (id: string) => `[DbContext(typeof(AppDbContext))]\n[Migration("${id}")]\npartial class M { }\n`;
    expect(
      syncChain('efcore', {
        '20240101000000_InitialCreate.Designer.cs': designer('20240101000000_InitialCreate'),
        '20240201000000_AddEvents.Designer.cs': designer('20240201000000_AddEvents'),
      }),
    ).toEqual((await read('efcore')).applied);
  });
});

describe('migrationTableRevisions in a handshake server', () => {
  it('reports no revision on a database the tool never ran on, every pending one, and the table once created', async () => {
    const hs = createHandshakeServer({
      serverVersion: '1.4.0',
      revisions: migrationTableRevisions('sqlx', query, { release: ['1', '2'] }),
    });
    expect(await hs.refresh()).toMatchObject({
      schema_revision: null,
      migration_status: 'idle',
      pending_migrations: [{ revision: '1' }, { revision: '2' }],
    });
    await db.exec(`CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
        success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL);
      INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (1, 'init', true, '\\x00', 1);`);
    expect(await hs.refresh()).toMatchObject({ schema_revision: '1', migration_status: 'idle', pending_migrations: [{ revision: '2' }] });
  });

  it('passes on any other query error (the version endpoint answers 503)', async () => {
    const failing = migrationTableRevisions('knex', async () => {
      throw Object.assign(new Error('permission denied for table knex_migrations'), { code: '42501' });
    });
    await expect(failing.applied()).rejects.toThrow(/permission denied/);
  });

  it('reads a renamed table, schema-qualified, and refuses a name that is not an identifier', async () => {
    await db.exec(
      `CREATE SCHEMA app; CREATE TABLE app."Versions" (version_num VARCHAR(32) PRIMARY KEY); INSERT INTO app."Versions" VALUES ('abc123');`,
    );
    expect((await read('alembic', { table: 'app.Versions' })).revision).toBe('abc123');
    expect(() => migrationTableRevisions('alembic', query, { table: 'x; DROP TABLE y' })).toThrow(HandshakeServerError);
    expect(() => migrationTableRevisions('nope' as MigrationTool, query)).toThrow(HandshakeServerError);
  });
});
