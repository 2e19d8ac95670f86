import semver from 'semver';
import { ErrorCode, HandshakeError } from '../errors.js';
import { DEPLOYMENT_PATTERN, type MatrixDocument, REVISION_PATTERN, SERVER_PLACEHOLDERS, type ServerSteps } from '../matrix/schema.js';
import { fillTemplate } from '../matrix/templates.js';
import type { StatusReport } from '../session/session.js';

/**
 * The upgrade plan (CONTRACT §5): pure — no I/O, no clock, no environment.
 * Every command comes from the matrix's templates through {@link fillTemplate};
 * a value the server supplied goes in only after it passed validation, and a
 * value that failed is never put into a command: the plan lists it under
 * `rejected` with the reason instead.
 */

const RANGE_OPTS = { includePrerelease: true } as const;

/** What the plan reads of one handshake: the verdict and what the server reported. */
export type PlanReport = Pick<
  StatusReport,
  'status' | 'message' | 'remedy' | 'server' | 'pending_migrations' | 'deployment' | 'migration_status'
>;

export interface PlanInput {
  matrix: MatrixDocument;
  /** One handshake with the server, before anything changed. */
  report: PlanReport;
  /** `--to`: the version to end at (already checked with {@link parseTarget}, or raw: it is checked again). */
  to?: string | null;
  /** `--deployment`: the deployment kind to use when the server reports none. */
  deployment?: string | null;
  /** When the plan is made: dates the backup files. Passed in, never read from a clock. */
  now: Date;
}

/** A server-supplied value that failed validation, so it is in no command. */
export interface RejectedValue {
  field: 'server_version' | 'schema_revision' | 'deployment';
  value: string;
  reason: string;
}

export interface DeploymentChoice {
  /** The deployment kind in use (validated), or null when neither the server nor `--deployment` named one. */
  kind: string | null;
  /** Where `kind` came from. */
  source: 'flag' | 'server' | 'none';
  /** Whose templates the commands come from: `kind` itself, or `generic` when the matrix has none for it. */
  templates: string;
}

/** What the poll waits for before a hop counts as done. Always also: no pending migrations, no migration running. */
export interface HopGoal {
  /** The server must run at least this version (null: any). */
  min_version: string | null;
  /**
   * The server must run a version newer than this (null: any). The last hop after an upgrade stop
   * without `--to`: the stop itself is already compatible, so reaching it must not end the upgrade,
   * yet any release past it counts (CONTRACT §5: by default, compatible and nothing pending).
   */
  beyond: string | null;
  /** The verdict must be `compatible` (the last hop). */
  compatible: boolean;
}

export interface Hop {
  /** 1-based. */
  number: number;
  from: string;
  to: string;
  /** True when `to` is a required upgrade stop on the way, not the target. */
  stop: boolean;
  /** The dated file the backup step writes and the restore step reads. */
  backup_file: string;
  backup: string[];
  upgrade: string[];
  /** How to put the backup back if this hop's migration fails. */
  restore: string[];
  done_when: HopGoal;
}

export interface UpgradePlan {
  from: { version: string; schema_revision: string | null };
  target: string;
  /** `to`: from `--to`; `recommended`: the matrix's recommended version; `current`: the server already runs a newer supported version, so the plan re-runs it (e.g. to apply pending migrations). */
  target_source: 'to' | 'recommended' | 'current';
  deployment: DeploymentChoice;
  hops: Hop[];
  /** Things the operator should know about the plan, one sentence each. */
  notes: string[];
  rejected: RejectedValue[];
}

export type RefusalReason =
  | 'dev_server'
  | 'no_version'
  | 'invalid_version'
  | 'cli_outdated'
  | 'server_newer'
  | 'not_an_upgrade'
  | 'migration_failed';

export type PlanDecision =
  | { kind: 'plan'; plan: UpgradePlan }
  | { kind: 'up_to_date'; message: string; remedy: string | null }
  | {
      kind: 'refused';
      reason: RefusalReason;
      message: string;
      remedy: string | null;
      /** What to run on the server host instead (the restore steps after a failed migration), or empty. */
      commands: string[];
      rejected: RejectedValue[];
    };

const isSemver = (v: string): boolean => semver.valid(v) === v;

/**
 * Checks `--to` against the matrix before anything is fetched: a semver
 * version inside the supported window (so the final verdict can be
 * `compatible`). Returns the normalised version; throws a usage error.
 */
export function parseTarget(matrix: MatrixDocument, to: string): string {
  const range = matrix.supported_server_range;
  const remedy = `Pick a version in ${range}, e.g. --to ${matrix.recommended_server_version} (${matrix.cli.bin} compat show lists the window)`;
  const version = semver.valid(to.trim());
  if (version === null) {
    throw new HandshakeError(ErrorCode.Usage, `--to "${to}" is not a semver version such as ${matrix.recommended_server_version}`, {
      remedy,
    });
  }
  if (semver.gtr(version, range, RANGE_OPTS)) {
    throw new HandshakeError(
      ErrorCode.Usage,
      `--to ${version} is newer than this CLI (${matrix.cli_version}) supports (${range}): it could not check the result`,
      { remedy: `Upgrade this CLI first, or ${remedy.charAt(0).toLowerCase()}${remedy.slice(1)}` },
    );
  }
  if (!semver.satisfies(version, range, RANGE_OPTS) || semver.lt(version, matrix.min_server_version)) {
    throw new HandshakeError(
      ErrorCode.Usage,
      `--to ${version} is older than this CLI (${matrix.cli_version}) supports (${range}): the server would still be incompatible`,
      { remedy },
    );
  }
  return version;
}

/** Checks `--deployment`: a deployment kind, like the matrix's own keys. Throws a usage error. */
export function parseDeploymentFlag(matrix: MatrixDocument, kind: string): string {
  if (!DEPLOYMENT_PATTERN.test(kind)) {
    throw new HandshakeError(ErrorCode.Usage, `--deployment "${kind}" is not a deployment kind (a short lower-case word)`, {
      remedy: `Use one of: ${knownKinds(matrix).join(', ')}; any other kind gets the generic steps`,
    });
  }
  return kind;
}

/** The deployment kinds the matrix has templates for. */
export function knownKinds(matrix: MatrixDocument): string[] {
  return Object.keys(matrix.server.deployments);
}

function stepsFor(matrix: MatrixDocument, kind: string | null): { steps: ServerSteps; templates: string } {
  if (kind !== null && Object.hasOwn(matrix.server.deployments, kind)) {
    const steps = matrix.server.deployments[kind];
    if (steps) return { steps, templates: kind };
  }
  return { steps: matrix.server.generic, templates: 'generic' };
}

/**
 * Which deployment's templates to use: `--deployment` when given, else the
 * kind the server reports if it passes validation, else the generic steps.
 */
export function chooseDeployment(
  matrix: MatrixDocument,
  reported: string | null,
  flag: string | null | undefined,
): { choice: DeploymentChoice; notes: string[]; rejected: RejectedValue[] } {
  const notes: string[] = [];
  const rejected: RejectedValue[] = [];
  const reportedValid = reported !== null && DEPLOYMENT_PATTERN.test(reported);
  if (reported !== null && !reportedValid) {
    rejected.push({
      field: 'deployment',
      value: reported,
      reason: 'not a deployment kind (a short lower-case word such as docker-compose); ignored',
    });
  }
  const flagKind = flag ? parseDeploymentFlag(matrix, flag) : null;
  const kind = flagKind ?? (reportedValid ? reported : null);
  const source: DeploymentChoice['source'] = flagKind ? 'flag' : kind ? 'server' : 'none';
  if (flagKind && reportedValid && reported !== flagKind) notes.push(`--deployment ${flagKind} overrides the server's "${reported}"`);
  const { templates } = stepsFor(matrix, kind);
  const kinds = knownKinds(matrix);
  if (kind === null) {
    notes.push(
      `the server reports no usable deployment kind, so these are the generic steps${kinds.length ? `; pass --deployment ${kinds.join('|')} for specific ones` : ''}`,
    );
  } else if (templates === 'generic') {
    notes.push(`this CLI has no templates for deployment "${kind}", so these are the generic steps`);
  }
  return { choice: { kind, source, templates }, notes, rejected };
}

/** `YYYYMMDD-HHMMSS` in UTC. */
export function dateStamp(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(now.getUTCFullYear(), 4)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
}

/** The dated file a hop's backup goes to: `backup-<from_version>-<YYYYMMDD-HHMMSS>.dump` (UTC). */
export function backupFileName(fromVersion: string, now: Date): string {
  return `backup-${fromVersion}-${dateStamp(now)}.dump`;
}

/** Is the server where the hop wants it? Pure; the poll's stop condition. */
export function hopReached(
  goal: HopGoal,
  report: Pick<StatusReport, 'status' | 'server' | 'pending_migrations' | 'migration_status'>,
): boolean {
  if (report.migration_status === 'running' || report.migration_status === 'failed') return false;
  if (report.pending_migrations === null || report.pending_migrations.length > 0) return false;
  if (goal.compatible && report.status !== 'compatible') return false;
  const v = report.server.version;
  if (goal.min_version !== null && (v === null || !isSemver(v) || semver.lt(v, goal.min_version))) return false;
  if (goal.beyond !== null && (v === null || !isSemver(v) || semver.lte(v, goal.beyond))) return false;
  return report.status !== 'unreachable' && report.server.version !== null;
}

/** Nothing to do: compatible, no pending migrations and, with `--to`, at least that version (CONTRACT §5). */
export function isUpToDate(report: PlanReport, to: string | null): boolean {
  return hopReached({ min_version: to, beyond: null, compatible: true }, report);
}

/**
 * The pure decision of `server upgrade` after one handshake: up to date, a
 * plan (hops through every required stop, each with its backup first), or a
 * refusal saying why and what to do instead. Throws a usage error for a bad
 * `--to` or `--deployment`.
 */
export function planUpgrade(input: PlanInput): PlanDecision {
  const { matrix, report, now } = input;
  const to = input.to ? parseTarget(matrix, input.to) : null;
  const bin = matrix.cli.bin;
  const { choice, notes, rejected } = chooseDeployment(matrix, report.deployment, input.deployment);
  const refuse = (reason: RefusalReason, message: string, remedy: string | null, commands: string[] = []): PlanDecision => ({
    kind: 'refused',
    reason,
    message,
    remedy,
    commands,
    rejected,
  });

  const revisionRaw = report.server.schema_revision;
  const revisionValid = revisionRaw !== null && REVISION_PATTERN.test(revisionRaw);
  if (revisionRaw !== null && !revisionValid) {
    rejected.push({
      field: 'schema_revision',
      value: revisionRaw,
      reason: 'not a schema revision id (letters, digits, "_", "." or "-"); ignored',
    });
  }

  if (report.migration_status === 'failed') {
    const { steps } = stepsFor(matrix, choice.kind);
    const restore = (steps.restore ?? matrix.server.generic.restore ?? []).map((t) => fillTemplate(t, { bin }));
    return refuse(
      'migration_failed',
      'the server reports a failed migration: upgrading on top of it could lose data',
      restore.length
        ? 'Restore your last backup on the server host (replace {backup_file} with its path), fix the cause, then run the upgrade again'
        : `Restore your last backup on the server host, fix the cause, then run ${bin} server upgrade again`,
      restore,
    );
  }
  if (report.status === 'cli_outdated') {
    return refuse('cli_outdated', `${report.message}: upgrade this CLI before the server`, report.remedy);
  }
  const version = report.server.version;
  if (version === null) {
    return refuse('no_version', `the server did not report its version: ${report.message}`, report.remedy);
  }
  if (version === 'dev') {
    return refuse(
      'dev_server',
      'the server is an unversioned development build ("dev"): there is no version to plan from, so the required upgrade stops cannot be worked out',
      `Deploy a released server version with your own tooling (this CLI supports ${matrix.supported_server_range}; ${matrix.recommended_server_version} is recommended), then run ${bin} server status`,
    );
  }
  if (!isSemver(version)) {
    rejected.push({ field: 'server_version', value: version, reason: 'not a semver version' });
    return refuse('invalid_version', 'the server reported a version that is not semver, so no plan can be made from it', report.remedy);
  }

  if (isUpToDate(report, to)) {
    const below = semver.lt(version, matrix.recommended_server_version);
    return {
      kind: 'up_to_date',
      message: `server ${version} is already up to date for CLI ${matrix.cli_version}${below ? ` (${matrix.recommended_server_version} is recommended)` : ''}`,
      remedy: below && !to ? `${bin} server upgrade --to ${matrix.recommended_server_version}` : null,
    };
  }

  const recommended = matrix.recommended_server_version;
  let target: string;
  let targetSource: UpgradePlan['target_source'];
  if (to) {
    if (semver.lt(to, version)) {
      throw new HandshakeError(ErrorCode.Usage, `--to ${to} is older than the server's ${version}: ${bin} never downgrades a server`, {
        remedy: `Use --to ${version} or newer, or leave --to out`,
      });
    }
    target = to;
    targetSource = 'to';
  } else if (semver.gt(version, recommended)) {
    if (!semver.satisfies(version, matrix.supported_server_range, RANGE_OPTS)) {
      return refuse('server_newer', `${report.message}: a server upgrade cannot fix that`, report.remedy);
    }
    target = version;
    targetSource = 'current';
  } else {
    target = recommended;
    targetSource = 'recommended';
  }

  // Same version again: only worth it when migrations are what is missing.
  if (semver.eq(version, target) && (report.pending_migrations ?? []).length === 0 && report.status !== 'schema_behind') {
    return refuse(
      'not_an_upgrade',
      `server ${version} already runs the target ${target}, and its verdict (${report.status}) is not something a server upgrade fixes: ${report.message}`,
      report.remedy,
    );
  }

  const stops = [
    ...new Set(matrix.upgrade_stops.filter((s) => !s.when_target || semver.satisfies(target, s.when_target)).map((s) => s.version)),
  ]
    .filter((s) => semver.gt(s, version) && semver.lt(s, target))
    .sort(semver.compare);
  const points = [version, ...stops, target];
  const { steps } = stepsFor(matrix, choice.kind);
  const restoreTemplates = steps.restore ?? matrix.server.generic.restore ?? [];
  const date = dateStamp(now);
  const unfilled = new Set<string>();
  const hops: Hop[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i] as string;
    const hopTo = points[i + 1] as string;
    const last = i + 2 === points.length;
    const backupFile = backupFileName(from, now);
    // The revision before this hop: what the server reported for the first; the chain's revision for that version after.
    const revision = i === 0 ? (revisionValid ? revisionRaw : undefined) : revisionAt(matrix, from);
    const values: Record<string, string> = { version: hopTo, from_version: from, backup_file: backupFile, date, bin };
    if (revision) values.revision = revision;
    const fill = (templates: readonly string[]) =>
      templates.map((t) => {
        const command = fillTemplate(t, values);
        for (const [, name = ''] of command.matchAll(/\{([a-z_]+)\}/g)) {
          if ((SERVER_PLACEHOLDERS as readonly string[]).includes(name)) unfilled.add(name);
        }
        return command;
      });
    hops.push({
      number: i + 1,
      from,
      to: hopTo,
      stop: !last,
      backup_file: backupFile,
      backup: fill(steps.backup),
      upgrade: fill(steps.upgrade),
      restore: fill(restoreTemplates),
      done_when: last
        ? { min_version: to, beyond: to === null && i > 0 ? from : null, compatible: true }
        : { min_version: hopTo, beyond: null, compatible: false },
    });
  }
  if (stops.length) {
    notes.push(
      `${stops.join(', ')} ${stops.length === 1 ? 'is a required upgrade stop' : 'are required upgrade stops'}: one hop each, none skipped`,
    );
  }
  if (semver.eq(version, target))
    notes.push(`the server already runs ${target}: the hop re-runs its upgrade steps to apply the pending migrations`);
  for (const name of unfilled) notes.push(`{${name}} is unknown or was rejected, so it is left as a placeholder: fill it in by hand`);

  return {
    kind: 'plan',
    plan: {
      from: { version, schema_revision: revisionValid ? revisionRaw : null },
      target,
      target_source: targetSource,
      deployment: choice,
      hops,
      notes,
      rejected,
    },
  };
}

/** The newest chain revision introduced at or before `version`, if the chain says. */
function revisionAt(matrix: MatrixDocument, version: string): string | undefined {
  let found: string | undefined;
  for (const r of matrix.schema_chain) if (r.server_version && semver.lte(r.server_version, version)) found = r.revision;
  return found;
}

/**
 * What to run on the server host when it cannot be reached: the status
 * commands of the given deployment kind, or of every kind when none is known
 * (kinds with the same commands, such as rpm and deb, share one entry). A kind
 * without status templates gets none.
 */
export function statusCommands(matrix: MatrixDocument, kind: string | null): Array<{ kinds: string[]; commands: string[] }> {
  const bin = matrix.cli.bin;
  const fill = (steps: ServerSteps) => (steps.status ?? []).map((t) => fillTemplate(t, { bin }));
  if (kind !== null) {
    const { steps, templates } = stepsFor(matrix, kind);
    const commands = fill(steps);
    return commands.length ? [{ kinds: [templates], commands }] : [];
  }
  const groups: Array<{ kinds: string[]; commands: string[] }> = [];
  for (const [k, steps] of [...Object.entries(matrix.server.deployments), ['generic', matrix.server.generic] as const]) {
    const commands = fill(steps);
    if (!commands.length) continue;
    const same = groups.find((g) => g.commands.join('\n') === commands.join('\n'));
    if (same) same.kinds.push(k);
    else groups.push({ kinds: [k], commands });
  }
  return groups;
}
