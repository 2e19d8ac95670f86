import { type Migration, SyncError } from '../types.js';
import type { Format } from './format.js';
import { nameWords } from './format.js';
import { hasFile, listDir } from './fs.js';

/**
 * Diesel (diesel_migrations): each non-empty, non-hidden subdirectory is a migration and must hold an
 * `up.sql` (migrations_internals::migrations_directories, SqlFileMigration::from_path: otherwise
 * UnknownMigrationFormat); the version is the directory name up to its first `_` with every `-` removed
 * (version_from_string: `2024-01-01-000000_init` is `20240101000000`), as __diesel_schema_migrations.version
 * records it; ordered by version as text (MigrationHarness::pending_migrations sorts by version).
 */
export const diesel: Format = {
  tool: 'Diesel',
  detect(_dir, entries) {
    const e = entries.find((x) => x.directory && /^\d/.test(x.name) && hasFile(x.path, 'up.sql') && hasFile(x.path, 'down.sql'));
    return e ? `${e.path}/up.sql` : null;
  },
  read(dir) {
    const out: Migration[] = [];
    for (const e of listDir(dir)) {
      if (!e.directory || e.name.startsWith('.')) continue;
      const inner = listDir(e.path);
      if (inner.length === 0) continue;
      if (!hasFile(e.path, 'up.sql')) {
        throw new SyncError('unreadable', `${e.path} has no up.sql: Diesel refuses a migration directory without one`, { file: e.path });
      }
      const version = (e.name.split('_')[0] as string).replaceAll('-', '');
      out.push({
        revision: version,
        parents: [],
        description: nameWords(e.name.slice(e.name.indexOf('_') + 1)),
        file: e.path,
        sortKey: [version],
      });
    }
    return out;
  },
};
