/**
 * The small rules of English every message shares, each said once: a count with its noun, a list cut
 * short, a duration, a size. Plain strings in, plain strings out: no terminal, no style, no sanitizing
 * (render/ sanitizes what a server sent before it gets here or after), so every tier may import it
 * (docs/architecture.md).
 */

/** The noun for `n`: `one` for exactly 1, else `many` (default `one` + "s"); `pluralWord(2, 'is', 'are')` → `are`. */
export function pluralWord(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

/** A count and its noun: `plural(1, 'migration')` → `1 migration`, `plural(3, 'migration')` → `3 migrations`; `plural(0, 'entry', 'entries')` → `0 entries`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${pluralWord(n, one, many)}`;
}

export interface ShortListOptions<T> {
  /** How many items are shown before the rest is counted (default 3). */
  max?: number;
  /** Between two shown items (default `, `). */
  separator?: string;
  /** Between the last shown item and `and N more` (default a space: `a, b, c and 2 more`). */
  beforeMore?: string;
  /** How an item is written (e.g. render/'s sanitizer); applied to the shown items only. Default `String`. */
  show?: (item: T) => string;
}

/** Up to `max` items, then how many more: `0001, 0002, 0003 and 2 more`. The one way messages cut a list short. */
export function shortList<T = string>(items: readonly T[], options: ShortListOptions<T> = {}): string {
  const { max = 3, separator = ', ', beforeMore = ' ', show = String } = options;
  const shown = items.slice(0, max).map(show).join(separator);
  return items.length > max ? `${shown}${beforeMore}and ${items.length - max} more` : shown;
}

/** Whole seconds, rounded up: a wait a server asked for is never said shorter than asked (`Retry-After`), `2 s`. */
export function secondsUp(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}

/** An interval or a limit in seconds, as it was set (to the millisecond): `0.25 s`, `2 s`, `600 s`. */
export function formatSeconds(ms: number): string {
  return `${Math.round(ms) / 1000} s`;
}

/** Time elapsed or left, down to the second, never rounded up: `42 s`, `3 min 5 s`, `2 h 1 min`. */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/** A duration in one rounded unit, for an offset whose order matters more than its digits: `90 s`, `5 min`, `3 h`, `2 days`. */
export function roughDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} days`;
}

/** A byte count as said in a message: exact below 1 KiB, and never rounded up past the limit it states (`1 MiB`, `1.4 KiB (1500 bytes)`). */
export function formatBytes(n: number): string {
  if (n < 1024) return plural(n, 'byte');
  const unit = n >= 1024 * 1024 ? { size: 1024 * 1024, name: 'MiB' } : { size: 1024, name: 'KiB' };
  const whole = n % unit.size === 0;
  return `${whole ? n / unit.size : (Math.floor((n / unit.size) * 10) / 10).toFixed(1)} ${unit.name}${whole ? '' : ` (${n} bytes)`}`;
}
