import { type Migration, wordsOf } from '../types.js';
import type { Format } from './format.js';
import { fileNamed, filesMatching } from './fs.js';

const FILE = /^V([0-9]+(?:[._][0-9]+)*)__(.+)\.sql$/;

/**
 * Flyway: `V<version>__<description>.sql`; the version, with `_` written `.`, is the id. Versions
 * compare part by part as numbers (1.9 < 1.10, 2 < 10), trailing zero parts ignored (1.0 = 1), as
 * Flyway's MigrationVersion does. Repeatable (`R__`) and undo (`U`) scripts are not in the chain.
 */
export const flyway: Format = {
  tool: 'Flyway',
  detect(_dir, entries) {
    return fileNamed(entries, FILE);
  },
  read(dir) {
    const out: Migration[] = [];
    // Flyway scans a location recursively: migrations in subdirectories count.
    for (const { match: m, file } of filesMatching(dir, FILE)) {
      const version = (m[1] as string).replaceAll('_', '.');
      const parts = version.split('.').map((p) => BigInt(p));
      while (parts.length > 1 && parts[parts.length - 1] === 0n) parts.pop();
      out.push({ revision: version, parents: [], description: wordsOf(m[2] as string), file, sortKey: parts });
    }
    return out;
  },
};
