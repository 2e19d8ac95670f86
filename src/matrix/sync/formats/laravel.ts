import { basename } from 'node:path';
import { type Format, inOrder } from './format.js';
import { listDir } from './fs.js';
import { byCodeUnit, detectByContent } from './js.js';

/**
 * Laravel: the directory's `*_*.php` files (Migrator::getMigrationFiles globs `$path/*_*.php`); the id is the
 * file name with ".php" removed (getMigrationName: `str_replace('.php', '', basename($path))`), as the
 * migrations table's `migration` column records it; ordered by that name (`sortBy` on the key: byte order
 * for names that are not numbers, which Laravel's `YYYY_MM_DD_HHMMSS_name` never are).
 */
export const laravel: Format = {
  tool: 'Laravel',
  detect: (_dir, entries) =>
    detectByContent(
      entries,
      (n) => /^[^.].*_.*\.php$/.test(n),
      (t) => (/\bextends\s+Migration\b|Illuminate\\Database\\Migrations\\Migration/.test(t) ? true : null),
    ),
  read(dir) {
    const names = listDir(dir)
      // glob's `*` does not match a leading dot.
      .filter((e) => !e.name.startsWith('.') && /^.*_.*\.php$/.test(e.name))
      .map((e) => e.name);
    const id = (n: string) => basename(n).replaceAll('.php', '');
    return inOrder(
      dir,
      names.sort((a, b) => byCodeUnit(id(a), id(b))),
      id,
    );
  },
};
