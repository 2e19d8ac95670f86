import type { z } from 'zod';
import { CAPABILITY_PATTERN } from '../matrix/schema.js';
import { type VersionDocument, versionDocumentSchema } from '../protocol/version-document.js';
import { HandshakeServerError } from './errors.js';
import type { MigrationProgress } from './migrations.js';
import { ENDPOINT_PATH } from './options.js';

/** State of a server's own migration runner, as the version document reports it. */
export type MigrationStatus = 'idle' | 'running' | 'failed';

/** A migration the server knows about and has not applied. */
export interface PendingMigrationInfo {
  /** An Alembic-style revision id such as `0004_split_events_table`. */
  revision: string;
  description?: string | null;
}

/** What a server knows about itself; {@link buildVersionDocument} turns it into the version document. */
export interface ServerInfo {
  /** The server's release, semver (`1.4.0`), or `dev` for an unversioned development build. */
  serverVersion: string;
  /** The schema revision currently applied, or null when there is none yet. */
  schemaRevision?: string | null;
  /** The oldest CLI this server accepts. */
  minCliVersion?: string | null;
  /** The newest CLI this server accepts. */
  maxCliVersion?: string | null;
  /** The CLI version this server suggests installing. */
  recommendedCliVersion?: string | null;
  /** Informational, e.g. `v1`. */
  apiVersion?: string | null;
  /** Migrations known to the server and not applied yet, oldest first. */
  pendingMigrations?: readonly (PendingMigrationInfo | string)[];
  /** How the server is deployed: `docker-compose`, `helm`, `rpm`, `deb`, or another word. */
  deployment?: string | null;
  /** State of the server's migration runner. */
  migrationStatus?: MigrationStatus | null;
  /** While `running`: this run's progress. Reported only when given (null included). */
  migrationProgress?: MigrationProgress | null;
  /** Data migrations still running in the background after the schema migrations. Reported only when given. */
  backgroundMigrationsPending?: number | null;
  /** What the server can do on request: `migrate` is the admin migration endpoint's path. Reported only when given. */
  capabilities?: ServerCapabilities;
}

/** `capabilities` of the version document (docs/protocol.md §1.3). */
export interface ServerCapabilities {
  /** The path of the admin migration endpoint, when the server offers it. */
  migrate?: string;
  /** Any other key is a feature flag: `false` = this server has the feature switched off (docs/matrix.md "Features"). */
  [flag: string]: string | boolean | undefined;
}

/**
 * The version document a server answers: the fields every CLI parses, and
 * the optional ones of the admin migration endpoint, present only when the
 * server reports them.
 */
export type ServerVersionDocument = Omit<VersionDocument, 'capabilities' | 'migration_progress' | 'background_migrations_pending'> & {
  capabilities?: ServerCapabilities;
  migration_progress?: MigrationProgress | null;
  background_migrations_pending?: number | null;
};

/** Field names of the document, for error messages that name what the caller passed. */
const OPTION_NAMES: Record<string, string> = {
  server_version: 'serverVersion',
  schema_revision: 'schemaRevision',
  min_cli_version: 'minCliVersion',
  max_cli_version: 'maxCliVersion',
  recommended_cli_version: 'recommendedCliVersion',
  api_version: 'apiVersion',
  pending_migrations: 'pendingMigrations',
  deployment: 'deployment',
  migration_status: 'migrationStatus',
};

/**
 * Builds the document a server answers on its version endpoint, validated
 * with the same schema the CLI parses it with, so a server can never serve a
 * document its CLIs would call `invalid_response`. Versions come out
 * normalised (`v1.4.0` → `1.4.0`), absent fields as null, pending migrations
 * as `{revision, description}` objects.
 *
 * @throws {HandshakeServerError} naming the field and what is wrong with it.
 */
export function buildVersionDocument(info: ServerInfo): ServerVersionDocument {
  const input = {
    server_version: info.serverVersion,
    schema_revision: info.schemaRevision ?? null,
    min_cli_version: info.minCliVersion ?? null,
    max_cli_version: info.maxCliVersion ?? null,
    recommended_cli_version: info.recommendedCliVersion ?? null,
    api_version: info.apiVersion ?? null,
    pending_migrations: (info.pendingMigrations ?? []).map((p) =>
      typeof p === 'string' ? { revision: p, description: null } : { revision: p.revision, description: p.description ?? null },
    ),
    deployment: info.deployment ?? null,
    migration_status: info.migrationStatus ?? null,
  };
  const parsed = versionDocumentSchema.safeParse(input);
  if (!parsed.success) {
    const { field, message } = describe(parsed.error);
    throw new HandshakeServerError(
      `Invalid version document: ${field} ${message}`,
      `Fix the value passed as ${OPTION_NAMES[field.split(/[.[]/)[0] ?? ''] ?? field} when building the handshake server info`,
      { cause: parsed.error },
    );
  }
  // The optional fields are present only when the server reports them (the CLI reads absent as null).
  const { capabilities: _c, migration_progress: _p, background_migrations_pending: _b, ...base } = parsed.data;
  return { ...base, ...extras(info) };
}

/** The optional fields, validated here (the CLI side's schema ignores what it does not know). */
type Extras = Pick<ServerVersionDocument, 'capabilities' | 'migration_progress' | 'background_migrations_pending'>;

function extras(info: ServerInfo): Extras {
  const out: Extras = {};
  const fail = (field: string, option: string, message: string): never => {
    throw new HandshakeServerError(
      `Invalid version document: ${field} ${message}`,
      `Fix the value passed as ${option} when building the handshake server info`,
    );
  };
  if (info.capabilities !== undefined) {
    const migrate = info.capabilities.migrate;
    if (migrate !== undefined && !ENDPOINT_PATH.test(migrate))
      fail('capabilities.migrate', 'capabilities.migrate', 'must be an absolute path');
    const flags: Record<string, boolean> = {};
    for (const [key, value] of Object.entries(info.capabilities)) {
      if (key === 'migrate' || value === undefined) continue;
      if (typeof value !== 'boolean' || !CAPABILITY_PATTERN.test(key)) {
        fail(`capabilities.${key}`, `capabilities.${key}`, 'must be a feature flag: a word such as "retention", true or false');
      }
      flags[key] = value as boolean;
    }
    out.capabilities = migrate === undefined ? flags : { ...flags, migrate };
  }
  if (info.migrationProgress !== undefined) {
    const p = info.migrationProgress;
    const count = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
    if (p !== null && (!count(p.applied) || !count(p.total) || p.applied > p.total)) {
      fail('migration_progress', 'migrationProgress', 'must have whole numbers applied ≤ total');
    }
    out.migration_progress = p === null ? null : { applied: p.applied, total: p.total, current: p.current ?? null };
  }
  if (info.backgroundMigrationsPending !== undefined) {
    const n = info.backgroundMigrationsPending;
    if (n !== null && !(Number.isInteger(n) && n >= 0))
      fail('background_migrations_pending', 'backgroundMigrationsPending', 'must be a whole number, 0 or more');
    out.background_migrations_pending = n;
  }
  return out;
}

function describe(error: z.core.$ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: 'document', message: 'is invalid' };
  const field =
    issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '') || 'document';
  if (issue.code === 'invalid_union' && field === 'server_version') {
    return { field, message: 'must be a semver version such as 1.4.0, or "dev"' };
  }
  if (issue.code === 'invalid_union') {
    // A pending migration is a string or an object: the object branch's issue says more.
    const inner = issue.errors.at(-1)?.[0];
    if (inner) {
      const sub = describe({ issues: [{ ...inner, path: [...issue.path, ...inner.path] }] } as z.core.$ZodError);
      return sub;
    }
  }
  if (issue.code === 'invalid_type') return { field, message: `must be a ${issue.expected}` };
  if (issue.code === 'invalid_value') return { field, message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` };
  return { field, message: issue.message };
}
