import { join, posix } from 'node:path';
import { type Migration, SyncError } from '../types.js';
import type { Format } from './format.js';
import { readText, walkFiles } from './fs.js';
import { byCodeUnit } from './js.js';

/**
 * Liquibase: the changesets of the master changelog in document order, following `include` (the included
 * changelog's changesets at that point) and `includeAll` (every changelog under the directory, recursively,
 * in path order: DatabaseChangeLog#getStandardChangeLogComparator compares the paths as Java strings, code
 * unit by code unit). XML, YAML, JSON and formatted-SQL changelogs. The id is `file::id::author`, as
 * DATABASECHANGELOG's FILENAME, ID and AUTHOR record it; the file is the changelog's path relative to DIR
 * (run sync on the directory Liquibase searches, e.g. src/main/resources), or its `logicalFilePath`.
 * The master is the one changelog no other includes (one named *master* when several are).
 */
export const liquibase: Format = {
  tool: 'Liquibase',
  detect(dir, entries) {
    // A changelog here: one named so, else one of the first few candidates (a directory of 10,000 numbered .sql
    // files is not read through to find out that it holds none).
    const candidates = entries.filter((e) => e.file && CHANGELOG.test(e.name));
    const named = candidates.filter((e) => /changelog|master/i.test(e.name));
    for (const e of [...named, ...candidates.slice(0, 5)]) if (isChangelog(e.path)) return e.path;
    // A search root (src/main/resources): a changelog named *changelog* or *master* a few directories down.
    const below = walkFiles(dir, 3).filter((p) => p.includes('/') && /(changelog|master)[^/]*$/i.test(p) && CHANGELOG.test(p));
    for (const p of below.slice(0, 20)) if (isChangelog(join(dir, p))) return join(dir, p);
    return null;
  },
  read(dir) {
    const texts = new Map<string, string>();
    const all = walkFiles(dir);
    const changelogs = all.filter((p) => {
      if (!CHANGELOG.test(p)) return false;
      const text = readText(join(dir, p));
      texts.set(p, text);
      return CHANGELOG_MARK.test(text.slice(0, 4096));
    });
    const known = new Set(changelogs);
    if (changelogs.length === 0) return [];
    const included = new Set<string>();
    const cache = new Map<string, Item[]>();
    const parse = (p: string) => {
      let items = cache.get(p);
      if (!items) {
        items = parseChangelog(join(dir, p), texts.get(p));
        cache.set(p, items);
      }
      return items;
    };
    for (const p of changelogs) {
      for (const item of parse(p)) {
        if (item.kind === 'include') included.add(resolveInclude(p, item.path, item.relative));
        if (item.kind === 'includeAll') {
          const base = resolveInclude(p, item.path, item.relative).replace(/\/?$/, '/');
          for (const q of changelogs) if (q.startsWith(base === '/' ? '' : base)) included.add(q);
        }
      }
    }
    const roots = changelogs.filter((p) => !included.has(p));
    const master = roots.length === 1 ? roots[0] : roots.find((p) => /master/i.test(posix.basename(p)));
    if (!master) {
      throw new SyncError(
        'unreadable',
        `Cannot tell the master changelog in ${dir}: ${roots.join(', ') || 'every changelog is included by another'}`,
        {
          file: join(dir, roots[0] ?? changelogs[0] ?? ''),
          remedy: 'Give the directory whose master changelog includes the others, or name the master *master*',
        },
      );
    }
    const out: Migration[] = [];
    const visiting = new Set<string>();
    const visit = (p: string) => {
      if (visiting.has(p)) throw new SyncError('cycle', `${join(dir, p)} includes itself`, { file: join(dir, p) });
      if (!known.has(p)) {
        throw new SyncError('missing_parent', `${join(dir, p)} is included but is not a changelog in ${dir}`, { file: join(dir, p) });
      }
      visiting.add(p);
      for (const item of parse(p)) {
        if (item.kind === 'changeSet') {
          const file = item.logical ?? p;
          out.push({
            revision: `${file}::${item.id}::${item.author}`,
            parents: [],
            description: null,
            file: join(dir, p),
            sortKey: [BigInt(out.length)],
          });
        } else if (item.kind === 'include') {
          visit(resolveInclude(p, item.path, item.relative));
        } else {
          const base = resolveInclude(p, item.path, item.relative).replace(/\/?$/, '/');
          for (const q of changelogs.filter((c) => c.startsWith(base === '/' ? '' : base)).sort(byCodeUnit)) visit(q);
        }
      }
      visiting.delete(p);
    };
    visit(master);
    return out;
  },
};

const CHANGELOG = /\.(xml|ya?ml|json|sql)$/i;

type Item =
  | { kind: 'changeSet'; id: string; author: string; logical: string | null }
  | { kind: 'include'; path: string; relative: boolean }
  | { kind: 'includeAll'; path: string; relative: boolean };

const CHANGELOG_MARK = /databaseChangeLog|^--\s*liquibase\s+formatted\s+sql/im;

function isChangelog(file: string): boolean {
  return CHANGELOG_MARK.test(readText(file).slice(0, 4096));
}

function resolveInclude(from: string, path: string, relative: boolean): string {
  const clean = path.replace(/^classpath\*?:/, '').replace(/^\/+/, '');
  return posix.normalize(relative ? posix.join(posix.dirname(from), path) : clean).replace(/^\.\//, '');
}

const truthy = (v: string | undefined) => v === 'true';

function parseChangelog(file: string, known?: string): Item[] {
  const text = known ?? readText(file);
  const lower = file.toLowerCase();
  try {
    if (lower.endsWith('.xml')) return parseXml(text);
    if (lower.endsWith('.json')) return parseJson(text);
    if (lower.endsWith('.sql')) return parseSql(text);
    return parseYaml(text);
  } catch (err) {
    if (err instanceof SyncError) throw err;
    throw new SyncError('unreadable', `Cannot read ${file}: ${(err as Error).message}`, { file, cause: err });
  }
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) out[m[1] as string] = xmlText(m[2] ?? m[3] ?? '');
  return out;
}

function xmlText(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, e: string) =>
    e === 'lt'
      ? '<'
      : e === 'gt'
        ? '>'
        : e === 'amp'
          ? '&'
          : e === 'quot'
            ? '"'
            : e === 'apos'
              ? "'"
              : String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1))),
  );
}

function parseXml(text: string): Item[] {
  const items: Item[] = [];
  const clean = text.replace(/<!--[\s\S]*?-->/g, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  const root = /<(?:\w+:)?databaseChangeLog\b([^>]*)>/.exec(clean);
  const logicalRoot = root ? (attrs(root[1] as string)['logicalFilePath'] ?? null) : null;
  for (const m of clean.matchAll(/<(?:\w+:)?(changeSet|include|includeAll)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/g)) {
    const a = attrs(m[2] as string);
    if (m[1] === 'changeSet') {
      if (a['id'] === undefined || a['author'] === undefined) throw new Error('a changeSet without id or author');
      items.push({ kind: 'changeSet', id: a['id'], author: a['author'], logical: a['logicalFilePath'] ?? logicalRoot });
    } else if (m[1] === 'include') {
      if (!a['file']) throw new Error('an include without file');
      items.push({ kind: 'include', path: a['file'], relative: truthy(a['relativeToChangelogFile']) });
    } else {
      if (!a['path']) throw new Error('an includeAll without path');
      items.push({ kind: 'includeAll', path: a['path'], relative: truthy(a['relativeToChangelogFile']) });
    }
  }
  return items;
}

function fromObjects(log: unknown[], logicalRoot: string | null): Item[] {
  const items: Item[] = [];
  for (const entry of log) {
    if (!entry || typeof entry !== 'object') continue;
    const e = entry as Record<string, Record<string, unknown> | undefined>;
    const str = (o: Record<string, unknown> | undefined, k: string) => (o?.[k] === undefined || o[k] === null ? undefined : String(o[k]));
    if (e['changeSet']) {
      const id = str(e['changeSet'], 'id');
      const author = str(e['changeSet'], 'author');
      if (id === undefined || author === undefined) throw new Error('a changeSet without id or author');
      items.push({ kind: 'changeSet', id, author, logical: str(e['changeSet'], 'logicalFilePath') ?? logicalRoot });
    } else if (e['include']) {
      const file = str(e['include'], 'file');
      if (!file) throw new Error('an include without file');
      items.push({ kind: 'include', path: file, relative: str(e['include'], 'relativeToChangelogFile') === 'true' });
    } else if (e['includeAll']) {
      const path = str(e['includeAll'], 'path');
      if (!path) throw new Error('an includeAll without path');
      items.push({ kind: 'includeAll', path, relative: str(e['includeAll'], 'relativeToChangelogFile') === 'true' });
    }
    // Other top-level entries (properties, preconditions) order nothing.
  }
  return items;
}

function parseJson(text: string): Item[] {
  const doc = JSON.parse(text) as { databaseChangeLog?: unknown };
  const log = doc.databaseChangeLog;
  if (!Array.isArray(log)) throw new Error('"databaseChangeLog" is not a list');
  const logical = log.find((e) => e && typeof e === 'object' && 'logicalFilePath' in e) as { logicalFilePath?: string } | undefined;
  return fromObjects(log, logical?.logicalFilePath ?? null);
}

/**
 * The block-style YAML Liquibase changelogs are written in: `databaseChangeLog:` then `- changeSet:`,
 * `- include:`, `- includeAll:` items whose scalar keys are read; nested lists (changes) are skipped. Flow
 * style (`{ … }`) for these items, anchors and multi-document files are not read.
 */
function parseYaml(text: string): Item[] {
  const lines = text.split(/\r?\n/);
  const log: Record<string, Record<string, unknown>>[] = [];
  let logical: string | null = null;
  let current: Record<string, unknown> | null = null;
  let itemIndent = -1;
  let keyIndent = -1;
  for (const raw of lines) {
    const line = raw.replace(/\s+#.*$/, '');
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    const item = /^(\s*)-\s+(changeSet|include|includeAll)\s*:\s*$/.exec(line);
    if (item) {
      current = {};
      log.push({ [item[2] as string]: current });
      itemIndent = indent;
      keyIndent = -1;
      continue;
    }
    const top = /^\s*logicalFilePath\s*:\s*(.+)$/.exec(line);
    if (top && (current === null || indent <= itemIndent)) logical = unquote(top[1] as string);
    if (current === null) continue;
    if (indent <= itemIndent) {
      current = null;
      continue;
    }
    const kv = /^\s*([\w-]+)\s*:\s*(.*)$/.exec(line);
    if (!kv || line.trimStart().startsWith('-')) continue;
    if (keyIndent < 0) keyIndent = indent;
    if (indent !== keyIndent) continue;
    if ((kv[2] as string) !== '') current[kv[1] as string] = unquote(kv[2] as string);
  }
  return fromObjects(log, logical);
}

function unquote(v: string): string {
  const t = v.trim();
  if (/^".*"$/.test(t)) return JSON.parse(t) as string;
  if (/^'.*'$/.test(t)) return t.slice(1, -1).replaceAll("''", "'");
  return t;
}

/** Formatted SQL: `--changeset author:id` lines (attributes after it ignored), `--include`/`--includeAll` lines. */
function parseSql(text: string): Item[] {
  const items: Item[] = [];
  let logical: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    const head = /^--\s*liquibase\s+formatted\s+sql\b(.*)$/i.exec(line);
    if (head) logical = /logicalFilePath:(\S+)/i.exec(head[1] as string)?.[1] ?? null;
    // Liquibase's FormattedSqlChangeLogParser: `--changeset ("[^"]+"|[^:]+):\s*("[^"]+"|\S+)`.
    const cs = /^--\s*changeset\s+(?:"([^"]+)"|([^:]+)):\s*(?:"([^"]+)"|(\S+))/i.exec(line);
    if (cs) {
      items.push({ kind: 'changeSet', author: (cs[1] ?? (cs[2] as string).trim()) as string, id: (cs[3] ?? cs[4]) as string, logical });
      continue;
    }
    const inc = /^--\s*include(All)?\s+(?:file|path):(\S+)(.*)$/i.exec(line);
    if (inc) {
      const relative = /relativeToChangelogFile:true/i.test(inc[3] as string);
      items.push(inc[1] ? { kind: 'includeAll', path: inc[2] as string, relative } : { kind: 'include', path: inc[2] as string, relative });
    }
  }
  return items;
}
