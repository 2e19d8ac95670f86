import { MatrixError } from '../../errors.js';
import type { ChainNode } from './order.js';

/** What differs between the matrix's chain and the migrations' order. */
export interface ChainDiff {
  added: string[];
  removed: string[];
  /** Revisions in both whose order relative to each other changed. */
  reordered: string[];
  /** Revisions in both that follow other revisions now. */
  parentsChanged: string[];
  changed: boolean;
}

type Entry = Record<string, unknown>;

/** The matrix file as text, with where its `schema_chain` value starts and ends. */
interface RawMatrix {
  text: string;
  doc: Record<string, unknown>;
  chain: Entry[];
  span: { start: number; end: number };
}

export function parseRawMatrix(text: string, file: string): RawMatrix {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new MatrixError(file, [{ path: '', message: `not valid JSON (${(err as Error).message})` }], { cause: err });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new MatrixError(file, [{ path: '', message: 'must be a JSON object' }]);
  const chain = (doc as Record<string, unknown>)['schema_chain'];
  if (
    !Array.isArray(chain) ||
    chain.some((e) => e === null || typeof e !== 'object' || Array.isArray(e) || typeof e.revision !== 'string')
  ) {
    throw new MatrixError(file, [{ path: 'schema_chain', message: 'must be an array of objects with a "revision"' }]);
  }
  const span = topLevelValueSpan(text, 'schema_chain');
  if (!span) throw new MatrixError(file, [{ path: 'schema_chain', message: 'is missing' }]);
  return { text, doc: doc as Record<string, unknown>, chain: chain as Entry[], span };
}

/** The parents a chain entry has: its `parents`, else the entry before it (none for the first). */
export function effectiveParents(chain: readonly Entry[], i: number): string[] {
  const p = chain[i]?.['parents'];
  if (Array.isArray(p)) return p.filter((x): x is string => typeof x === 'string');
  return i === 0 ? [] : [String(chain[i - 1]?.['revision'])];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function diffChain(old: readonly Entry[], next: readonly ChainNode[]): ChainDiff {
  const oldIds = old.map((e) => String(e['revision']));
  const oldSet = new Set(oldIds);
  const newSet = new Set(next.map((n) => n.revision));
  const added = next.map((n) => n.revision).filter((id) => !oldSet.has(id));
  const removed = oldIds.filter((id) => !newSet.has(id));
  // Common revisions in each order; where the sequences part, the revision has moved.
  const a = oldIds.filter((id) => newSet.has(id));
  const b = next.map((n) => n.revision).filter((id) => oldSet.has(id));
  const reordered = movedIds(a, b);
  const oldParents = new Map(oldIds.map((id, i) => [id, effectiveParents(old, i)]));
  const moved = new Set(reordered);
  const parentsChanged = next
    .filter((n) => {
      const before = oldParents.get(n.revision);
      return before !== undefined && !moved.has(n.revision) && !sameList(before, n.parents);
    })
    .map((n) => n.revision);
  const changed = added.length > 0 || removed.length > 0 || reordered.length > 0 || parentsChanged.length > 0;
  return { added, removed, reordered, parentsChanged, changed };
}

/** The revisions outside a longest common subsequence of the two orders (O(n log n), ids unique). */
function movedIds(a: readonly string[], b: readonly string[]): string[] {
  if (sameList(a, b)) return [];
  const pos = new Map(b.map((id, i) => [id, i]));
  const seq = a.map((id) => pos.get(id) as number);
  // Longest increasing subsequence of seq; ids not in it moved.
  const tails: number[] = [];
  const tailIdx: number[] = [];
  const prev: number[] = new Array(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    const v = seq[i] as number;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((tails[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    tails[lo] = v;
    tailIdx[lo] = i;
    prev[i] = lo > 0 ? (tailIdx[lo - 1] as number) : -1;
  }
  const keep = new Set<number>();
  for (let i = tailIdx[tails.length - 1] ?? -1; i >= 0; i = prev[i] as number) keep.add(i);
  return a.filter((_, i) => !keep.has(i));
}

/**
 * The new chain as entries: each known revision keeps its entry (every field, in its key order), with
 * `parents` set where they are not simply the entry before, and removed where they are, and a null
 * `server_version` becomes `release` when there is one; a new revision gets `revision`, `description`
 * (when it has one) and `server_version`: `release`, or null (in no released server yet).
 */
export function buildChain(old: readonly Entry[], next: readonly ChainNode[], release: string | null): Entry[] {
  const byId = new Map(old.map((e) => [String(e['revision']), e]));
  return next.map((n, i) => {
    const implicit = i === 0 ? [] : [(next[i - 1] as ChainNode).revision];
    const needParents = !sameList(implicit, n.parents);
    const known = byId.get(n.revision);
    const entry: Entry = {};
    if (known) {
      for (const [k, v] of Object.entries(known)) {
        if (k === 'parents') continue;
        // A revision in no release yet (null) gets the release it now ships in.
        entry[k] = k === 'server_version' && v === null && release !== null ? release : v;
        if (k === 'revision' && needParents) entry['parents'] = n.parents;
      }
      return entry;
    }
    entry['revision'] = n.revision;
    if (needParents) entry['parents'] = n.parents;
    if (n.description) entry['description'] = n.description;
    entry['server_version'] = release;
    return entry;
  });
}

/** The matrix text with only `schema_chain`'s value replaced, in the file's own indentation. */
export function rewriteMatrixText(raw: RawMatrix, chain: readonly Entry[]): string {
  const { text, span } = raw;
  const unit = detectIndent(text);
  const lineStart = text.lastIndexOf('\n', span.start) + 1;
  const base = /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return text.slice(0, span.start) + renderArray(chain, base, unit, eol) + text.slice(span.end);
}

function renderArray(chain: readonly Entry[], base: string, unit: string, eol: string): string {
  if (chain.length === 0) return '[]';
  const inner = base + unit;
  const items = chain.map((e) => {
    const fields = Object.entries(e).map(([k, v]) => `${inner}${unit}${JSON.stringify(k)}: ${renderValue(v, inner + unit, unit, eol)}`);
    return `${inner}{${eol}${fields.join(`,${eol}`)}${eol}${inner}}`;
  });
  return `[${eol}${items.join(`,${eol}`)}${eol}${base}]`;
}

function renderValue(v: unknown, indent: string, unit: string, eol: string): string {
  // Short lists of strings (parents) on one line, as a formatter writes them.
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
  const json = JSON.stringify(v, null, unit);
  return json === undefined ? 'null' : json.split('\n').join(`${eol}${indent}`);
}

/** The file's indentation unit: the first indented line's leading whitespace (two spaces when none). */
export function detectIndent(text: string): string {
  const m = /\n([ \t]+)\S/.exec(text);
  return m?.[1] ?? '  ';
}

/** Where the value of a top-level key starts and ends in JSON text. */
function topLevelValueSpan(text: string, key: string): { start: number; end: number } | null {
  let i = skipWs(text, 0);
  if (text[i] !== '{') return null;
  i++;
  let found: { start: number; end: number } | null = null;
  for (;;) {
    i = skipWs(text, i);
    if (text[i] === '}') break;
    const keyEnd = skipString(text, i);
    const name = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    i = skipWs(text, i + 1); // ':'
    const start = i;
    i = skipValue(text, i);
    if (name === key) found = { start, end: i };
    i = skipWs(text, i);
    if (text[i] === ',') i++;
    else break;
  }
  return found;
}

function skipWs(text: string, i: number): number {
  while (i < text.length && ' \t\r\n'.includes(text[i] as string)) i++;
  return i;
}

function skipString(text: string, i: number): number {
  i++;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    while (i < text.length) {
      const d = text[i];
      if (d === '"') {
        i = skipString(text, i);
        continue;
      }
      if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return i;
  }
  while (i < text.length && !',}] \t\r\n'.includes(text[i] as string)) i++;
  return i;
}
