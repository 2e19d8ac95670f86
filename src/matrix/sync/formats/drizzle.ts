import { join } from 'node:path';
import { type Migration, SyncError } from '../types.js';
import type { Format } from './format.js';
import { nameWords } from './format.js';
import { hasFile, readText } from './fs.js';

/**
 * Drizzle (drizzle-kit generate, drizzle-orm's migrators): the migrations are the entries of
 * `meta/_journal.json`, in its order, each `<tag>.sql` (drizzle-orm's readMigrationFiles, src/migrator.ts).
 * Drizzle records a hash of each file's SQL and its `when`, not a name: the journal's `tag`
 * (`0003_steep_colossus`) is the id here (docs/compat-sync.md).
 */
export const drizzle: Format = {
  tool: 'Drizzle',
  detect: (dir) => (hasFile(join(dir, 'meta'), '_journal.json') ? join(dir, 'meta', '_journal.json') : null),
  read(dir) {
    const file = join(dir, 'meta', '_journal.json');
    if (!hasFile(join(dir, 'meta'), '_journal.json')) return [];
    let journal: unknown;
    try {
      journal = JSON.parse(readText(file));
    } catch (err) {
      throw new SyncError('unreadable', `Cannot read ${file}: ${(err as Error).message}`, { file, cause: err });
    }
    const entries = (journal as { entries?: unknown })?.entries;
    if (!Array.isArray(entries)) throw new SyncError('unreadable', `Cannot read ${file}: it has no "entries" list`, { file });
    return entries.map((e: unknown, i): Migration => {
      const tag = (e as { tag?: unknown })?.tag;
      if (typeof tag !== 'string') throw new SyncError('unreadable', `Cannot read ${file}: entry ${i} has no "tag"`, { file });
      const sql = join(dir, `${tag}.sql`);
      if (!hasFile(dir, `${tag}.sql`)) {
        throw new SyncError('unreadable', `${file} lists ${tag}, but ${sql} is missing (drizzle's migrator fails the same way)`, {
          file: sql,
        });
      }
      return { revision: tag, parents: [], description: nameWords(tag), file: sql, sortKey: [BigInt(i)] };
    });
  },
};
