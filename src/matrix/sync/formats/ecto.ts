import { relative } from 'node:path';
import { type Migration, SyncError } from '../types.js';
import type { Format } from './format.js';
import { nameWords } from './format.js';
import { fileNamed, filesMatching } from './fs.js';

const FILE = /^([+-]?\d+)_(.*)\.exs$/;

/**
 * Ecto (ecto_sql's Ecto.Migrator, lib/ecto/migrator.ex, migrations_for): every `*.exs` file under the
 * directory, subdirectories included (`**\/*.{ex,exs}`; `.ex` files are warned about and skipped), whose
 * name is an integer, `_`, and a name (Integer.parse); the id is that integer, as schema_migrations.version
 * records it (`00001_x.exs` is `1`); ordered by version, then name (Enum.sort on the tuples). Ecto refuses
 * a duplicate version, and so does this reader.
 */
export const ecto: Format = {
  tool: 'Ecto',
  detect(_dir, entries) {
    return fileNamed(entries, FILE);
  },
  read(dir) {
    const out: Migration[] = [];
    for (const { match: m, file } of filesMatching(dir, FILE, 32)) {
      const version = BigInt(m[1] as string);
      out.push({
        revision: version.toString(),
        parents: [],
        description: nameWords(m[2] as string),
        file,
        sortKey: [version, m[2] as string],
      });
    }
    const seen = new Map<bigint, string>();
    for (const m of out) {
      const v = m.sortKey?.[0] as bigint;
      const other = seen.get(v);
      if (other) {
        throw new SyncError(
          'duplicate',
          `${relative(dir, other)} and ${relative(dir, m.file)} have the same version ${v}: Ecto refuses it`,
          {
            file: m.file,
          },
        );
      }
      seen.set(v, m.file);
    }
    return out;
  },
};
