import { type Format, inOrder } from './format.js';
import { listDir } from './fs.js';
import { byCodeUnit, detectByContent, JS_SOURCE, jsTool } from './js.js';

// sequelize-cli's migrator pattern (src/core/migrator.js): no .d.ts, and .cjs, .js, .cts or .ts.
const FILE = /^(?!.*\.d\.ts$).*\.(cjs|js|cts|ts)$/;

/**
 * Sequelize (sequelize-cli, on umzug): the files matching sequelize-cli's pattern; the id is the file name,
 * extension included, as SequelizeMeta.name records it; ordered by name in code-unit order, as umzug sorts
 * the paths it found (umzug's getMigrationsResolver: `paths.sort()`).
 */
export const sequelize: Format = {
  tool: 'Sequelize',
  detect: (_dir, entries) =>
    detectByContent(
      entries,
      (n) => JS_SOURCE.test(n),
      (t) => (jsTool(t) === null ? null : jsTool(t) === 'sequelize'),
    ),
  read(dir) {
    const names = listDir(dir)
      .filter((e) => e.file && FILE.test(e.name))
      .map((e) => e.name)
      .sort(byCodeUnit);
    return inOrder(dir, names, (name) => name);
  },
};
