/**
 * The one sanitizer. Every string that reaches a terminal passes through it:
 * C0 controls, DEL, C1 controls (including the one-byte CSI U+009B) and the
 * bidi overrides become visible escapes, so a server can neither move the
 * cursor, repaint the screen, set the title nor reorder what a user reads.
 */

// C0 (but tab/newline are handled by the caller's choice), DEL, C1, bidi embeddings/overrides/isolates,
// line/paragraph separators, and zero-width/BOM characters that hide text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_WITH_NEWLINES = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

function visible(ch: string): string {
  const code = ch.charCodeAt(0);
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Makes text safe for a terminal. With `multiline`, newlines (and tabs) are
 * kept as layout; otherwise they too become visible escapes.
 */
export function sanitize(text: string, options: { multiline?: boolean } = {}): string {
  return text.replace(options.multiline ? UNSAFE : UNSAFE_WITH_NEWLINES, visible);
}

const JSON_UNSAFE = /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/**
 * JSON that is safe to print: JSON.stringify already escapes C0 controls;
 * this also escapes DEL, C1 and bidi characters as \uXXXX, so even `cat`-ing
 * the document to a terminal is harmless. The value parses back unchanged.
 */
export function safeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
