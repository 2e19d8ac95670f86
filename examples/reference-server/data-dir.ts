import { randomUUID } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { messageOf, ReferenceServerError } from './errors.js';
import type { Migration } from './migrations.js';

/**
 * A data directory holds the Postgres cluster (`pgdata/`, run by PGlite) and
 * a lock file. PGlite is one process's database at a time, so whoever opens
 * it (the server or `migrate`) takes the lock first.
 */
const PGDATA = 'pgdata';
const LOCK = 'server.lock';
/** The name a cluster copied from the template has until it is whole (`pgdata.seed-<pid>`). */
const SEED_PARTIAL = `${PGDATA}.seed-`;

export type MigrationStatus = 'idle' | 'running' | 'failed';

/** The last migration run recorded in the database. */
export interface LastRun {
  revision: string;
  status: 'running' | 'applied' | 'failed';
  error: string | null;
  backup: string | null;
}

/** Locks held by this process, so a test or demo running both sides in-process is refused like two processes are. */
const heldHere = new Set<string>();

/** Is `dir` an initialised data directory? */
export function isInitialised(dir: string): boolean {
  return existsSync(join(dir, PGDATA, 'PG_VERSION'));
}

/** Refuses a directory that holds something else, so `--data ~/Documents` never gets a database written into it. */
export function checkDataDir(dir: string): void {
  if (!existsSync(dir) || isInitialised(dir)) return;
  if (!statSync(dir).isDirectory()) {
    throw new ReferenceServerError(`${dir} is not a directory`, 'Pass a directory path with --data (it is created if missing)', {
      exitCode: 2,
    });
  }
  // A seed copy a kill left behind (see seedCluster) is not the user's: the next open removes it.
  const entries = readdirSync(dir).filter((e) => e !== LOCK && !e.startsWith(SEED_PARTIAL));
  if (entries.length > 0) {
    throw new ReferenceServerError(
      `${dir} is not empty and holds no reference-server database`,
      'Pass a new or empty directory with --data, or the data directory of an earlier run',
      { exitCode: 2 },
    );
  }
}

/** Takes the data directory's lock; returns the function that releases it. */
export function lockDataDir(dir: string, holder: 'serve' | 'migrate'): () => void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new ReferenceServerError(
      `Cannot create the data directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? messageOf(err)}`,
      'Pass a directory path you can write to with --data',
      { exitCode: 2, cause: err },
    );
  }
  const key = realpathSync(dir);
  const path = join(dir, LOCK);
  const token = randomUUID();
  for (let attempt = 0; attempt < 2; attempt++) {
    if (heldHere.has(key)) throw inUse(dir, process.pid);
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number.parseInt(readFileSync(path, 'utf8').split(' ')[0] ?? '', 10);
      if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) throw inUse(dir, pid);
      rmSync(path, { force: true }); // left behind by a process that died
      continue;
    }
    writeSync(fd, `${process.pid} ${holder} ${token}\n`);
    closeSync(fd);
    heldHere.add(key);
    return () => {
      heldHere.delete(key);
      try {
        if (readFileSync(path, 'utf8').includes(token)) rmSync(path, { force: true });
      } catch {
        // already gone
      }
    };
  }
  throw inUse(dir, null);
}

function inUse(dir: string, pid: number | null): ReferenceServerError {
  return new ReferenceServerError(
    `${dir} is in use${pid ? ` by process ${pid}` : ''}: its database can be opened by one process at a time`,
    'Stop the running reference server (Ctrl-C or SIGTERM) before running migrate, or use another --data directory',
    { exitCode: 1 },
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * How every database here is started: PGlite's own parameters, with Postgres's shared buffers at 16 MB instead of
 * 128 MB. A server with one client needs no more, and in PGlite's WebAssembly memory the 128 MB were paid for at
 * every open (page faults): an open took 0.65–0.75 s with them and 0.2–0.25 s without (README "The data directory").
 */
function pgliteOptions(): { startParams: string[] } {
  return { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] };
}

/** Opens (creating if needed) the data directory's database and its bookkeeping tables. */
export async function openDatabase(dir: string): Promise<PGlite> {
  const db = await openCluster(join(dir, PGDATA));
  // Alembic's own table: one row, the revision the schema is at.
  await db.exec(`
    CREATE TABLE IF NOT EXISTS alembic_version (
      version_num varchar(128) NOT NULL,
      CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
    );
    CREATE TABLE IF NOT EXISTS migration_log (
      id          bigserial   PRIMARY KEY,
      revision    varchar(128) NOT NULL,
      status      text        NOT NULL CHECK (status IN ('running', 'applied', 'failed')),
      error       text,
      backup_path text,
      started_at  timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    );
  `);
  return db;
}

/**
 * Opens the Postgres cluster in `pgdata` with this server's settings ({@link pgliteOptions}); a new one starts as a
 * copy of the template ({@link seedCluster}), or from initdb ({@link createCluster}) when there is none or the copy
 * does not open.
 */
export async function openCluster(pgdata: string): Promise<PGlite> {
  const existing = existsSync(join(pgdata, 'PG_VERSION'));
  const template = existing ? null : await seedCluster(pgdata);
  mkdirSync(pgdata, { recursive: true });
  let db: PGlite;
  try {
    db = existing || template ? await PGlite.create(pgdata, pgliteOptions()) : await createCluster(pgdata);
  } catch (err) {
    if (!template) throw err;
    // initdb here, as without a template; if that works where the copy did not, the template is damaged: drop it.
    rmSync(pgdata, { recursive: true, force: true });
    mkdirSync(pgdata, { recursive: true });
    db = await createCluster(pgdata);
    rmSync(template, { recursive: true, force: true });
  }
  return db;
}

/**
 * A new cluster: initdb, then only the database PGlite serves (`postgres`) is kept. template0 and template1 are there
 * for CREATE DATABASE, which this server never runs, and were two thirds of the cluster's ~970 files: the files every
 * seed copy, backup and restore copies (0.26–0.6 s a copy here, 0.1–0.15 s without them: README "The data directory").
 */
async function createCluster(pgdata: string): Promise<PGlite> {
  const db = await PGlite.create(pgdata, pgliteOptions());
  try {
    // One statement at a time: DROP DATABASE cannot run in the implicit transaction of a multi-statement query.
    for (const name of ['template0', 'template1']) {
      await db.exec(`ALTER DATABASE ${name} IS_TEMPLATE false`);
      await db.exec(`DROP DATABASE ${name}`);
    }
    return db;
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}

/**
 * A new cluster starts as a copy of a pristine one. PGlite's initdb takes
 * seconds (more on a busy machine) and gives the same cluster every time, so
 * the first new data directory runs it once into the user's cache
 * (`$XDG_CACHE_HOME/handshake-reference-server/pglite-<version>`, written
 * under a temporary name and renamed when complete) and every later one
 * copies it: about a tenth of the time. A cache that cannot be used (no home,
 * not writable, damaged) costs only the time: PGlite then runs initdb in the
 * data directory as before; so does a template PGlite cannot open (it is
 * removed). `REFERENCE_SERVER_NO_TEMPLATE=1` always runs initdb. Returns the
 * template copied, or null.
 */
export async function seedCluster(pgdata: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  if (env['REFERENCE_SERVER_NO_TEMPLATE']) return null;
  const template = templatePath(env);
  if (!template) return null;
  const dir = dirname(pgdata);
  const partial = join(dir, `${SEED_PARTIAL}${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    // Copies a kill left behind (whoever opens the database holds the data directory's lock: none is in progress).
    for (const e of readdirSync(dir)) if (e.startsWith(SEED_PARTIAL)) rmSync(join(dir, e), { recursive: true, force: true });
    if (!existsSync(join(template, 'PG_VERSION'))) await makeTemplate(template);
    rmSync(pgdata, { recursive: true, force: true });
    cpSync(template, partial, { recursive: true });
    // On the disk before it gets its name: a crash never leaves a pgdata/ that looks whole and is not.
    syncTree(partial);
    renameSync(partial, pgdata);
    return template;
  } catch {
    // Any problem with the cache: PGlite runs initdb in the data directory itself.
    rmSync(partial, { recursive: true, force: true });
    rmSync(pgdata, { recursive: true, force: true });
    return null;
  }
}

/** Where this PGlite's template cluster lives, or null when there is no absolute cache directory to keep it in. */
function templatePath(env: NodeJS.ProcessEnv): string | null {
  const xdg = env['XDG_CACHE_HOME'];
  const home = env['HOME'] || safeHomedir();
  const base = xdg && isAbsolute(xdg) ? xdg : home ? join(home, '.cache') : null;
  if (!base || !isAbsolute(base)) return null;
  // Named by what makes it: the PGlite release and createCluster's recipe (a template of an earlier recipe is not used).
  return join(base, 'handshake-reference-server', `pglite-${pgliteVersion()}-postgres-only`);
}

function safeHomedir(): string {
  try {
    return homedir();
  } catch {
    return ''; // a uid with no passwd entry
  }
}

function pgliteVersion(): string {
  const require = createRequire(import.meta.url);
  // The package's exports do not include its package.json: read it beside the resolved entry point.
  let dir = dirname(require.resolve('@electric-sql/pglite'));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** initdb into a temporary directory beside `template`, closed cleanly, then renamed: the template is whole or absent. */
async function makeTemplate(template: string): Promise<void> {
  mkdirSync(dirname(template), { recursive: true, mode: 0o700 });
  const partial = `${template}.partial-${process.pid}-${randomUUID()}`;
  try {
    await (await createCluster(partial)).close();
    syncTree(partial);
    renameSync(partial, template);
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    // Another process renamed its template first: use that one.
    if (!existsSync(join(template, 'PG_VERSION'))) throw err;
  }
}

/** The revision the schema is at; on the database handle, or inside a transaction with the transaction. */
export async function appliedRevision(db: Pick<PGlite | Transaction, 'query'>): Promise<string | null> {
  const { rows } = await db.query<{ version_num: string }>('SELECT version_num FROM alembic_version');
  return rows[0]?.version_num ?? null;
}

export async function lastRun(db: PGlite): Promise<LastRun | null> {
  const { rows } = await db.query<{ revision: string; status: LastRun['status']; error: string | null; backup_path: string | null }>(
    'SELECT revision, status, error, backup_path FROM migration_log ORDER BY id DESC LIMIT 1',
  );
  const row = rows[0];
  return row ? { revision: row.revision, status: row.status, error: row.error, backup: row.backup_path } : null;
}

/**
 * The runner's state as the version document reports it. A run still marked
 * `running` while we hold the lock was interrupted (its transaction never
 * committed, so the schema is at the revision before it): that is `failed`.
 */
export function migrationStatus(run: LastRun | null): MigrationStatus {
  return run && run.status !== 'applied' ? 'failed' : 'idle';
}

/** Migrations in `chain` after `applied` (all of them when nothing is applied). */
export function pendingAfter(chain: readonly Migration[], applied: string | null): Migration[] {
  if (applied === null) return [...chain];
  const i = chain.findIndex((m) => m.revision === applied);
  return i < 0 ? [] : chain.slice(i + 1);
}

/**
 * Copies the whole data directory (not its lock) to `DIR.backup-<timestamp>`,
 * beside it or in `into`; the database must be closed. The copy is written
 * under a temporary name (`.DIR.backup-<timestamp>.partial-<pid>`, which no
 * one takes for a backup), every file synced to the disk, and renamed to its
 * final name only when complete: a kill or a power cut leaves no file that
 * looks like a backup. A copy that fails half-way is removed, and the error
 * thrown; one a kill left behind is removed by the next run
 * ({@link removePartialBackups}).
 */
export function backupDataDir(dir: string, now: Date = new Date(), into?: string): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d+)Z$/, '$1Z');
  const base = into ? join(resolve(into), `${basename(resolve(dir))}.backup-${stamp}`) : `${resolve(dir)}.backup-${stamp}`;
  let target = base;
  for (let n = 2; existsSync(target); n++) target = `${base}-${n}`;
  const partial = join(dirname(target), `.${basename(target)}${PARTIAL}${process.pid}`);
  try {
    cpSync(dir, partial, { recursive: true, filter: (src) => !src.endsWith(`/${LOCK}`) && !src.endsWith(`\\${LOCK}`) });
    syncTree(partial);
    renameSync(partial, target);
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw err;
  }
  syncPath(dirname(target));
  return target;
}

/** What marks a backup still being written: `.DIR.backup-<timestamp>.partial-<pid>`. */
const PARTIAL = '.partial-';

/**
 * Removes the partial backups of `dir` that a killed run left (beside it, and
 * in `into` when backups go there) and returns their paths, for the caller to
 * say so. Only called with the data directory's lock held: no run of ours is
 * writing one now.
 */
export function removePartialBackups(dir: string, into?: string | null): string[] {
  const name = basename(resolve(dir));
  const removed: string[] = [];
  for (const parent of new Set([dirname(resolve(dir)), ...(into ? [resolve(into)] : [])])) {
    let entries: string[];
    try {
      entries = readdirSync(parent);
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (!entry.startsWith(`.${name}.backup-`) || !entry.includes(PARTIAL)) continue;
      rmSync(join(parent, entry), { recursive: true, force: true });
      removed.push(join(parent, entry));
    }
  }
  return removed;
}

/** Syncs every file and directory under `path` to the disk, so a rename after it never names a copy still in the page cache. */
function syncTree(path: string): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    for (const entry of readdirSync(path)) syncTree(join(path, entry));
  }
  syncPath(path);
}

function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
