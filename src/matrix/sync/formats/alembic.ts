import { join } from 'node:path';
import { type Migration, SyncError } from '../types.js';
import { MIGRATION_CLASS } from './django.js';
import type { Format } from './format.js';
import { fileNames, readText } from './fs.js';
import { firstLine, lastAssignment, python, stringsOf, unreadable } from './py.js';

const NAMES: ReadonlySet<string> = new Set(['revision', 'down_revision']);

// Alembic's own rule (script/base.py): every .py file but __init__.py and editor lock files.
const isScript = (name: string) => name.endsWith('.py') && !name.startsWith('__init__') && !name.startsWith('.#');

/** Alembic: each `.py` file's `revision` and `down_revision`; the docstring's first line is the message. */
export const alembic: Format = {
  tool: 'Alembic',
  detect(_dir, entries) {
    for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!e.file || !isScript(e.name)) continue;
      const text = readText(e.path);
      if (/^down_revision\b/m.test(text)) return e.path;
      if (MIGRATION_CLASS.test(text)) return null;
    }
    return null;
  },
  read(dir) {
    const out: Migration[] = [];
    for (const name of fileNames(dir).sort()) {
      if (!isScript(name)) continue;
      const file = join(dir, name);
      const mod = python(file, NAMES, true);
      const rev = lastAssignment(mod.assignments, 'revision', 'module');
      if (!rev) {
        throw new SyncError('unreadable', `No revision in ${file}: Alembic needs a module-level "revision = ..."`, {
          file,
          remedy: 'Add the revision identifiers Alembic writes, or move the file out of the versions directory',
        });
      }
      if (!rev.value.ok || typeof rev.value.value !== 'string') throw unreadable(file, rev, 'it is not a quoted string');
      const down = lastAssignment(mod.assignments, 'down_revision', 'module');
      if (!down)
        throw new SyncError('unreadable', `No down_revision in ${file}: write "down_revision = None" for a base revision`, { file });
      const parents = stringsOf(down.value.ok ? down.value.value : undefined);
      if (parents === null) throw unreadable(file, down, 'it is not None, a quoted string, or a tuple or list of them');
      out.push({ revision: rev.value.value, parents, description: firstLine(mod.docstring), file, sortKey: null });
    }
    return out;
  },
};
