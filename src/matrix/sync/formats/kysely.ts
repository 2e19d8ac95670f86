import { type Format, inOrder } from './format.js';
import { listDir } from './fs.js';
import { byCodeUnit, detectByContent, JS_SOURCE, jsTool } from './js.js';

// FileMigrationProvider#getMigrations (kysely src/migration/file-migration-provider.ts).
const isMigrationFile = (n: string) =>
  n.endsWith('.js') || (n.endsWith('.ts') && !n.endsWith('.d.ts')) || n.endsWith('.mjs') || (n.endsWith('.mts') && !n.endsWith('.d.mts'));
const keyOf = (n: string) => n.substring(0, n.lastIndexOf('.'));

/**
 * Kysely (FileMigrationProvider + Migrator): `.js`, `.ts`, `.mjs`, `.mts` files (not declarations); the id is
 * the file name without its extension, as kysely_migration.name records it; ordered as Migrator's
 * #resolveMigrations does it: `Object.keys(migrations).sort()`, code-unit order.
 */
export const kysely: Format = {
  tool: 'Kysely',
  detect: (_dir, entries) =>
    detectByContent(
      entries,
      (n) => JS_SOURCE.test(n),
      (t) => (jsTool(t) === null ? null : jsTool(t) === 'kysely'),
    ),
  read(dir) {
    const names = listDir(dir)
      .filter((e) => isMigrationFile(e.name))
      .map((e) => e.name)
      .sort((a, b) => byCodeUnit(keyOf(a), keyOf(b)));
    return inOrder(dir, names, keyOf);
  },
};
