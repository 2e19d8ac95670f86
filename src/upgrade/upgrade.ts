import { envName } from '../env.js';
import { ErrorCode, isHandshakeError } from '../errors.js';
import { type Hint, hint } from '../hint.js';
import { buildReport, observeServer, remedyContext, requireServer, type Session, type StatusReport } from '../session/session.js';
import { formatSeconds, plural } from '../text.js';
import { UNCHECKED_STATUSES } from '../verdict/verdict.js';
import { ADMIN_TOKEN, adminToken, type MigrationStart, migrateEndpoint, type StartOptions, startServerMigration } from './admin.js';
import { parseDeploymentFlag, statusCommands } from './deployment.js';
import { hopReached } from './goal.js';
import { type Hop, parseTarget, planUpgrade, STATUS_HINT, type UpgradePlan, verdictHint } from './plan.js';
import { type PollEvent, type Probe, pollServer, type TerminalPollEvent } from './poll.js';

/**
 * `server upgrade` as an SDK function (docs/commands.md "Upgrading the server"), in four typed steps: parse the options, decide
 * from one handshake (a result at once, or a plan), confirm, then run the hops (after asking the
 * server to migrate itself, on the admin path). handshake runs nothing on the server host itself.
 * Everything a person sees goes through the hooks; remedies are hints, said for the checked server.
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
  /** No plan can help, or the server refused to migrate itself (exit 3). */
  | 'refused'
  /** The server reports a failed migration (exit 3). */
  | 'migration_failed'
  /** During the poll the server started refusing this CLI (exit 3). */
  | 'cli_rejected'
  /** `--wait` ran out (exit 4). */
  | 'timeout'
  /** SIGINT (130) or SIGTERM (143): the upgrade may still be running. */
  | 'interrupted';

/** The result of {@link upgradeServer}; `src/render/upgrade.ts` makes it the `server upgrade --json` document. */
export interface UpgradeResult {
  outcome: UpgradeOutcome;
  /** One line: what happened. */
  message: string;
  /** What to do next, or null, as data: said for the checked server (`before.remedies`) by `src/render/`. */
  hint: Hint | null;
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
  /** `--print-only`: print the commands even when the server could migrate itself. */
  printOnly?: boolean;
  /** Between polls, in ms. */
  intervalMs: number;
  /** For all hops together, in ms (`--wait`). */
  waitMs: number;
  /** SIGINT / SIGTERM. */
  signal?: AbortSignal;
  /** Milliseconds for deadlines (default `performance.now`). */
  clock?: () => number;
  /** Wall-clock time for dating backups (default `new Date()`). */
  now?: () => Date;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** One look at the server (default: the session's version endpoint). */
  probe?: (signal: AbortSignal) => Promise<Probe>;
  /** The admin POST (default: {@link startServerMigration}). */
  startMigration?: (opts: StartOptions) => Promise<MigrationStart>;
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

type Draft = UpgradeResult;

/** The options checked, and everything the later steps need. */
interface Parsed {
  session: Session;
  options: UpgradeOptions;
  to: string | null;
  deployment: string | null;
  clock: () => number;
  signal: AbortSignal;
  probe: (signal: AbortSignal) => Promise<Probe>;
  /** The host's variable prefix (`HANDSHAKE` → `HANDSHAKE_ADMIN_TOKEN`). */
  envPrefix: string;
  adminToken: string | null;
}

/** Runs `server upgrade`. Throws coded errors for usage problems (bad `--to`, `--deployment`, a refused confirmation from the hook). */
export async function upgradeServer(session: Session, options: UpgradeOptions, hooks: UpgradeHooks): Promise<UpgradeResult> {
  const parsed = parseUpgrade(session, options);
  let first: Probe | null = null;
  try {
    first = await parsed.probe(parsed.signal);
    const decision = decideUpgrade(parsed, first);
    if (decision.kind === 'result') return decision.draft;
    return await carryOut(parsed, decision, hooks);
  } catch (err) {
    // Ctrl-C or SIGTERM during the first look or at the prompt: the `interrupted` outcome all the same (docs/commands.md "Upgrading the server").
    if (!isHandshakeError(err, ErrorCode.Aborted)) throw err;
    return interruptedEarly(parsed, first);
  }
}

/** Interrupted before any hop: nothing was asked of the server; `before` is what the first look saw, if it finished. */
function interruptedEarly(parsed: Parsed, first: Probe | null): Draft {
  const observation = {
    kind: 'unreachable',
    reason: 'interrupted before the server answered',
    code: ErrorCode.Aborted,
    remedy: null,
    httpStatus: null,
  } as const;
  const before = first?.report ?? buildReport(parsed.session, requireServer(parsed.session).url, observation);
  return {
    before,
    plan: null,
    hop: null,
    after: null,
    commands: [],
    outcome: 'interrupted',
    message: first
      ? 'interrupted before the upgrade started: nothing was run or asked of the server'
      : 'interrupted during the first look at the server',
    hint: hint.steps(hint.text('Check on it with'), STATUS_HINT),
  };
}

/** Flags first: a usage error costs no request. */
function parseUpgrade(session: Session, options: UpgradeOptions): Parsed {
  const matrix = session.matrix.doc;
  const to = options.to ? parseTarget(matrix, options.to) : null;
  const deployment = options.deployment ? parseDeploymentFlag(matrix, options.deployment) : null;
  requireServer(session); // no server configured: a usage error before any request
  const { envPrefix } = remedyContext(session);
  return {
    session,
    options,
    to,
    deployment,
    clock: options.clock ?? (() => performance.now()),
    signal: options.signal ?? new AbortController().signal,
    probe: options.probe ?? ((s: AbortSignal) => probeServer(session, s)),
    envPrefix,
    adminToken: adminToken(session.env, envPrefix),
  };
}

type Decision = { kind: 'result'; draft: Draft } | { kind: 'plan'; plan: UpgradePlan; before: StatusReport; endpoint: URL | null };

/** From the first look: a result at once (unreachable, unchecked, up to date, refused) or a plan. */
function decideUpgrade(parsed: Parsed, first: Probe): Decision {
  const before = first.report;
  const base = { before, plan: null, hop: null, after: null, commands: [] as string[] };
  if (before.status === 'unreachable') return { kind: 'result', draft: { ...base, ...unreachable(parsed, before.message) } };
  if (UNCHECKED_STATUSES.has(before.status)) {
    return { kind: 'result', draft: { ...base, outcome: 'unchecked', message: before.message, hint: verdictHint(before) } };
  }
  const migrate = serverMigrate(parsed, first);
  const decision = planUpgrade({
    matrix: parsed.session.matrix,
    report: before,
    to: parsed.to,
    deployment: parsed.deployment,
    now: (parsed.options.now ?? (() => new Date()))(),
    serverMigrate: migrate.use,
    rejected: migrate.rejected,
  });
  if (decision.kind === 'up_to_date') {
    return { kind: 'result', draft: { ...base, outcome: 'up_to_date', message: decision.message, hint: decision.hint } };
  }
  if (decision.kind === 'refused') {
    const outcome = decision.reason === 'migration_failed' ? 'migration_failed' : 'refused';
    return { kind: 'result', draft: { ...base, outcome, message: decision.message, hint: decision.hint, commands: decision.commands } };
  }
  const plan = decision.plan;
  if (migrate.note && !plan.server_migration) plan.notes.push(migrate.note);
  return { kind: 'plan', plan, before, endpoint: plan.server_migration ? migrate.url : null };
}

function unreachable(parsed: Parsed, message: string): Pick<Draft, 'outcome' | 'message' | 'hint' | 'commands'> {
  const groups = statusCommands(parsed.session.matrix.doc, parsed.deployment);
  const again = hint.run(['server', 'upgrade'], { forServer: true });
  const what = groups.length
    ? `On the server host, check the server and start it (commands below${parsed.deployment ? '' : ', per deployment kind'}), then run again`
    : 'On the server host, check that the server process runs and read its logs, then run again';
  return {
    outcome: 'unreachable',
    message,
    hint: hint.steps(hint.text(what), again),
    // Without a known kind, every kind's commands, each tagged with a shell comment naming its kind.
    commands: groups.flatMap((g) => (parsed.deployment ? g.commands : g.commands.map((c) => `${c}  # ${g.kinds.join(', ')}`))),
  };
}

/** May the server migrate itself? A valid capability, the admin token set, and no print-only. */
function serverMigrate(parsed: Parsed, first: Probe) {
  const capability = first.observation.kind === 'document' ? first.observation.document.capabilities.migrate : null;
  const endpoint = migrateEndpoint(requireServer(parsed.session).url, capability);
  const none = { use: null, url: null, rejected: [], note: null };
  if (endpoint.kind === 'none') return none;
  if (endpoint.kind === 'rejected') return { ...none, rejected: [endpoint.rejected] };
  if (parsed.options.printOnly) return { ...none, url: endpoint.url };
  if (!parsed.adminToken) {
    const variable = envName(parsed.envPrefix, ADMIN_TOKEN);
    return {
      ...none,
      note: `the server can apply its own pending migrations on request: with ${variable} set it does so, instead of these commands`,
    };
  }
  return { use: { endpoint: endpoint.path }, url: endpoint.url, rejected: [], note: null };
}

/** After the plan: dry run, confirmation, the admin request, then the hops. */
async function carryOut(parsed: Parsed, d: Extract<Decision, { kind: 'plan' }>, hooks: UpgradeHooks): Promise<Draft> {
  const { plan, before } = d;
  const base = { before, plan, hop: null, after: null, commands: [] as string[] };
  hooks.plan?.(plan, before);
  if (parsed.options.dryRun) {
    const args = [
      ...(parsed.to ? [{ flag: 'to' as const, value: parsed.to }] : []),
      ...(parsed.deployment ? [{ flag: 'deployment' as const, value: parsed.deployment }] : []),
    ];
    return {
      ...base,
      outcome: 'planned',
      message: `dry run: ${hopsPhrase(plan)}; nothing was polled`,
      hint: hint.run(['server', 'upgrade'], { forServer: true, args }),
    };
  }
  if (!(await hooks.confirm(plan))) {
    return { ...base, outcome: 'declined', message: 'upgrade cancelled: nothing was polled, and nothing was run', hint: null };
  }
  // The server is about to change under the cached handshake: the next command re-handshakes
  // instead of reporting the upgrade it just watched as drift.
  parsed.session.cache.markStale(requireServer(parsed.session).url);
  if (plan.server_migration && d.endpoint) {
    const started = await askServer(parsed, plan, d.endpoint);
    if (started.kind === 'interrupted') return { ...base, ...interrupted(plan, 1, 'while asking the server to start its migrations') };
    if (started.kind === 'refused') return { ...base, outcome: 'refused', message: started.message, hint: started.hint };
    if (started.kind === 'unanswered') return { ...base, outcome: 'unreachable', message: started.message, hint: started.hint };
  }
  return runHops(parsed, plan, before, hooks);
}

function askServer(parsed: Parsed, plan: UpgradePlan, endpoint: URL): Promise<MigrationStart> {
  const start = parsed.options.startMigration ?? startServerMigration;
  return start({
    url: endpoint,
    token: parsed.adminToken ?? '',
    targetRevision: plan.server_migration?.target_revision ?? '',
    headers: parsed.session.headers,
    timeoutMs: parsed.session.timeoutMs,
    signal: parsed.signal,
    env: parsed.session.env,
  });
}

/** Polls each hop in turn until its goal, a failed migration, a CLI refused, `--wait` or a signal. */
async function runHops(parsed: Parsed, plan: UpgradePlan, before: StatusReport, hooks: UpgradeHooks): Promise<Draft> {
  const deadline = parsed.clock() + parsed.options.waitMs;
  let after: StatusReport | null = null;
  for (const hop of plan.hops) {
    hooks.hopStart?.(hop, plan);
    const end = await pollHop(parsed, plan, hop, deadline, hooks, (r) => {
      after = r;
    });
    if (end.type === 'done') {
      after = end.report;
      continue;
    }
    return { before, plan, hop: hop.number, ...ending(parsed, plan, hop, end) };
  }
  const last = after as StatusReport | null;
  const v = last?.server.version ?? plan.target;
  const rev = last?.server.schema_revision;
  return {
    before,
    plan,
    hop: plan.hops.length,
    after: last,
    commands: [],
    outcome: 'upgraded',
    message: `server ${v}${rev ? ` (schema ${rev})` : ''} is up to date for CLI ${parsed.session.matrix.doc.cli_version}`,
    hint: null,
  };
}

async function pollHop(
  parsed: Parsed,
  plan: UpgradePlan,
  hop: Hop,
  deadline: number,
  hooks: UpgradeHooks,
  seen: (r: StatusReport) => void,
): Promise<TerminalPollEvent> {
  const matrix = parsed.session.matrix;
  for await (const event of pollServer({
    probe: parsed.probe,
    reached: (r) => hopReached(matrix, hop.done_when, r),
    intervalMs: parsed.options.intervalMs,
    deadline,
    signal: parsed.signal,
    clock: parsed.clock,
    sleep: parsed.options.sleep,
  })) {
    hooks.pollEvent?.(event, hop, plan);
    if (event.type === 'seen') seen(event.report);
    else return event;
  }
  throw new Error('the poll ended without a terminal event');
}

/** How a hop that did not reach its goal ends the upgrade. */
function ending(parsed: Parsed, plan: UpgradePlan, hop: Hop, end: Exclude<TerminalPollEvent, { type: 'done' }>) {
  const of = `hop ${hop.number}/${plan.hops.length} (${hop.from} → ${hop.to})`;
  switch (end.type) {
    case 'migration_failed':
      return {
        after: end.report,
        outcome: 'migration_failed' as const,
        message: `the server reports a failed migration during ${of}: ${end.state.summary}`,
        hint: hint.steps(
          hint.text(
            hop.by === 'server'
              ? `Restore the backup the server took before its run${hop.restore.length ? ' with the commands below (BACKUP_FILE: the file the server logs name)' : ''}, then check it`
              : `Restore ${hop.backup_file}, taken before this hop${hop.restore.length ? ', with the commands below' : ''}; then check it`,
          ),
          STATUS_HINT,
        ),
        commands: hop.by === 'server' ? hop.restore.map((c) => c.replaceAll(hop.backup_file, 'BACKUP_FILE')) : hop.restore,
      };
    case 'cli_rejected':
      return {
        after: end.report,
        outcome: 'cli_rejected' as const,
        message: `the server now refuses this CLI: ${end.report.message}`,
        hint: verdictHint(end.report),
        commands: [],
      };
    case 'timeout':
      return {
        after: end.last,
        outcome: 'timeout' as const,
        message: `the server did not reach ${hop.to} (${of}) within the wait of ${formatSeconds(parsed.options.waitMs)}; last seen: ${end.state?.summary ?? 'nothing'}`,
        hint: hint.steps(hint.text('Check the server host; the upgrade may still be running'), STATUS_HINT),
        commands: [],
      };
    case 'interrupted':
      return { after: end.last, ...interrupted(plan, hop.number, `while waiting for ${of}`) };
  }
}

function interrupted(plan: UpgradePlan, hop: number, when: string) {
  return {
    outcome: 'interrupted' as const,
    hop,
    message: `interrupted ${when}: the upgrade may still be running on the server (${plan.from.version} → ${plan.target})`,
    hint: hint.steps(hint.text('Check on it with'), STATUS_HINT),
    commands: [] as string[],
  };
}

function hopsPhrase(plan: UpgradePlan): string {
  return `${plan.from.version} → ${plan.target} in ${plural(plan.hops.length, 'hop')}`;
}
