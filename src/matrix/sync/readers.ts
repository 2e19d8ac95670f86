import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type PyAssignment, PySyntaxError, type PyValue, readPython } from './python.js';
import { cleanDescription, type Migration, SYNC_FORMATS, SyncError, type SyncFormat, wordsOf } from './types.js';

/**
 * One reader per migration tool: the migrations of a directory with the ids the tool records in the
 * database, and what orders them (parents, or a sort key). Ordering and checking the graph is
 * order.ts's job.
 */
export const READERS: Record<SyncFormat, (dir: string) => Migration[]> = {
  alembic: readAlembic,
  django: readDjango,
  prisma: readPrisma,
  rails: readRails,
  flyway: readFlyway,
  sql: readSql,
};

function list(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : (code ?? (err as Error).message);
    throw new SyncError('unreadable', `Cannot read the migrations directory ${dir}: ${why}`, {
      file: dir,
      remedy: 'Give the directory that holds the migration files',
      cause: err,
    });
  }
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new SyncError('unreadable', `Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      file,
      cause: err,
    });
  }
}

function files(dir: string): string[] {
  return list(dir)
    .filter((e) => e.isFile())
    .map((e) => e.name);
}

/** Which tool wrote `dir`, from its file names (and, for Python, one file's contents). */
export function detectFormat(dir: string): SyncFormat {
  const entries = list(dir);
  const names = entries.filter((e) => e.isFile()).map((e) => e.name);
  if (
    names.includes('migration_lock.toml') ||
    entries.some((e) => e.isDirectory() && /^\d/.test(e.name) && hasFile(join(dir, e.name), 'migration.sql'))
  ) {
    return 'prisma';
  }
  const py = names.filter((n) => n.endsWith('.py') && !n.startsWith('__init__')).sort();
  for (const name of py) {
    const text = read(join(dir, name));
    if (/^\s*class\s+Migration\s*\(/m.test(text)) return 'django';
    if (/^down_revision\b/m.test(text)) return 'alembic';
  }
  if (names.some((n) => RAILS_FILE.test(n))) return 'rails';
  if (names.some((n) => FLYWAY_FILE.test(n))) return 'flyway';
  if (names.some((n) => SQL_FILE.test(n))) return 'sql';
  throw new SyncError('unknown_format', `Cannot tell which migration tool wrote ${dir}`, {
    file: dir,
    remedy: `Name the tool: one of ${SYNC_FORMATS.join(', ')}`,
  });
}

function hasFile(dir: string, name: string): boolean {
  try {
    return readdirSync(dir).includes(name);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Python tools

const ALEMBIC_NAMES: ReadonlySet<string> = new Set(['revision', 'down_revision']);
const DJANGO_NAMES: ReadonlySet<string> = new Set(['dependencies', 'replaces']);

function python(file: string, want: ReadonlySet<string>, moduleHeaderOnly = false): ReturnType<typeof readPython> {
  try {
    return readPython(read(file), want, { moduleHeaderOnly });
  } catch (err) {
    if (err instanceof PySyntaxError) {
      throw new SyncError('unreadable', `Cannot read ${file}:${err.line}: ${err.message}`, { file, cause: err });
    }
    throw err;
  }
}

function unreadable(file: string, a: PyAssignment, what: string): SyncError {
  const why = a.value.ok ? what : a.value.reason;
  return new SyncError('unreadable', `Cannot read ${a.name} in ${file}:${a.line}: ${why}`, {
    file,
    remedy: `Write ${a.name} as a literal: a quoted string, None, or a tuple or list of quoted strings`,
  });
}

/** The last assignment of `name` at the wanted level (Python's own rule: the last one wins). */
function lastAssignment(assignments: PyAssignment[], name: string, level: 'module' | 'class'): PyAssignment | undefined {
  let found: PyAssignment | undefined;
  for (const a of assignments) if (a.name === name && (level === 'module' ? a.column === 0 : a.column > 0)) found = a;
  return found;
}

function firstLine(text: string | null): string | null {
  if (!text) return null;
  return cleanDescription(text.split('\n').find((l) => l.trim()) ?? null);
}

/** Alembic: each `.py` file's `revision` and `down_revision`; the docstring's first line is the message. */
function readAlembic(dir: string): Migration[] {
  const out: Migration[] = [];
  for (const name of files(dir).sort()) {
    // Alembic's own rule (script/base.py): every .py file but __init__.py and editor lock files.
    if (!name.endsWith('.py') || name.startsWith('__init__') || name.startsWith('.#')) continue;
    const file = join(dir, name);
    const mod = python(file, ALEMBIC_NAMES, true);
    const rev = lastAssignment(mod.assignments, 'revision', 'module');
    if (!rev) {
      throw new SyncError('unreadable', `No revision in ${file}: Alembic needs a module-level "revision = ..."`, {
        file,
        remedy: 'Add the revision identifiers Alembic writes, or move the file out of the versions directory',
      });
    }
    if (!rev.value.ok || typeof rev.value.value !== 'string') throw unreadable(file, rev, 'it is not a quoted string');
    const down = lastAssignment(mod.assignments, 'down_revision', 'module');
    if (!down) throw new SyncError('unreadable', `No down_revision in ${file}: write "down_revision = None" for a base revision`, { file });
    const parents = stringsOf(down.value.ok ? down.value.value : undefined);
    if (parents === null) throw unreadable(file, down, 'it is not None, a quoted string, or a tuple or list of them');
    out.push({ revision: rev.value.value, parents, description: firstLine(mod.docstring), file, sortKey: null });
  }
  return out;
}

function stringsOf(v: PyValue | undefined): string[] | null {
  if (v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return null;
}

/**
 * Django: the migration name (file name without `.py`), ordered by the `dependencies` on the same
 * app; another app's dependencies are not part of this chain. The app label is the directory's
 * parent's name unless the dependencies on this directory's migrations say otherwise. A squashed
 * migration (`replaces`) is handled as Django's loader handles it for a database on which none (or
 * all) of the replaced migrations are applied: it takes their place, and what depended on them
 * depends on it.
 */
function readDjango(dir: string): Migration[] {
  type Raw = { name: string; file: string; deps: [string, string][]; replaces: [string, string][] };
  const raws: Raw[] = [];
  for (const name of files(dir).sort()) {
    // Django's loader: every module of the package but those starting with "_" or "~".
    if (!name.endsWith('.py') || name.startsWith('_') || name.startsWith('~')) continue;
    const file = join(dir, name);
    const mod = python(file, DJANGO_NAMES);
    const pairs = (key: string): [string, string][] => {
      const a = lastAssignment(mod.assignments, key, 'class');
      if (!a) return [];
      if (!a.value.ok || !Array.isArray(a.value.value)) throw unreadable(file, a, 'it is not a list of (app, migration) tuples');
      const out: [string, string][] = [];
      for (const item of a.value.value) {
        // swappable_dependency(settings.AUTH_USER_MODEL) and the like name another app's migrations.
        if (item !== null && typeof item === 'object' && !Array.isArray(item)) continue;
        if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== 'string' || typeof item[1] !== 'string') {
          throw unreadable(file, a, 'an entry is not an (app, migration) tuple of quoted strings');
        }
        out.push([item[0], item[1]]);
      }
      return out;
    };
    raws.push({ name: name.slice(0, -3), file, deps: pairs('dependencies'), replaces: pairs('replaces') });
  }
  const names = new Set(raws.map((r) => r.name));
  const parentName = basename(dirname(resolve(dir)));
  const labels = new Set<string>();
  for (const r of raws) for (const [app, m] of [...r.deps, ...r.replaces]) if (names.has(m)) labels.add(app);
  const label = labels.has(parentName) || labels.size !== 1 ? parentName : ([...labels][0] as string);

  // Squashed migrations take the place of the ones they replace.
  const replacedBy = new Map<string, string>();
  for (const r of raws) for (const [app, m] of r.replaces) if (app === label) replacedBy.set(m, r.name);
  const resolveName = (m: string): string => {
    let cur = m;
    for (let hops = 0; replacedBy.has(cur) && hops < 100; hops++) cur = replacedBy.get(cur) as string;
    return cur;
  };
  const out: Migration[] = [];
  for (const r of raws) {
    if (replacedBy.has(r.name)) continue;
    const parents: string[] = [];
    for (const [app, m] of r.deps) {
      if (app !== label || m === '__first__' || m === '__latest__') continue;
      const p = resolveName(m);
      if (p !== r.name && !parents.includes(p)) parents.push(p);
    }
    // A squash's own dependencies may name migrations it replaces (a partial squash): not a parent.
    out.push({ revision: r.name, parents, description: wordsOf(r.name.replace(/^\d+_?/, '')), file: r.file, sortKey: null });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tools ordered by a name or a version

/** Prisma: each migration directory, by name (Prisma sorts them so and records the directory name). */
function readPrisma(dir: string): Migration[] {
  return list(dir)
    .filter((e) => e.isDirectory() && hasFile(join(dir, e.name), 'migration.sql'))
    .map((e) => ({
      revision: e.name,
      parents: [],
      description: wordsOf(e.name.replace(/^\d+_?/, '')),
      file: join(dir, e.name),
      sortKey: [e.name],
    }));
}

const RAILS_FILE = /^([0-9]+)_([_a-z0-9]*)\.?([_a-z0-9]*)?\.rb$/;

/** Rails: `VERSION_name.rb`; the version (a timestamp) is the id, ordered numerically. */
function readRails(dir: string): Migration[] {
  const out: Migration[] = [];
  for (const name of files(dir)) {
    const m = RAILS_FILE.exec(name);
    if (!m) continue;
    const version = m[1] as string;
    out.push({ revision: version, parents: [], description: wordsOf(m[2] as string), file: join(dir, name), sortKey: [BigInt(version)] });
  }
  return out;
}

const FLYWAY_FILE = /^V([0-9]+(?:[._][0-9]+)*)__(.+)\.sql$/;

/**
 * Flyway: `V<version>__<description>.sql`; the version, with `_` written `.`, is the id. Versions
 * compare part by part as numbers (1.9 < 1.10, 2 < 10), trailing zero parts ignored (1.0 = 1), as
 * Flyway's MigrationVersion does. Repeatable (`R__`) and undo (`U`) scripts are not in the chain.
 */
function readFlyway(dir: string): Migration[] {
  const out: Migration[] = [];
  for (const name of files(dir)) {
    const m = FLYWAY_FILE.exec(name);
    if (!m) continue;
    const version = (m[1] as string).replaceAll('_', '.');
    const parts = version.split('.').map((p) => BigInt(p));
    while (parts.length > 1 && parts[parts.length - 1] === 0n) parts.pop();
    out.push({ revision: version, parents: [], description: wordsOf(m[2] as string), file: join(dir, name), sortKey: parts });
  }
  return out;
}

const SQL_FILE = /^([0-9]+)_(.*?)(\.up|\.down)?\.sql$/;

/**
 * Numbered or timestamped `.sql` files, ordered by their number:
 * - golang-migrate (`N_title.up.sql`): the id is the number as it records it (an integer: `0001` → `1`);
 * - dbmate (`N_name.sql` with `-- migrate:up`): the id is the number as written;
 * - plain numbered files (the reference server, many home-grown runners): the file name without `.sql`,
 *   with a `-- description:` header line as the message.
 */
function readSql(dir: string): Migration[] {
  const names = files(dir).filter((n) => SQL_FILE.test(n));
  const golang = names.some((n) => n.endsWith('.up.sql'));
  const out: Migration[] = [];
  for (const name of names) {
    const m = SQL_FILE.exec(name) as RegExpExecArray;
    const num = m[1] as string;
    const title = m[2] as string;
    const file = join(dir, name);
    if (golang) {
      if (m[3] !== '.up') continue;
      out.push({ revision: BigInt(num).toString(), parents: [], description: wordsOf(title), file, sortKey: [BigInt(num)] });
      continue;
    }
    if (m[3]) continue;
    const text = read(file);
    const dbmate = /^--\s*migrate:up\b/m.test(text);
    const header = /^--\s*description\s*:\s*(.*?)\s*$/m.exec(text.slice(0, 4096));
    out.push({
      revision: dbmate ? num : name.slice(0, -4),
      parents: [],
      description: !dbmate && header ? cleanDescription(header[1]) : wordsOf(title),
      file,
      sortKey: [BigInt(num)],
    });
  }
  return out;
}
