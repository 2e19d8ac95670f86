/**
 * The applied schema revision, read from the migration tool's own table, so a server reports it in
 * one line (docs/server.md, "Revision readers"):
 *
 * ```ts
 * createHandshakeServer({ serverVersion: '1.4.0', revisions: migrationTableRevisions('alembic', (sql) => pool.query(sql)) });
 * ```
 *
 * The ids are the ones the tool records, the same as `compat sync` gives that tool's migration
 * files, so the server's revision is found in the matrix's chain.
 */
import type { PendingMigrationInfo } from '../document.js';
import { HandshakeServerError } from '../errors.js';
import type { RevisionSource } from '../handshake-server.js';
import { type ReadOptions, type Row, TOOLS, type ToolSpec } from './tools.js';

/** The migration tools whose tables are read. */
export const MIGRATION_TOOLS = Object.freeze(Object.keys(TOOLS)) as readonly MigrationTool[];
export type MigrationTool = keyof typeof TOOLS;

/**
 * Runs one SQL statement and resolves to its rows as objects (column name → value), or to a
 * result that holds them as `rows` (node-postgres's and PGlite's `query`).
 */
export type Query = (sql: string) => Promise<readonly Row[] | { rows: readonly Row[] }>;

export interface MigrationTableOptions extends ReadOptions {
  /** The table, when the tool was told another (`version_table`, knex's `tableName`…); `schema.table` allowed. */
  table?: string;
  /** Django: the app whose migrations are the chain (its label, as `django_migrations.app` has it). */
  app?: string;
  /** How the SQL quotes a name that needs quoting (mixed case, as `"SequelizeMeta"`): `"x"` by default, `` `x` `` for MySQL. */
  dialect?: 'ansi' | 'mysql';
  /**
   * The revisions the server's release ships, oldest first (its migrations, or the matrix's chain):
   * those not applied are reported as pending; for Alembic and Django, whose order is their
   * migrations' graph, it also orders what the table holds.
   */
  release?: readonly (string | PendingMigrationInfo)[];
}

/** What a tool's table says about the database. */
export interface MigrationTableState {
  /** The applied revision: the latest applied in the tool's order; null when none is (or there is no table yet). */
  revision: string | null;
  /** Every applied id, oldest first; for Alembic and golang-migrate, which record only where the database is, that. */
  applied: readonly string[];
  /** The tool recorded a migration that failed or was left half-applied (golang-migrate `dirty`; Prisma, Flyway, sqlx). */
  failed: boolean;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * Reads the tool's table once.
 *
 * @throws {HandshakeServerError} for an unknown tool, a bad table name, Django without `app`, or
 *   Alembic with several heads and no `release` to order them. A failing query's error is passed on.
 */
export async function readMigrationTable(
  tool: MigrationTool,
  query: Query,
  options: MigrationTableOptions = {},
): Promise<MigrationTableState> {
  const spec = specOf(tool, options);
  let rows: readonly Row[];
  try {
    const result = await query(selectOf(spec, options));
    rows = Array.isArray(result) ? result : (result as { rows: readonly Row[] }).rows;
  } catch (err) {
    // A database the tool never ran on has no table yet: no revision applied.
    if (isMissingTable(err)) return { revision: null, applied: [], failed: false };
    throw err;
  }
  const reading = spec.read(rows, options);
  return { revision: latest(tool, reading.applied, reading.graph, options.release), applied: reading.applied, failed: reading.failed };
}

/**
 * A {@link RevisionSource} for `createHandshakeServer`: the applied revision from the tool's table,
 * the release's revisions it has not applied as pending, and `failed` when the tool recorded a
 * failed or half-applied migration. One query per read, shared by the three.
 *
 * @throws {HandshakeServerError} at once for an unknown tool, a bad table name or Django without `app`.
 */
export function migrationTableRevisions(tool: MigrationTool, query: Query, options: MigrationTableOptions = {}): RevisionSource {
  specOf(tool, options);
  const release = (options.release ?? []).map((r) => (typeof r === 'string' ? { revision: r, description: null } : r));
  const headsOnly = (TOOLS[tool] as ToolSpec).read([], options).headsOnly;
  let inflight: Promise<MigrationTableState> | null = null;
  const read = () => {
    inflight ??= readMigrationTable(tool, query, options).finally(() => {
      inflight = null;
    });
    return inflight;
  };
  return {
    applied: async () => (await read()).revision,
    async pending() {
      const state = await read();
      if (headsOnly) {
        if (state.revision === null) return release;
        const at = release.findIndex((r) => r.revision === state.revision);
        return at < 0 ? [] : release.slice(at + 1);
      }
      const done = new Set(state.applied);
      return release.filter((r) => !done.has(r.revision));
    },
    status: async () => ((await read()).failed ? 'failed' : 'idle'),
  };
}

function specOf(tool: MigrationTool, options: MigrationTableOptions): ToolSpec {
  if (!Object.hasOwn(TOOLS, tool)) {
    throw new HandshakeServerError(`Unknown migration tool "${String(tool).slice(0, 40)}"`, `Use one of: ${MIGRATION_TOOLS.join(', ')}`);
  }
  const spec = TOOLS[tool] as ToolSpec;
  if (options.table !== undefined && !options.table.split('.').every((part) => IDENTIFIER.test(part))) {
    throw new HandshakeServerError(
      `Invalid table name "${options.table.slice(0, 80)}"`,
      'Use a plain name or schema.name: letters, digits, _ and $',
    );
  }
  if (spec.needsApp && !(options.app && IDENTIFIER.test(options.app))) {
    throw new HandshakeServerError(
      options.app ? `Invalid Django app label "${options.app.slice(0, 80)}"` : 'Reading django_migrations needs the app',
      "Pass { app: '<label>' }: the app whose migrations are the chain, as django_migrations.app has it",
    );
  }
  if (spec.needsJournal && !journalOk(options.journal)) {
    throw new HandshakeServerError(
      "Reading Drizzle's table needs its journal: the table records hashes, not names",
      "Pass { journal }: the migrations folder's meta/_journal.json, parsed",
    );
  }
  return spec;
}

function journalOk(journal: MigrationTableOptions['journal']): boolean {
  const entries = (journal as { entries?: unknown } | undefined)?.entries;
  return (
    Array.isArray(entries) &&
    entries.every((e) => Number.isSafeInteger((e as { when?: unknown })?.when) && typeof (e as { tag?: unknown })?.tag === 'string')
  );
}

/** Unquoted when the name is plain lower case (so each database folds it its own way), quoted otherwise. */
function quote(name: string, dialect: MigrationTableOptions['dialect']): string {
  if (/^[a-z_][a-z0-9_]*$/.test(name)) return name;
  return dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
}

function selectOf(spec: ToolSpec, options: MigrationTableOptions): string {
  const table = (options.table ?? spec.table)
    .split('.')
    .map((p) => quote(p, options.dialect))
    .join('.');
  const columns = spec.columns.map((c) => quote(c, options.dialect)).join(', ');
  // The app label is an identifier (checked above): no quote can be in it.
  const where = spec.needsApp ? ` WHERE app = '${options.app}'` : '';
  return `SELECT ${columns} FROM ${table}${where}`;
}

/**
 * The latest applied id. For graph-ordered tools the table's order is not the tool's, so the
 * release (when given) orders them: an id the release does not know is newer than it (the database
 * was migrated by a later release), otherwise the one latest in the release.
 */
function latest(tool: MigrationTool, applied: readonly string[], graph: boolean, release: MigrationTableOptions['release']): string | null {
  if (applied.length === 0) return null;
  if (graph && release) {
    const position = new Map(release.map((r, i) => [typeof r === 'string' ? r : r.revision, i]));
    const unknown = applied.filter((id) => !position.has(id));
    if (unknown.length > 0) return unknown[unknown.length - 1] as string;
    return applied.reduce((a, b) => ((position.get(b) ?? -1) > (position.get(a) ?? -1) ? b : a));
  }
  if (tool === 'alembic' && applied.length > 1) {
    throw new HandshakeServerError(
      `alembic_version holds ${applied.length} heads (${applied.slice(0, 4).join(', ')}): the database is on unmerged branches`,
      "Pass { release }: the release's revisions in order, to tell which head is the latest",
    );
  }
  return applied[applied.length - 1] as string;
}

/** "No such table" from Postgres (42P01), MySQL (ER_NO_SUCH_TABLE), SQLite and SQL Server (208). */
function isMissingTable(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown; number?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code === '42P01' || e.code === 'ER_NO_SUCH_TABLE' || e.errno === 1146 || e.number === 208) return true;
  return typeof e.message === 'string' && /^(SQLITE_ERROR: )?no such table\b/.test(e.message);
}
