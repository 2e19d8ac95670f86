import semver from 'semver';
import * as z from 'zod';
import { DEFAULT_HEADER_NAMES, DEFAULT_VERSION_PATH, ENDPOINT_PATH, HEADER_NAME } from '../protocol/defaults.js';
import { RANGE_OPTIONS } from './versions.js';

/**
 * The one source of truth for `compat.json`. `compat.schema.json` is generated
 * from this schema (`npm run build`), and a test fails when it is stale.
 */

/**
 * A schema revision id, as the migration tool records it in the database: Alembic (`0003_add_events`,
 * `1caa45d85720`), Django names, Prisma directories, Rails timestamps, Flyway versions (`1.1`),
 * golang-migrate numbers, Liquibase `file::id::author`. Any printable text of 1 to 256 characters with no
 * control, format, lone-surrogate or line-separator character and no space at either end: the one rule, read
 * by the matrix, the version document, the server helpers and `compat sync` (its isRevisionId) alike.
 */
export const REVISION_PATTERN = /^(?![\s])[^\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]{1,256}(?<![\s])$/u;

/** A suffix a server appends to its version that is not a prerelease (`ee` in GitLab's `16.11.10-ee`). */
export const FLAVOR_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,31}$/;

/** A feature's name in `features` (what commands declare and `compat check --feature` takes): a short lower-case word. */
export const FEATURE_NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** A capability key of the version document that switches a feature on or off (`capabilities.retention`). */
export const CAPABILITY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Deployment kinds with their own templates. Any other word gets the generic steps. */
export const DEPLOYMENT_KINDS = ['docker-compose', 'helm', 'rpm', 'deb'] as const;
export type DeploymentKind = (typeof DEPLOYMENT_KINDS)[number];
/** What a deployment kind may look like, in the matrix and from a server: a short lower-case word. */
export const DEPLOYMENT_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;

/** How a CLI can have been installed; each has an upgrade template. */
export const INSTALL_METHODS = ['npm', 'pnpm', 'yarn', 'homebrew', 'standalone', 'npx'] as const;
export type InstallMethod = (typeof INSTALL_METHODS)[number];

/**
 * The paths a server uses beside its version endpoint, when the matrix names none (docs/matrix.md, `endpoints`):
 * `auth_check`, a route that needs the token (doctor's Authentication check, `server verify`), and `health`, an
 * ordinary request whose headers doctor compares with the version document.
 */
export const DEFAULT_ENDPOINTS = { auth_check: '/api/v1/auth-check', health: '/api/v1/health' } as const;

/** The header names of `compat.json` when it names none: the protocol's defaults (src/protocol/defaults.ts), in the matrix's spelling. */
const DEFAULT_HEADERS = {
  schema_revision: DEFAULT_HEADER_NAMES.schemaRevision,
  server_version: DEFAULT_HEADER_NAMES.serverVersion,
  cli_version: DEFAULT_HEADER_NAMES.cliVersion,
  required_cli_version: DEFAULT_HEADER_NAMES.requiredCliVersion,
} as const;

/** Placeholders a CLI install template may use. */
export const CLI_PLACEHOLDERS = ['package', 'bin', 'version', 'formula'] as const;
/** Placeholders a server backup/upgrade template may use. */
export const SERVER_PLACEHOLDERS = ['version', 'from_version', 'revision', 'backup_file', 'date', 'bin'] as const;

// Built on first use (getMatrixSchema): a run that loads only the bundled compat.json, already validated at build
// time (scripts/compat-cache.js), never constructs these schemas.
function buildParts() {
  const semverString = z
    .string()
    .refine((v) => semver.valid(v) === v, { message: 'must be a semver version such as 1.4.0 (no leading "v")' });

  const semverRange = z
    .string()
    .refine((v) => semver.validRange(v) !== null, { message: 'must be a semver range such as ">=1.3.0 <1.5.0-0"' });

  const revisionId = z.string().regex(REVISION_PATTERN, {
    message: 'must be a revision id: 1 to 256 printable characters, no control characters, no space at either end',
  });

  const template = z.string().min(1).max(1000);

  const endpointPath = (example: string) => z.string().regex(ENDPOINT_PATH, { message: `must be an absolute path such as ${example}` });

  const headerName = z.string().regex(HEADER_NAME, { message: 'must be an HTTP header name' });

  const upgradeStop = z
    .strictObject({
      version: semverString,
      when_target: semverRange.optional().describe('The stop applies only when the upgrade target is in this range.'),
      note: z.string().max(500).optional().describe('Why the stop exists, shown in the plan.'),
    })
    .transform((s) => ({ version: s.version, when_target: s.when_target ?? null, note: s.note ?? null }));

  const serverSteps = z.object({
    backup: z.array(template).min(1).describe('Commands that back up the server before an upgrade. Run first.'),
    upgrade: z.array(template).min(1).describe('Commands that install {version} and apply its migrations.'),
    restore: z.array(template).optional().describe('Commands that restore {backup_file} after a failed upgrade.'),
    status: z
      .array(template)
      .optional()
      .describe('Commands that show whether the server runs, why not, and start it; printed when it cannot be reached.'),
  });
  // docs/matrix.md "Features": each requirement optional, at least one of them present.
  const feature = z
    .strictObject({
      description: z.string().max(200).optional(),
      min_server_version: semverString.optional().describe('The oldest server release that has the feature.'),
      min_schema_revision: revisionId
        .optional()
        .describe('The oldest applied schema revision that has the feature; must be in schema_chain.'),
      capability: z
        .string()
        .regex(CAPABILITY_PATTERN, { message: 'must be a capability key such as "retention"' })
        .refine((k) => k !== 'migrate', { message: '"migrate" is the admin migration endpoint\'s path, not a feature flag' })
        .optional()
        .describe("A key of the version document's capabilities: the feature is switched off where it is false."),
    })
    .refine((f) => f.min_server_version !== undefined || f.min_schema_revision !== undefined || f.capability !== undefined, {
      message: 'needs at least one of min_server_version, min_schema_revision, capability',
    });
  return { semverString, semverRange, revisionId, template, endpointPath, headerName, upgradeStop, serverSteps, feature };
}

function buildMatrixSchema() {
  const { semverString, semverRange, revisionId, template, endpointPath, headerName, upgradeStop, serverSteps, feature } = buildParts();
  return z
    .strictObject({
      $schema: z.string().optional(),
      cli_version: semverString.describe('The CLI release this matrix ships with; equals package.json "version".'),
      min_server_version: semverString.describe('The oldest server version this CLI works with.'),
      min_schema_revision: revisionId.describe('The oldest schema revision this CLI works with; must be in schema_chain.'),
      schema_chain: z
        .array(
          z.object({
            revision: revisionId,
            description: z.string().max(200).optional(),
            server_version: semverString
              .nullable()
              .optional()
              .describe(
                "The server release that introduced this revision. A release includes every revision introduced at or before it; an entry without one belongs to the release of the entry before it; null: in no released server yet (never pending of a server's own release).",
              ),
            parents: z
              .array(revisionId)
              .optional()
              .describe('The revisions this one follows (a merge revision has several); by default the entry before it.'),
          }),
        )
        .min(1)
        .describe('Every schema revision this CLI knows, oldest first (a topological order when merges name their parents).'),
      max_schema_revision: revisionId
        .optional()
        .describe('The newest schema revision this CLI works with: later revisions removed or changed what it uses.'),
      supported_server_range: semverRange.describe(
        'The server versions this CLI release supports (by policy the current and previous minor).',
      ),
      recommended_server_version: semverString.describe('What `server upgrade` installs when no target version is named.'),
      upgrade_stops: z
        .array(z.union([semverString.transform((version) => ({ version, when_target: null, note: null })), upgradeStop]))
        .default([])
        .describe(
          'Server versions an upgrade may not skip, e.g. because their migrations must run on their own. A stop is reached by any release of its major.minor at or above it.',
        ),
      version_flavors: z
        .array(z.string().regex(FLAVOR_PATTERN, { message: 'must be a word such as "ee"' }))
        .default([])
        .describe('Suffixes a server appends to its version that are not prereleases: with ["ee"], 16.11.10-ee compares as 16.11.10.'),
      baseline: z
        .strictObject({
          revision: revisionId.describe('The first revision of the squashed or restarted chain; must be in schema_chain.'),
          steps: z.array(template).min(1).describe('Commands that bring a server whose revision predates the chain onto the baseline.'),
          note: z.string().max(500).optional(),
        })
        .optional()
        .describe('The chain was squashed or restarted at `revision`; older servers run `steps` first.'),
      features: z
        .record(z.string(), feature)
        .optional()
        .describe(
          "What individual commands need beyond the CLI's window: a feature is available on a server at or above its min_server_version, at or after its min_schema_revision, and whose capabilities[capability] is not false.",
        ),
      version_endpoint: endpointPath(DEFAULT_VERSION_PATH).default(DEFAULT_VERSION_PATH),
      endpoints: z
        .object({
          auth_check: endpointPath(DEFAULT_ENDPOINTS.auth_check)
            .default(DEFAULT_ENDPOINTS.auth_check)
            .describe("A route that needs the token: doctor's Authentication check and `server verify` request it."),
          health: endpointPath(DEFAULT_ENDPOINTS.health)
            .default(DEFAULT_ENDPOINTS.health)
            .describe("An ordinary API route: doctor compares its response's headers with the version document."),
        })
        .default({ ...DEFAULT_ENDPOINTS })
        .describe('The paths the server uses beside version_endpoint.'),
      headers: z
        .object({
          schema_revision: headerName.default(DEFAULT_HEADERS.schema_revision),
          server_version: headerName.default(DEFAULT_HEADERS.server_version),
          cli_version: headerName.default(DEFAULT_HEADERS.cli_version),
          required_cli_version: headerName.default(DEFAULT_HEADERS.required_cli_version),
        })
        .default({ ...DEFAULT_HEADERS }),
      cli: z
        .object({
          package: z.string().regex(/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/, { message: 'must be an npm package name' }),
          bin: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, { message: 'must be a command name' }),
          homebrew_formula: z
            .string()
            .regex(/^[a-z0-9][a-z0-9@._/-]*$/, { message: 'must be a formula name' })
            .optional(),
          install: z
            .object({
              npm: template.optional(),
              pnpm: template.optional(),
              yarn: template.optional(),
              homebrew: template.optional(),
              standalone: template.optional(),
              npx: template.optional(),
            })
            .refine((install) => Object.values(install).some((t) => t !== undefined), {
              message: `must name at least one install method (${INSTALL_METHODS.join(', ')})`,
            })
            .describe(
              'How to install {version} of the CLI, per install method the vendor ships (at least one). A method without a template is never suggested.',
            ),
        })
        .describe('The CLI package and how to install a given version of it.'),
      server: z
        .object({
          generic: serverSteps.describe('Used when the deployment kind is not reported or has no templates.'),
          deployments: z.record(z.string().regex(DEPLOYMENT_PATTERN), serverSteps).default({}),
        })
        .describe('How to back up and upgrade the server, per deployment kind.'),
    })
    .superRefine((m, ctx) => {
      const ids = m.schema_chain.map((r) => r.revision);
      const seen = new Set<string>();
      ids.forEach((id, i) => {
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path: ['schema_chain', i, 'revision'], message: `duplicate revision "${id}"` });
        seen.add(id);
      });
      if (!seen.has(m.min_schema_revision)) {
        ctx.addIssue({ code: 'custom', path: ['min_schema_revision'], message: `"${m.min_schema_revision}" is not in schema_chain` });
      }
      checkChainOrder(ctx, m.schema_chain);
      if (m.max_schema_revision !== undefined) {
        const max = ids.indexOf(m.max_schema_revision);
        if (max < 0)
          ctx.addIssue({ code: 'custom', path: ['max_schema_revision'], message: `"${m.max_schema_revision}" is not in schema_chain` });
        else if (max < ids.indexOf(m.min_schema_revision))
          ctx.addIssue({ code: 'custom', path: ['max_schema_revision'], message: 'precedes min_schema_revision in schema_chain' });
      }
      for (const [name, f] of Object.entries(m.features ?? {})) {
        // The name is checked here, not by the record's key schema, so the message says what a name must be.
        if (!FEATURE_NAME_PATTERN.test(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['features', name],
            message: 'must be a feature name such as "retention" (a-z, 0-9, _ . -)',
          });
        }
        if (f.min_schema_revision !== undefined && !seen.has(f.min_schema_revision)) {
          ctx.addIssue({
            code: 'custom',
            path: ['features', name, 'min_schema_revision'],
            message: `"${f.min_schema_revision}" is not in schema_chain`,
          });
        }
      }
      if (m.baseline && !seen.has(m.baseline.revision)) {
        ctx.addIssue({ code: 'custom', path: ['baseline', 'revision'], message: `"${m.baseline.revision}" is not in schema_chain` });
      }
      const range = m.supported_server_range;
      const opts = RANGE_OPTIONS;
      if (semver.validRange(range)) {
        // Refinements run even when a field above failed its own check: compare only valid versions.
        const valid = (v: string) => semver.valid(v) === v;
        if (valid(m.min_server_version) && semver.gtr(m.min_server_version, range, opts)) {
          ctx.addIssue({ code: 'custom', path: ['min_server_version'], message: `is above supported_server_range "${range}"` });
        }
        if (valid(m.recommended_server_version) && !semver.satisfies(m.recommended_server_version, range, opts)) {
          ctx.addIssue({ code: 'custom', path: ['recommended_server_version'], message: `is outside supported_server_range "${range}"` });
        }
        m.upgrade_stops.forEach((stop, i) => {
          if (valid(stop.version) && semver.gtr(stop.version, range, opts)) {
            ctx.addIssue({
              code: 'custom',
              path: ['upgrade_stops', i],
              message: `${stop.version} is above supported_server_range "${range}"`,
            });
          }
        });
      }
      for (const [method, tpl] of Object.entries(m.cli.install)) {
        if (tpl !== undefined) checkPlaceholders(ctx, tpl, CLI_PLACEHOLDERS, ['cli', 'install', method]);
      }
      const kinds: [string, z.infer<typeof serverSteps>][] = [['generic', m.server.generic], ...Object.entries(m.server.deployments)];
      for (const [kind, steps] of kinds) {
        const base = kind === 'generic' ? ['server', 'generic'] : ['server', 'deployments', kind];
        for (const key of ['backup', 'upgrade', 'restore', 'status'] as const) {
          for (const [i, tpl] of (steps[key] ?? []).entries()) checkPlaceholders(ctx, tpl, SERVER_PLACEHOLDERS, [...base, key, i]);
        }
      }
    });
}

let built: ReturnType<typeof buildMatrixSchema> | undefined;

/** The zod schema of `compat.json`, built on first use. */
export function getMatrixSchema(): ReturnType<typeof buildMatrixSchema> {
  built ??= buildMatrixSchema();
  return built;
}

type MatrixSchema = ReturnType<typeof buildMatrixSchema>;

/** Every parent must be listed before its child (a topological order), so the chain's order is the migrations' order. */
function checkChainOrder(ctx: z.RefinementCtx, chain: readonly { revision: string; parents?: string[] | undefined }[]): void {
  const before = new Set<string>();
  for (const [i, entry] of chain.entries()) {
    for (const [j, parent] of (entry.parents ?? []).entries()) {
      if (!before.has(parent)) {
        const where = chain.some((e) => e.revision === parent) ? 'is listed after it' : 'is not in schema_chain';
        ctx.addIssue({ code: 'custom', path: ['schema_chain', i, 'parents', j], message: `parent "${parent}" ${where}` });
      }
    }
    before.add(entry.revision);
  }
}

function checkPlaceholders(ctx: z.RefinementCtx, tpl: string, known: readonly string[], path: (string | number)[]): void {
  for (const match of tpl.matchAll(/\{([^{}]*)\}/g)) {
    const name = match[1] ?? '';
    if (!known.includes(name)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `unknown placeholder {${name}}; known: ${known.map((k) => `{${k}}`).join(', ')}`,
      });
    }
  }
}

/** The matrix as written in the file (defaults optional). */
export type MatrixInput = z.input<MatrixSchema>;
/** The validated matrix, defaults applied. */
export type MatrixDocument = z.output<MatrixSchema>;
export type ServerSteps = z.output<ReturnType<typeof buildParts>['serverSteps']>;
export type UpgradeStop = MatrixDocument['upgrade_stops'][number];
/** One entry of `features`: what a feature needs of a server. */
export type FeatureSpec = NonNullable<MatrixDocument['features']>[string];
