import type { Matrix } from '../matrix/load.js';
import type { StatusReport } from '../session/session.js';
import { featureRows, formatHeadline, formatRows } from './report.js';
import { sanitize } from './sanitize.js';
import type { Style } from './style.js';

/** `server status`: the verdict, then the server in an aligned block, the pending migrations listed under their row. */
export function formatStatus(report: StatusReport, matrix: Matrix, style: Style): string {
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
    ['Fix', report.remedy],
  ];
  // One label width for both halves, so the block stays aligned around the list.
  const width = Math.max(...[...top, ...bottom].filter((r) => r[1] !== null).map((r) => r[0].length));
  const pad = (rows: Array<readonly [string, string | null]>) => rows.map(([label, value]) => [label.padEnd(width), value] as const);
  const revWidth = Math.max(0, ...pending.map((m) => m.revision.length));
  const list = pending.map((m) =>
    `    - ${sanitize(m.revision).padEnd(revWidth)}${m.description ? `  ${sanitize(m.description)}` : ''}`.trimEnd(),
  );
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
  const revs = `${n} revision${n === 1 ? '' : 's'}`;
  return p.relation === 'before' ? `${revs} behind the minimum ${min}` : `${revs} ahead of the minimum ${min}${newest}`;
}

export { formatPlan, formatPollState } from './upgrade.js';
