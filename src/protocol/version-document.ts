import semver from 'semver';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { CAPABILITY_PATTERN, REVISION_PATTERN } from '../matrix/schema.js';

/**
 * The document a server answers on its version endpoint
 * (`GET /api/v1/config/version`). Only `server_version` is required; unknown
 * fields are ignored, so the original design's shape and the shapes real
 * servers ship today (e.g. `{server_version, max_cli_version, api_version,
 * frontend_version, recommended_cli_version}`) all parse.
 *
 * Written with zod's mini API, as is the cache entry that holds it (src/cache/cache.ts): the same checks and
 * issues as the classic API, but a check that builds only mini schemas never pays for classic's methods
 * (each classic class installs some fifty on its prototype on first use: ≈ 4 ms of every `compat check`,
 * bench/NOTES.md).
 */

// zod's classic API sets English messages on its first schema; a run that builds none gets them here,
// unless the host chose a locale of its own.
if (!z.config().localeError) z.config(en());

/** The literal a development build reports instead of a version. */
export const DEV_VERSION = 'dev';

const SEMVER_HINT = 'must be a semver version such as 1.4.0';

/** `schema`, or null for a field that is missing or null. */
const nullish = <T extends z.core.SomeType>(schema: T) =>
  z.pipe(
    z.nullish(schema),
    z.transform((v: z.output<T> | null | undefined) => v ?? null),
  );

/** A semver string; a leading "v" is accepted and dropped. */
export const versionSchema = z.pipe(
  z.string().check(z.maxLength(256)),
  z.transform((v: string, ctx) => {
    const clean = semver.valid(v.trim());
    if (clean === null) {
      ctx.issues.push({ code: 'custom', message: SEMVER_HINT, input: v });
      return z.NEVER;
    }
    return clean;
  }),
);

const revision = z.string().check(z.regex(REVISION_PATTERN, { message: 'must be a schema revision id such as 0003_add_events' }));
const count = (max: number) => z.int().check(z.minimum(0), z.maximum(max));

/** While a migration run is going: how many of its migrations are applied, of how many, and the one running now. */
export const migrationProgressSchema = z.object({
  applied: count(1_000_000),
  total: count(1_000_000),
  current: nullish(revision),
});
export type MigrationProgress = z.output<typeof migrationProgressSchema>;

export const pendingMigrationSchema = z.union([
  z.pipe(
    revision,
    z.transform((r: string) => ({ revision: r, description: null as string | null })),
  ),
  z.object({ revision, description: nullish(z.string().check(z.maxLength(500))) }),
]);

export const versionDocumentSchema = z.object({
  server_version: z.union([z.literal(DEV_VERSION), versionSchema]),
  schema_revision: nullish(revision),
  min_cli_version: nullish(versionSchema),
  max_cli_version: nullish(versionSchema),
  recommended_cli_version: nullish(versionSchema),
  api_version: nullish(z.string().check(z.maxLength(64))),
  pending_migrations: z.pipe(
    z.nullish(z.array(pendingMigrationSchema).check(z.maxLength(10_000))),
    z.transform((v: PendingMigration[] | null | undefined) => v ?? []), // a new array each time: the caller's to keep
  ),
  deployment: nullish(z.string().check(z.maxLength(64))),
  migration_status: nullish(z.enum(['idle', 'running', 'failed'])),
  migration_progress: nullish(migrationProgressSchema),
  background_migrations_pending: nullish(count(Number.MAX_SAFE_INTEGER)),
  // Optional and advisory: a shape this CLI does not understand means "no capabilities", never a failed handshake.
  capabilities: z.catch(
    z.pipe(
      z.nullish(z.looseObject({ migrate: z.nullish(z.string().check(z.minLength(1), z.maxLength(2048))) })),
      z.transform(capabilitiesOf),
    ),
    (): Capabilities => ({ migrate: null }),
  ),
});

/**
 * `capabilities`: `migrate` is the admin migration endpoint's path; every other key whose value is a boolean is a
 * feature flag (`"retention": false`: the server has that feature switched off; docs/matrix.md "Features"). A value
 * of another kind, or a key that is not a capability word, is ignored; the object it gives parses back to itself
 * (the handshake cache stores it).
 */
export interface Capabilities {
  migrate: string | null;
  [flag: string]: boolean | string | null;
}

/** The most feature flags kept from one document. */
const MAX_CAPABILITY_FLAGS = 256;

function capabilitiesOf(c: ({ migrate?: string | null | undefined } & Record<string, unknown>) | null | undefined): Capabilities {
  const out: Capabilities = { migrate: c?.migrate ?? null };
  let flags = 0;
  for (const [key, value] of Object.entries(c ?? {})) {
    if (key === 'migrate' || typeof value !== 'boolean' || !CAPABILITY_PATTERN.test(key)) continue;
    if (++flags > MAX_CAPABILITY_FLAGS) break;
    out[key] = value;
  }
  return out;
}

/** The version document as a server writes it. */
export type VersionDocumentInput = z.input<typeof versionDocumentSchema>;
/** The version document after parsing: every optional field present, null when absent. */
export type VersionDocument = z.output<typeof versionDocumentSchema>;
export type PendingMigration = z.output<typeof pendingMigrationSchema>;
