import { type Config, currentServer, namedServers } from '../config/config.js';
import type { FleetReport } from '../session/fleet.js';
import { redactUrl } from '../url.js';
import { saidRemedy } from './remedy.js';
import { type CompatDocument, compatDocument, formatHeadline } from './report.js';
import { sanitize } from './sanitize.js';
import type { Style } from './style.js';

/** `server list --json`: never a token, only whether one is set. */
export interface ServerListDocument {
  config_file: string;
  current: string | null;
  servers: Array<{ name: string; url: string; token: 'set' | 'not set'; current: boolean }>;
}

export function serverList(config: Config, file: string): ServerListDocument {
  const current = currentServer(config) ?? null;
  return {
    config_file: file,
    current,
    servers: Object.entries(namedServers(config))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, s]) => ({ name, url: redactUrl(s.url), token: s.token ? 'set' : 'not set', current: name === current })),
  };
}

/** A table of the configured servers, the current one marked with `*`. */
export function formatServerList(doc: ServerListDocument, style: Style): string {
  if (doc.servers.length === 0) return `No servers configured (${sanitize(doc.config_file)}).\n`;
  const width = Math.max(...doc.servers.map((s) => s.name.length));
  const rows = doc.servers.map(
    (s) => `${s.current ? style.bold('*') : ' '} ${sanitize(s.name).padEnd(width)}  ${sanitize(s.url)}  ${style.dim(`token ${s.token}`)}`,
  );
  return `${rows.join('\n')}\n`;
}

/** `compat check --all --json`: one row per configured server, its verdict's remedy said for that server. */
export function fleetDocument(rows: readonly FleetReport[]): Array<{ name: string } & CompatDocument> {
  return rows.map((r) => ({ name: r.name, ...compatDocument(r) }));
}

/** `compat check --all`: one row per server — name, URL, version, revision, verdict — then each problem's fix. */
export function formatFleet(rows: readonly FleetReport[], style: Style): string {
  if (rows.length === 0) return 'No servers configured.\n';
  const cells = rows.map((r) =>
    [r.name, r.server.url, r.server.version ?? '-', r.server.schema_revision ?? '-', r.status].map((c) => sanitize(c)),
  );
  const head = ['NAME', 'URL', 'VERSION', 'REVISION', 'VERDICT'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const paint = (r: FleetReport, text: string) =>
    r.severity === 'ok' ? style.green(text) : r.severity === 'warn' ? style.yellow(text) : style.red(text);
  const table = [style.dim(line(head)), ...cells.map((c, i) => paint(rows[i] as FleetReport, line(c)))].join('\n');
  const problems = rows.filter((r) => r.severity !== 'ok').map((r) => `${sanitize(r.name)}: ${formatHeadline(r, style)}${fix(r)}`);
  return `${table}\n${problems.length ? `\n${problems.join('\n')}\n` : ''}`;
}

function fix(r: FleetReport): string {
  const remedy = saidRemedy(r);
  return remedy ? `\n  Fix: ${sanitize(remedy)}` : '';
}
