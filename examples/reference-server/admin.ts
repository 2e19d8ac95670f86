import type { PGlite } from '@electric-sql/pglite';
import type { MigrationRunContext, MigrationRunner } from '../../src/server/index.js';
import { appliedRevision, backupDataDir, openDatabase } from './data-dir.js';
import { messageOf } from './errors.js';
import { applyMigrations, plan } from './migrate.js';
import type { Migration } from './migrations.js';

/** The database the server's routes use; the runner swaps it when it closes and reopens it for the backup. */
export interface DatabaseHolder {
  db: PGlite;
}

export interface AdminRunnerOptions {
  dataDir: string;
  /** Where backups go (`--backup-dir`); default beside the data directory. */
  backupDir?: string | null;
  holder: DatabaseHolder;
  /** The migrations of the release this server runs, oldest first. */
  release: readonly Migration[];
  log: (line: string) => void;
  /** Waits for requests already inside the API to finish, before the database is closed for the backup. */
  drain: () => Promise<void>;
  /** Test-only pause inside each migration's transaction. */
  delayMs?: number;
}

/**
 * The reference server's runner for the admin migration endpoint: the same
 * backup and per-migration transactions as `migrate`, in process. The
 * database is closed while its directory is copied (the other routes answer
 * 503 meanwhile) and reopened; a failed backup is recorded in
 * `migration_log` (so a restarted server reports it too) and applies nothing.
 */
export function adminRunner(opts: AdminRunnerOptions): { head: () => string | null; run: MigrationRunner } {
  const head = opts.release.at(-1) ?? null;
  return {
    head: () => head?.revision ?? null,
    run: async (ctx) => {
      if (!head) throw new Error('This release ships no migrations');
      const from = await appliedRevision(opts.holder.db);
      const todo = plan(opts.release, from, head);
      ctx.progress({ applied: 0, total: todo.length, current: null, schemaRevision: from });
      await opts.drain();
      const backup = await backUp(opts, todo[0]?.revision ?? head.revision);
      await applyEach(opts, ctx, todo, backup);
    },
  };
}

async function backUp(opts: AdminRunnerOptions, firstRevision: string): Promise<string> {
  await opts.holder.db.close();
  let backup: string;
  try {
    backup = backupDataDir(opts.dataDir, new Date(), opts.backupDir ?? undefined);
  } catch (err) {
    opts.holder.db = await openDatabase(opts.dataDir);
    const error = `backup failed, nothing applied: ${(err as NodeJS.ErrnoException).code ?? messageOf(err)}`;
    await opts.holder.db.query("INSERT INTO migration_log (revision, status, error, finished_at) VALUES ($1, 'failed', $2, now())", [
      firstRevision,
      error,
    ]);
    opts.log(`admin migration run: ${error}`);
    throw new Error(error, { cause: err });
  }
  opts.holder.db = await openDatabase(opts.dataDir);
  opts.log(`admin migration run: backed up ${opts.dataDir} to ${backup}`);
  return backup;
}

async function applyEach(opts: AdminRunnerOptions, ctx: MigrationRunContext, todo: readonly Migration[], backup: string): Promise<void> {
  for (const [i, m] of todo.entries()) {
    if (ctx.signal.aborted) {
      opts.log(`admin migration run: stopped before ${m.revision} (the server is shutting down)`);
      return;
    }
    ctx.progress({ applied: i, total: todo.length, current: m.revision });
    const { failed } = await applyMigrations(opts.holder.db, [m], { backup, log: opts.log, delayMs: opts.delayMs });
    if (failed) throw new Error(`${failed.revision} failed and was rolled back: ${failed.error}`);
    ctx.progress({ applied: i + 1, total: todo.length, current: null, schemaRevision: m.revision });
  }
}
