import semver from 'semver';
import * as z from 'zod';
import { REVISION_PATTERN } from '../matrix/schema.js';

/**
 * The document a server answers on its version endpoint
 * (`GET /api/v1/config/version`). Only `server_version` is required; unknown
 * fields are ignored, so the original design's shape and the shapes real
 * servers ship today (e.g. `{server_version, max_cli_version, api_version,
 * frontend_version, recommended_cli_version}`) all parse.
 */

/** The literal a development build reports instead of a version. */
export const DEV_VERSION = 'dev';

const SEMVER_HINT = 'must be a semver version such as 1.4.0';

/** A semver string; a leading "v" is accepted and dropped. */
const version = z
  .string()
  .max(256)
  .transform((v, ctx) => {
    const clean = semver.valid(v.trim());
    if (clean === null) {
      ctx.addIssue({ code: 'custom', message: SEMVER_HINT });
      return z.NEVER;
    }
    return clean;
  });

const optionalVersion = version.nullish().transform((v) => v ?? null);

const revision = z.string().regex(REVISION_PATTERN, { message: 'must be a schema revision id such as 0003_add_events' });

/** While a migration run is going: how many of its migrations are applied, of how many, and the one running now. */
export const migrationProgressSchema = z.object({
  applied: z.number().int().min(0).max(1_000_000),
  total: z.number().int().min(0).max(1_000_000),
  current: revision.nullish().transform((v) => v ?? null),
});
export type MigrationProgress = z.output<typeof migrationProgressSchema>;

export const pendingMigrationSchema = z.union([
  revision.transform((r) => ({ revision: r, description: null as string | null })),
  z.object({
    revision,
    description: z
      .string()
      .max(500)
      .nullish()
      .transform((d) => d ?? null),
  }),
]);

export const versionDocumentSchema = z.object({
  server_version: z.union([z.literal(DEV_VERSION), version]),
  schema_revision: revision.nullish().transform((v) => v ?? null),
  min_cli_version: optionalVersion,
  max_cli_version: optionalVersion,
  recommended_cli_version: optionalVersion,
  api_version: z
    .string()
    .max(64)
    .nullish()
    .transform((v) => v ?? null),
  pending_migrations: z
    .array(pendingMigrationSchema)
    .max(10_000)
    .nullish()
    .transform((v) => v ?? []),
  deployment: z
    .string()
    .max(64)
    .nullish()
    .transform((v) => v ?? null),
  migration_status: z
    .enum(['idle', 'running', 'failed'])
    .nullish()
    .transform((v) => v ?? null),
  migration_progress: migrationProgressSchema.nullish().transform((v) => v ?? null),
  background_migrations_pending: z
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .nullish()
    .transform((v) => v ?? null),
  // Optional and advisory: a shape this CLI does not understand means "no capabilities", never a failed handshake.
  capabilities: z
    .object({ migrate: z.string().min(1).max(2048).nullish() })
    .nullish()
    .transform((c) => ({ migrate: c?.migrate ?? null }))
    .catch({ migrate: null }),
});

/** The version document as a server writes it. */
export type VersionDocumentInput = z.input<typeof versionDocumentSchema>;
/** The version document after parsing: every optional field present, null when absent. */
export type VersionDocument = z.output<typeof versionDocumentSchema>;
export type PendingMigration = z.output<typeof pendingMigrationSchema>;
