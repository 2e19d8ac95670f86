import type { Matrix } from '../matrix/load.js';
import type { StatusReport } from '../session/session.js';
import { plural } from '../text.js';
import { type Said, saidRemedy } from './remedy.js';
import { featureRows, formatHeadline, formatRows } from './report.js';
import { sanitize } from './sanitize.js';
import type { Style } from './style.js';

/** How many pending migrations `server status` lists at each end of a long list. */
const PENDING_SHOWN = 5;

/** `server status`: the verdict, then the server in an aligned block, the pending migrations listed under their row. */
export function formatStatus(report: Omit<StatusReport, 'hint' | 'remedies'> & Said, matrix: Matrix, style: Style): string {
  const s = report.server;
  const pending = report.pending_migrations ?? [];
  const top: Array<readonly [string, string | null]> = [
    ['Server', s.url],
    ['Server version', s.version],
    ['Schema revision', s.schema_revision ? `${s.schema_revision} (${placeRevision(matrix, s.schema_revision)})` : null],
    ['Pending migrations', report.pending_migrations === null ? null : pending.length ? String(pending.length) : 'none'],
  ];
  const bottom: Array<readonly [string, string | null]> = [
    ['Deployment', report.deployment],
    ['Migration status', report.migration_status],
    ['CLI version', report.cli.version],
    ...featureRows(report.features),
    ['Fix', saidRemedy(report)],
  ];
  // One label width for both halves, so the block stays aligned around the list.
  const width = Math.max(...[...top, ...bottom].filter((r) => r[1] !== null).map((r) => r[0].length));
  const pad = (rows: Array<readonly [string, string | null]>) => rows.map(([label, value]) => [label.padEnd(width), value] as const);
  // A long list keeps its ends (the next to run, the newest) and says how many lie between; --json has them all.
  const shown = pending.length > PENDING_SHOWN * 2 + 2 ? [pending.slice(0, PENDING_SHOWN), pending.slice(-PENDING_SHOWN)] : [pending];
  const revWidth = Math.max(0, ...shown.flat().map((m) => m.revision.length));
  const line = (m: (typeof pending)[number]) =>
    `    - ${sanitize(m.revision).padEnd(revWidth)}${m.description ? `  ${sanitize(m.description)}` : ''}`.trimEnd();
  const [head = [], tail] = shown;
  const list = tail
    ? [...head.map(line), `    … and ${pending.length - head.length - tail.length} more (--json lists them all)`, ...tail.map(line)]
    : head.map(line);
  return (
    [formatHeadline(report, style), formatRows(pad(top), style), ...list, formatRows(pad(bottom), style)].filter(Boolean).join('\n') + '\n'
  );
}

/** Where a revision stands in this CLI's chain, in words: `2 behind 0004_…`, `at …`, `1 ahead of …, the newest this CLI knows`. */
export function placeRevision(matrix: Matrix, revision: string): string {
  const p = matrix.placeRevision(revision);
  const min = matrix.doc.min_schema_revision;
  if (!p.known) return "not in this CLI's chain";
  const newest = p.index === matrix.doc.schema_chain.length - 1 ? ', the newest this CLI knows' : '';
  if (p.relation === 'at') return `at the minimum ${min}${newest}`;
  const n = Math.abs(p.distance);
  const revs = plural(n, 'revision');
  return p.relation === 'before' ? `${revs} behind the minimum ${min}` : `${revs} ahead of the minimum ${min}${newest}`;
}

export { formatPlan, formatPollState } from './upgrade.js';
