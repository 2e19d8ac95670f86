import { Buffer } from 'node:buffer';

/**
 * Secret redaction for everything a command prints. A server can echo the
 * token back (an error page saying "invalid token …", a proxy quoting the
 * request), so URL redaction alone is not enough: every value known to be a
 * secret — the token, URL and proxy passwords, and the Basic credentials made
 * from them — is replaced wherever it appears, in text and in JSON documents.
 */

/** What replaces a secret value. */
export const REDACTED = '[redacted]';

/** Secrets shorter than this are not searched for in free text: replacing every "ab" would garble the output. */
export const MIN_SECRET_LENGTH = 4;

export interface Redactor {
  /** `text` with every known secret replaced by {@link REDACTED}. */
  text(text: string): string;
  /** A copy of a JSON-like value with every string redacted (keys are ours and left alone). */
  value<T>(value: T): T;
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
  if (!url.password) return [];
  const user = safeDecode(url.username);
  const password = safeDecode(url.password);
  return [...secretVariants(url.password), Buffer.from(`${user}:${password}`).toString('base64')];
}

/** Builds the redactor for a set of secrets (empty and short values are ignored). */
export function createSecretRedactor(secrets: Iterable<string | null | undefined>): Redactor {
  const set = new Set<string>();
  for (const s of secrets) if (s) for (const v of secretVariants(s)) set.add(v);
  // Longest first, so a secret containing another is replaced whole.
  const list = [...set].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  const text = (t: string): string => {
    let out = t;
    for (const secret of list) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
  const value = <T>(v: T): T => deepMap(v, text) as T;
  return { text, value };
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
