import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { ReferenceServerError } from './errors.js';

/** One SQL migration file: `NNNN_name.sql`, its id being the file name without `.sql`. */
export interface Migration {
  /** Alembic-style id, e.g. `0003_add_insight_meta_cache`. */
  revision: string;
  /** From the `-- description:` header line. */
  description: string | null;
  /** The server release that introduced it, from the `-- server_version:` header line. */
  serverVersion: string | null;
  sql: string;
  file: string;
}

const FILE = /^(\d{4}_[a-z0-9_]{1,100})\.sql$/;
const HEADER = /^--\s*(description|server_version)\s*:\s*(.*?)\s*$/gm;
const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|END)\s*;/im;

/**
 * The migrations directory the server ships: beside this file when run from
 * source, or in the source tree when run from `dist/`.
 */
export function defaultMigrationsDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, 'migrations'), resolve(here, '../../../examples/reference-server/migrations')];
  return candidates.find((dir) => existsSync(dir)) ?? (candidates[0] as string);
}

/**
 * Reads every `NNNN_name.sql` in `dir`, oldest first. Each file runs in one
 * transaction, so it must not contain its own BEGIN/COMMIT.
 */
export function loadMigrations(dir: string): Migration[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new ReferenceServerError(
      `Cannot read the migrations directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      'Pass an existing directory of NNNN_name.sql files with --migrations DIR',
      { exitCode: 2, cause: err },
    );
  }
  const files = names.filter((n) => n.endsWith('.sql')).sort();
  if (files.length === 0) {
    throw new ReferenceServerError(`No migrations in ${dir}`, 'Add NNNN_name.sql files, or point --migrations at the right directory', {
      exitCode: 2,
    });
  }
  return files.map((name) => {
    const file = join(dir, name);
    const match = FILE.exec(name);
    if (!match) {
      throw new ReferenceServerError(
        `Migration file ${file} is not named NNNN_name.sql`,
        'Rename it to four digits, an underscore and lower-case words, e.g. 0006_add_alerts.sql',
        { exitCode: 2 },
      );
    }
    const sql = readFileSync(file, 'utf8');
    if (TRANSACTION_CONTROL.test(sql)) {
      throw new ReferenceServerError(
        `Migration ${basename(file)} controls its own transaction`,
        'Remove BEGIN/COMMIT/ROLLBACK from it: every migration already runs in one transaction of its own',
        { exitCode: 2 },
      );
    }
    const headers: Record<string, string> = {};
    for (const [, key, value] of sql.matchAll(HEADER)) if (key && value !== undefined && !(key in headers)) headers[key] = value;
    const serverVersion = headers['server_version'] ?? null;
    if (serverVersion !== null && semver.valid(serverVersion) !== serverVersion) {
      throw new ReferenceServerError(
        `Migration ${basename(file)} has an invalid server_version "${serverVersion}"`,
        'Write it as a semver version, e.g. "-- server_version: 1.4.0"',
        { exitCode: 2 },
      );
    }
    return { revision: match[1] as string, description: headers['description'] || null, serverVersion, sql, file };
  });
}

/**
 * The migrations a server release ships: every revision introduced at or
 * before `version` (a file without a `server_version` belongs to the release
 * of the file before it). A `dev` build ships them all.
 */
export function releaseMigrations(chain: readonly Migration[], version: string): Migration[] {
  if (version === 'dev') return [...chain];
  const out: Migration[] = [];
  let release: string | null = null;
  for (const m of chain) {
    release = m.serverVersion ?? release;
    if (release !== null && semver.gt(release, version)) break;
    out.push(m);
  }
  return out;
}

/** The release a revision was introduced in (inherited from the file before it when it names none). */
export function releaseOf(chain: readonly Migration[], revision: string | null): string | null {
  let release: string | null = null;
  for (const m of chain) {
    release = m.serverVersion ?? release;
    if (m.revision === revision) return release;
  }
  return null;
}
