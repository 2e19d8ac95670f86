import semver from 'semver';
import { inputError } from '../errors.js';
import { type Hint, hint } from '../hint.js';
import { createMatrix, type Matrix } from '../matrix/load.js';
import { type MatrixDocument, REVISION_PATTERN } from '../matrix/schema.js';
import { RANGE_OPTIONS } from '../matrix/versions.js';
import type { StatusReport } from '../session/session.js';
import { plural, pluralWord } from '../text.js';
import { chooseDeployment, type DeploymentChoice, type PlanNote, type RejectedValue, restoreCommands } from './deployment.js';
import { type GoalReport, isUpToDate } from './goal.js';
import { buildHops, type Hop } from './hops.js';
import { stopsBetween } from './stops.js';

export {
  chooseDeployment,
  type DeploymentChoice,
  knownKinds,
  parseDeploymentFlag,
  type RejectedValue,
  statusCommands,
} from './deployment.js';
export { type GoalReport, goalPhrase, type HopGoal, hopReached, isUpToDate } from './goal.js';
export { backupFileName, dateStamp, type Hop } from './hops.js';

/**
 * The upgrade plan (docs/commands.md "Upgrading the server"): pure — no I/O, no clock, no environment. The decision reads the
 * judge's findings (one judge: no verdict rule is re-derived here). Every command comes from the
 * matrix's templates; a value the server supplied goes in only after validation and shell quoting,
 * and a value that failed is never put into a command: the plan lists it under `rejected` instead.
 */

const RANGE_OPTS = RANGE_OPTIONS;

/** What the plan reads of one handshake: the verdict, what the server reported and what the judge found. */
export type PlanReport = Pick<
  StatusReport,
  'status' | 'message' | 'hint' | 'server' | 'pending_migrations' | 'deployment' | 'migration_status'
> &
  Partial<Pick<StatusReport, 'background_migrations_pending' | 'findings'>>;

export interface PlanInput {
  matrix: Matrix | MatrixDocument;
  /** One handshake with the server, before anything changed. */
  report: PlanReport;
  /** `--to`: the version to end at (checked again with {@link parseTarget}). */
  to?: string | null;
  /** `--deployment`: the deployment kind to use when the server reports none. */
  deployment?: string | null;
  /** When the plan is made: dates the backup files. Passed in, never read from a clock. */
  now: Date;
  /** The server's own migration endpoint, when this CLI may call it (a valid capability, an admin token, no print-only). */
  serverMigrate?: { endpoint: string } | null;
  /** Values the caller already rejected (a migrate capability that points elsewhere). */
  rejected?: readonly RejectedValue[];
}

/** The server applies its own pending migrations (docs/protocol.md §1b): what the CLI asks it for. */
export interface ServerMigration {
  /** The endpoint's path, as the server advertised it. */
  endpoint: string;
  /** The head of the server's own release: where the run must end. */
  target_revision: string;
  /** The migrations it will apply, oldest first. */
  migrations: string[];
}

export interface UpgradePlan {
  from: { version: string; schema_revision: string | null };
  target: string;
  /** `to`: from `--to`; `recommended`: the matrix's recommended version; `current`: the server already runs a newer supported version, so the plan re-runs it (e.g. to apply pending migrations). */
  target_source: 'to' | 'recommended' | 'current';
  deployment: DeploymentChoice;
  hops: Hop[];
  /** Things the operator should know about the plan, one sentence each (data where one names a flag: `render/` says it). */
  notes: PlanNote[];
  rejected: RejectedValue[];
  /** The database predates the chain: the matrix's baseline steps run first (in hop 1). */
  baseline: { revision: string; note: string | null } | null;
  /** Non-null when the server itself backs up and applies its migrations instead of printed commands. */
  server_migration: ServerMigration | null;
}

export type RefusalReason =
  | 'dev_server'
  | 'no_version'
  | 'invalid_version'
  | 'cli_outdated'
  | 'server_newer'
  | 'not_an_upgrade'
  | 'migration_failed'
  | 'diverged_schema';

export type PlanDecision =
  | { kind: 'plan'; plan: UpgradePlan }
  | { kind: 'up_to_date'; message: string; hint: Hint | null }
  | {
      kind: 'refused';
      reason: RefusalReason;
      message: string;
      hint: Hint | null;
      /** What to run on the server host instead (the restore steps after a failed migration), or empty. */
      commands: string[];
      rejected: RejectedValue[];
    };

type Refusal = Extract<PlanDecision, { kind: 'refused' }>;

/**
 * Checks `--to` against the matrix before anything is fetched: a semver version inside the
 * supported window (so the final verdict can be `compatible`). Returns it normalised; throws a usage error.
 */
export function parseTarget(matrix: MatrixDocument, to: string): string {
  const range = matrix.supported_server_range;
  // The remedy is the command to paste: the upgrade to the recommended version, which is in the window.
  const example = hint.run(['server', 'upgrade'], {
    forServer: true,
    args: [{ flag: 'to', value: matrix.recommended_server_version }],
  });
  const version = semver.valid(to.trim());
  if (version === null) {
    throw inputError(
      { flag: 'to', value: to, quote: true },
      `{flag} is not a semver version such as ${matrix.recommended_server_version}`,
      {
        hint: example,
      },
    );
  }
  if (semver.gtr(version, range, RANGE_OPTS)) {
    throw inputError(
      { flag: 'to', value: version },
      `{flag} is newer than this CLI (${matrix.cli_version}) supports (${range}): it could not check the result`,
      { hint: example },
    );
  }
  if (!semver.satisfies(version, range, RANGE_OPTS) || semver.lt(version, matrix.min_server_version)) {
    throw inputError(
      { flag: 'to', value: version },
      `{flag} is older than this CLI (${matrix.cli_version}) supports (${range}): the server would still be incompatible`,
      { hint: example },
    );
  }
  return version;
}

/** What the steps of the decision share. */
interface PlanContext {
  matrix: Matrix;
  report: PlanReport & GoalReport;
  to: string | null;
  deployment: DeploymentChoice;
  notes: PlanNote[];
  rejected: RejectedValue[];
  /** The reported revision when it passed validation. */
  revision: string | null;
}

/**
 * The pure decision of `server upgrade` after one handshake: up to date, a plan (hops through every
 * required stop, each with its backup first), or a refusal saying why and what to do instead.
 * Throws a usage error for a bad `--to` or `--deployment`.
 */
export function planUpgrade(input: PlanInput): PlanDecision {
  const ctx = planContext(input);
  const version = ctx.report.server.version;
  const refusal = refuseFirst(ctx);
  if (refusal) return refusal;
  const from = ctx.matrix.serverVersion(version ?? '') as string;
  if (isUpToDate(ctx.matrix, ctx.report, ctx.to)) return upToDate(ctx, from);
  const target = chooseTarget(ctx, from);
  if ('kind' in target) return target;
  const sameRelease = semver.eq(from, target.version);
  const counted = ctx.report.findings?.migrations.counted ?? ctx.report.pending_migrations ?? [];
  if (sameRelease && counted.length === 0 && ctx.report.status !== 'schema_behind') {
    return refuse(
      ctx,
      'not_an_upgrade',
      `server ${version} already runs the target ${target.version}, and its verdict (${ctx.report.status}) is not something a server upgrade fixes: ${ctx.report.message}`,
      verdictHint(ctx.report),
    );
  }
  const serverMigration = sameRelease ? serverMigrationOf(ctx, input.serverMigrate ?? null) : null;
  const baseline = baselineOf(ctx, from);
  const stops = serverMigration ? [] : stopsBetween(ctx.matrix.doc.upgrade_stops, from, target.version);
  const hops = buildHops({
    matrix: ctx.matrix,
    deployment: ctx.deployment,
    reported: version as string,
    from,
    revision: ctx.revision,
    stops,
    target: target.version,
    to: ctx.to,
    now: input.now,
    baselineSteps: baseline ? (ctx.matrix.doc.baseline?.steps ?? []) : [],
    serverMigrates: serverMigration !== null,
    notes: ctx.notes,
  });
  planNotes(ctx, { stops: stops.map((s) => s.version), sameRelease, target: target.version, baseline, serverMigration });
  return {
    kind: 'plan',
    plan: {
      from: { version: version as string, schema_revision: ctx.revision },
      target: target.version,
      target_source: target.source,
      deployment: ctx.deployment,
      hops,
      notes: ctx.notes,
      rejected: ctx.rejected,
      baseline,
      server_migration: serverMigration,
    },
  };
}

function planContext(input: PlanInput): PlanContext {
  const matrix = 'doc' in input.matrix ? input.matrix : createMatrix(input.matrix, 'plan');
  const to = input.to ? parseTarget(matrix.doc, input.to) : null;
  const { choice, notes, rejected } = chooseDeployment(matrix.doc, input.report.deployment, input.deployment);
  rejected.push(...(input.rejected ?? []));
  const raw = input.report.server.schema_revision;
  // A leading "-" would read as an option to whatever command a template puts it in: never filled in.
  const valid = raw !== null && REVISION_PATTERN.test(raw) && !raw.startsWith('-');
  if (raw !== null && !valid) {
    rejected.push({
      field: 'schema_revision',
      value: raw,
      reason: raw.startsWith('-')
        ? 'starts with "-", which a command would read as an option; ignored'
        : 'not a schema revision id (printable text of at most 256 characters); ignored',
    });
  }
  const report = {
    ...input.report,
    findings: input.report.findings ?? null,
    background_migrations_pending: input.report.background_migrations_pending ?? null,
  };
  return { matrix, report, to, deployment: choice, notes, rejected, revision: valid ? raw : null };
}

function refuse(ctx: PlanContext, reason: RefusalReason, message: string, h: Hint | null, commands: string[] = []): Refusal {
  return { kind: 'refused', reason, message, hint: h, commands, rejected: ctx.rejected };
}

/** `server status` for the server checked: how every upgrade remedy says "look at it". */
export const STATUS_HINT = hint.run(['server', 'status'], { forServer: true });

/** The verdict's own remedy (a hint, said for the checked server by render/). */
export function verdictHint(report: Pick<PlanReport, 'hint'>): Hint | null {
  return report.hint;
}

/** The refusals that come before any planning, in order: a failed run, a CLI refused, no usable version, a diverged schema. */
function refuseFirst(ctx: PlanContext): Refusal | null {
  const { report, matrix } = ctx;
  const doc = matrix.doc;
  if (report.migration_status === 'failed') {
    const restore = restoreCommands(doc, ctx.deployment.kind);
    return refuse(
      ctx,
      'migration_failed',
      'the server reports a failed migration: upgrading on top of it could lose data',
      hint.steps(
        hint.text('Restore your last backup on the server host (replace BACKUP_FILE with its path), fix the cause, then upgrade again'),
        hint.run(['server', 'upgrade'], { forServer: true }),
      ),
      restore,
    );
  }
  if (report.status === 'cli_outdated') {
    return refuse(ctx, 'cli_outdated', `${report.message}: upgrade this CLI before the server`, verdictHint(report));
  }
  const version = report.server.version;
  if (version === null) return refuse(ctx, 'no_version', `the server did not report its version: ${report.message}`, verdictHint(report));
  if (version === 'dev') {
    return refuse(
      ctx,
      'dev_server',
      'the server is an unversioned development build ("dev"): there is no version to plan from, so the required upgrade stops cannot be worked out',
      hint.steps(
        hint.text(
          `Deploy a released server version with your own tooling (this CLI supports ${doc.supported_server_range}; ${doc.recommended_server_version} is recommended), then check it`,
        ),
        hint.run(['server', 'status'], { forServer: true }),
      ),
    );
  }
  if (matrix.serverVersion(version) === null || semver.valid(version) !== version) {
    ctx.rejected.push({ field: 'server_version', value: version, reason: 'not a semver version' });
    return refuse(
      ctx,
      'invalid_version',
      'the server reported a version that is not semver, so no plan can be made from it',
      verdictHint(report),
    );
  }
  const f = report.findings;
  if (f?.server.covered && f.schema.status === 'unknown') {
    // (A release older than the chain's first is `predates`, planned by its version with the baseline first.)
    return refuse(
      ctx,
      'diverged_schema',
      `server ${version} is a release this CLI covers, but its schema revision ${report.server.schema_revision} is not in the chain: the schema diverged or was never stamped, and no upgrade is planned on top of it until a person has looked`,
      verdictHint(report) ??
        hint.text("Compare the database's migration history with the release's migrations, then stamp or repair the revision"),
    );
  }
  return null;
}

function upToDate(ctx: PlanContext, from: string): PlanDecision {
  const doc = ctx.matrix.doc;
  const below = semver.lt(from, doc.recommended_server_version);
  return {
    kind: 'up_to_date',
    message: `server ${ctx.report.server.version} is already up to date for CLI ${doc.cli_version}${below ? ` (${doc.recommended_server_version} is recommended)` : ''}`,
    hint:
      below && !ctx.to
        ? hint.run(['server', 'upgrade'], { forServer: true, args: [{ flag: 'to', value: doc.recommended_server_version }] })
        : null,
  };
}

/** The version to end at: `--to`, else the recommended one, else (a newer supported server) the one it runs. */
function chooseTarget(ctx: PlanContext, from: string): { version: string; source: UpgradePlan['target_source'] } | Refusal {
  const doc = ctx.matrix.doc;
  if (ctx.to) {
    if (semver.lt(ctx.to, from)) {
      throw inputError(
        { flag: 'to', value: ctx.to },
        `{flag} is older than the server's ${ctx.report.server.version}: servers are never downgraded`,
        {
          hint: hint.flag('to', from, 'Use {flag} or newer, or leave it out'),
        },
      );
    }
    return { version: ctx.to, source: 'to' };
  }
  if (semver.gt(from, doc.recommended_server_version)) {
    if (!semver.satisfies(from, doc.supported_server_range, RANGE_OPTS)) {
      return refuse(ctx, 'server_newer', `${ctx.report.message}: a server upgrade cannot fix that`, verdictHint(ctx.report));
    }
    return { version: from, source: 'current' };
  }
  return { version: doc.recommended_server_version, source: 'recommended' };
}

/**
 * The server applies its own pending migrations when all that is left is its own release's
 * migrations (the judge found its release head ahead of its revision, or counted pending ones) and
 * the caller may use its endpoint.
 */
function serverMigrationOf(ctx: PlanContext, migrate: { endpoint: string } | null): ServerMigration | null {
  const release = ctx.report.findings?.release;
  if (!migrate || !release?.head || release.ahead) return null;
  const counted = ctx.report.findings?.migrations.counted.map((m) => m.revision) ?? [];
  const migrations = release.missing.length > 0 ? release.missing : counted;
  if (migrations.length === 0) return null;
  return { endpoint: migrate.endpoint, target_revision: release.head, migrations };
}

/**
 * A server predates the chain when its revision is older than the matrix's baseline, or is not in
 * the chain while its release is older than the chain's first: planned by its version, the
 * baseline's steps first when the matrix has one.
 */
function baselineOf(ctx: PlanContext, from: string): UpgradePlan['baseline'] {
  const { matrix, revision } = ctx;
  const base = matrix.doc.baseline;
  if (!base || revision === null) return null;
  const index = matrix.revisionIndex(revision);
  const baseIndex = matrix.revisionIndex(base.revision);
  const first = matrix.releaseOf(0);
  const predates = index >= 0 ? index < baseIndex : first !== null && semver.lt(from, first);
  return predates ? { revision: base.revision, note: base.note ?? null } : null;
}

function planNotes(
  ctx: PlanContext,
  p: { stops: string[]; sameRelease: boolean; target: string; baseline: UpgradePlan['baseline']; serverMigration: ServerMigration | null },
): void {
  const { notes } = ctx;
  if (p.stops.length) {
    notes.push(
      `${p.stops.join(', ')} ${pluralWord(p.stops.length, 'is a required upgrade stop', 'are required upgrade stops')}: one hop each, none skipped; any release of a stop's minor at or above it counts`,
    );
  }
  if (p.baseline) {
    notes.push(
      `the database (schema ${ctx.revision}) predates this CLI's chain, which restarts at ${p.baseline.revision}: hop 1 brings it onto the baseline first${p.baseline.note ? ` (${p.baseline.note})` : ''}`,
    );
  } else if (ctx.revision && ['unknown', 'predates'].includes(ctx.report.findings?.schema.status ?? '')) {
    notes.push(`schema ${ctx.revision} predates this CLI's chain: the plan goes by the server's version`);
  }
  const m = p.serverMigration;
  if (m) {
    notes.push(
      `the server backs up and applies ${plural(m.migrations.length, 'migration')} of its own release itself, up to ${m.target_revision}`,
    );
  } else if (p.sameRelease) {
    notes.push(`the server already runs ${p.target}: the hop re-runs its upgrade steps to apply the pending migrations`);
  }
}
