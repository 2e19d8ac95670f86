import { join } from 'node:path';
import { cleanDescription, type Migration, wordsOf } from '../types.js';
import type { Format } from './format.js';
import { fileNames, readText } from './fs.js';

// golang-migrate's source.Regex (source/parse.go): `123_name.up.ext`; the title is greedy, so
// `30_ignore_autotag.up..sql` is version 30's up file (title "ignore_autotag", extension ".sql").
const GOLANG_FILE = /^([0-9]+)_(.*)\.(down|up)\.(.*)$/;
const NUMBERED_FILE = /^([0-9]+)_(.*)\.sql$/;

/**
 * Numbered or timestamped `.sql` files, ordered by their number:
 * - golang-migrate (`N_title.up.sql`): the id is the number as it records it (strconv.ParseUint: `0001` → `1`);
 * - dbmate (`N_name.sql` with `-- migrate:up`): the id is the number as written;
 * - plain numbered files (the reference server, many home-grown runners): the file name without `.sql`,
 *   with a `-- description:` header line as the message.
 */
export const sql: Format = {
  tool: 'SQL',
  detect(dir, entries) {
    const e = entries.find((x) => x.file && (NUMBERED_FILE.test(x.name) || GOLANG_FILE.test(x.name)) && /sql$/.test(x.name));
    return e ? join(dir, e.name) : null;
  },
  read(dir) {
    const names = fileNames(dir);
    const golang = names.some((n) => GOLANG_FILE.test(n));
    const out: Migration[] = [];
    for (const name of names) {
      const file = join(dir, name);
      if (golang) {
        const m = GOLANG_FILE.exec(name);
        if (m?.[3] !== 'up') continue;
        const version = BigInt(m[1] as string);
        out.push({ revision: version.toString(), parents: [], description: wordsOf(m[2] as string), file, sortKey: [version] });
        continue;
      }
      const m = NUMBERED_FILE.exec(name);
      if (!m) continue;
      const num = m[1] as string;
      const text = readText(file);
      const dbmate = /^--\s*migrate:up\b/m.test(text);
      const header = /^--\s*description\s*:\s*(.*?)\s*$/m.exec(text.slice(0, 4096));
      out.push({
        revision: dbmate ? num : name.slice(0, -4),
        parents: [],
        description: !dbmate && header ? cleanDescription(header[1]) : wordsOf(m[2] as string),
        file,
        sortKey: [BigInt(num)],
      });
    }
    return out;
  },
};
