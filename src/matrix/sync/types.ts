import { ErrorCode, HandshakeError } from '../../errors.js';
import { REVISION_PATTERN } from '../schema.js';

/** The migration tools `compat sync` reads. */
export const SYNC_FORMATS = [
  'alembic',
  'django',
  'prisma',
  'rails',
  'flyway',
  'sql',
  'knex',
  'typeorm',
  'sequelize',
  'drizzle',
  'node-pg-migrate',
  'kysely',
  'goose',
  'liquibase',
  'laravel',
  'ecto',
  'efcore',
  'diesel',
  'sqlx',
] as const;
export type SyncFormat = (typeof SYNC_FORMATS)[number];

/** One migration as its tool sees it. */
export interface Migration {
  /** The id the tool records in the database. */
  revision: string;
  /** The revisions it follows, in the tool's terms (Alembic `down_revision`, Django same-app `dependencies`). */
  parents: string[];
  /** The migration's own message, or null. */
  description: string | null;
  /** The file (or directory) it came from. */
  file: string;
  /**
   * For tools that order by a key rather than by parents (Flyway, Rails, Prisma, numbered SQL): the
   * key's parts, compared part by part, numbers numerically. Null for graph-ordered tools.
   */
  sortKey: readonly (bigint | string)[] | null;
}

/** Why a directory cannot be synced; `exit` says how the command ends. */
export type SyncProblem =
  | 'unreadable'
  | 'unknown_format'
  | 'wrong_format'
  | 'no_migrations'
  | 'duplicate'
  | 'missing_parent'
  | 'cycle'
  | 'invalid_id'
  | 'multiple_heads'
  | 'matrix';

/**
 * A migrations directory (or the matrix beside it) `compat sync` cannot use. `file` names the file
 * at fault. Multiple heads are an incompatible chain (exit 3); everything else is bad input (exit 2).
 */
export class SyncError extends HandshakeError {
  readonly problem: SyncProblem;
  readonly file: string | null;
  /** For `multiple_heads`: the heads. */
  readonly heads: readonly string[];

  constructor(
    problem: SyncProblem,
    message: string,
    options: { file?: string | null; remedy?: string | null; heads?: string[]; cause?: unknown } = {},
  ) {
    super(problem === 'multiple_heads' ? ErrorCode.ChainMismatch : ErrorCode.Usage, message, {
      remedy: options.remedy ?? null,
      cause: options.cause,
    });
    this.name = 'SyncError';
    this.problem = problem;
    this.file = options.file ?? null;
    this.heads = options.heads ?? [];
  }
}

/** Any printable text up to 256 characters without control or format characters is a revision id: the matrix's one rule (REVISION_PATTERN). */
export function isRevisionId(id: string): boolean {
  return REVISION_PATTERN.test(id);
}

/** A description as the matrix holds it: one line, no control characters, at most 200 characters. */
export function cleanDescription(text: string | null | undefined): string | null {
  if (!text) return null;
  const one = text
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!one) return null;
  const chars = [...one];
  return chars.length <= 200 ? one : `${chars.slice(0, 199).join('')}…`;
}

/** `add_event_tags` → `add event tags`: the name part of a file name, as words (Flyway does the same). */
export function wordsOf(name: string): string | null {
  return cleanDescription(name.replace(/_+/g, ' '));
}
