import type { SyncResult } from '../matrix/sync/index.js';
import { sanitize } from './sanitize.js';
import type { Style } from './style.js';

/** `compat sync --json` (CONTRACT §2). */
export interface SyncDocument {
  file: string;
  format: string;
  chain: { revision: string; parents: string[] }[];
  added: string[];
  removed: string[];
  changed: boolean;
}

export function syncDocument(r: SyncResult): SyncDocument {
  return { file: r.file, format: r.format, chain: r.chain, added: r.added, removed: r.removed, changed: r.changed };
}

function ids(list: readonly string[], max = 10): string {
  const shown = list.slice(0, max).map((id) => sanitize(id));
  return list.length > max ? `${shown.join(', ')} and ${list.length - max} more` : shown.join(', ');
}

/** What differs, one line per kind. */
export function syncDifferences(r: SyncResult): string[] {
  const lines: string[] = [];
  if (r.added.length) lines.push(`added: ${ids(r.added)}`);
  if (r.removed.length) lines.push(`removed: ${ids(r.removed)}`);
  if (r.reordered.length) lines.push(`reordered: ${ids(r.reordered)}`);
  if (r.parentsChanged.length) lines.push(`parents changed: ${ids(r.parentsChanged)}`);
  return lines;
}

/**
 * Human output of `compat sync`. `remedy` is the command that rewrites the matrix, in the host's
 * words (the command layer builds it), shown when a check finds a difference.
 */
export function formatSync(r: SyncResult, style: Style, options: { check: boolean; remedy: string | null }): string {
  const { remedy } = options;
  const what = `${sanitize(r.dir)} (${r.format}, ${r.chain.length} revision${r.chain.length === 1 ? '' : 's'})`;
  const file = sanitize(r.file);
  const details = syncDifferences(r)
    .map((l) => `  ${l}\n`)
    .join('');
  if (!r.changed) return `${style.green('✓')} ${file} matches ${what}${options.check ? '' : '; nothing written'}\n`;
  if (r.written) return `${style.green('✓')} Wrote ${file}: schema_chain from ${what}\n${details}`;
  return `${style.red('✗')} ${file} does not match ${what}\n${details}${remedy ? `${style.dim('Fix:')} ${sanitize(remedy)}\n` : ''}`;
}
