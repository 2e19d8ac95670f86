import type { Matrix } from '../matrix/load.js';
import type { StatusReport } from '../session/session.js';
import type { Hop, UpgradePlan } from '../upgrade/plan.js';
import type { PollState } from '../upgrade/poll.js';
import { formatSeconds, goalPhrase, type UpgradeOutcome, type UpgradeResult } from '../upgrade/upgrade.js';
import type { Severity } from '../verdict/verdict.js';
import { formatHeadline, formatRows } from './report.js';
import { sanitize } from './sanitize.js';
import type { Style } from './style.js';

/** How an outcome reads: good, worth a look, or failed. */
export const OUTCOME_SEVERITY: Readonly<Record<UpgradeOutcome, Severity>> = {
  up_to_date: 'ok',
  planned: 'ok',
  upgraded: 'ok',
  declined: 'warn',
  interrupted: 'warn',
  unreachable: 'error',
  unchecked: 'error',
  refused: 'error',
  migration_failed: 'error',
  cli_rejected: 'error',
  timeout: 'error',
};

function versionWithSchema(version: string | null, revision: string | null): string | null {
  return version ? `${version}${revision ? ` (schema ${revision})` : ''}` : null;
}

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

const TARGET_SOURCE: Record<UpgradePlan['target_source'], string> = {
  to: 'from --to',
  recommended: 'recommended by this CLI',
  current: 'the version it runs: re-applied',
};

const DEPLOYMENT_SOURCE: Record<UpgradePlan['deployment']['source'], string> = {
  flag: 'from --deployment',
  server: 'reported by the server',
  none: 'not reported',
};

/**
 * The plan on stdout: a short summary, then per hop the backup and upgrade
 * commands, one per line and nothing else on their lines, so they can be
 * copied as they are. Headings are shell comments.
 */
export function formatPlan(plan: UpgradePlan, before: StatusReport, style: Style): string {
  const d = plan.deployment;
  const deployment = d.kind
    ? `${d.kind} (${DEPLOYMENT_SOURCE[d.source]}${d.templates === 'generic' ? '; generic steps' : ''})`
    : 'generic steps (no deployment kind known)';
  const pending = before.pending_migrations ?? [];
  const head = formatRows(
    [
      ['Server', before.server.url],
      ['Now', `${versionWithSchema(plan.from.version, plan.from.schema_revision)}: ${before.status}`],
      ['Target', `${plan.target} (${TARGET_SOURCE[plan.target_source]})`],
      ['Hops', [plan.from.version, ...plan.hops.map((h) => h.to)].join(' → ')],
      ['Deployment', deployment],
      ['Pending', pending.length ? pending.map((m) => m.revision).join(', ') : null],
    ],
    style,
  );
  const lines = [style.bold(`Upgrade plan: ${sanitize(plan.from.version)} → ${sanitize(plan.target)}`), head];
  for (const note of plan.notes) lines.push(`  ${style.dim('Note:')} ${sanitize(note)}`);
  for (const r of plan.rejected) {
    lines.push(`  ${style.yellow('Rejected:')} ${r.field} ${sanitize(JSON.stringify(r.value))} from the server: ${sanitize(r.reason)}`);
  }
  for (const hop of plan.hops) lines.push('', ...formatHop(hop, plan.hops.length, style));
  lines.push(
    '',
    style.dim(`# Run these on the server host, hop by hop. Nothing is run for you: this CLI waits for the server to report each hop.`),
    '',
  );
  return `${lines.join('\n')}\n`;
}

function formatHop(hop: Hop, total: number, style: Style): string[] {
  const what = hop.stop ? ' (required upgrade stop)' : hop.from === hop.to ? ' (re-run to apply pending migrations)' : '';
  return [
    style.bold(`# Hop ${hop.number}/${total}: ${sanitize(hop.from)} → ${sanitize(hop.to)}${what}`),
    style.dim(`# 1. Back up (to ${sanitize(hop.backup_file)}):`),
    ...hop.backup.map((c) => sanitize(c)),
    style.dim('# 2. Upgrade:'),
    ...hop.upgrade.map((c) => sanitize(c)),
  ];
}

/** The final outcome on stdout: headline, what was seen, what to do, and the commands to run now. */
export function formatUpgradeResult(result: UpgradeResult, style: Style): string {
  const severity = OUTCOME_SEVERITY[result.outcome];
  const seen = result.after ?? result.before;
  const out = [
    outcomeHeadline(severity, result.outcome, result.message, style),
    formatRows(
      [
        ['Server', seen.server.url],
        ['Server version', seen.server.version],
        ['Schema revision', seen.server.schema_revision],
        ['Verdict', seen.status],
        [severity === 'ok' ? 'Next' : 'Fix', result.remedy],
      ],
      style,
    ),
  ];
  if (result.commands.length) out.push('', ...result.commands.map((c) => sanitize(c)));
  return `${out.join('\n')}\n`;
}

/** Like the verdict headline (`✓ upgraded  …`), for an outcome. */
function outcomeHeadline(severity: Severity, outcome: UpgradeOutcome, message: string, style: Style): string {
  const paint = severity === 'ok' ? style.green : severity === 'warn' ? style.yellow : style.red;
  const symbol = style.color ? { ok: '✓', warn: '!', error: '✗' }[severity] : severity.toUpperCase();
  return `${paint(`${symbol} ${outcome}`)}  ${sanitize(message)}`;
}

/** stderr: waiting for a hop starts. */
export function formatHopStart(hop: Hop, total: number, intervalMs: number, waitMs: number): string {
  return `Waiting for hop ${hop.number}/${total}: ${sanitize(hop.to)} (${goalPhrase(hop)}; every ${formatSeconds(intervalMs)}, --wait ${formatSeconds(waitMs)} in all)…`;
}

/** stderr: one line per change of state while polling. */
export function formatPollState(state: PollState): string {
  return `  ${sanitize(state.summary)}`;
}
