import semver from 'semver';
import type { UpgradeStop } from '../matrix/schema.js';
import { RANGE_OPTIONS } from '../matrix/versions.js';

/**
 * Which required upgrade stops an upgrade goes through (docs/matrix.md; docs/commands.md "Upgrading the server"). Pure.
 *
 * A stop is reached by any release of its major.minor at or above it (GitLab: "upgrade to the
 * latest patch of a stop's minor"), so:
 * - a server already at or past a stop needs no hop for it;
 * - a target inside a stop's minor, at or above it, reaches the stop itself: no extra hop;
 * - several stops of one minor are one hop, to the highest (it reaches them all);
 * - a conditional stop (`when_target`) counts only when the target is in its range;
 * - a stop's hop installs the version the matrix names (vendors keep it at the latest patch).
 */

const RANGE_OPTS = RANGE_OPTIONS;

/** One stop on the way, as the plan installs it. */
export interface StopOnTheWay {
  version: string;
  /** Why it is there (the matrix's `note`), or null. */
  note: string | null;
  /** True when the matrix made it conditional on the target. */
  conditional: boolean;
}

/** `major.minor` of a semver version. */
export function minorOf(version: string): string {
  const v = semver.parse(version);
  return v ? `${v.major}.${v.minor}` : version;
}

/** Does `version` reach the stop: the same major.minor at or above it, or any later minor? */
export function reachesStop(version: string, stop: string): boolean {
  return semver.gte(version, stop);
}

/** Is `version` of a later major.minor than `than`? */
export function pastMinor(version: string, than: string): boolean {
  const a = semver.parse(version);
  const b = semver.parse(than);
  if (!a || !b) return false;
  return a.major > b.major || (a.major === b.major && a.minor > b.minor);
}

/** The stops an upgrade from `from` to `target` must install, oldest first (comparable versions: flavours already dropped). */
export function stopsBetween(stops: readonly UpgradeStop[], from: string, target: string): StopOnTheWay[] {
  const byMinor = new Map<string, StopOnTheWay>();
  for (const s of stops) {
    if (s.when_target && !semver.satisfies(target, s.when_target, RANGE_OPTS)) continue;
    if (reachesStop(from, s.version)) continue; // already there or past it
    if (!semver.lt(s.version, target)) continue; // never a hop past (or at) the target
    if (minorOf(s.version) === minorOf(target)) continue; // the target reaches it
    const key = minorOf(s.version);
    const seen = byMinor.get(key);
    const note = s.note ?? seen?.note ?? null;
    const conditional = Boolean(s.when_target) || Boolean(seen?.conditional);
    if (!seen || semver.gt(s.version, seen.version)) byMinor.set(key, { version: s.version, note, conditional });
    else byMinor.set(key, { ...seen, note, conditional });
  }
  return [...byMinor.values()].sort((a, b) => semver.compare(a.version, b.version));
}
