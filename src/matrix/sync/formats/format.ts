import { join } from 'node:path';
import { type Migration, wordsOf } from '../types.js';
import type { DirEntry } from './fs.js';

/**
 * One migration tool: how to tell its directory and how to read it. The engine (../index.ts) detects,
 * reads, then orders with order.ts: a reader gives each migration the id the tool records and either its
 * parents (graph-ordered tools) or a sort key in the tool's own order (everything else).
 */
export interface Format {
  /** The tool, as messages name it ("Alembic"). */
  tool: string;
  /**
   * A file (its path) of the directory that only this tool writes, or null. `entries` is the directory's
   * listing, symlinks followed.
   */
  detect(dir: string, entries: readonly DirEntry[]): string | null;
  /** Every migration of the directory, in any order. Throws SyncError naming the file it cannot read. */
  read(dir: string): Migration[];
}

/** Sort keys for a reader that sorts with the tool's own comparator: its position in that order. */
export function positions<T>(sorted: readonly T[], make: (item: T, key: readonly bigint[]) => Migration): Migration[] {
  return sorted.map((item, i) => make(item, [BigInt(i)]));
}

/** The words of a migration's name after its number or timestamp (`20240101_add_users.js` → `add users`). */
export function nameWords(name: string): string | null {
  return wordsOf(
    name
      .replace(/\.[^.]*$/, '')
      .replace(/^[\d_.-]+[_-]?/, '')
      .replace(/[-_]+/g, ' '),
  );
}

/** Migrations from file names already in the tool's order: the id of each from `id`. */
export function inOrder(dir: string, names: readonly string[], id: (name: string) => string): Migration[] {
  return positions(names, (name, sortKey) => ({
    revision: id(name),
    parents: [],
    description: nameWords(name),
    file: join(dir, name),
    sortKey,
  }));
}
