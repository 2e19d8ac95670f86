import { extname } from 'node:path';
import { type Format, inOrder } from './format.js';
import { listDir } from './fs.js';
import { byCodeUnit, detectByContent, JS_SOURCE, jsTool } from './js.js';

// knex's loadExtensions default (lib/migrations/common/MigrationsLoader.js, DEFAULT_LOAD_EXTENSIONS).
const EXTENSIONS: ReadonlySet<string> = new Set(['.co', '.coffee', '.eg', '.iced', '.js', '.cjs', '.litcoffee', '.ls', '.ts']);

/**
 * Knex: every file of the directory with one of knex's load extensions; the id is the file name, extension
 * included, as knex_migrations.name records it; ordered as FsMigrations#getMigrations does it
 * (lib/migrations/migrate/sources/fs-migrations.js: lodash sortBy on the file name, code-unit order).
 */
export const knex: Format = {
  tool: 'Knex',
  detect: (_dir, entries) =>
    detectByContent(
      entries,
      (n) => JS_SOURCE.test(n),
      (t) => (jsTool(t) === null ? null : jsTool(t) === 'knex'),
    ),
  read(dir) {
    const names = listDir(dir)
      .filter((e) => EXTENSIONS.has(extname(e.name)))
      .map((e) => e.name)
      .sort(byCodeUnit);
    return inOrder(dir, names, (name) => name);
  },
};
