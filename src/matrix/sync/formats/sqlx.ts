import { join } from 'node:path';
import { type Migration, SyncError } from '../types.js';
import type { Format } from './format.js';
import { nameWords } from './format.js';
import { listDir } from './fs.js';

const I64_MAX = 9223372036854775807n;

/**
 * sqlx (sqlx-core/src/migrate/source.rs, resolve_blocking): every file named `<VERSION>_<DESCRIPTION>…sql`;
 * the version before the first `_` must parse as an i64 (otherwise an error naming the file); `.down.sql`
 * files are the reverse of an `.up.sql` and not in the chain. The id is the version, as
 * _sqlx_migrations.version records it (`0001_init.sql` is `1`); ordered by version (sort_by_key).
 * Not detected (its files look like other numbered SQL): name it with the format `sqlx`.
 */
export const sqlx: Format = {
  tool: 'sqlx',
  detect: () => null,
  read(dir) {
    const out: Migration[] = [];
    for (const e of listDir(dir)) {
      if (!e.file) continue;
      const cut = e.name.indexOf('_');
      if (cut < 0 || !e.name.slice(cut + 1).endsWith('.sql')) continue;
      const digits = e.name.slice(0, cut);
      if (!/^[+-]?\d+$/.test(digits) || BigInt(digits) > I64_MAX || BigInt(digits) < -I64_MAX - 1n) {
        throw new SyncError('unreadable', `${join(dir, e.name)}: sqlx expects an integer version before the first "_" (e.g. 01_foo.sql)`, {
          file: join(dir, e.name),
        });
      }
      if (e.name.endsWith('.down.sql')) continue;
      const version = BigInt(digits);
      out.push({
        revision: version.toString(),
        parents: [],
        description: nameWords(e.name.slice(cut + 1).replace(/\.up\.sql$/, '.sql')),
        file: e.path,
        sortKey: [version],
      });
    }
    return out;
  },
};
