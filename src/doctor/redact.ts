import { redactText } from '../url.js';

/** What replaces a secret value found in text. */
export const REDACTED = '[redacted]';

/** Secrets shorter than this are not searched for in free text (they would garble it); URL credentials are always stripped. */
const MIN_SECRET_LENGTH = 4;

export interface RedactorOptions {
  /** Values that must never appear: tokens, passwords. Each is also matched percent-decoded. */
  secrets?: ReadonlyArray<string | null | undefined>;
  /** The home directory (or its several spellings, e.g. through a symlink), shown as `~`. */
  home?: string | ReadonlyArray<string | null | undefined> | null;
}

/**
 * Builds the function that makes a report safe to paste into a ticket:
 * `user:password@` removed from URLs, every known secret replaced by
 * `[redacted]` (a server can echo a token back in an error page), and the
 * home directory shown as `~`.
 */
export function createRedactor(options: RedactorOptions): (text: string) => string {
  const secrets = new Set<string>();
  for (const s of options.secrets ?? []) {
    if (!s) continue;
    secrets.add(s);
    secrets.add(safeDecode(s));
  }
  // Longest first, so a secret containing another is replaced whole.
  const list = [...secrets].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  const homes = (typeof options.home === 'string' ? [options.home] : [...(options.home ?? [])])
    .map((h) => h?.replace(/\/+$/, ''))
    .filter((h): h is string => Boolean(h && h.length > 1))
    .sort((a, b) => b.length - a.length);
  const homePattern = homes.length ? new RegExp(`(?:${homes.map(escapeRegExp).join('|')})(?=$|[^A-Za-z0-9._-])`, 'g') : null;
  return (text) => {
    let out = redactText(text);
    for (const secret of list) out = out.split(secret).join(REDACTED);
    if (homePattern) out = out.replace(homePattern, '~');
    return out;
  };
}

/** The password part of a URL (raw and decoded), or nothing. Never throws. */
export function urlSecrets(input: string | null | undefined): string[] {
  if (!input) return [];
  try {
    const url = new URL(input);
    return url.password ? [url.password, safeDecode(url.password)] : [];
  } catch {
    // Not a URL: take whatever sits between "://user:" and "@" by hand.
    const m = /:\/\/[^/@\s:]*:([^/@\s]*)@/.exec(input);
    return m?.[1] ? [m[1]] : [];
  }
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
