import { join } from 'node:path';
import { type Migration, SyncError } from '../types.js';
import type { Format } from './format.js';
import { nameWords } from './format.js';
import { listDir, readText } from './fs.js';
import { byCodeUnit, detectByContent, JS_SOURCE, jsTool } from './js.js';

const CLASS = /\bclass\s+([A-Za-z_$][\w$]*)\s+implements\s+MigrationInterface\b/g;
const NAME_PROPERTY = /^\s*(?:public\s+|readonly\s+)*name\s*=\s*(['"`])([^'"`]*)\1/m;

/**
 * TypeORM: each class that `implements MigrationInterface` in the directory's `.ts`/`.js` files; the id is
 * its `name` property, else its class name, as the migrations table's `name` records it; ordered as
 * MigrationExecutor#getMigrations does it (src/migration/MigrationExecutor.ts): by the timestamp that is
 * the name's last 13 characters (a name without one is an error), a stable sort, so equal timestamps keep
 * the files' order.
 */
export const typeorm: Format = {
  tool: 'TypeORM',
  detect: (_dir, entries) =>
    detectByContent(
      entries,
      (n) => JS_SOURCE.test(n),
      (t) => (jsTool(t) === null ? null : jsTool(t) === 'typeorm'),
    ),
  read(dir) {
    const found: { name: string; timestamp: number; file: string }[] = [];
    const names = listDir(dir)
      .filter((e) => e.file && JS_SOURCE.test(e.name) && !/\.d\.[cm]?ts$/.test(e.name))
      .map((e) => e.name)
      .sort(byCodeUnit);
    for (const fileName of names) {
      const file = join(dir, fileName);
      const text = readText(file);
      const classes = [...text.matchAll(CLASS)];
      for (const [i, m] of classes.entries()) {
        const body = text.slice(m.index, classes[i + 1]?.index ?? text.length);
        const name = NAME_PROPERTY.exec(body)?.[2] ?? (m[1] as string);
        const timestamp = Number.parseInt(name.slice(-13), 10);
        if (!timestamp || Number.isNaN(timestamp)) {
          throw new SyncError('unreadable', `${file}: ${name} has no timestamp at the end of its name, which TypeORM requires`, {
            file,
            remedy: 'Name the migration class as typeorm migration:create does (a JavaScript timestamp appended)',
          });
        }
        found.push({ name, timestamp, file });
      }
    }
    const sorted = found.sort((a, b) => a.timestamp - b.timestamp);
    return sorted.map(
      (m, i): Migration => ({
        revision: m.name,
        parents: [],
        description: nameWords(
          m.name
            .slice(0, -13)
            .replace(/([a-z])([A-Z])/g, '$1 $2')
            .toLowerCase(),
        ),
        file: m.file,
        sortKey: [BigInt(i)],
      }),
    );
  },
};
