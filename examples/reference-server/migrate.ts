import { resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import {
  appliedRevision,
  backupDataDir,
  checkDataDir,
  isInitialised,
  lastRun,
  lockDataDir,
  openDatabase,
  pendingAfter,
  removePartialBackups,
} from './data-dir.js';
import { messageOf, ReferenceServerError } from './errors.js';
import { defaultMigrationsDir, loadMigrations, type Migration, releaseMigrations } from './migrations.js';

export interface MigrateOptions {
  /** The data directory (`--data`). Created and initialised when new. */
  dataDir: string;
  /** Stop at this revision (`--to`); default: the newest in the migrations directory. */
  to?: string | null;
  /** The release being installed (`--version`): stop at its newest revision, as that release's own migrate would. */
  version?: string | null;
  /** Where the NNNN_name.sql files are (`--migrations`); default: the ones this server ships. */
  migrationsDir?: string;
  /** Progress lines for a human (the CLI writes them to stderr). */
  log?: (line: string) => void;
}

export interface MigrateResult {
  /** `up_to_date`: nothing to do; `migrated`: every step applied; `failed`: a step failed and was rolled back. */
  status: 'up_to_date' | 'migrated' | 'failed';
  /** The revision before this run (null for a new data directory). */
  from: string | null;
  /** The revision the database is at now. */
  revision: string | null;
  /** Revisions applied by this run, in order. */
  applied: string[];
  /** The step that failed, and the database's error. */
  failed: { revision: string; error: string } | null;
  /** The copy of the data directory taken before the first step (null when none was needed). */
  backup: string | null;
  /** The command that puts the backup back, when there is one. */
  restore: string | null;
}

/**
 * Applies pending migrations, each in one transaction, failing closed: the
 * first failure is rolled back, recorded as `migration_status: failed` (the
 * server reports it when it starts again), and the run stops there. An
 * initialised data directory is copied to `DIR.backup-<timestamp>` first.
 * Needs the data directory to itself: stop the server before.
 *
 * Resolves with the outcome, a failed migration included; throws
 * {@link ReferenceServerError} only when it could not start (bad `--to`,
 * directory in use, a database ahead of these migrations).
 */
export async function migrate(opts: MigrateOptions): Promise<MigrateResult> {
  const log = opts.log ?? (() => {});
  const all = loadMigrations(opts.migrationsDir ?? defaultMigrationsDir());
  const chain = opts.version ? releaseMigrations(all, opts.version) : all;
  if (chain.length === 0) {
    throw new ReferenceServerError(`Release ${opts.version} ships no migrations`, 'Pass the version of a release these migrations know', {
      exitCode: 2,
    });
  }
  if (opts.to && !chain.some((m) => m.revision === opts.to) && all.some((m) => m.revision === opts.to)) {
    throw new ReferenceServerError(`${opts.to} is not part of release ${opts.version}`, `Use a revision up to ${chain.at(-1)?.revision}`, {
      exitCode: 2,
    });
  }
  const target = targetOf(chain, opts.to);
  checkDataDir(opts.dataDir);
  const release = lockDataDir(opts.dataDir, 'migrate');
  let db: PGlite | null = null;
  try {
    for (const partial of removePartialBackups(opts.dataDir)) {
      log(`removed ${partial}: a backup an interrupted run never finished (not a usable copy)`);
    }
    const fresh = !isInitialised(opts.dataDir);
    db = await openDatabase(opts.dataDir);
    const from = await appliedRevision(db);
    const todo = plan(chain, from, target);
    if (todo.length === 0) {
      const previous = await lastRun(db);
      // A clean run over a failed one leaves the status failed; say so rather than "up to date".
      const failed = previous?.status === 'failed' ? { revision: previous.revision, error: previous.error ?? '' } : null;
      log(`${opts.dataDir} is at ${from ?? 'no revision'}: nothing to migrate`);
      return { status: 'up_to_date', from, revision: from, applied: [], failed, backup: null, restore: null };
    }
    let backup: string | null = null;
    if (!fresh) {
      await db.close();
      db = null;
      backup = backupDataDir(opts.dataDir);
      log(`backed up ${opts.dataDir} to ${backup}`);
      db = await openDatabase(opts.dataDir);
    }
    const outcome = await applyMigrations(db, todo, { backup, log });
    const restore = backup ? restoreCommand(opts.dataDir, backup) : null;
    return {
      status: outcome.failed ? 'failed' : 'migrated',
      from,
      revision: await appliedRevision(db),
      applied: outcome.applied,
      failed: outcome.failed,
      backup,
      restore,
    };
  } finally {
    await db?.close();
    release();
  }
}

/** The revision `--to` names, validated against the chain; the newest by default. */
export function targetOf(chain: readonly Migration[], to: string | null | undefined): Migration {
  if (to) {
    const found = chain.find((m) => m.revision === to);
    if (!found) {
      throw new ReferenceServerError(`Unknown revision "${to}"`, `Use one of: ${chain.map((m) => m.revision).join(', ')}`, { exitCode: 2 });
    }
    return found;
  }
  return chain[chain.length - 1] as Migration;
}

/** The steps from `applied` up to `target`; refuses a downgrade and a database these migrations do not know. */
export function plan(chain: readonly Migration[], applied: string | null, target: Migration): Migration[] {
  const targetIndex = chain.indexOf(target);
  if (applied === null) return chain.slice(0, targetIndex + 1);
  const appliedIndex = chain.findIndex((m) => m.revision === applied);
  if (appliedIndex < 0) {
    throw new ReferenceServerError(
      `The database is at revision ${applied}, which these migrations do not know (a newer server's database?)`,
      'Run the server version that wrote it, or restore the backup taken before it was upgraded',
    );
  }
  if (appliedIndex > targetIndex) {
    throw new ReferenceServerError(
      `The database is at ${applied}, past ${target.revision}: downgrades are not supported`,
      `Restore the backup taken before ${chain[targetIndex + 1]?.revision ?? applied} was applied (DIR.backup-<timestamp>)`,
      { exitCode: 2 },
    );
  }
  return pendingAfter(chain, applied).slice(0, targetIndex - appliedIndex);
}

/** Runs each migration in its own transaction; stops at the first failure, which is rolled back and recorded. */
export async function applyMigrations(
  db: PGlite,
  todo: readonly Migration[],
  opts: { backup: string | null; log: (line: string) => void; delayMs?: number },
): Promise<{ applied: string[]; failed: { revision: string; error: string } | null }> {
  const applied: string[] = [];
  for (const m of todo) {
    const started = performance.now();
    // Committed before the step: if the process dies mid-step, the row stays "running" and reads as failed.
    const { rows } = await db.query<{ id: number }>(
      "INSERT INTO migration_log (revision, status, backup_path) VALUES ($1, 'running', $2) RETURNING id",
      [m.revision, opts.backup],
    );
    const id = rows[0]?.id;
    try {
      await db.transaction(async (tx) => {
        await tx.exec(m.sql);
        // A test-only pause inside the transaction (REFERENCE_SERVER_MIGRATION_DELAY_MS): a kill now must leave nothing of this step.
        if (opts.delayMs) await new Promise((resolve) => setTimeout(resolve, opts.delayMs));
        await tx.query('DELETE FROM alembic_version');
        await tx.query('INSERT INTO alembic_version (version_num) VALUES ($1)', [m.revision]);
        await tx.query("UPDATE migration_log SET status = 'applied', finished_at = now() WHERE id = $1", [id]);
      });
    } catch (err) {
      const error = describeDbError(err);
      await db.query("UPDATE migration_log SET status = 'failed', error = $2, finished_at = now() WHERE id = $1", [id, error]);
      opts.log(`${m.revision} failed and was rolled back: ${error}`);
      return { applied, failed: { revision: m.revision, error } };
    }
    applied.push(m.revision);
    opts.log(`applied ${m.revision} (${Math.round(performance.now() - started)} ms)`);
  }
  return { applied, failed: null };
}

/** The database's message, with its detail or hint when it has one. */
function describeDbError(err: unknown): string {
  const e = err as { detail?: string; hint?: string };
  return [messageOf(err), e.detail, e.hint].filter(Boolean).join(' — ');
}

/** A shell command that replaces the data directory with the backup (the backup itself is kept). */
export function restoreCommand(dataDir: string, backup: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `rm -rf ${q(resolve(dataDir))} && cp -a ${q(backup)} ${q(resolve(dataDir))}`;
}
