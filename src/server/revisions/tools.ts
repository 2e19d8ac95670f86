/**
 * Each migration tool's own table: where it is, what to select, and how the tool itself reads it —
 * which rows count as applied, in which order, and what id it records (the same id `compat sync`
 * gives that tool's migration files; docs/compat-sync.md). Pure: rows in, ids out.
 */

/** One row as the query function returns it: column name → value. */
export type Row = Readonly<Record<string, unknown>>;

/** What a tool's table says. */
export interface TableReading {
  /** Applied ids, oldest first in the tool's order; for a tool that records only where the database is, that. */
  applied: string[];
  /** The tool records only its current revision(s) (Alembic's heads, golang-migrate's version), not every migration applied. */
  headsOnly: boolean;
  /** Graph-ordered (Alembic, Django): the tool's order is its migrations' dependencies, which the table does not hold. */
  graph: boolean;
  /** A migration failed or was left half-applied (golang-migrate `dirty`, a failed Prisma, Flyway or sqlx row). */
  failed: boolean;
}

/** What a reader may need beyond the rows. */
export interface ReadOptions {
  /** Drizzle: its `meta/_journal.json`, parsed. */
  journal?: { entries: readonly { when: number; tag: string }[] };
}

export interface ToolSpec {
  /** The table's default name, as the tool creates it. */
  table: string;
  /** The columns to select, as the tool names them. */
  columns: readonly string[];
  /** Whether the tool needs `app` (Django). */
  needsApp?: boolean;
  /** Whether the tool needs `journal` (Drizzle). */
  needsJournal?: boolean;
  read(rows: readonly Row[], options: ReadOptions): TableReading;
}

/** A column's value by name, whatever case the driver returned the name in (Oracle's upper case, Postgres's lower). */
export function field(row: Row, name: string): unknown {
  if (name in row) return row[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(row)) if (key.toLowerCase() === lower) return row[key];
  return undefined;
}

function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
}

/** An integer column: drivers return int8 as a string (pg), a bigint (PGlite) or a number. */
function integer(v: unknown): bigint | null {
  const s = text(v)?.trim();
  return s && /^-?\d+$/.test(s) ? BigInt(s) : null;
}

/** A boolean column: true/false (Postgres), 1/0 (MySQL, SQLite), 't'/'f' as text. */
function flag(v: unknown): boolean {
  return v === true || v === 1 || v === 1n || v === '1' || v === 't' || v === 'true' || v === 'TRUE';
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byNumber = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** Numbers first by value, then anything else in code-unit order. */
function byNumberThenText(a: string, b: string): number {
  const x = /^\d+$/.test(a) ? BigInt(a) : null;
  const y = /^\d+$/.test(b) ? BigInt(b) : null;
  if (x !== null && y !== null) return byNumber(x, y) || byCodeUnit(a, b);
  if (x !== null) return -1;
  if (y !== null) return 1;
  return byCodeUnit(a, b);
}

/**
 * Flyway's MigrationVersion order: part by part as numbers, trailing zero parts ignored (1.0 = 1,
 * 1.9 < 1.10), as compat sync orders Flyway files (docs/compat-sync.md).
 */
function byFlywayVersion(a: string, b: string): number {
  const parts = (v: string) => {
    const out = v.split(/[._]/).map((p) => (/^\d+$/.test(p) ? BigInt(p) : 0n));
    while (out.length > 1 && out[out.length - 1] === 0n) out.pop();
    return out;
  };
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = byNumber(x[i] ?? 0n, y[i] ?? 0n);
    if (d !== 0) return d;
  }
  return 0;
}

const unique = (ids: readonly string[]): string[] => [...new Set(ids)];

function list(applied: string[], extra: Partial<TableReading> = {}): TableReading {
  return { applied, headsOnly: false, graph: false, failed: false, ...extra };
}

/** The values of one column, non-empty, as text. */
function column(rows: readonly Row[], name: string): string[] {
  return rows.map((r) => text(field(r, name))).filter((v): v is string => v !== null && v !== '');
}

/** Integer ids sorted numerically and written as the tool records them (`0001` → `1`). */
function integers(values: readonly unknown[]): string[] {
  const ints = values.map(integer).filter((v): v is bigint => v !== null);
  return unique(ints.sort(byNumber).map((v) => v.toString()));
}

export const TOOLS = {
  /** alembic/runtime/migration.py: `alembic_version (version_num VARCHAR(32) PRIMARY KEY)`, one row per head. */
  alembic: {
    table: 'alembic_version',
    columns: ['version_num'],
    read: (rows) => list(unique(column(rows, 'version_num')), { headsOnly: true, graph: true }),
  },
  /**
   * django/db/migrations/recorder.py: `django_migrations (id, app, name, applied)`, a row per applied
   * migration, inserted in the order Django's plan applies them (which follows the dependency graph).
   */
  django: {
    table: 'django_migrations',
    columns: ['id', 'name'],
    needsApp: true,
    read: (rows) => {
      const sorted = [...rows].sort((a, b) => byNumber(integer(field(a, 'id')) ?? 0n, integer(field(b, 'id')) ?? 0n));
      return list(unique(column(sorted, 'name')), { graph: true });
    },
  },
  /** activerecord/lib/active_record/schema_migration.rb: `schema_migrations (version varchar PRIMARY KEY)`, `version.to_i` as text. */
  rails: {
    table: 'schema_migrations',
    columns: ['version'],
    read: (rows) => list(integers(rows.map((r) => field(r, 'version')))),
  },
  /** golang-migrate database/postgres: `schema_migrations (version bigint PRIMARY KEY, dirty boolean)`: one row, the current version. */
  'golang-migrate': {
    table: 'schema_migrations',
    columns: ['version', 'dirty'],
    read: (rows) => {
      const current = rows.filter((r) => (integer(field(r, 'version')) ?? -1n) >= 0n);
      return list(integers(current.map((r) => field(r, 'version'))), {
        headsOnly: true,
        failed: rows.some((r) => flag(field(r, 'dirty'))),
      });
    },
  },
  /** dbmate pkg/driver/postgres: `schema_migrations (version varchar(128) PRIMARY KEY)`, the version as the file names it. */
  dbmate: {
    table: 'schema_migrations',
    columns: ['version'],
    read: (rows) => list(unique(column(rows, 'version').sort(byNumberThenText))),
  },
  /**
   * prisma-engines (sql-schema-connector): `_prisma_migrations`. Applied: `finished_at` set and not
   * `rolled_back_at`; a row neither finished nor rolled back is a failed migration (`prisma migrate
   * status`), unless the same migration finished later.
   */
  prisma: {
    table: '_prisma_migrations',
    columns: ['migration_name', 'finished_at', 'rolled_back_at'],
    read: (rows) => {
      const live = rows.filter((r) => field(r, 'rolled_back_at') === null || field(r, 'rolled_back_at') === undefined);
      const done = new Set(
        column(
          live.filter((r) => field(r, 'finished_at') != null),
          'migration_name',
        ),
      );
      const failed = column(
        live.filter((r) => field(r, 'finished_at') == null),
        'migration_name',
      ).some((n) => !done.has(n));
      return list([...done].sort(byCodeUnit), { failed });
    },
  },
  /** knex lib/migrations/migrate/table-creator.js: `knex_migrations (id, name, batch, migration_time)`; the file name, in code-unit order. */
  knex: { table: 'knex_migrations', columns: ['name'], read: (rows) => list(unique(column(rows, 'name').sort(byCodeUnit))) },
  /** TypeORM MigrationExecutor: `migrations (id, timestamp bigint, name)`; the migration's name, ordered by its timestamp. */
  typeorm: {
    table: 'migrations',
    columns: ['timestamp', 'name'],
    read: (rows) => {
      const sorted = [...rows].sort(
        (a, b) =>
          byNumber(integer(field(a, 'timestamp')) ?? 0n, integer(field(b, 'timestamp')) ?? 0n) ||
          byCodeUnit(text(field(a, 'name')) ?? '', text(field(b, 'name')) ?? ''),
      );
      return list(unique(column(sorted, 'name')));
    },
  },
  /** umzug's SequelizeStorage (sequelize-cli): `"SequelizeMeta" (name varchar PRIMARY KEY)`; the file name, in code-unit order. */
  sequelize: { table: 'SequelizeMeta', columns: ['name'], read: (rows) => list(unique(column(rows, 'name').sort(byCodeUnit))) },
  /**
   * Flyway's createMetaDataTable.sql: `flyway_schema_history`, read in `installed_rank` order:
   * a successful versioned row applies its version, an UNDO or DELETE row takes it back, a failed
   * row marks it failed until it succeeds. Repeatable migrations (no version) and the schema-creation
   * marker are not revisions. Ordered by version as Flyway compares them.
   */
  flyway: {
    table: 'flyway_schema_history',
    columns: ['installed_rank', 'version', 'type', 'success'],
    read: (rows) => {
      const ranked = [...rows].sort((a, b) =>
        byNumber(integer(field(a, 'installed_rank')) ?? 0n, integer(field(b, 'installed_rank')) ?? 0n),
      );
      const applied = new Set<string>();
      const failed = new Set<string>();
      for (const r of ranked) {
        const version = text(field(r, 'version'));
        const type = (text(field(r, 'type')) ?? '').toUpperCase();
        if (!version || type === 'SCHEMA') continue;
        const ok = flag(field(r, 'success'));
        if (type === 'DELETE' || (type.startsWith('UNDO') && ok)) {
          applied.delete(version);
        } else if (ok) {
          applied.add(version);
          failed.delete(version);
        } else {
          failed.add(version);
        }
      }
      return list([...applied].sort(byFlywayVersion), { failed: failed.size > 0 });
    },
  },
  /**
   * goose: `goose_db_version (id, version_id bigint, is_applied boolean, tstamp)`. A version's latest
   * row (by id) says whether it is applied; version 0 is the row goose writes when it creates the table.
   */
  goose: {
    table: 'goose_db_version',
    columns: ['id', 'version_id', 'is_applied'],
    read: (rows) => {
      const latest = new Map<string, boolean>();
      const byId = [...rows].sort((a, b) => byNumber(integer(field(a, 'id')) ?? 0n, integer(field(b, 'id')) ?? 0n));
      for (const r of byId) {
        const v = integer(field(r, 'version_id'));
        if (v !== null && v > 0n) latest.set(v.toString(), flag(field(r, 'is_applied')));
      }
      return list(integers([...latest].filter(([, on]) => on).map(([v]) => v)));
    },
  },
  /**
   * Liquibase's DATABASECHANGELOG: a changeset is `FILENAME::ID::AUTHOR` (the id compat sync gives it),
   * applied when EXECUTED, RERAN or MARK_RAN, in ORDEREXECUTED order.
   */
  liquibase: {
    table: 'databasechangelog',
    columns: ['id', 'author', 'filename', 'orderexecuted', 'exectype'],
    read: (rows) => {
      const ran = rows
        .filter((r) => ['EXECUTED', 'RERAN', 'MARK_RAN'].includes((text(field(r, 'exectype')) ?? '').toUpperCase()))
        .sort((a, b) => byNumber(integer(field(a, 'orderexecuted')) ?? 0n, integer(field(b, 'orderexecuted')) ?? 0n));
      return list(unique(ran.map((r) => `${text(field(r, 'filename'))}::${text(field(r, 'id'))}::${text(field(r, 'author'))}`)));
    },
  },
  /**
   * Laravel's DatabaseMigrationRepository: `migrations (id, migration, batch)`; the file name without
   * `.php`, ordered by name as its Migrator orders the files (and compat sync the chain).
   */
  laravel: { table: 'migrations', columns: ['migration'], read: (rows) => list(unique(column(rows, 'migration').sort(byCodeUnit))) },
  /** Ecto.Migration.SchemaMigration: `schema_migrations (version bigint PRIMARY KEY, inserted_at)`. */
  ecto: { table: 'schema_migrations', columns: ['version'], read: (rows) => list(integers(rows.map((r) => field(r, 'version')))) },
  /** EF Core's HistoryRepository: `"__EFMigrationsHistory" ("MigrationId" PRIMARY KEY, "ProductVersion")`, ordinal order. */
  efcore: {
    table: '__EFMigrationsHistory',
    columns: ['MigrationId'],
    read: (rows) => list(unique(column(rows, 'MigrationId').sort(byCodeUnit))),
  },
  /** diesel_migrations: `__diesel_schema_migrations (version varchar(50) PRIMARY KEY, run_on)`, in version order. */
  diesel: {
    table: '__diesel_schema_migrations',
    columns: ['version'],
    read: (rows) => list(unique(column(rows, 'version').sort(byCodeUnit))),
  },
  /** sqlx-postgres migrate.rs: `_sqlx_migrations (version bigint PRIMARY KEY, …, success boolean)`; an unsuccessful row is a dirty migration. */
  sqlx: {
    table: '_sqlx_migrations',
    columns: ['version', 'success'],
    read: (rows) =>
      list(integers(rows.filter((r) => flag(field(r, 'success'))).map((r) => field(r, 'version'))), {
        failed: rows.some((r) => !flag(field(r, 'success'))),
      }),
  },
  /** Kysely's Migrator: `kysely_migration (name varchar(255) PRIMARY KEY, timestamp)`; the file name without extension, code-unit order. */
  kysely: { table: 'kysely_migration', columns: ['name'], read: (rows) => list(unique(column(rows, 'name').sort(byCodeUnit))) },
  /**
   * node-pg-migrate's runner: `pgmigrations (id serial, name, run_on)`; the file name without extension,
   * in the order it ran them (its own file order).
   */
  'node-pg-migrate': {
    table: 'pgmigrations',
    columns: ['id', 'name'],
    read: (rows) => {
      const sorted = [...rows].sort((a, b) => byNumber(integer(field(a, 'id')) ?? 0n, integer(field(b, 'id')) ?? 0n));
      return list(unique(column(sorted, 'name')));
    },
  },
  /**
   * drizzle-orm's migrators: `drizzle.__drizzle_migrations (id serial, hash, created_at bigint)`, a hash
   * and the journal entry's `when`, no name. Drizzle itself takes the database to be at the latest
   * `created_at` (a journal entry is applied when its `when` is not after it), so the id is the tag of
   * the journal entry whose `when` that is (the id compat sync gives it; docs/compat-sync.md).
   */
  drizzle: {
    table: 'drizzle.__drizzle_migrations',
    columns: ['created_at'],
    needsJournal: true,
    read: (rows, options) => {
      const entries = options.journal?.entries ?? [];
      const ints = rows.map((r) => integer(field(r, 'created_at'))).filter((v): v is bigint => v !== null);
      const last = ints.sort(byNumber).at(-1);
      if (last === undefined) return list([]);
      const applied = entries.filter((e) => BigInt(e.when) <= last).map((e) => e.tag);
      // A `when` the journal does not have: another release migrated this database. Its tag is not
      // in this table, so the revision is what the table holds, the `created_at` itself.
      const known = entries.some((e) => BigInt(e.when) === last);
      return list(known ? applied : [...applied, last.toString()]);
    },
  },
} satisfies Record<string, ToolSpec>;
