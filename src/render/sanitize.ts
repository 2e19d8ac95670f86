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

import { STYLE_SEQUENCES } from './style.js';

// THE table: every character that must never reach a terminal raw, in one class.
// - C0 controls (tab and newline are the caller's choice, below), DEL, C1 (with the one-byte CSI U+009B);
// - every Unicode format character (\p{Cf}): bidi marks, embeddings, overrides and isolates, zero-width
//   characters, the BOM, the soft hyphen U+00AD, U+180E, U+2060–2064 and U+206A–206F, U+FFF9–FFFB,
//   and the TAG block U+E0001–E007F (a "docker-compose" followed by TAG letters spelling a command
//   looks like plain "docker-compose");
// - what renders as nothing but is not Cf: U+2028/U+2029 (line/paragraph separators), the Hangul
//   fillers U+115F, U+1160, U+3164, U+FFA0, and the unassigned rest of the TAG block U+E0000–E007F;
// - lone surrogates (no character at all).
const UNSAFE_CLASS = String.raw`\u0000-\u0008\u000b-\u001f\u007f-\u009f\p{Cf}\u2028\u2029\u115f\u1160\u3164\uffa0\u{e0000}-\u{e007f}\p{Cs}`;
const UNSAFE = new RegExp(`[${UNSAFE_CLASS}]`, 'gu');
const UNSAFE_WITH_NEWLINES = new RegExp(`[\\t\\n${UNSAFE_CLASS}]`, 'gu');

function visible(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Makes text safe for a terminal. With `multiline`, newlines (and tabs) are
 * kept as layout; otherwise they too become visible escapes.
 */
export function sanitize(text: string, options: { multiline?: boolean } = {}): string {
  return text.replace(options.multiline ? UNSAFE : UNSAFE_WITH_NEWLINES, visible);
}

// The only escape sequences handshake itself prints: the SGR codes of render/style.ts (bold, dim, their
// reset, red, green, yellow, cyan, the colour reset), taken from it. SGR cannot move the cursor, erase or set a title.
const OWN_STYLE = new RegExp(`(${STYLE_SEQUENCES.map((seq) => seq.replace(/[[\]\\^$.|?*+(){}]/g, '\\$&')).join('|')})`);

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

// The same table minus C0 (JSON.stringify escapes those itself); a character outside the BMP is
// escaped as its surrogate pair, which is how JSON spells it.
const JSON_UNSAFE = new RegExp(`[${UNSAFE_CLASS.replace(String.raw`\u0000-\u0008\u000b-\u001f`, '')}]`, 'gu');

/**
 * JSON that is safe to print: JSON.stringify already escapes C0 controls;
 * this also escapes DEL, C1 and bidi characters as \uXXXX, so even `cat`-ing
 * the document to a terminal is harmless. The value parses back unchanged.
 */
export function safeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNSAFE, (ch) =>
    [...Array(ch.length).keys()].map((i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}
