import semver from 'semver';
import type { Observation } from '../handshake/observe.js';
import { type Hint, hint } from '../hint.js';
import type { Matrix, RevisionPlacement } from '../matrix/load.js';
import type { InstallMethod } from '../matrix/schema.js';
import { DEPLOYMENT_PATTERN } from '../matrix/schema.js';
import { cliInstallCommand, restoreCommands } from '../matrix/templates.js';
import { plainRelease, RANGE_OPTIONS } from '../matrix/versions.js';
import { DEV_VERSION, type MigrationProgress, type PendingMigration, type VersionDocument } from '../protocol/version-document.js';
import { plural, shortList } from '../text.js';
import { redactUrl, suggestBase } from '../url.js';
import { type FeatureFinding, type FeatureNeeds, featureFindings, featureHint, needsText } from './features.js';

/** Every status a check can end in (docs/verdicts.md). */
export const STATUSES = [
  'compatible',
  'cli_outdated',
  'cli_too_new',
  'server_outdated',
  'schema_behind',
  'schema_ahead',
  'migration_running',
  'migration_failed',
  'feature_unavailable',
  'server_newer',
  'schema_unknown',
  'dev_server',
  'unauthorized',
  'not_found',
  'invalid_response',
  'unreachable',
] as const;
export type Status = (typeof STATUSES)[number];
export type Severity = 'ok' | 'warn' | 'error';

export const SEVERITY: Readonly<Record<Status, Severity>> = {
  compatible: 'ok',
  cli_outdated: 'error',
  cli_too_new: 'error',
  server_outdated: 'error',
  schema_behind: 'error',
  schema_ahead: 'error',
  migration_running: 'error',
  migration_failed: 'error',
  feature_unavailable: 'error',
  server_newer: 'warn',
  schema_unknown: 'warn',
  dev_server: 'warn',
  unauthorized: 'error',
  not_found: 'error',
  invalid_response: 'error',
  unreachable: 'error',
};

/**
 * Statuses meaning the server could not be checked (exit 4), as opposed to checked and found
 * incompatible (3). A server in the middle of its migrations is one: ask again when it is done.
 */
export const UNCHECKED_STATUSES: ReadonlySet<Status> = new Set([
  'migration_running',
  'unauthorized',
  'not_found',
  'invalid_response',
  'unreachable',
]);

export interface Verdict {
  status: Status;
  severity: Severity;
  /** One line naming both versions where known. */
  message: string;
  /**
   * The exact command (or, where none exists, the step) that fixes it, as data; null when nothing is to be
   * done. `src/render/` says it in the host CLI's words (`remedyFor(verdict, context)`).
   */
  hint: Hint | null;
  /** For `feature_unavailable`: the feature the server lacks and what it needs. */
  feature?: FeatureNeeds;
}

/** Features a command needs (docs/matrix.md "Features"), and the command, for messages. */
export interface FeatureNeed {
  features: readonly string[];
  /** The command as the user typed it (`acme projects retention`); null says "this request". */
  command?: string | null;
}

export interface CliContext {
  version: string;
  installMethod: InstallMethod;
  /** The environment-variable prefix users set (`HANDSHAKE` → `HANDSHAKE_TOKEN`). */
  envPrefix?: string;
}

/**
 * What the judge found, one finding per question, each read by whoever needs it (doctor's Server
 * health rows, `server status`, the passive check, the upgrade decision). The verdict is the first
 * finding that blocks the user, in the order {@link judge} documents.
 */
export interface Findings {
  /** Does the server accept this CLI? (`min_cli_version` / `max_cli_version`, or a 426.) */
  cli: {
    status: 'ok' | 'cli_outdated' | 'cli_too_new';
    min: string | null;
    max: string | null;
    /** The server's `recommended_cli_version` when it lies inside the server's own window, else null. */
    recommended: string | null;
  };
  /** Is the server inside this CLI's window? `version` is the comparable one (a declared flavour dropped). */
  server: {
    status: 'ok' | 'server_outdated' | 'server_newer' | 'dev';
    reported: string;
    version: string | null;
    range: string;
    /** Inside `supported_server_range`: this CLI covers the release, so its chain should know the revision. */
    covered: boolean;
  };
  /** The database's revision against this CLI's chain and window. */
  schema: {
    revision: string | null;
    placement: RevisionPlacement | null;
    /** The release that introduced the revision, when the chain says. */
    release: string | null;
    /** `predates`: not in the chain, on a release older than the chain's first (the chain continues below its first entry). */
    status: 'ok' | 'none' | 'unknown' | 'predates' | 'behind_min' | 'past_max';
  };
  /** The database against the server's own release (null when the chain names no releases or the server is dev). */
  release: {
    /** The last revision the server's release includes, or null when its release predates the chain. */
    head: string | null;
    /** Revisions the release includes that the database has not applied (its migrations never ran). */
    missing: string[];
    /** The database is at a revision a later release introduced (a rollback without a downgrade). */
    ahead: boolean;
  } | null;
  /** What the server says it has not applied, and which of that counts (its own release's, and what this CLI needs). */
  migrations: { pending: PendingMigration[]; counted: PendingMigration[] };
  /** The server's own migration runner. */
  runner: { status: 'idle' | 'running' | 'failed' | null; progress: MigrationProgress | null; background: number | null };
  /** Every feature the matrix declares, on this server (features.ts). */
  features: FeatureFinding[];
}

/** The verdict and, when the server answered with a version document, what was found. */
export interface Judgement {
  verdict: Verdict;
  findings: Findings | null;
}

/** Semver comparisons: prereleases order before their release and count as inside ranges (matrix/versions.ts). */
const RANGE_OPTS = RANGE_OPTIONS;

/** The verdict alone; its remedy is a hint, said by `remedyFor(verdict, { bin, envPrefix })` (src/render/remedy.ts). */
export function computeVerdict(matrix: Matrix, observation: Observation, cli: CliContext, need: FeatureNeed | null = null): Verdict {
  return judge(matrix, observation, cli, need).verdict;
}

type Make = (status: Status, message: string, remedy: Hint | null) => Verdict;

const make: Make = (status, message, h) => ({ status, severity: SEVERITY[status], message, hint: h });

/**
 * The one judge: a pure function of the matrix, what the server said and this CLI. The order, and why
 * (README "Verdict precedence"): a server mid-migration is judged on nothing else (its schema moves);
 * a failed run breaks the server whatever the CLI; a server that refuses this CLI blocks every command;
 * a server below this CLI's window; its database ahead of its own release or of this CLI; its database
 * behind this CLI or its own release; then the warnings (dev build, newer than this CLI knows, a
 * revision not in the chain).
 */
export function judge(matrix: Matrix, observation: Observation, cli: CliContext, need: FeatureNeed | null = null): Judgement {
  const install = (version: string) => hint.shell(cliInstallCommand(matrix.doc, cli.installMethod, version));
  if (observation.kind !== 'document') return { findings: null, verdict: answerVerdict(matrix, observation, cli, install) };
  const findings = find(matrix, observation.document, cli);
  const ctx: Decide = { matrix, d: observation.document, f: findings, cli, install, need, ...phrases(observation.document, findings) };
  for (const rule of PRECEDENCE) {
    const verdict = rule(ctx);
    if (verdict) return { findings, verdict };
  }
  return { findings, verdict: make('compatible', `CLI ${cli.version} and ${ctx.server}${ctx.schema} are compatible`, null) };
}

/** The verdict of an answer that is not a version document: a 426, a maintenance 503, a refusal, no endpoint, no answer. */
function answerVerdict(
  matrix: Matrix,
  o: Exclude<Observation, { kind: 'document' }>,
  cli: CliContext,
  install: (version: string) => Hint,
): Verdict {
  const doc = matrix.doc;
  switch (o.kind) {
    case 'cli_rejected':
      if (o.requiredVersion && inconsistentRejection(o.requiredVersion, cli.version)) {
        return make(
          'invalid_response',
          `the server refused CLI ${cli.version} (HTTP 426) yet requires ${o.requiredVersion} or newer, which this CLI is: the server's CLI check contradicts itself`,
          INCONSISTENT_REJECTION,
        );
      }
      return make(
        'cli_outdated',
        o.requiredVersion
          ? `the server requires CLI ${o.requiredVersion} or newer; this is CLI ${cli.version} (HTTP 426)`
          : `the server refused CLI ${cli.version} as too old (HTTP 426) without naming the version it requires`,
        install(o.requiredVersion ?? 'latest'),
      );
    case 'migrating':
      return make(
        'migration_running',
        `the server is applying its migrations (${progressText(o.progress)}); it answers HTTP 503 until they are done`,
        WAIT_FOR_RUN,
      );
    case 'unauthorized':
      return make(
        'unauthorized',
        `the server refused the request (HTTP ${o.httpStatus}): the token is missing, invalid or lacks access`,
        hint.variable('TOKEN', { secret: true }),
      );
    case 'not_found':
      return make(
        'not_found',
        `the server has no version endpoint (${o.url ?? doc.version_endpoint} answered HTTP ${o.httpStatus}): it predates version reporting, or the URL is wrong`,
        notFoundHint(o.url ? baseSuggestion(o.url, doc.version_endpoint) : null),
      );
    case 'invalid_response':
      return make(
        'invalid_response',
        o.reason,
        hint.text('Check that the URL is the server base URL, not a proxy or login page; then ask the server operator'),
      );
    case 'unreachable':
      return make('unreachable', o.reason, o.hint ?? (o.remedy ? hint.text(o.remedy) : null));
  }
}

/**
 * A 426 naming a version at or below this CLI's contradicts itself: the server's check, not this
 * CLI, is wrong, and installing the version it names would be a downgrade that cannot help.
 */
export function inconsistentRejection(required: string, cliVersion: string): boolean {
  return semver.valid(required) !== null && semver.valid(cliVersion) !== null && semver.lte(required, cliVersion);
}

/** What helps when a 426 contradicts itself: the operator, not another CLI. */
export const INCONSISTENT_REJECTION = hint.text(
  "Ask the server's operator to check its minimum CLI version (its HTTP 426 and the version it names disagree); installing another CLI will not help",
);

const WAIT_FOR_RUN = hint.steps(
  hint.text('Wait for the run to finish, then check again'),
  hint.run(['server', 'status'], { forServer: true }),
);

/** A base URL that already ends in the endpoint's prefix (`…/api` + `/api/v1/…`) doubles it: say the base to use; else the
 * server predates the endpoint: the command that upgrades it (docs/commands.md). */
function notFoundHint(base: string | null): Hint {
  return base
    ? hint.steps(
        hint.text("The URL repeats the endpoint's path: use the server's base URL"),
        hint.run(['compat', 'check'], { args: [{ flag: 'server', value: base }] }),
      )
    : hint.run(['server', 'upgrade'], { forServer: true });
}

/** Every finding about a version document (pure). */
export function find(matrix: Matrix, d: VersionDocument, cli: CliContext): Findings {
  const doc = matrix.doc;
  const dev = d.server_version === DEV_VERSION;
  const version = dev ? null : matrix.serverVersion(d.server_version);
  const cliStatus =
    d.min_cli_version && semver.lt(cli.version, d.min_cli_version)
      ? 'cli_outdated'
      : d.max_cli_version && semver.gt(cli.version, d.max_cli_version)
        ? 'cli_too_new'
        : 'ok';
  const covered = version !== null && semver.satisfies(version, doc.supported_server_range, RANGE_OPTS);
  const serverStatus = dev
    ? 'dev'
    : version && (semver.lt(version, doc.min_server_version) || semver.ltr(version, doc.supported_server_range, RANGE_OPTS))
      ? 'server_outdated'
      : covered
        ? 'ok'
        : 'server_newer';

  const rev = d.schema_revision;
  const placement = rev ? matrix.placeRevision(rev) : null;
  const index = placement?.known ? placement.index : -1;
  const maxIndex = doc.max_schema_revision ? matrix.revisionIndex(doc.max_schema_revision) : -1;
  const schemaStatus: Findings['schema']['status'] = !placement
    ? 'none'
    : !placement.known
      ? 'unknown'
      : placement.relation === 'before'
        ? 'behind_min'
        : maxIndex >= 0 && index > maxIndex
          ? 'past_max'
          : 'ok';

  // A prerelease ships its release's migrations: 1.4.0-rc.1 includes what 1.4.0 introduced.
  const release = version ? plainRelease(version) : null;
  const head = release ? matrix.releaseHead(release) : null;
  const ownRelease =
    head === null || release === null
      ? null
      : {
          head: head >= 0 ? (doc.schema_chain[head]?.revision ?? null) : null,
          missing: index >= 0 ? missingOf(matrix, release, index, head) : [],
          ahead: index >= 0 && index > head && aheadOf(matrix.releaseOf(index), release),
        };

  // The server's own pending migrations always count, except one the chain places in a later release
  // than it runs (a server that lists every file it ships); and whatever this CLI needs counts.
  const minIndex = matrix.revisionIndex(doc.min_schema_revision);
  const counted = d.pending_migrations.filter((m) => {
    const i = matrix.revisionIndex(m.revision);
    if (i >= 0 && i <= minIndex) return true;
    if (i >= 0 && matrix.unreleased(i)) return false;
    if (i < 0 || release === null) return !dev;
    return !aheadOf(matrix.releaseOf(i), release);
  });

  // Without a baseline the chain continues below its first entry: an unknown revision on a release older than the
  // chain's first one predates the chain, it has not diverged.
  const schema: Findings['schema'] = {
    revision: rev,
    placement,
    release: index >= 0 ? matrix.releaseOf(index) : null,
    status: schemaStatus === 'unknown' && ownRelease && ownRelease.head === null ? 'predates' : schemaStatus,
  };
  return {
    features: featureFindings(matrix, d, { version, newer: serverStatus === 'server_newer' }),
    cli: { status: cliStatus, min: d.min_cli_version, max: d.max_cli_version, recommended: recommendedCli(d) },
    server: { status: serverStatus, reported: d.server_version, version, range: doc.supported_server_range, covered },
    schema,
    release: ownRelease,
    migrations: { pending: d.pending_migrations, counted },
    runner: { status: d.migration_status, progress: d.migration_progress, background: d.background_migrations_pending },
  };
}

/** The recommended CLI, when the server's own window accepts it. */
function recommendedCli(d: VersionDocument): string | null {
  const rec = d.recommended_cli_version;
  if (!rec) return null;
  const aboveMin = !d.min_cli_version || semver.gte(rec, d.min_cli_version);
  const belowMax = !d.max_cli_version || semver.lte(rec, d.max_cli_version);
  return aboveMin && belowMax ? rec : null;
}

/** Revisions after `index` up to the release head that the release includes (a database with no revision lacks them all). */
function missingOf(matrix: Matrix, version: string, index: number, head: number): string[] {
  const out: string[] = [];
  for (let i = index + 1; i <= head; i++) {
    const r = matrix.releaseOf(i);
    if (matrix.unreleased(i)) continue;
    if (r === null || semver.lte(r, version)) out.push(matrix.doc.schema_chain[i]?.revision ?? '');
  }
  return out;
}

/** The base a doubled prefix suggests (`http://h/api/api/v1/config/version` → `http://h/`), or null. */
function baseSuggestion(requested: string, endpoint: string): string | null {
  let url: URL;
  try {
    url = new URL(requested);
  } catch {
    return null;
  }
  if (!url.pathname.endsWith(endpoint)) return null;
  url.pathname = url.pathname.slice(0, -endpoint.length) || '/';
  const fixed = suggestBase(url, endpoint);
  return fixed ? redactUrl(fixed) : null;
}

function aheadOf(release: string | null, version: string): boolean {
  return release !== null && semver.gt(release, version);
}

/** A migration run's progress in words (`1 of 3 applied, now 0005_…`): the judge's messages and the poll's lines. */
export function progressText(p: MigrationProgress | null | undefined): string {
  if (!p) return 'progress not reported';
  return `${p.applied} of ${p.total} applied${p.current ? `, now ${p.current}` : ''}`;
}

/** What every rule reads: the document, the findings, and the phrases messages share. */
interface Decide {
  matrix: Matrix;
  d: VersionDocument;
  f: Findings;
  cli: CliContext;
  install: (version: string) => Hint;
  /** The features asked for (a command's, or `compat check --feature`), or null. */
  need: FeatureNeed | null;
  /** `server 1.4.2` or `server dev`. */
  server: string;
  /** ` (schema 0004_…)` or empty. */
  schema: string;
}

function phrases(d: VersionDocument, f: Findings): Pick<Decide, 'server' | 'schema'> {
  return {
    server: f.server.status === 'dev' ? 'server dev' : `server ${d.server_version}`,
    schema: d.schema_revision ? ` (schema ${d.schema_revision})` : '',
  };
}

type Rule = (c: Decide) => Verdict | null;

const UPGRADE_SERVER = hint.run(['server', 'upgrade'], { forServer: true });

const runnerRunning: Rule = ({ f, server, schema }) =>
  f.runner.status === 'running'
    ? make('migration_running', `${server}${schema} is applying its migrations (${progressText(f.runner.progress)})`, WAIT_FOR_RUN)
    : null;

const runnerFailed: Rule = ({ matrix, d, f, server, schema }) => {
  if (f.runner.status !== 'failed') return null;
  const kind = d.deployment && DEPLOYMENT_PATTERN.test(d.deployment) ? d.deployment : null;
  const restore = restoreCommands(matrix.doc, kind);
  return make(
    'migration_failed',
    `${server}${schema} reports that its last migration run failed`,
    hint.steps(
      hint.text('Restore the backup taken before the run (the server logs name the migration that failed), then upgrade again'),
      ...restore.map((c) => hint.shell(c)),
    ),
  );
};

const cliWindow: Rule = ({ d, f, cli, install, server }) => {
  if (f.cli.status === 'cli_outdated' && d.min_cli_version) {
    return make(
      'cli_outdated',
      `CLI ${cli.version} is older than ${server} accepts (min_cli_version ${d.min_cli_version})`,
      install(f.cli.recommended ?? d.min_cli_version),
    );
  }
  if (f.cli.status === 'cli_too_new' && d.max_cli_version) {
    return make(
      'cli_too_new',
      `CLI ${cli.version} is newer than ${server} accepts (max_cli_version ${d.max_cli_version})`,
      install(d.max_cli_version),
    );
  }
  return null;
};

const serverOutdated: Rule = ({ matrix, f, cli, server, schema }) =>
  f.server.status === 'server_outdated'
    ? make(
        'server_outdated',
        `${server}${schema} is older than CLI ${cli.version} supports (min_server_version ${matrix.doc.min_server_version})`,
        UPGRADE_SERVER,
      )
    : null;

const schemaAhead: Rule = ({ matrix, d, f, cli, install, server }) => {
  if (f.release?.ahead) {
    return make(
      'schema_ahead',
      `${server} runs on schema ${d.schema_revision}, which release ${f.schema.release} introduced: the database is newer than its code (rolled back without a downgrade?)`,
      hint.steps(
        hint.text(`Run release ${f.schema.release} or newer again, or restore the backup taken before its upgrade:`),
        hint.run(['server', 'upgrade'], { forServer: true, args: [{ flag: 'to', value: f.schema.release ?? '' }] }),
      ),
    );
  }
  if (f.schema.status !== 'past_max') return null;
  return make(
    'schema_ahead',
    `${server} schema ${d.schema_revision} is past ${matrix.doc.max_schema_revision}, the newest revision CLI ${cli.version} works with (a later migration removed or changed what it uses)`,
    install(d.recommended_cli_version ?? 'latest'),
  );
};

const schemaBehind: Rule = ({ matrix, d, f, cli, server, schema }) => {
  if (f.schema.status === 'predates') {
    return make(
      'schema_behind',
      `${server} schema ${d.schema_revision} predates CLI ${cli.version}'s chain (release ${d.server_version} is older than its first release); it needs ${matrix.doc.min_schema_revision}`,
      UPGRADE_SERVER,
    );
  }
  if (f.schema.status === 'behind_min' && f.schema.placement?.known) {
    const behind = plural(-f.schema.placement.distance, 'revision');
    return make(
      'schema_behind',
      `${server} schema ${d.schema_revision} is ${behind} behind ${matrix.doc.min_schema_revision}, which CLI ${cli.version} needs`,
      UPGRADE_SERVER,
    );
  }
  const missing = f.release?.missing ?? [];
  if (missing.length > 0) {
    return make(
      'schema_behind',
      `${server}${schema} has not applied ${plural(missing.length, 'migration')} of its own release (${shortList(missing)}): its migrations never ran`,
      UPGRADE_SERVER,
    );
  }
  const pending = f.migrations.counted.map((m) => m.revision);
  if (pending.length === 0) return null;
  return make(
    'schema_behind',
    `${server}${schema} has ${plural(pending.length, 'pending migration')} (${shortList(pending)})`,
    UPGRADE_SERVER,
  );
};

const warnings: Rule = ({ matrix, d, f, cli, install, server, schema }) => {
  const doc = matrix.doc;
  if (f.server.status === 'dev') {
    return make('dev_server', `${server}${schema} is an unversioned development build; CLI ${cli.version} cannot check its version`, null);
  }
  if (f.server.status === 'server_newer') {
    return make(
      'server_newer',
      `${server}${schema} is newer than CLI ${cli.version} knows (it supports ${doc.supported_server_range})`,
      install(d.recommended_cli_version ?? 'latest'),
    );
  }
  if (f.schema.status !== 'unknown') return null;
  // The release is one this CLI covers, so its chain should know the revision: the schema diverged
  // (a hand-made hotfix) or was never stamped. A newer CLI cannot help; a person must look.
  return make(
    'schema_unknown',
    `${server} schema ${d.schema_revision} is not in CLI ${cli.version}'s chain, though the chain covers release ${d.server_version}: the schema diverged or was never stamped`,
    hint.say(
      "Compare the database's migration history with the release's migrations ({0} lists the chain); stamp or repair the revision before upgrading",
      hint.run(['compat', 'show']),
    ),
  );
};

/** The first feature asked for that the server lacks, as a verdict; null when it has them all. */
function missingFeature(need: FeatureNeed | null, f: Findings, server: string, schema: string): Verdict | null {
  if (!need) return null;
  const missing = need.features.map((n) => f.features.find((x) => x.name === n)).find((x) => x !== undefined && !x.available);
  if (!missing) return null;
  const what = need.command
    ? `${need.command} needs feature ${missing.name} (${needsText(missing.needs)})`
    : `feature ${missing.name} needs ${needsText(missing.needs)}`;
  return {
    ...make('feature_unavailable', `${what}; ${server}${schema} lacks it: ${missing.reason}`, featureHint(missing, f.server.version)),
    feature: missing.needs,
  };
}

const features: Rule = ({ need, f, server, schema }) => missingFeature(need, f, server, schema);

/** The precedence, first that applies wins (README "Verdicts", docs/verdicts.md say why each comes where it does). */
const PRECEDENCE: readonly Rule[] = [runnerRunning, runnerFailed, cliWindow, serverOutdated, schemaAhead, schemaBehind, features, warnings];

/**
 * The gate before a command that needs features sends its own request: null when it may go; else the verdict that
 * ends it. A server that lacks a feature ends it with `feature_unavailable` whatever else is wrong (its request must
 * not reach a server without what it needs); one that could not be checked, or is migrating, with that verdict.
 */
export function featureGate(matrix: Matrix, observation: Observation, cli: CliContext, need: FeatureNeed): Verdict | null {
  if (need.features.length === 0) return null;
  const { verdict, findings } = judge(matrix, observation, cli, need);
  if (!findings || verdict.status === 'migration_running') return verdict;
  if (observation.kind !== 'document') return verdict;
  const { server, schema } = phrases(observation.document, findings);
  return missingFeature(need, findings, server, schema);
}
