import semver from 'semver';
import { type HandshakeError, MatrixError } from '../errors.js';
import type { Hint, RemedyContext } from '../hint.js';
import type { Matrix } from '../matrix/load.js';
import { DEPLOYMENT_KINDS, type UpgradeStop } from '../matrix/schema.js';
import type { CompatReport, FeatureAvailability } from '../session/session.js';
import type { HttpResponse } from '../transport/request.js';
import { featureNeeds, featureRelease, featureSpecs, needsText } from '../verdict/features.js';
import type { Severity } from '../verdict/verdict.js';
import { errorMessage, OWN_WORDS, remedyFor, type Said, saidRemedy } from './remedy.js';
import { sanitize } from './sanitize.js';
import type { Style } from './style.js';

const SYMBOL: Record<Severity, string> = { ok: '✓', warn: '!', error: '✗' };

/** `label  value` rows with the labels padded to one width; every value sanitized. */
export function formatRows(rows: ReadonlyArray<readonly [string, string | null | undefined]>, style: Style, indent = '  '): string {
  const shown = rows.filter((r): r is readonly [string, string] => r[1] !== null && r[1] !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${indent}${style.dim(label.padEnd(width))}  ${sanitize(value)}`).join('\n');
}

/** The headline of a verdict: symbol, status, message. */
export function formatHeadline(report: { severity: Severity; status: string; message: string }, style: Style): string {
  const paint = report.severity === 'ok' ? style.green : report.severity === 'warn' ? style.yellow : style.red;
  const symbol = style.color ? SYMBOL[report.severity] : report.severity.toUpperCase();
  return `${paint(`${symbol} ${report.status}`)}  ${sanitize(report.message)}`;
}

/** An upgrade stop as `compat show` lists it: its version, and the targets it applies to when it is conditional. */
function upgradeStopText(stop: UpgradeStop): string {
  return stop.when_target ? `${sanitize(stop.version)} (when upgrading to ${sanitize(stop.when_target)})` : sanitize(stop.version);
}

/** One row per feature (`Feature retention  available`), of `only` when given, as `compat check` and `server status` show them. */
export function featureRows(features: FeatureAvailability | undefined, only?: readonly string[]): Array<readonly [string, string]> {
  return Object.entries(features ?? {})
    .filter(([name]) => only === undefined || only.includes(name))
    .map(([name, f]) => [`Feature ${name}`, f.available ? 'available' : `unavailable: ${f.reason ?? 'not available'}`] as const);
}

/** The `compat check --json` document (docs/commands.md): the verdict, its remedy said, and both sides. */
export interface CompatDocument extends Pick<CompatReport, 'status' | 'severity' | 'message' | 'cli' | 'server' | 'features' | 'feature'> {
  remedy: string | null;
}

/** The `compat check --json` document of a report: its hint said for the server it checked, the features when the matrix declares any. */
export function compatDocument(report: CompatReport): CompatDocument {
  const { status, severity, message, cli, server, features, feature } = report;
  const remedy = saidRemedy(report);
  return { status, severity, message, remedy, cli, server, ...(features ? { features } : {}), ...(feature ? { feature } : {}) };
}

/**
 * Human output of `compat check` (of a report, or of its document): the features asked for (`--feature`) get a
 * row each, and the one a `feature_unavailable` verdict names; `server status` lists them all.
 */
export function formatCompatReport(
  report: Pick<CompatReport, 'status' | 'severity' | 'message' | 'cli' | 'server' | 'features' | 'feature'> & Said,
  style: Style,
  features: readonly string[] = [],
): string {
  const shown = report.feature ? [...features, report.feature.name] : features;
  const s = report.server;
  const version = s.version ? `${s.version}${s.schema_revision ? ` (schema ${s.schema_revision})` : ''}` : null;
  return `${formatHeadline(report, style)}\n${formatRows(
    [
      ['Server', s.url],
      ['Server version', version],
      ['CLI version', report.cli.version],
      ...featureRows(report.features, shown),
      ['Fix', saidRemedy(report)],
    ],
    style,
  )}\n`;
}

/** Human output of an error: what happened, then the fix. */
export function formatError(
  err: Pick<HandshakeError, 'message' | 'remedy' | 'hint'> & { said?: Hint | null },
  style: Style,
  ctx?: RemedyContext,
): string {
  const remedy = remedyFor(err, ctx ?? OWN_WORDS);
  let out = `${style.red('Error:')} ${sanitize(errorMessage(err, ctx ?? OWN_WORDS))}\n`;
  if (err instanceof MatrixError && err.issues.length > 1) {
    out += `${err.issues.map((i) => `  - ${sanitize(i.path || '(root)')}: ${sanitize(i.message)}`).join('\n')}\n`;
  }
  if (remedy) out += `${style.dim('Fix:')}   ${sanitize(remedy)}\n`;
  return out;
}

/** A warning on stderr (the passive check's, a config file's): `bin: warning: message`, then the fix. */
export function formatWarning(bin: string, warning: { message: string; remedy: string | null }, style: Style): string {
  let text = `${style.yellow(`${bin}: warning:`)} ${sanitize(warning.message)}\n`;
  if (warning.remedy) text += `${style.dim('  Fix:')} ${sanitize(warning.remedy)}\n`;
  return text;
}

/** The JSON document of an error (docs/commands.md "JSON output"). */
export function errorDocument(err: HandshakeError, ctx?: RemedyContext) {
  const issues = err instanceof MatrixError ? { file: err.file, issues: err.issues } : {};
  return { error: { code: err.code, message: errorMessage(err, ctx ?? OWN_WORDS), remedy: remedyFor(err, ctx ?? OWN_WORDS), ...issues } };
}

/** `compat show`: the matrix as a readable block. */
export function formatMatrix(matrix: Matrix, style: Style): string {
  const d = matrix.doc;
  const minIndex = matrix.revisionIndex(d.min_schema_revision);
  const head = formatRows(
    [
      ['Matrix', matrix.source],
      ['CLI version', d.cli_version],
      ['Min server version', d.min_server_version],
      ['Supported servers', d.supported_server_range],
      ['Recommended server', d.recommended_server_version],
      ['Upgrade stops', d.upgrade_stops.length ? d.upgrade_stops.map(upgradeStopText).join(', ') : 'none'],
      ['Min schema revision', d.min_schema_revision],
      ['Version endpoint', d.version_endpoint],
    ],
    style,
    '',
  );
  const revWidth = Math.max(...d.schema_chain.map((r) => r.revision.length));
  const chain = d.schema_chain
    .map((r, i) => {
      const mark = i === minIndex ? style.bold('▸') : ' ';
      const version = (r.server_version ?? '').padEnd(8);
      return `  ${mark} ${sanitize(r.revision).padEnd(revWidth)}  ${version}  ${sanitize(r.description ?? '')}`.trimEnd();
    })
    .join('\n');
  const install = Object.entries(d.cli.install)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([method, tpl]) => [method, tpl] as const);
  const kinds = [
    ...DEPLOYMENT_KINDS.filter((k) => d.server.deployments[k]),
    ...Object.keys(d.server.deployments).filter((k) => !(DEPLOYMENT_KINDS as readonly string[]).includes(k)),
  ];
  return [
    head,
    '',
    style.bold('Schema chain (oldest first; ▸ = min_schema_revision)'),
    chain,
    '',
    ...featureTable(matrix, style),
    style.bold('CLI install commands'),
    formatRows(install, style),
    '',
    style.bold('Server deployments with upgrade templates'),
    `  ${kinds.length ? kinds.join(', ') : 'none'} (others use the generic steps)`,
    '',
  ].join('\n');
}

/**
 * `compat show`'s features × releases table: a column per release the matrix names (its chain's and its features'),
 * ✓ where that release has the feature, and the release that brought it with what it needs. Empty when the matrix
 * declares no features.
 */
function featureTable(matrix: Matrix, style: Style): string[] {
  const specs = Object.entries(featureSpecs(matrix));
  if (specs.length === 0) return [];
  const named = [...matrix.doc.schema_chain.map((r) => r.server_version), ...specs.map(([, spec]) => spec.min_server_version)].filter(
    (v): v is string => typeof v === 'string',
  );
  const releases = [...new Set(named)].sort(semver.compare);
  const nameWidth = Math.max('feature'.length, ...specs.map(([name]) => name.length));
  const cols = releases.map((r) => Math.max(r.length, 1));
  const header = `  ${'feature'.padEnd(nameWidth)}  ${releases.map((r, i) => r.padEnd(cols[i] ?? 1)).join('  ')}  brought by`;
  const rows = specs.map(([name, spec]) => {
    const brings = featureRelease(matrix, spec);
    const cells = releases.map((r, i) => (brings === null || semver.gte(r, brings) ? '✓' : '·').padEnd(cols[i] ?? 1));
    const needs = needsText(featureNeeds(name, spec));
    const by = brings ? `${brings} (${needs})` : `every release (${needs})`;
    return `  ${sanitize(name).padEnd(nameWidth)}  ${cells.join('  ')}  ${sanitize(by)}`;
  });
  return [
    style.bold('Features × releases (✓ = the release has it, unless the server switches its capability off)'),
    style.dim(header),
    ...rows,
    '',
  ];
}

/** `--include`: the status line and headers, as the server sent them (sanitized), then a blank line. */
export function formatHttpHead(res: Pick<HttpResponse, 'status' | 'headers'>): string {
  const lines = [`HTTP ${res.status}`];
  for (const [name, value] of Object.entries(res.headers)) {
    for (const v of Array.isArray(value) ? value : [value ?? '']) lines.push(`${sanitize(name)}: ${sanitize(v)}`);
  }
  return `${lines.join('\n')}\n\n`;
}
