/**
 * The one sanitizer. Every string that reaches a terminal passes through it:
 * C0 controls, DEL, C1 controls (including the one-byte CSI U+009B) and the
 * bidi overrides become visible escapes, so a server can neither move the
 * cursor, repaint the screen, set the title nor reorder what a user reads.
 *
 * Two layers use it: the formatters sanitize each value they place in a line
 * (so a newline in a value can never forge a line of its own), and the
 * command's writer passes every finished text through {@link sanitizeOutput}
 * as well, so a path that forgot the first layer still cannot emit a raw
 * control byte.
 */

// C0 (but tab/newline are handled by the caller's choice), DEL, C1, the Arabic letter mark, bidi
// embeddings/overrides/isolates, line/paragraph separators, and zero-width/BOM characters that hide text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_WITH_NEWLINES = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

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

// The only escape sequences handshake itself prints: the SGR codes of render/style.ts (bold, dim, their
// reset, red, green, yellow, cyan, the colour reset). SGR cannot move the cursor, erase or set a title.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const OWN_STYLE = /(\u001b\[(?:1|2|22|31|32|33|36|39)m)/;

/**
 * The last guard before a terminal, applied by the command to everything it
 * prints as text: newlines and tabs stay (layout), every other unsafe
 * character becomes a visible escape. With `keepStyle` (colour is on), the
 * exact colour codes of `render/style.ts` survive; nothing else does.
 */
export function sanitizeOutput(text: string, options: { keepStyle?: boolean } = {}): string {
  if (!options.keepStyle) return sanitize(text, { multiline: true });
  return text
    .split(OWN_STYLE)
    .map((part, i) => (i % 2 === 1 ? part : sanitize(part, { multiline: true })))
    .join('');
}

const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/**
 * JSON that is safe to print: JSON.stringify already escapes C0 controls;
 * this also escapes DEL, C1 and bidi characters as \uXXXX, so even `cat`-ing
 * the document to a terminal is harmless. The value parses back unchanged.
 */
export function safeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
