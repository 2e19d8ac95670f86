import { basename, dirname, join, resolve } from 'node:path';
import { type Migration, wordsOf } from '../types.js';
import type { Format } from './format.js';
import { fileNames, hasFile, notAMigration, readText } from './fs.js';
import { lastAssignment, python, unreadable } from './py.js';

const NAMES: ReadonlySet<string> = new Set(['dependencies', 'replaces']);
const CONFIG_NAMES: ReadonlySet<string> = new Set(['label', 'name']);
export const MIGRATION_CLASS = /^class\s+Migration\s*\(/m;
const ALEMBIC_MARK = /^down_revision\b/m;

// Django's loader (db/migrations/loader.py, load_disk): every module of the package whose name does not
// start with "_" or "~"; a module without a Migration class is a BadMigrationError.
const isModule = (name: string) => name.endsWith('.py') && !name.startsWith('_') && !name.startsWith('~');

type Pair = [string, string];
interface Raw {
  name: string;
  file: string;
  deps: Pair[];
  replaces: Pair[];
}

/**
 * Django: the migration name (file name without `.py`), ordered by the `dependencies` on the same app;
 * another app's dependencies are not part of this chain. The app's label is Django's: the AppConfig's
 * `label` in the app's apps.py (or the last part of its `name`), else the label the app's own
 * migrations use in their dependencies, else the directory's parent's name (Django's default label).
 * A squashed migration (`replaces`) is handled as Django's loader handles it for a database on which
 * none (or all) of the replaced migrations are applied: it takes their place, and what depended on
 * them depends on it.
 */
export const django: Format = {
  tool: 'Django',
  detect(_dir, entries) {
    for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!e.file || !isModule(e.name)) continue;
      const text = readText(e.path);
      if (MIGRATION_CLASS.test(text)) return e.path;
      if (ALEMBIC_MARK.test(text)) return null;
    }
    return null;
  },
  read(dir) {
    const raws: Raw[] = [];
    for (const name of fileNames(dir).sort()) {
      if (!isModule(name)) continue;
      const file = join(dir, name);
      const text = readText(file);
      if (!MIGRATION_CLASS.test(text)) throw notAMigration(file, 'Django', 'it has no "class Migration(…)"');
      const mod = python(file, NAMES, false, text);
      raws.push({ name: name.slice(0, -3), file, deps: pairs(mod, 'dependencies', file), replaces: pairs(mod, 'replaces', file) });
    }
    return chainOf(raws, appLabel(dir, raws));
  },
};

function pairs(mod: ReturnType<typeof python>, key: string, file: string): Pair[] {
  const a = lastAssignment(mod.assignments, key, 'class');
  if (!a) return [];
  if (!a.value.ok || !Array.isArray(a.value.value)) throw unreadable(file, a, 'it is not a list of (app, migration) tuples');
  const out: Pair[] = [];
  for (const item of a.value.value) {
    // swappable_dependency(settings.AUTH_USER_MODEL) and the like name another app's migrations.
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) continue;
    if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== 'string' || typeof item[1] !== 'string') {
      throw unreadable(file, a, 'an entry is not an (app, migration) tuple of quoted strings');
    }
    out.push([item[0], item[1]]);
  }
  return out;
}

/** The app's label, as Django derives it (django/apps/config.py: `label` defaults to the last part of `name`). */
function appLabel(dir: string, raws: readonly Raw[]): string {
  const app = dirname(resolve(dir));
  if (hasFile(app, 'apps.py')) {
    const file = join(app, 'apps.py');
    const text = readText(file);
    if (/\(\s*(?:[\w.]*\.)?AppConfig\s*\)/.test(text)) {
      const mod = python(file, CONFIG_NAMES, false, text);
      const strings = (n: string) =>
        mod.assignments.filter((a) => a.name === n && a.column > 0 && a.value.ok && typeof a.value.value === 'string');
      const labels = new Set(strings('label').map((a) => (a.value.ok ? String(a.value.value) : '')));
      if (labels.size === 1) return [...labels][0] as string;
      const names = new Set(strings('name').map((a) => (a.value.ok ? String(a.value.value).split('.').at(-1) : '')));
      if (labels.size === 0 && names.size === 1) return [...names][0] as string;
    }
  }
  // The label this app's own migrations use: the one whose every dependency names a migration of this
  // directory (another app's often share a name here, such as ("auth", "0001_initial"), but not all of them).
  const names = new Set(raws.map((r) => r.name));
  const score = new Map<string, number>();
  for (const r of raws) {
    for (const [label, m] of [...r.deps, ...r.replaces]) {
      if (m === '__first__' || m === '__latest__') continue;
      const s = score.get(label) ?? 0;
      if (s >= 0) score.set(label, names.has(m) ? s + 1 : -1);
    }
  }
  const fallback = basename(app);
  let best = fallback;
  let bestScore = score.get(fallback) ?? 0;
  for (const [label, s] of score) if (s > bestScore) [best, bestScore] = [label, s];
  return best;
}

function chainOf(raws: readonly Raw[], label: string): Migration[] {
  // Squashed migrations take the place of the ones they replace.
  const replacedBy = new Map<string, string>();
  for (const r of raws) for (const [app, m] of r.replaces) if (app === label) replacedBy.set(m, r.name);
  const resolveName = (m: string): string => {
    let cur = m;
    for (let hops = 0; replacedBy.has(cur) && hops < 100; hops++) cur = replacedBy.get(cur) as string;
    return cur;
  };
  const out: Migration[] = [];
  for (const r of raws) {
    if (replacedBy.has(r.name)) continue;
    const parents: string[] = [];
    for (const [app, m] of r.deps) {
      if (app !== label || m === '__first__' || m === '__latest__') continue;
      const p = resolveName(m);
      // A squash's own dependencies may name migrations it replaces (a partial squash): not a parent.
      if (p !== r.name && !parents.includes(p)) parents.push(p);
    }
    out.push({ revision: r.name, parents, description: wordsOf(r.name.replace(/^\d+_?/, '')), file: r.file, sortKey: null });
  }
  return out;
}
