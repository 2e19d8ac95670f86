/**
 * "Did you mean …?" for a mistyped command or flag: the closest known name by edit distance, when it is
 * close enough to be a typo rather than another word.
 */

/** Levenshtein distance, with a transposition counted as one edit (`chekc` → `check`). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const prev = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The candidate closest to `word`, or undefined when none is within a typo's reach (a third of its length, at least 1, at most 3). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const reach = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(word.toLowerCase(), name.toLowerCase());
    if (distance <= reach && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/**
 * The command a mistyped id most likely meant, as an id (`compat:check`): the whole id first
 * (`compat:chek`), then its last word against every command's last word, so a command typed without its
 * topic (`upgrade`, `chek`) is found too.
 */
export function suggestCommand(id: string, commandIds: readonly string[]): string | undefined {
  const whole = closest(id, commandIds);
  if (whole) return whole;
  const parts = id.split(':');
  const last = parts.at(-1) ?? id;
  const topic = parts.slice(0, -1).join(':');
  const pool = commandIds.filter((c) => !topic || c.startsWith(`${topic}:`));
  const byLast = new Map(pool.map((c) => [c.split(':').at(-1) ?? c, c]));
  const hit = closest(last, [...byLast.keys()]);
  return hit === undefined ? undefined : byLast.get(hit);
}

/** The flag a mistyped one most likely meant (`--sever` → `--server`), from the command's flag names. */
export function suggestFlag(typed: string, flags: Record<string, { char?: string }>): string | undefined {
  const name = typed.replace(/^-+/, '').split('=')[0] ?? '';
  if (!name) return undefined;
  const hit = closest(name, Object.keys(flags));
  return hit === undefined ? undefined : `--${hit}`;
}
