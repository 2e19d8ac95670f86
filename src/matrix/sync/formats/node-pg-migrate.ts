import { basename, extname } from 'node:path';
import { SyncError } from '../types.js';
import { type Format, inOrder } from './format.js';
import { listDir } from './fs.js';
import { detectByContent, jsTool } from './js.js';

/**
 * node-pg-migrate: every file of the directory but hidden ones (its default ignorePattern `\..*`); the id is
 * the file name without its extension, as pgmigrations.name records it; ordered as getMigrationFilePaths
 * does it (src/migration.ts, compareMigrationFileNames): by the numeric prefix (17 digits read as a UTC
 * timestamp with milliseconds), then by localeCompare with numeric collation, ignoring punctuation.
 * A file without a numeric prefix is an error, as in node-pg-migrate.
 */
// localeCompareStringsNumerically's options, as one collator (localeCompare with options builds one per call).
const LOCALE = new Intl.Collator(undefined, { usage: 'sort', numeric: true, sensitivity: 'variant', ignorePunctuation: true });

export const nodePgMigrate: Format = {
  tool: 'node-pg-migrate',
  detect: (_dir, entries) =>
    detectByContent(
      entries,
      (n) => /\.(?:[cm]?js|[cm]?ts|sql)$/.test(n),
      (t) => (jsTool(t) === null ? null : jsTool(t) === 'node-pg-migrate'),
    ),
  read(dir) {
    const files = listDir(dir).filter((e) => e.file && !/^\..*$/.test(e.name));
    const prefix = new Map(files.map((e) => [e.name, numericPrefix(e.name, e.path)]));
    const names = files.map((e) => e.name).sort((a, b) => (prefix.get(a) as number) - (prefix.get(b) as number) || LOCALE.compare(a, b));
    return inOrder(dir, names, (name) => basename(name, extname(name)));
  },
};

function numericPrefix(name: string, file: string): number {
  const prefix = /^(\d+)/.exec(name)?.[1];
  if (prefix === undefined) {
    throw new SyncError('unreadable', `${file} has no numeric prefix: node-pg-migrate cannot order it`, {
      file,
      remedy: `Name it as node-pg-migrate create does (a timestamp first), or move it out of the directory`,
    });
  }
  if (prefix.length === 17) {
    const [y, mo, d, h, mi, s, ms] = [0, 4, 6, 8, 10, 12, 14].map((i, k, all) => prefix.slice(i, all[k + 1] ?? 17));
    return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`).valueOf();
  }
  return Number(prefix);
}
