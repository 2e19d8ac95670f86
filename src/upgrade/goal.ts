import semver from 'semver';
import type { Matrix } from '../matrix/load.js';
import type { StatusReport } from '../session/session.js';
import { pastMinor } from './stops.js';

/**
 * When a hop is done (docs/commands.md "Upgrading the server"): the poll's stop condition. Pure. Versions compare as the matrix
 * says (a declared flavour dropped: `16.11.10-ee` reaches `16.11.10`). Always also: no migration
 * running or failed, none of the counted migrations pending (a later release's migrations that a
 * server lists do not hold it), and no background migrations pending.
 */
export interface HopGoal {
  /** The server must run at least this version (null: any). A stop is reached by any release of its minor at or above it. */
  min_version: string | null;
  /**
   * The server must run a release of a later major.minor than this (null: any). The last hop after a
   * stop, without `--to`: the stop's minor is already compatible, so reaching it must not end the
   * upgrade, yet any later release counts (by default: compatible and nothing pending).
   */
  past_minor: string | null;
  /** The verdict must be `compatible` (the last hop). */
  compatible: boolean;
}

/** What the goal reads of one look at the server. */
export type GoalReport = Pick<
  StatusReport,
  'status' | 'server' | 'pending_migrations' | 'migration_status' | 'background_migrations_pending' | 'findings'
>;

/** Is the server where the hop wants it? */
export function hopReached(matrix: Matrix, goal: HopGoal, report: GoalReport): boolean {
  if (report.status === 'unreachable' || report.server.version === null) return false;
  if (report.migration_status === 'running' || report.migration_status === 'failed') return false;
  if (report.pending_migrations === null) return false;
  const pending = report.findings ? report.findings.migrations.counted : report.pending_migrations;
  if (pending.length > 0) return false;
  if ((report.background_migrations_pending ?? 0) > 0) return false;
  if (goal.compatible && report.status !== 'compatible') return false;
  const v = matrix.serverVersion(report.server.version);
  if (goal.min_version !== null && (v === null || semver.lt(v, goal.min_version))) return false;
  if (goal.past_minor !== null && (v === null || !pastMinor(v, goal.past_minor))) return false;
  return true;
}

/** Nothing to do: compatible, nothing pending and, with `--to`, at least that version (docs/commands.md "Upgrading the server"). */
export function isUpToDate(matrix: Matrix, report: GoalReport, to: string | null): boolean {
  return hopReached(matrix, { min_version: to, past_minor: null, compatible: true }, report);
}

/** What a hop waits for, in words. */
export function goalPhrase(goal: HopGoal): string {
  const parts: string[] = [];
  if (goal.min_version) parts.push(`${goal.min_version} or newer`);
  if (goal.past_minor) parts.push(`a release after ${goal.past_minor.split('.').slice(0, 2).join('.')}`);
  if (goal.compatible) parts.push('a compatible verdict');
  parts.push('no pending migrations', 'no background migrations');
  return parts.join(', ');
}
