import { isRevisionId, type Migration, SyncError } from './types.js';

/** A revision in chain order, with the revisions it follows. */
export interface ChainNode {
  revision: string;
  parents: string[];
  description: string | null;
}

/**
 * The migrations in the tool's own order, oldest first. Key-ordered tools (Flyway, Rails, Prisma,
 * numbered SQL) are sorted by their key, each following the one before; graph-ordered tools
 * (Alembic, Django) are ordered topologically. Among revisions that could go next, one already in
 * the matrix's chain goes in the chain's order (so a hand-ordered chain stays as it is), and a new one
 * goes right after its parent, so a branch stays together.
 *
 * Throws {@link SyncError}: a duplicate id or an invalid one, a parent that does not exist or a cycle
 * (naming the file), more than one head (naming the heads).
 */
export function orderMigrations(migrations: readonly Migration[], knownOrder: readonly string[] = []): ChainNode[] {
  const byId = new Map<string, Migration>();
  for (const m of migrations) {
    if (!isRevisionId(m.revision)) {
      throw new SyncError(
        'invalid_id',
        `${m.file}: ${JSON.stringify(m.revision)} is not a revision id (printable text, at most 256 characters)`,
        {
          file: m.file,
        },
      );
    }
    const seen = byId.get(m.revision);
    if (seen) {
      throw new SyncError('duplicate', `Revision ${m.revision} is defined twice: in ${seen.file} and in ${m.file}`, {
        file: m.file,
        remedy: 'Give one of them another id; each revision id must be unique',
      });
    }
    byId.set(m.revision, m);
  }
  if (migrations.every((m) => m.sortKey !== null)) return byKey(migrations);

  const children = new Map<string, string[]>();
  const indegree = new Map<string, number>();
  for (const m of migrations) {
    indegree.set(m.revision, m.parents.length);
    for (const p of m.parents) {
      if (!byId.has(p)) {
        throw new SyncError('missing_parent', `${m.file}: revision ${m.revision} follows ${p}, which is not in the directory`, {
          file: m.file,
          remedy: `Add the migration that defines ${p}, or correct the parent`,
        });
      }
      const list = children.get(p);
      if (list) list.push(m.revision);
      else children.set(p, [m.revision]);
    }
  }
  const known = new Map(knownOrder.map((id, i) => [id, i]));
  const heap = new Heap();
  let seq = 0;
  const push = (ids: string[]) => {
    // Descending ids, so that of several new siblings the smallest id pops first.
    for (const id of [...ids].sort().reverse()) heap.push({ id, known: known.get(id) ?? Number.POSITIVE_INFINITY, seq: seq++ });
  };
  push(migrations.filter((m) => m.parents.length === 0).map((m) => m.revision));
  const out: ChainNode[] = [];
  for (let item = heap.pop(); item; item = heap.pop()) {
    const m = byId.get(item.id) as Migration;
    out.push({ revision: m.revision, parents: [...m.parents], description: m.description });
    const ready: string[] = [];
    for (const c of children.get(m.revision) ?? []) {
      const left = (indegree.get(c) as number) - 1;
      indegree.set(c, left);
      if (left === 0) ready.push(c);
    }
    push(ready);
  }
  if (out.length < migrations.length) throw cycleError(migrations, new Set(out.map((n) => n.revision)), byId);
  const heads = out.filter((n) => !children.has(n.revision)).map((n) => n.revision);
  if (heads.length > 1) {
    throw new SyncError('multiple_heads', `The migrations have ${heads.length} heads: ${heads.join(', ')}`, {
      heads,
      remedy: 'Merge the branches into one head (alembic merge, or makemigrations --merge) before syncing the matrix',
    });
  }
  return out;
}

function byKey(migrations: readonly Migration[]): ChainNode[] {
  const sorted = [...migrations].sort((a, b) => compareKeys(a.sortKey ?? [], b.sortKey ?? []));
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1] as Migration;
    const b = sorted[i] as Migration;
    if (compareKeys(a.sortKey ?? [], b.sortKey ?? []) === 0) {
      throw new SyncError('duplicate', `${a.file} and ${b.file} have the same version (${a.revision}, ${b.revision})`, {
        file: b.file,
        remedy: 'Give one of them another version; the tool refuses two migrations with one version',
      });
    }
  }
  return sorted.map((m, i) => ({
    revision: m.revision,
    parents: i === 0 ? [] : [(sorted[i - 1] as Migration).revision],
    description: m.description,
  }));
}

/** Part by part; numbers numerically, text by code unit; a missing part sorts first. */
export function compareKeys(a: readonly (bigint | string)[], b: readonly (bigint | string)[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return y === undefined ? 0 : -1;
    if (y === undefined) return 1;
    if (typeof x === 'bigint' && typeof y === 'bigint') {
      if (x !== y) return x < y ? -1 : 1;
      continue;
    }
    const sx = String(x);
    const sy = String(y);
    if (sx !== sy) return sx < sy ? -1 : 1;
  }
  return 0;
}

function cycleError(migrations: readonly Migration[], placed: Set<string>, byId: Map<string, Migration>): SyncError {
  // Walk parents from an unplaced revision until one repeats: that revision is on a cycle.
  const start = migrations.find((m) => !placed.has(m.revision)) as Migration;
  const seen = new Map<string, number>();
  const path: string[] = [];
  let cur: string | undefined = start.revision;
  while (cur !== undefined && !seen.has(cur)) {
    seen.set(cur, path.length);
    path.push(cur);
    const parents: string[] = byId.get(cur)?.parents ?? [];
    cur = parents.find((p) => !placed.has(p));
  }
  const cycle = cur === undefined ? path : path.slice(seen.get(cur));
  const file = byId.get(cycle[0] as string)?.file ?? null;
  return new SyncError('cycle', `${file}: revision ${cycle[0]} is part of a cycle: ${[...cycle, cycle[0]].join(' → ')}`, {
    file,
    remedy: 'Correct the parent of one of these migrations: revisions may not follow themselves',
  });
}

interface HeapItem {
  id: string;
  known: number;
  seq: number;
}

/** A binary min-heap: known revisions by their chain position, then the most recently readied. */
class Heap {
  #a: HeapItem[] = [];

  static #less(x: HeapItem, y: HeapItem): boolean {
    return x.known !== y.known ? x.known < y.known : x.seq > y.seq;
  }

  push(item: HeapItem): void {
    const a = this.#a;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!Heap.#less(a[i] as HeapItem, a[p] as HeapItem)) break;
      [a[i], a[p]] = [a[p] as HeapItem, a[i] as HeapItem];
      i = p;
    }
  }

  pop(): HeapItem | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && Heap.#less(a[l] as HeapItem, a[m] as HeapItem)) m = l;
        if (r < a.length && Heap.#less(a[r] as HeapItem, a[m] as HeapItem)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as HeapItem, a[i] as HeapItem];
        i = m;
      }
    }
    return top;
  }
}
