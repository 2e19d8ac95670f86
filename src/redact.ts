import { Buffer } from 'node:buffer';
import { redactText } from './url.js';

/**
 * Secrets gathered here, below every tier that knows one (the resolution's tokens, URL credentials, proxy
 * passwords), so no lower tier imports `render/` for them; the commands' one writer and doctor's report apply
 * the redactor this module builds.
 *
 * THE redactor: the one function every printed byte passes, in every command and every format (doctor's
 * report included), before anything is cut short. A server can echo a token back (an error page saying
 * "invalid token …", a proxy quoting the request's Authorization header), so URL redaction alone is not
 * enough: every secret the run knows — tokens, the admin token, URL userinfo, proxy credentials — is
 * replaced in every spelling (as given, percent-decoded, percent-encoded, and the Basic base64 of
 * `user:password`), and so is **any run of {@link partialLength} or more characters of one** (8, or half
 * of a shorter secret), so a preview cut off in the middle of a token never keeps half of it. `user:password@` is stripped from URLs and the
 * home directory is shown as `~`.
 */

/** What replaces a secret value. */
export const REDACTED = '[redacted]';

/** Secrets shorter than this are not searched for in free text: replacing every "ab" would garble the output. */
export const MIN_SECRET_LENGTH = 4;

/** Any run of this many characters of a secret is redacted, wherever it appears (fewer for a short secret). */
export const PARTIAL_LENGTH = 8;

/**
 * The shortest run of a secret of `length` characters that is redacted: {@link PARTIAL_LENGTH}, or half of a
 * shorter secret (rounded up, and at least 3), so what a cut-off preview keeps of it is always less than half.
 */
export function partialLength(length: number): number {
  return Math.max(3, Math.min(PARTIAL_LENGTH, Math.ceil(length / 2)));
}

export interface Redactor {
  /** `text` with every known secret (and any part of one of {@link partialLength}+ characters) replaced. */
  text(text: string): string;
  /** A copy of a JSON-like value with every string redacted (keys are ours and left alone). */
  value<T>(value: T): T;
}

export interface RedactorOptions {
  /** The home directory (or its several spellings, e.g. through a symlink), shown as `~`. */
  home?: string | ReadonlyArray<string | null | undefined> | null;
}

/** The spellings under which a secret can travel: as given, percent-decoded and percent-encoded. */
export function secretVariants(secret: string): string[] {
  const out = new Set([secret]);
  try {
    out.add(decodeURIComponent(secret));
  } catch {
    // not percent-encoded
  }
  out.add(encodeURIComponent(secret));
  return [...out];
}

/** The secrets inside a URL's `user:password@`: the password, and the Basic credentials built from both. Never throws. */
export function urlCredentialSecrets(input: string | URL | null | undefined): string[] {
  if (!input) return [];
  let url: URL;
  try {
    url = new URL(typeof input === 'string' ? input.trim() : input.href);
  } catch {
    // Not a URL: whatever sits between "://user:" and the last "@" of the authority.
    const m = /:\/\/[^/@\s:]*:([^\s/?#]*)@/.exec(String(input));
    return m?.[1] ? secretVariants(m[1]) : [];
  }
  if (!url.password && !url.username) return [];
  const user = safeDecode(url.username);
  const password = safeDecode(url.password);
  const basic = Buffer.from(`${user}:${password}`).toString('base64');
  // Without a password, the user name is the credential (`https://TOKEN@host`).
  return [...secretVariants(url.password || url.username), basic];
}

/** The redactor as one function over text, for callers that only redact text (doctor's SDK surface). */
export function createRedactor(
  options: { secrets?: ReadonlyArray<string | null | undefined> } & RedactorOptions,
): (text: string) => string {
  return createSecretRedactor(options.secrets ?? [], options).text;
}

/** Builds the redactor for a set of secrets (empty and short values are ignored). */
export function createSecretRedactor(secrets: Iterable<string | null | undefined>, options: RedactorOptions = {}): Redactor {
  const set = new Set<string>();
  for (const s of secrets) if (s) for (const v of secretVariants(s)) set.add(v);
  // Longest first, so a secret containing another is replaced whole.
  const whole = [...set].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  // The runs to look for, by their length: a secret's windows of its partialLength.
  const grams = new Map<number, Set<string>>();
  for (const s of whole) {
    const n = partialLength(s.length);
    const set = grams.get(n) ?? new Set<string>();
    grams.set(n, set);
    for (let i = 0; i + n <= s.length; i++) set.add(s.slice(i, i + n));
  }
  const home = homePattern(options.home);
  const text = (t: string): string => {
    let out = redactText(t);
    for (const secret of whole) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    if (grams.size) out = redactPartials(out, grams);
    if (whole.length && out.includes(CUT)) out = redactCutEdges(out, whole);
    if (home) out = out.replace(home, '~');
    return out;
  };
  const value = <T>(v: T): T => deepMap(v, text) as T;
  return { text, value };
}

/** Replaces every run of `text` covered by windows that occur in a secret (by length: `grams.get(n)` holds those of n characters). */
function redactPartials(text: string, grams: ReadonlyMap<number, ReadonlySet<string>>): string {
  const covered: Array<[number, number]> = [];
  for (const [n, set] of grams) for (let i = 0; i + n <= text.length; i++) if (set.has(text.slice(i, i + n))) covered.push([i, i + n]);
  if (covered.length === 0) return text;
  covered.sort((a, b) => a[0] - b[0]);
  let out = '';
  let last = 0;
  let [start, end] = covered[0] as [number, number];
  for (const [from, to] of covered) {
    if (from > end) {
      out += `${text.slice(last, start)}${REDACTED}`;
      last = end;
      start = from;
    }
    end = Math.max(end, to);
  }
  return `${out}${text.slice(last, start)}${REDACTED}${text.slice(end)}`;
}

/** What marks text cut short (a preview of a body): what touches it may be the start or end of a secret cut in two. */
const CUT = '…';

/**
 * A preview cut inside a secret keeps a piece of it shorter than any run {@link redactPartials} can
 * recognise (`tokABC…`). Beside a cut, the longest piece that is how a secret begins (before it) or
 * ends (after it) is redacted too, down to one character: no part of a secret survives a cut.
 */
function redactCutEdges(text: string, secrets: readonly string[]): string {
  let out = '';
  let last = 0;
  for (let at = text.indexOf(CUT); at >= 0; at = text.indexOf(CUT, at + CUT.length)) {
    let before = 0;
    for (const s of secrets) {
      for (let k = Math.min(s.length - 1, at - last); k > before; k--) if (s.startsWith(text.slice(at - k, at))) before = k;
    }
    const from = at + CUT.length;
    let after = 0;
    const next = text.indexOf(CUT, from);
    const room = (next < 0 ? text.length : next) - from;
    for (const s of secrets) {
      for (let k = Math.min(s.length - 1, room); k > after; k--) if (s.endsWith(text.slice(from, from + k))) after = k;
    }
    out += `${text.slice(last, at - before)}${before ? REDACTED : ''}${CUT}${after ? REDACTED : ''}`;
    last = from + after;
  }
  return out + text.slice(last);
}

function homePattern(home: RedactorOptions['home']): RegExp | null {
  const homes = (typeof home === 'string' ? [home] : [...(home ?? [])])
    .map((h) => h?.replace(/\/+$/, ''))
    .filter((h): h is string => Boolean(h && h.length > 1))
    .sort((a, b) => b.length - a.length);
  return homes.length ? new RegExp(`(?:${homes.map(escapeRegExp).join('|')})(?=$|[^A-Za-z0-9._-])`, 'g') : null;
}

/** Every string of a JSON-like value (a hint, a document) through `f`: how a redactor is applied to data. */
export function mapStrings<T>(value: T, f: (s: string) => string): T {
  return deepMap(value, f) as T;
}

/** Maps every string of a JSON-like value, as JSON.stringify would see it (toJSON applied, own keys kept as keys). */
function deepMap(input: unknown, f: (s: string) => string): unknown {
  const v =
    input !== null && typeof input === 'object' && typeof (input as { toJSON?: unknown }).toJSON === 'function'
      ? (input as { toJSON(): unknown }).toJSON()
      : input;
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => deepMap(x, f));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    // defineProperty: a key such as "__proto__" stays an ordinary key.
    for (const [k, x] of Object.entries(v))
      Object.defineProperty(out, k, { value: deepMap(x, f), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
