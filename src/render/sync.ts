import type { RemedyContext } from '../hint.js';
import type { SyncResult } from '../matrix/sync/index.js';
import { plural, pluralWord, shortList } from '../text.js';
import { remedyText } from './remedy.js';
import { sanitize } from './sanitize.js';
import type { Style } from './style.js';

/** `compat sync --json` (docs/compat-sync.md). */
export interface SyncDocument {
  file: string;
  format: string;
  chain: { revision: string; parents: string[] }[];
  added: string[];
  removed: string[];
  changed: boolean;
  /** Revisions in no released server yet (`server_version: null`). */
  unreleased: string[];
}

export function syncDocument(r: SyncResult): SyncDocument {
  return {
    file: r.file,
    format: r.format,
    chain: r.chain,
    added: r.added,
    removed: r.removed,
    changed: r.changed,
    unreleased: r.unreleased,
  };
}

function ids(list: readonly string[]): string {
  return shortList(list, { max: 10, show: (id) => sanitize(id) });
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
 * Human output of `compat sync`: what was written or differs, the command that writes it (a check that
 * found a difference), and the revisions in no release yet with the command that sets their release,
 * in the host's words.
 */
export function formatSync(r: SyncResult, style: Style, options: { check: boolean; ctx: RemedyContext }): string {
  const remedy = remedyText(r.remedy, options.ctx);
  const what = `${sanitize(r.dir)} (${r.format}, ${plural(r.chain.length, 'revision')})`;
  const file = sanitize(r.file);
  const details = syncDifferences(r)
    .map((l) => `  ${l}\n`)
    .join('');
  const releaseHint = remedyText(r.releaseHint, options.ctx);
  const n = r.unreleased.length;
  const unreleased =
    n === 0
      ? ''
      : `${style.yellow('!')} ${plural(n, 'revision')} ${pluralWord(n, 'is', 'are')} in no released server yet (server_version null): ${ids(r.unreleased)}\n` +
        (releaseHint ? `${style.dim('Next:')} ${sanitize(releaseHint)}\n` : '');
  const released = r.released.length ? `  released in ${pluralWord(r.released.length, 'it', 'them')}: ${ids(r.released)}\n` : '';
  if (!r.changed && !r.written)
    return `${style.green('✓')} ${file} matches ${what}${options.check ? '' : '; nothing written'}\n${unreleased}`;
  if (r.written) return `${style.green('✓')} Wrote ${file}: schema_chain from ${what}\n${details}${released}${unreleased}`;
  return `${style.red('✗')} ${file} does not match ${what}\n${details}${remedy ? `${style.dim('Fix:')} ${sanitize(remedy)}\n` : ''}${unreleased}`;
}
