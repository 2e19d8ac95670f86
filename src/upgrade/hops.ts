import type { Matrix } from '../matrix/load.js';
import { SERVER_PLACEHOLDERS } from '../matrix/schema.js';
import { fillTemplate } from '../matrix/templates.js';
import { plainRelease } from '../matrix/versions.js';
import type { DeploymentChoice, PlanNote } from './deployment.js';
import { restoreTemplates, stepsFor } from './deployment.js';
import type { HopGoal } from './goal.js';
import type { StopOnTheWay } from './stops.js';

/** The hops of a plan, each with its backup, commands and goal, from the matrix's templates. Pure. */

export interface Hop {
  /** 1-based. */
  number: number;
  from: string;
  to: string;
  /** True when `to` is a required upgrade stop on the way, not the target. */
  stop: boolean;
  /** Who does the hop: the operator runs the commands, or the server applies its own migrations (docs/protocol.md §1b). */
  by: 'operator' | 'server';
  /** Why the stop is there (the matrix's note), or null. */
  note: string | null;
  /** The dated file the backup step writes and the restore step reads. */
  backup_file: string;
  backup: string[];
  /** The matrix's baseline steps (hop 1 of a server whose schema predates the chain), else empty. */
  baseline: string[];
  upgrade: string[];
  /** How to put the backup back if this hop's migration fails. */
  restore: string[];
  done_when: HopGoal;
}

export interface HopsInput {
  matrix: Matrix;
  deployment: DeploymentChoice;
  /** The version as the server reported it (shown as reported: `16.11.10-ee`). */
  reported: string;
  /** The comparable version it runs. */
  from: string;
  /** The validated revision it reported, or null. */
  revision: string | null;
  stops: readonly StopOnTheWay[];
  target: string;
  /** `--to`, already checked. */
  to: string | null;
  now: Date;
  baselineSteps: readonly string[];
  serverMigrates: boolean;
  /** Where a note about placeholders left unfilled goes. */
  notes: PlanNote[];
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

/** One hop per stop on the way, then one to the target; each waits for its own goal. */
export function buildHops(input: HopsInput): Hop[] {
  const points = [input.reported, ...input.stops.map((s) => s.version), input.target];
  const unfilled = new Set<string>();
  const hops: Hop[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i] as string;
    const to = points[i + 1] as string;
    const last = i + 2 === points.length;
    const values = hopValues(input, i, from, to);
    const fill = (templates: readonly string[]) => templates.map((t) => fillChecked(t, values, unfilled));
    const { steps } = stepsFor(input.matrix.doc, input.deployment.kind);
    const server = input.serverMigrates && last;
    hops.push({
      number: i + 1,
      from,
      to,
      stop: !last,
      by: server ? 'server' : 'operator',
      note: last ? null : (input.stops[i]?.note ?? null),
      backup_file: values.backup_file as string,
      backup: server ? [] : fill(steps.backup),
      baseline: i === 0 && !server ? fill(input.baselineSteps) : [],
      upgrade: server ? [] : fill(steps.upgrade),
      restore: fill(restoreTemplates(input.matrix.doc, input.deployment.kind)),
      done_when: goalOf(input, i, last),
    });
  }
  for (const name of unfilled) input.notes.push(`{${name}} is unknown or was rejected, so it is left as a placeholder: fill it in by hand`);
  return hops;
}

function hopValues(input: HopsInput, i: number, from: string, to: string): Record<string, string> {
  const backupFile = backupFileName(from, input.now);
  // The revision before this hop: what the server reported for the first; the chain's revision for that version after.
  const revision = i === 0 ? input.revision : revisionAt(input.matrix, from);
  const values: Record<string, string> = {
    version: to,
    from_version: from,
    backup_file: backupFile,
    date: dateStamp(input.now),
    bin: input.matrix.doc.cli.bin,
  };
  if (revision) values.revision = revision;
  return values;
}

function fillChecked(template: string, values: Record<string, string>, unfilled: Set<string>): string {
  const command = fillTemplate(template, values);
  for (const [, name = ''] of command.matchAll(/\{([a-z_]+)\}/g)) {
    if ((SERVER_PLACEHOLDERS as readonly string[]).includes(name)) unfilled.add(name);
  }
  return command;
}

/**
 * An intermediate hop: the stop reached (any release of its minor at or above it). The last hop:
 * a compatible verdict, at least `--to`; after a stop without `--to`, a release past the stop's minor
 * (the stop itself is compatible, so reaching it must not end the upgrade).
 */
function goalOf(input: HopsInput, i: number, last: boolean): HopGoal {
  if (!last) return { min_version: input.stops[i]?.version ?? input.target, past_minor: null, compatible: false };
  const previousStop = i > 0 ? (input.stops[i - 1]?.version ?? null) : null;
  return { min_version: input.to, past_minor: input.to === null ? previousStop : null, compatible: true };
}

/** The head of the release `version` in the chain (the matrix's one release rule), if the chain says. */
function revisionAt(matrix: Matrix, version: string): string | undefined {
  const head = matrix.releaseHead(plainRelease(version));
  return head === null || head < 0 ? undefined : matrix.doc.schema_chain[head]?.revision;
}
