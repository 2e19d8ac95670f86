import { shellCommand } from '../matrix/templates.js';
import { buildReport, observeServer, requireServer, type Session, type StatusReport } from '../session/session.js';
import { UNCHECKED_STATUSES } from '../verdict/verdict.js';
import { type Hop, hopReached, parseDeploymentFlag, parseTarget, planUpgrade, statusCommands, type UpgradePlan } from './plan.js';
import { type PollEvent, type Probe, pollServer, type TerminalPollEvent } from './poll.js';

/**
 * `server upgrade` as an SDK function (CONTRACT §5): one handshake, the
 * plan, a confirmation, then a poll per hop until the server reports the
 * target. handshake never runs the commands: the operator runs them on the
 * server host. Everything a person sees goes through the hooks, so the
 * command decides about spinners, prompts and streams.
 */

export type UpgradeOutcome =
  /** Nothing to do (exit 0). */
  | 'up_to_date'
  /** `--dry-run`: the plan was shown (exit 0). */
  | 'planned'
  /** The server reached the target (exit 0). */
  | 'upgraded'
  /** The confirmation was answered no (exit 2: confirmation needed). */
  | 'declined'
  /** The server could not be reached at first (exit 4). */
  | 'unreachable'
  /** The server answered but could not be checked: 401/403, no endpoint, invalid answer (exit 4). */
  | 'unchecked'
  /** No plan can help: a dev build, a server newer than this CLI knows, a CLI the server refuses… (exit 3). */
  | 'refused'
  /** The server reports a failed migration (exit 3). */
  | 'migration_failed'
  /** During the poll the server started refusing this CLI (exit 3). */
  | 'cli_rejected'
  /** `--wait` ran out (exit 4). */
  | 'timeout'
  /** Ctrl-C (exit 130): the upgrade may still be running. */
  | 'interrupted';

/** The result of {@link upgradeServer}: the `server upgrade --json` document. */
export interface UpgradeResult {
  outcome: UpgradeOutcome;
  /** One line: what happened. */
  message: string;
  /** What to do next, or null. */
  remedy: string | null;
  /** What the operator should run on the server host now (restore steps, status checks), or empty. */
  commands: string[];
  /** The first handshake. */
  before: StatusReport;
  plan: UpgradePlan | null;
  /** The hop the poll ended in (1-based), or null when no poll ran. */
  hop: number | null;
  /** The last state seen, or null when no poll ran (or nothing answered). */
  after: StatusReport | null;
}

export interface UpgradeOptions {
  /** `--to VERSION`. */
  to?: string | null;
  /** `--deployment KIND`. */
  deployment?: string | null;
  /** `--dry-run`: stop after the plan. */
  dryRun?: boolean;
  /** Between polls, in ms. */
  intervalMs: number;
  /** For all hops together, in ms (`--wait`). */
  waitMs: number;
  /** Ctrl-C. */
  signal?: AbortSignal;
  /** Milliseconds for deadlines (default `performance.now`). */
  clock?: () => number;
  /** Wall-clock time for dating backups (default `new Date()`). */
  now?: () => Date;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** One look at the server (default: the session's version endpoint). */
  probe?: (signal: AbortSignal) => Promise<Probe>;
}

export interface UpgradeHooks {
  /** The plan is ready: show it (before the confirmation). */
  plan?(plan: UpgradePlan, before: StatusReport): void;
  /** Resolve true to go on, false to cancel. Throw to stop with an error (e.g. no TTY and no `--yes`). */
  confirm(plan: UpgradePlan): Promise<boolean>;
  /** Waiting for a hop starts. */
  hopStart?(hop: Hop, plan: UpgradePlan): void;
  /** Everything the poll saw. */
  pollEvent?(event: PollEvent, hop: Hop, plan: UpgradePlan): void;
}

/** One look at the session's server, never cached: observation and report. */
export async function probeServer(session: Session, signal?: AbortSignal): Promise<Probe> {
  const observation = await observeServer(session, signal);
  return { observation, report: buildReport(session, requireServer(session).url, observation) };
}

/** Runs `server upgrade`. Throws coded errors for usage problems (bad `--to`, `--deployment`, a refused confirmation from the hook). */
export async function upgradeServer(session: Session, options: UpgradeOptions, hooks: UpgradeHooks): Promise<UpgradeResult> {
  const matrix = session.matrix.doc;
  const bin = matrix.cli.bin;
  // Flags first: a usage error costs no request.
  const to = options.to ? parseTarget(matrix, options.to) : null;
  const deployment = options.deployment ? parseDeploymentFlag(matrix, options.deployment) : null;
  requireServer(session); // no server configured: a usage error before any request
  const clock = options.clock ?? (() => performance.now());
  const signal = options.signal ?? new AbortController().signal;
  const probe = options.probe ?? ((s: AbortSignal) => probeServer(session, s));

  const before = (await probe(signal)).report;
  const base = { before, plan: null, hop: null, after: null, commands: [] as string[] };
  // The URL is quoted: a path may hold `;`, `&` or `$(…)`, and this line is meant to be pasted.
  const statusCheck = shellCommand([bin, 'server', 'status', '--server', before.server.url]);

  if (before.status === 'unreachable') {
    const groups = statusCommands(matrix, deployment);
    return {
      ...base,
      outcome: 'unreachable',
      message: before.message,
      remedy: groups.length
        ? `On the server host, check the server and start it (commands below${deployment ? '' : ', per deployment kind'}), then run ${bin} server upgrade again`
        : `On the server host, check that the server process runs and read its logs, then run ${bin} server upgrade again`,
      // Without a known kind, every kind's commands, each tagged with a shell comment naming its kind.
      commands: groups.flatMap((g) => (deployment ? g.commands : g.commands.map((c) => `${c}  # ${g.kinds.join(', ')}`))),
    };
  }
  if (UNCHECKED_STATUSES.has(before.status)) {
    return { ...base, outcome: 'unchecked', message: before.message, remedy: before.remedy };
  }

  const decision = planUpgrade({ matrix, report: before, to, deployment, now: (options.now ?? (() => new Date()))() });
  if (decision.kind === 'up_to_date') return { ...base, outcome: 'up_to_date', message: decision.message, remedy: decision.remedy };
  if (decision.kind === 'refused') {
    return {
      ...base,
      outcome: decision.reason === 'migration_failed' ? 'migration_failed' : 'refused',
      message: decision.message,
      remedy: decision.remedy,
      commands: decision.commands,
    };
  }

  const plan = decision.plan;
  hooks.plan?.(plan, before);
  if (options.dryRun) {
    return {
      ...base,
      plan,
      outcome: 'planned',
      message: `dry run: ${hopsPhrase(plan)}; nothing was polled`,
      remedy: shellCommand([bin, 'server', 'upgrade', ...(to ? ['--to', to] : []), ...(deployment ? ['--deployment', deployment] : [])]),
    };
  }
  if (!(await hooks.confirm(plan))) {
    return {
      ...base,
      plan,
      outcome: 'declined',
      message: 'upgrade cancelled: nothing was polled, and nothing was run',
      remedy: null,
    };
  }

  // The server is about to change under the cached handshake: the next command re-handshakes
  // instead of reporting the upgrade it just watched as drift.
  session.cache.markStale(requireServer(session).url);
  const deadline = clock() + options.waitMs;
  let after: StatusReport | null = null;
  for (const hop of plan.hops) {
    hooks.hopStart?.(hop, plan);
    let end: TerminalPollEvent | undefined;
    for await (const event of pollServer({
      probe,
      reached: (r) => hopReached(hop.done_when, r),
      intervalMs: options.intervalMs,
      deadline,
      signal,
      clock,
      sleep: options.sleep,
    })) {
      hooks.pollEvent?.(event, hop, plan);
      if (event.type === 'seen') after = event.report;
      else end = event;
    }
    if (!end) throw new Error('the poll ended without a terminal event');
    const common = { ...base, plan, hop: hop.number };
    switch (end.type) {
      case 'done':
        after = end.report;
        continue;
      case 'migration_failed':
        return {
          ...common,
          after: end.report,
          outcome: 'migration_failed',
          message: `the server reports a failed migration during hop ${hop.number}/${plan.hops.length} (${hop.from} → ${hop.to}): ${end.state.summary}`,
          remedy: hop.restore.length
            ? `Restore ${hop.backup_file}, taken before this hop, with the commands below; then run ${statusCheck}`
            : `Restore ${hop.backup_file}, taken before this hop, then run ${statusCheck}`,
          commands: hop.restore,
        };
      case 'cli_rejected':
        return {
          ...common,
          after: end.report,
          outcome: 'cli_rejected',
          message: `the server now refuses this CLI: ${end.report.message}`,
          remedy: end.report.remedy,
        };
      case 'timeout':
        return {
          ...common,
          after: end.last,
          outcome: 'timeout',
          message: `the server did not reach ${goalPhrase(hop)} within the --wait of ${formatSeconds(options.waitMs)}; last seen: ${end.state?.summary ?? 'nothing'}`,
          remedy: `Check the server host; the upgrade may still be running: ${statusCheck}`,
        };
      case 'interrupted':
        return {
          ...common,
          after: end.last,
          outcome: 'interrupted',
          message: `interrupted while waiting for hop ${hop.number}/${plan.hops.length} (${hop.to}): the upgrade may still be running on the server`,
          remedy: `Check on it with: ${statusCheck}`,
        };
    }
  }
  const v = after?.server.version ?? plan.target;
  const rev = after?.server.schema_revision;
  return {
    ...base,
    plan,
    hop: plan.hops.length,
    after,
    outcome: 'upgraded',
    message: `server ${v}${rev ? ` (schema ${rev})` : ''} is up to date for CLI ${matrix.cli_version}`,
    remedy: null,
  };
}

function hopsPhrase(plan: UpgradePlan): string {
  return `${plan.from.version} → ${plan.target} in ${plan.hops.length} hop${plan.hops.length === 1 ? '' : 's'}`;
}

/** What a hop waits for, in words. */
export function goalPhrase(hop: Hop): string {
  const g = hop.done_when;
  const parts: string[] = [];
  if (g.min_version) parts.push(`${g.min_version} or newer`);
  if (g.beyond) parts.push(`newer than ${g.beyond}`);
  if (g.compatible) parts.push('a compatible verdict');
  parts.push('no pending migrations');
  return parts.join(', ');
}

/** `0.5 s`, `2 s`, `600 s`. */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
