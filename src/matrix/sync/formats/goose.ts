import { join } from 'node:path';
import { type Migration, SyncError } from '../types.js';
import type { Format } from './format.js';
import { nameWords } from './format.js';
import { listDir } from './fs.js';
import { detectByContent } from './js.js';

/**
 * goose: the `.sql` files and the `.go` files (not `_test.go`) of the directory; the version is the number
 * before the first `_` (NumericComponent in migration.go: strconv.ParseInt, at least 1), recorded as
 * goose_db_version.version_id: `00001_init.sql` is `1`. A `.sql` file whose name has no version is an error
 * (collectMigrationsFS), a `.go` one is skipped (collectGoMigrations); ordered by version
 * (Migrations.Less, which refuses a duplicate version).
 */
export const goose: Format = {
  tool: 'goose',
  detect: (_dir, entries) =>
    detectByContent(
      entries,
      (n) => n.endsWith('.sql') || (n.endsWith('.go') && !n.endsWith('_test.go')),
      (t) => (/^\s*--\s*\+goose\s+(Up|Down|StatementBegin)\b|\bgoose\.Add(NamedMigration|Migration)/m.test(t) ? true : null),
    ),
  read(dir) {
    const out: Migration[] = [];
    for (const e of listDir(dir)) {
      const sql = e.name.endsWith('.sql');
      const go = e.name.endsWith('.go') && !e.name.endsWith('_test.go');
      if (!e.file || (!sql && !go)) continue;
      const cut = e.name.indexOf('_');
      const digits = cut < 0 ? '' : e.name.slice(0, cut);
      const version = /^[+-]?\d+$/.test(digits) ? BigInt(digits) : null;
      if (version === null || version < 1n || version > 9223372036854775807n) {
        if (go) continue;
        throw new SyncError('unreadable', `${join(dir, e.name)}: goose cannot read a version from its name (N_name.sql, N at least 1)`, {
          file: join(dir, e.name),
        });
      }
      out.push({
        revision: version.toString(),
        parents: [],
        description: nameWords(e.name.slice(cut + 1)),
        file: join(dir, e.name),
        sortKey: [version],
      });
    }
    return out;
  },
};
