import type { RemedyContext } from '../hint.js';
import type { StatusReport } from '../session/session.js';
import { formatDuration, formatSeconds, plural } from '../text.js';
import { goalPhrase } from '../upgrade/goal.js';
import type { Hop, UpgradePlan } from '../upgrade/plan.js';
import type { PollState } from '../upgrade/poll.js';
import type { UpgradeOutcome, UpgradeResult } from '../upgrade/upgrade.js';
import type { Severity } from '../verdict/verdict.js';
import { ExitCode } from './exit-codes.js';
import { SDK_WORDS, saidRemedy, saidText } from './remedy.js';
import { formatHeadline, formatRows } from './report.js';
import { sanitize } from './sanitize.js';
import type { Style } from './style.js';

/** The one table of how `server upgrade` ends (docs/commands.md "Upgrading the server"; README.md "Exit codes"): exit code and severity. */
export const UPGRADE_OUTCOMES: Readonly<Record<UpgradeOutcome, { exit: number; severity: Severity }>> = {
  up_to_date: { exit: ExitCode.Ok, severity: 'ok' },
  planned: { exit: ExitCode.Ok, severity: 'ok' },
  upgraded: { exit: ExitCode.Ok, severity: 'ok' },
  declined: { exit: ExitCode.Usage, severity: 'warn' },
  interrupted: { exit: ExitCode.Interrupted, severity: 'warn' },
  unreachable: { exit: ExitCode.Unchecked, severity: 'error' },
  unchecked: { exit: ExitCode.Unchecked, severity: 'error' },
  refused: { exit: ExitCode.Incompatible, severity: 'error' },
  migration_failed: { exit: ExitCode.Incompatible, severity: 'error' },
  cli_rejected: { exit: ExitCode.Incompatible, severity: 'error' },
  timeout: { exit: ExitCode.Unchecked, severity: 'error' },
};

/** The exit code of an outcome; an interruption by SIGTERM is 143, by SIGINT 130. */
export function upgradeExitCode(outcome: UpgradeOutcome, signal: 'SIGINT' | 'SIGTERM' | null = null): number {
  if (outcome === 'interrupted' && signal === 'SIGTERM') return ExitCode.Terminated;
  return UPGRADE_OUTCOMES[outcome].exit;
}

/** The `server upgrade --json` document (docs/commands.md "Upgrading the server"): exactly these keys; the judge's findings stay out. */
export function upgradeDocument(result: UpgradeResult) {
  const { outcome, message, before, plan, hop, after, commands } = result;
  const remedy = upgradeRemedy(result);
  const said = plan && { ...plan, notes: planNotes(plan, before.remedies) };
  return { outcome, message, remedy, before: reportDocument(before), plan: said, hop, after: after && reportDocument(after), commands };
}

/**
 * A plan's notes in the host's words (a note that names a flag is data until here); without a context, an SDK caller's
 * words (docs/embedding.md "Words that are data").
 */
export function planNotes(plan: Pick<UpgradePlan, 'notes'>, ctx: RemedyContext = SDK_WORDS): string[] {
  return plan.notes.map((note) => saidText(note, ctx));
}

/** What to do next after an upgrade, said for the server it upgraded. */
export function upgradeRemedy(result: UpgradeResult): string | null {
  return saidRemedy({ hint: result.hint, remedies: result.before.remedies });
}

/** A report as JSON documents carry it (`server status --json`, `server upgrade`'s before/after): its hint said, the findings out. */
export type StatusDocument = Omit<StatusReport, 'findings' | 'hint' | 'remedies'> & { remedy: string | null };

export function reportDocument(report: StatusReport): StatusDocument {
  const { findings: _f, hint: _h, remedies: _r, status, severity, message, ...rest } = report;
  return { status, severity, message, remedy: saidRemedy(report), ...rest };
}

function versionWithSchema(version: string | null, revision: string | null): string | null {
  return version ? `${version}${revision ? ` (schema ${revision})` : ''}` : null;
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
 * The plan on stdout: a short summary, then per hop the backup and upgrade commands, one per line
 * and nothing else on their lines, so they can be copied as they are. Headings are shell comments.
 * On the admin path there are no commands: the server backs up and applies its own migrations.
 */
export function formatPlan(plan: UpgradePlan, before: StatusReport, style: Style): string {
  const d = plan.deployment;
  const deployment = d.kind
    ? `${d.kind} (${DEPLOYMENT_SOURCE[d.source]}${d.templates === 'generic' ? '; generic steps' : ''})`
    : 'generic steps (no deployment kind known)';
  const pending = before.pending_migrations ?? [];
  const m = plan.server_migration;
  // Re-applying the running version (the server's own pending migrations) is no "1.4.2 → 1.4.2": say what it does.
  const n = m ? m.migrations.length : pending.length;
  const inPlace = plan.from.version === plan.target ? `${sanitize(plan.target)}: apply ${plural(n, 'pending migration')}` : null;
  const head = formatRows(
    [
      ['Server', before.server.url],
      ['Now', `${versionWithSchema(plan.from.version, plan.from.schema_revision)}: ${before.status}`],
      ['Target', `${plan.target} (${TARGET_SOURCE[plan.target_source]})`],
      ['Hops', m ? null : (inPlace ?? [plan.from.version, ...plan.hops.map((h) => h.to)].join(' → '))],
      ['Deployment', m ? null : deployment],
      ['Pending', pending.length ? pending.map((p) => p.revision).join(', ') : null],
    ],
    style,
  );
  const lines = [style.bold(`Upgrade plan: ${inPlace ?? `${sanitize(plan.from.version)} → ${sanitize(plan.target)}`}`), head];
  for (const note of planNotes(plan, before.remedies)) lines.push(`  ${style.dim('Note:')} ${sanitize(note)}`);
  for (const r of plan.rejected) {
    lines.push(`  ${style.yellow('Rejected:')} ${r.field} ${sanitize(JSON.stringify(r.value))} from the server: ${sanitize(r.reason)}`);
  }
  if (m) {
    const n = m.migrations.length;
    lines.push(
      '',
      style.bold(`The server backs up, then applies ${plural(n, 'migration')} of its own release, up to ${sanitize(m.target_revision)}:`),
      ...m.migrations.map((r) => `  - ${sanitize(r)}`),
      '',
      style.dim('# Nothing to run by hand: after the confirmation this CLI asks the server (admin token) and waits for it.'),
      '',
    );
    return `${lines.join('\n')}\n`;
  }
  for (const hop of plan.hops) lines.push('', ...formatHop(hop, plan.hops.length, style));
  lines.push(
    '',
    style.dim('# Run these on the server host, hop by hop. Nothing is run for you: this CLI waits for the server to report each hop.'),
    '',
  );
  return `${lines.join('\n')}\n`;
}

function formatHop(hop: Hop, total: number, style: Style): string[] {
  const what = hop.stop ? ' (required upgrade stop)' : hop.from === hop.to ? ' (re-run to apply pending migrations)' : '';
  const out = [style.bold(`# Hop ${hop.number}/${total}: ${sanitize(hop.from)} → ${sanitize(hop.to)}${what}`)];
  if (hop.note) out.push(style.dim(`# ${sanitize(hop.note)}`));
  out.push(style.dim(`# 1. Back up (to ${sanitize(hop.backup_file)}):`), ...hop.backup.map((c) => sanitize(c)));
  let step = 2;
  if (hop.baseline.length)
    out.push(style.dim(`# ${step++}. Bring the schema onto the chain's baseline:`), ...hop.baseline.map((c) => sanitize(c)));
  out.push(style.dim(`# ${step}. Upgrade:`), ...hop.upgrade.map((c) => sanitize(c)));
  return out;
}

/** The final outcome on stdout: headline, what was seen, what to do, and the commands to run now. */
export function formatUpgradeResult(result: UpgradeResult, style: Style): string {
  const row = UPGRADE_OUTCOMES[result.outcome];
  const seen = result.after ?? result.before;
  const out = [
    formatHeadline({ severity: row.severity, status: result.outcome, message: result.message }, style),
    formatRows(
      [
        ['Server', seen.server.url],
        ['Server version', seen.server.version],
        ['Schema revision', seen.server.schema_revision],
        ['Verdict', seen.status],
        [row.severity === 'ok' ? 'Next' : 'Fix', upgradeRemedy(result)],
      ],
      style,
    ),
  ];
  if (result.commands.length) out.push('', ...result.commands.map((c) => sanitize(c)));
  return `${out.join('\n')}\n`;
}

/** stderr: waiting for a hop starts. */
export function formatHopStart(hop: Hop, total: number, intervalMs: number, waitMs: number): string {
  const who = hop.by === 'server' ? 'the server applies its migrations' : sanitize(hop.to);
  return `Waiting for hop ${hop.number}/${total}: ${who} (${goalPhrase(hop.done_when)}; every ${formatSeconds(intervalMs)}, --wait ${formatSeconds(waitMs)} in all)…`;
}

/** The spinner's line: what it waits for, how long it has waited, how long it will still wait, and the last state seen. */
export function formatWaiting(hop: Hop, total: number, elapsedMs: number, waitMs: number, state: PollState | null): string {
  const left = Math.max(0, waitMs - elapsedMs);
  const what = hop.by === 'server' ? 'the server’s migrations' : sanitize(hop.to);
  const seen = state ? `: ${sanitize(state.summary)}${state.outage ? ' (expected)' : ''}` : '';
  return `hop ${hop.number}/${total} → ${what} (${formatDuration(elapsedMs)} so far, ${formatDuration(left)} left)${seen}`;
}

/** stderr: one line per change of state while polling. */
export function formatPollState(state: PollState): string {
  return `  ${sanitize(state.summary)}`;
}
