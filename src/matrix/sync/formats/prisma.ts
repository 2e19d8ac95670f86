import { join } from 'node:path';
import { wordsOf } from '../types.js';
import type { Format } from './format.js';
import { hasFile, listDir } from './fs.js';

/** Prisma: each migration directory, by name (Prisma sorts them so and records the directory name). */
export const prisma: Format = {
  tool: 'Prisma',
  detect(dir, entries) {
    const lock = entries.find((e) => e.file && e.name === 'migration_lock.toml');
    if (lock) return lock.path;
    const first = entries.find((e) => e.directory && /^\d/.test(e.name) && hasFile(join(dir, e.name), 'migration.sql'));
    return first ? join(first.path, 'migration.sql') : null;
  },
  read(dir) {
    return listDir(dir)
      .filter((e) => e.directory && hasFile(e.path, 'migration.sql'))
      .map((e) => ({
        revision: e.name,
        parents: [],
        description: wordsOf(e.name.replace(/^\d+_?/, '')),
        file: e.path,
        sortKey: [e.name],
      }));
  },
};
