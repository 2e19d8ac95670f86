import { type Migration, wordsOf } from '../types.js';
import type { Format } from './format.js';
import { fileNamed, filesMatching } from './fs.js';

// ActiveRecord's Migration::MigrationFilenameRegexp (activerecord/lib/active_record/migration.rb).
const FILE = /^([0-9]+)_([_a-z0-9]*)\.?([_a-z0-9]*)?\.rb$/;

/**
 * Rails: `VERSION_name.rb`. ActiveRecord's MigrationContext#parse_migration_filename takes the version
 * as `version.to_i`, and schema_migrations records that integer as text: `001_setup.rb` is `1`,
 * `20240201183314_x.rb` is `20240201183314`; files in subdirectories count. Ordered numerically
 * (MigrationContext#migrations sorts by version).
 */
export const rails: Format = {
  tool: 'Rails',
  detect(_dir, entries) {
    return fileNamed(entries, FILE);
  },
  read(dir) {
    const out: Migration[] = [];
    // MigrationContext#migration_files: `Dir["#{path}/**/[0-9]*_*.rb"]`, subdirectories included.
    for (const { match: m, file } of filesMatching(dir, FILE)) {
      const version = BigInt(m[1] as string);
      out.push({
        revision: version.toString(),
        parents: [],
        description: wordsOf(m[2] as string),
        file,
        sortKey: [version],
      });
    }
    return out;
  },
};
