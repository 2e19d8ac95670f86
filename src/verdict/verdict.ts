import semver from 'semver';
import type { Observation } from '../handshake/observe.js';
import type { Matrix } from '../matrix/load.js';
import type { InstallMethod } from '../matrix/schema.js';
import { cliInstallCommand } from '../matrix/templates.js';
import { DEV_VERSION, type VersionDocument } from '../protocol/version-document.js';

/** Every status a check can end in (CONTRACT §3). */
export const STATUSES = [
  'compatible',
  'cli_outdated',
  'cli_too_new',
  'server_outdated',
  'schema_behind',
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
  server_newer: 'warn',
  schema_unknown: 'warn',
  dev_server: 'warn',
  unauthorized: 'error',
  not_found: 'error',
  invalid_response: 'error',
  unreachable: 'error',
};

/** Statuses meaning the server could not be checked at all (exit 4), as opposed to checked and found incompatible. */
export const UNCHECKED_STATUSES: ReadonlySet<Status> = new Set(['unauthorized', 'not_found', 'invalid_response', 'unreachable']);

export interface Verdict {
  status: Status;
  severity: Severity;
  /** One line naming both versions where known. */
  message: string;
  /** The exact command (or, where none exists, the step) that fixes it; null when nothing is to be done. */
  remedy: string | null;
}

export interface CliContext {
  version: string;
  installMethod: InstallMethod;
  /** The environment-variable prefix users set (`HANDSHAKE` → `HANDSHAKE_TOKEN`). */
  envPrefix?: string;
}

/** Semver comparisons: prereleases order before their release (1.4.0-rc.1 < 1.4.0) and count as inside ranges. */
const RANGE_OPTS = { includePrerelease: true } as const;

/**
 * The verdict engine: a pure function of the matrix, what the server said
 * and this CLI. Exactly one status; when several apply, the one that blocks
 * the user first wins (the server refusing this CLI, then the server being
 * too old, then its schema, then the warnings).
 */
export function computeVerdict(matrix: Matrix, observation: Observation, cli: CliContext): Verdict {
  const doc = matrix.doc;
  const bin = doc.cli.bin;
  const envPrefix = cli.envPrefix ?? bin.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  const install = (version: string) => cliInstallCommand(doc, cli.installMethod, version);
  const make = (status: Status, message: string, remedy: string | null): Verdict => ({
    status,
    severity: SEVERITY[status],
    message,
    remedy,
  });

  switch (observation.kind) {
    case 'cli_rejected': {
      const required = observation.requiredVersion;
      return make(
        'cli_outdated',
        required
          ? `the server requires CLI ${required} or newer; this is CLI ${cli.version} (HTTP 426)`
          : `the server refused CLI ${cli.version} as too old (HTTP 426) without naming the version it requires`,
        install(required ?? 'latest'),
      );
    }
    case 'unauthorized':
      return make(
        'unauthorized',
        `the server refused the request (HTTP ${observation.httpStatus}): the token is missing, invalid or lacks access`,
        `read -rs ${envPrefix}_TOKEN && export ${envPrefix}_TOKEN  # then paste a valid token`,
      );
    case 'not_found':
      return make(
        'not_found',
        `the server has no version endpoint (${doc.version_endpoint} answered HTTP ${observation.httpStatus}): it predates version reporting, or the URL is wrong`,
        `Check the URL; if it is right, upgrade the server to ${doc.recommended_server_version} (${bin} compat show lists the supported versions)`,
      );
    case 'invalid_response':
      return make(
        'invalid_response',
        observation.reason,
        'Check that the URL is the server base URL, not a proxy or login page; then ask the server operator',
      );
    case 'unreachable':
      return make('unreachable', observation.reason, observation.remedy);
    case 'document':
      return documentVerdict(matrix, observation.document, cli, install, make);
  }
}

function documentVerdict(
  matrix: Matrix,
  d: VersionDocument,
  cli: CliContext,
  install: (version: string) => string,
  make: (status: Status, message: string, remedy: string | null) => Verdict,
): Verdict {
  const doc = matrix.doc;
  const upgradeServer = `${doc.cli.bin} server upgrade`;
  const dev = d.server_version === DEV_VERSION;
  const server = dev ? 'server dev' : `server ${d.server_version}`;
  const schema = d.schema_revision ? ` (schema ${d.schema_revision})` : '';
  const latestCli = d.recommended_cli_version ?? 'latest';

  if (d.min_cli_version && semver.lt(cli.version, d.min_cli_version)) {
    const target =
      d.recommended_cli_version &&
      semver.gte(d.recommended_cli_version, d.min_cli_version) &&
      (!d.max_cli_version || semver.lte(d.recommended_cli_version, d.max_cli_version))
        ? d.recommended_cli_version
        : d.min_cli_version;
    return make(
      'cli_outdated',
      `CLI ${cli.version} is older than ${server} accepts (min_cli_version ${d.min_cli_version})`,
      install(target),
    );
  }
  if (d.max_cli_version && semver.gt(cli.version, d.max_cli_version)) {
    return make(
      'cli_too_new',
      `CLI ${cli.version} is newer than ${server} accepts (max_cli_version ${d.max_cli_version})`,
      install(d.max_cli_version),
    );
  }
  const serverVersion = dev ? null : d.server_version;
  if (
    serverVersion &&
    (semver.lt(serverVersion, doc.min_server_version) || semver.ltr(serverVersion, doc.supported_server_range, RANGE_OPTS))
  ) {
    return make(
      'server_outdated',
      `${server}${schema} is older than CLI ${cli.version} supports (min_server_version ${doc.min_server_version})`,
      upgradeServer,
    );
  }

  const placement = d.schema_revision ? matrix.placeRevision(d.schema_revision) : null;
  if (placement?.known && placement.relation === 'before') {
    const behind = -placement.distance;
    return make(
      'schema_behind',
      `${server} schema ${d.schema_revision} is ${behind} revision${behind === 1 ? '' : 's'} behind ${doc.min_schema_revision}, which CLI ${cli.version} needs`,
      upgradeServer,
    );
  }
  const minIndex = matrix.revisionIndex(doc.min_schema_revision);
  const needed = d.pending_migrations.filter((m) => {
    const i = matrix.revisionIndex(m.revision);
    return i >= 0 && i <= minIndex;
  });
  if (needed.length > 0) {
    return make(
      'schema_behind',
      `${server}${schema} has ${needed.length} pending migration${needed.length === 1 ? '' : 's'} that CLI ${cli.version} needs (${needed.map((m) => m.revision).join(', ')})`,
      upgradeServer,
    );
  }
  if (dev) {
    return make('dev_server', `${server}${schema} is an unversioned development build; CLI ${cli.version} cannot check its version`, null);
  }
  if (serverVersion && !semver.satisfies(serverVersion, doc.supported_server_range, RANGE_OPTS)) {
    return make(
      'server_newer',
      `${server}${schema} is newer than CLI ${cli.version} knows (it supports ${doc.supported_server_range})`,
      install(latestCli),
    );
  }
  if (placement && !placement.known) {
    return make(
      'schema_unknown',
      `${server} schema ${d.schema_revision} is not in CLI ${cli.version}'s chain (the server is ahead of this CLI, or its schema diverged)`,
      install(latestCli),
    );
  }
  return make('compatible', `CLI ${cli.version} and ${server}${schema} are compatible`, null);
}
