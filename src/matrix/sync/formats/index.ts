import { type Migration, SYNC_FORMATS, SyncError, type SyncFormat } from '../types.js';
import { alembic } from './alembic.js';
import { diesel } from './diesel.js';
import { django } from './django.js';
import { drizzle } from './drizzle.js';
import { ecto } from './ecto.js';
import { efcore } from './efcore.js';
import { flyway } from './flyway.js';
import type { Format } from './format.js';
import { listDir } from './fs.js';
import { goose } from './goose.js';
import { knex } from './knex.js';
import { kysely } from './kysely.js';
import { laravel } from './laravel.js';
import { liquibase } from './liquibase.js';
import { nodePgMigrate } from './node-pg-migrate.js';
import { prisma } from './prisma.js';
import { rails } from './rails.js';
import { sequelize } from './sequelize.js';
import { sql } from './sql.js';
import { sqlx } from './sqlx.js';
import { typeorm } from './typeorm.js';

/**
 * Every format, in the order detection asks them: the most specific marks first (a lock file, a class,
 * a variable), then name rules, the loosest (`N_name.sql`) last.
 */
export const FORMATS: Record<SyncFormat, Format> = {
  prisma,
  drizzle,
  django,
  alembic,
  liquibase,
  efcore,
  laravel,
  ecto,
  diesel,
  goose,
  typeorm,
  kysely,
  'node-pg-migrate': nodePgMigrate,
  sequelize,
  knex,
  rails,
  flyway,
  sql,
  sqlx,
};

/** sqlx is never detected: its files are numbered SQL like golang-migrate's and dbmate's. */
const DETECTION_ORDER = Object.keys(FORMATS) as SyncFormat[];

/** Each format's reader: the migrations of a directory, unordered. */
export const READERS = Object.fromEntries(SYNC_FORMATS.map((f) => [f, (dir: string) => FORMATS[f].read(dir)])) as Record<
  SyncFormat,
  (dir: string) => Migration[]
>;

/** The first format, in detection order, that claims `dir`, with the file that told it; null when none does. */
export function detect(dir: string, except?: SyncFormat): { format: SyncFormat; file: string } | null {
  const entries = listDir(dir);
  for (const format of DETECTION_ORDER) {
    if (format === except) continue;
    const file = FORMATS[format].detect(dir, entries);
    if (file) return { format, file };
  }
  return null;
}

/** Which tool wrote `dir`, from its file names (and, where a name is not enough, a file's contents). */
export function detectFormat(dir: string): SyncFormat {
  const found = detect(dir);
  if (found) return found.format;
  throw new SyncError('unknown_format', `Cannot tell which migration tool wrote ${dir}`, {
    file: dir,
    remedy: `Name the tool: one of ${SYNC_FORMATS.join(', ')}`,
  });
}

/**
 * The migrations of `dir` as `format` reads them. A named format that finds none where another tool's
 * files are is a usage error naming one of them: the wrong --format, not an empty directory.
 */
export function readMigrations(dir: string, format: SyncFormat, named: boolean): Migration[] {
  const migrations = FORMATS[format].read(dir);
  if (migrations.length === 0 && named) {
    const other = detect(dir, format);
    if (other) {
      throw new SyncError(
        'wrong_format',
        `${other.file} is not a ${FORMATS[format].tool} migration (it is ${FORMATS[other.format].tool}'s)`,
        {
          file: other.file,
          remedy: `Name the tool that wrote the directory: ${other.format}`,
        },
      );
    }
  }
  return migrations;
}
