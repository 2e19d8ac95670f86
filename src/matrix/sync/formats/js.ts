import type { DirEntry } from './fs.js';
import { readText } from './fs.js';

/** Code-unit order, as JavaScript's default sort and lodash's sortBy compare strings. */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The first file of `entries` (in name order) that `accept`s by name and whose text `marks` says is
 * this tool's (true), another's (false), or says nothing (null: look at the next one). A directory is
 * judged by its first telling file, so detection reads one or two files, never all of them.
 */
export function detectByContent(
  entries: readonly DirEntry[],
  accept: (name: string) => boolean,
  marks: (text: string) => boolean | null,
): string | null {
  const candidates = entries.filter((e) => e.file && accept(e.name)).sort((a, b) => byCodeUnit(a.name, b.name));
  for (const e of candidates.slice(0, 8)) {
    const verdict = marks(readText(e.path).slice(0, 65536));
    if (verdict !== null) return verdict ? e.path : null;
  }
  return null;
}

/** Which JavaScript migration tool a file was written for, by what it imports and calls. */
export function jsTool(text: string): 'typeorm' | 'kysely' | 'node-pg-migrate' | 'sequelize' | 'knex' | null {
  if (/\bMigrationInterface\b|from ['"]typeorm['"]|require\(['"]typeorm['"]\)/.test(text)) return 'typeorm';
  if (/from ['"]kysely['"]|require\(['"]kysely['"]\)|\bKysely\s*</.test(text)) return 'kysely';
  if (/from ['"]node-pg-migrate['"]|require\(['"]node-pg-migrate['"]\)|\bMigrationBuilder\b|\(\s*pgm\b/.test(text))
    return 'node-pg-migrate';
  if (/from ['"]sequelize['"]|require\(['"]sequelize['"]\)|queryInterface|QueryInterface/.test(text)) return 'sequelize';
  if (/\bknex\b|\bKnex\b/.test(text)) return 'knex';
  return null;
}

export const JS_SOURCE = /\.(?:[cm]?js|[cm]?ts)$/;
