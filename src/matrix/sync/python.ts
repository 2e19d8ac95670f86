/**
 * A small, strict reader of the Python that migration tools write: module and class-level
 * assignments of literals (`revision: str = "ae10"`, `down_revision = ("a", "b")`,
 * `dependencies = [("auth", "0001_initial")]`) and the module docstring. No interpreter: what it
 * cannot read as a literal it reports with the line, and the caller decides whether that name
 * mattered. It never evaluates anything.
 */

/** A literal value, or something that is not one (a name, a call, an expression) kept as text. */
export type PyValue = string | null | boolean | number | PyValue[] | { expr: string };

export interface PyAssignment {
  name: string;
  /** 1-based line of the name. */
  line: number;
  /** Column of the statement: 0 at module level, more inside a class body. */
  column: number;
  /** The value, or an error saying why it is not a literal. */
  value: { ok: true; value: PyValue } | { ok: false; reason: string };
}

export interface PyModule {
  /** The module docstring, or null. */
  docstring: string | null;
  assignments: PyAssignment[];
}

/** A tokenizer failure: an unterminated string or bracket. */
export class PySyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'PySyntaxError';
  }
}

type Token =
  | { t: 'name'; v: string; line: number; col: number }
  | { t: 'string'; v: string | null; line: number; col: number; why?: string }
  | { t: 'number'; v: string; line: number; col: number }
  | { t: 'op'; v: string; line: number; col: number };

const STRING_PREFIX = /^(?:[rRuUbBfF]|[rR][bBfF]|[bBfF][rR])$/;

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 0xc0;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || isDigit(c);
}

/**
 * Splits Python source into logical lines of tokens (comments and blank lines dropped). With `want`,
 * only the first logical line and those starting with a wanted name get tokens; the others are
 * scanned (strings, brackets and continuations still end them correctly) but not kept, which is
 * what makes a directory of 10,000 migrations quick to read.
 */
export function logicalLines(src: string, want?: ReadonlySet<string>, options: { moduleHeaderOnly?: boolean } = {}): Token[][] {
  const lines: Token[][] = [];
  let cur: Token[] = [];
  let skipping = false;
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const n = src.length;
  const endLine = () => {
    if (cur.length > 0 && !skipping) lines.push(cur);
    cur = [];
    skipping = false;
  };
  const seen = new Set<string>();
  let done = false;
  const push = (tok: Token) => {
    if (skipping) return;
    if (want && cur.length === 0 && options.moduleHeaderOnly && tok.col === 0) {
      // The module's header ends at its first definition; once every wanted name was assigned in it, stop.
      if (tok.t === 'name' && want.has(tok.v)) seen.add(tok.v);
      else if (
        seen.size === want.size &&
        ((tok.t === 'name' && (tok.v === 'def' || tok.v === 'class' || tok.v === 'async')) || (tok.t === 'op' && tok.v === '@'))
      ) {
        done = true;
        skipping = true;
        return;
      }
    }
    if (want && cur.length === 0 && (lines.length > 0 || tok.t !== 'string') && !(tok.t === 'name' && want.has(tok.v))) {
      skipping = true;
      return;
    }
    cur.push(tok);
  };
  while (i < n && !done) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      if (depth === 0) endLine();
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12) {
      i++;
      continue;
    }
    if (c === 35) {
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? n : nl;
      continue;
    }
    if (c === 92 && (src[i + 1] === '\n' || (src[i + 1] === '\r' && src[i + 2] === '\n'))) {
      i += src[i + 1] === '\n' ? 2 : 3;
      line++;
      lineStart = i;
      continue;
    }
    const col = i - lineStart;
    if (isNameStart(c)) {
      let j = i + 1;
      while (j < n && isNameChar(src.charCodeAt(j))) j++;
      const q = src.charCodeAt(j);
      if ((q === 34 || q === 39) && j - i <= 2 && STRING_PREFIX.test(src.slice(i, j))) {
        const s = readString(src, j, src.slice(i, j), line, skipping);
        push({ t: 'string', v: s.value, line, col, ...(s.why ? { why: s.why } : {}) });
        line += s.newlines;
        if (s.newlines > 0) lineStart = src.lastIndexOf('\n', s.end - 1) + 1;
        i = s.end;
        continue;
      }
      if (!skipping) push({ t: 'name', v: src.slice(i, j), line, col });
      i = j;
      continue;
    }
    if (c === 34 || c === 39) {
      const s = readString(src, i, '', line, skipping);
      push({ t: 'string', v: s.value, line, col, ...(s.why ? { why: s.why } : {}) });
      line += s.newlines;
      if (s.newlines > 0) lineStart = src.lastIndexOf('\n', s.end - 1) + 1;
      i = s.end;
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)))) {
      let j = i + 1;
      while (j < n && (isNameChar(src.charCodeAt(j)) || src.charCodeAt(j) === 46)) j++;
      push({ t: 'number', v: src.slice(i, j), line, col });
      i = j;
      continue;
    }
    if (c === 40 || c === 91 || c === 123) depth++;
    if (c === 41 || c === 93 || c === 125) depth = Math.max(0, depth - 1);
    if (skipping) {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    const op = TWO_CHAR_OPS.has(two) ? two : (src[i] as string);
    push({ t: 'op', v: op, line, col });
    i += op.length;
  }
  if (depth > 0 && !done) throw new PySyntaxError('a bracket is never closed', line);
  endLine();
  return lines;
}

const TWO_CHAR_OPS = new Set(['->', '**', '//', '==', '!=', '<=', '>=', ':=', '+=', '-=', '*=', '/=', '|=', '&=']);

function readString(
  src: string,
  start: number,
  prefix: string,
  line: number,
  scanOnly = false,
): { value: string | null; end: number; newlines: number; why?: string } {
  const q = src[start] as string;
  const triple = src.startsWith(q.repeat(3), start);
  const delim = triple ? q.repeat(3) : q;
  const raw = /[rR]/.test(prefix);
  let i = start + delim.length;
  let out = '';
  let newlines = 0;
  for (;;) {
    if (i >= src.length) throw new PySyntaxError('a string is never closed', line);
    const c = src[i] as string;
    if (src.startsWith(delim, i)) {
      i += delim.length;
      break;
    }
    if (c === '\n') {
      if (!triple) throw new PySyntaxError('a string is never closed on its line', line);
      newlines++;
    }
    if (c === '\\') {
      const next = src[i + 1] ?? '';
      const crlf = next === '\r' && src[i + 2] === '\n';
      if (next === '\n' || crlf) newlines++;
      if (scanOnly) {
        // Only the end of the string matters.
      } else if (raw) {
        out += c + next;
      } else {
        out += decodeEscape(src, i);
      }
      i += raw || scanOnly ? (crlf ? 3 : 2) : escapeLength(src, i);
      continue;
    }
    if (!scanOnly) out += c;
    i++;
  }
  if (/[fF]/.test(prefix)) return { value: null, end: i, newlines, why: 'an f-string is not a literal' };
  if (/[bB]/.test(prefix)) return { value: null, end: i, newlines, why: 'a bytes literal is not text' };
  return { value: out, end: i, newlines };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
};

function escapeLength(src: string, i: number): number {
  const next = src[i + 1] ?? '';
  if (next === 'x') return 4;
  if (next === 'u') return 6;
  if (next === 'U') return 10;
  if (next === '\r' && src[i + 2] === '\n') return 3;
  return 2;
}

function decodeEscape(src: string, i: number): string {
  const next = src[i + 1] ?? '';
  if (next === '\n' || next === '\r') return '';
  if (next in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[next] as string;
  const hex =
    next === 'x' ? src.slice(i + 2, i + 4) : next === 'u' ? src.slice(i + 2, i + 6) : next === 'U' ? src.slice(i + 2, i + 10) : null;
  if (hex !== null && /^[0-9A-Fa-f]+$/.test(hex)) return String.fromCodePoint(Number.parseInt(hex, 16));
  return `\\${next}`;
}

/**
 * Reads every `NAME [: annotation] = value` statement (of the `want`ed names, when given) and the
 * module docstring. With `moduleHeaderOnly`, reading stops at the first module-level `def`, `class`
 * or decorator once every wanted name has been assigned (an Alembic file's identifiers precede its
 * functions; a reassignment after them is not read).
 */
export function readPython(src: string, want?: ReadonlySet<string>, options: { moduleHeaderOnly?: boolean } = {}): PyModule {
  const lines = logicalLines(src, want, options);
  let docstring: string | null = null;
  const first = lines[0];
  if (first?.every((t) => t.t === 'string') && first[0]?.col === 0) {
    docstring = first.map((t) => (t.t === 'string' ? (t.v ?? '') : '')).join('');
  }
  const assignments: PyAssignment[] = [];
  for (const toks of lines) {
    const head = toks[0];
    if (head?.t !== 'name') continue;
    const second = toks[1];
    if (second?.t !== 'op' || (second.v !== '=' && second.v !== ':')) continue;
    let eq = 1;
    if (second.v === ':') {
      // An annotation runs to the first `=` outside brackets; `name: str` alone assigns nothing.
      let depth = 0;
      eq = -1;
      for (let k = 2; k < toks.length; k++) {
        const t = toks[k] as Token;
        if (t.t !== 'op') continue;
        if ('([{'.includes(t.v)) depth++;
        else if (')]}'.includes(t.v)) depth--;
        else if (t.v === '=' && depth === 0) {
          eq = k;
          break;
        }
      }
      if (eq < 0) {
        assignments.push({
          name: head.v,
          line: head.line,
          column: head.col,
          value: { ok: false, reason: 'it is annotated but never assigned' },
        });
        continue;
      }
    }
    assignments.push({ name: head.v, line: head.line, column: head.col, value: parseValue(toks.slice(eq + 1)) });
  }
  return { docstring, assignments };
}

function parseValue(toks: Token[]): PyAssignment['value'] {
  if (toks.length === 0) return { ok: false, reason: 'nothing follows "="' };
  const p = new Parser(toks);
  try {
    const v = p.list(null);
    if (p.i < toks.length) {
      const t = toks[p.i] as Token;
      return { ok: false, reason: `"${t.v}" after the value: an expression, not a literal` };
    }
    return { ok: true, value: v };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

class Parser {
  i = 0;
  constructor(private readonly toks: Token[]) {}

  /** A comma list up to `close` (or the end): one item without a comma is the item itself, else a tuple. */
  list(close: string | null): PyValue {
    const items: PyValue[] = [];
    let comma = false;
    while (this.i < this.toks.length) {
      const t = this.toks[this.i] as Token;
      if (close !== null && t.t === 'op' && t.v === close) break;
      items.push(this.atom());
      const after = this.toks[this.i];
      if (after?.t === 'op' && after.v === ',') {
        comma = true;
        this.i++;
        continue;
      }
      break;
    }
    if (close !== null) {
      const t = this.toks[this.i];
      if (t?.t !== 'op' || t.v !== close) throw new Error(`expected "${close}"`);
      this.i++;
    }
    return items.length === 1 && !comma && close !== ']' ? (items[0] as PyValue) : items;
  }

  atom(): PyValue {
    const t = this.toks[this.i];
    if (!t) throw new Error('a value is missing');
    if (t.t === 'string') {
      let s = '';
      while (this.toks[this.i]?.t === 'string') {
        const part = this.toks[this.i] as Extract<Token, { t: 'string' }>;
        if (part.v === null) throw new Error(part.why ?? 'not a literal');
        s += part.v;
        this.i++;
      }
      return s;
    }
    if (t.t === 'number') {
      this.i++;
      const num = Number(t.v.replaceAll('_', ''));
      return Number.isFinite(num) ? num : { expr: t.v };
    }
    if (t.t === 'op' && (t.v === '(' || t.v === '[')) {
      this.i++;
      const inner = this.list(t.v === '(' ? ')' : ']');
      return t.v === '[' && !Array.isArray(inner) ? [inner] : inner;
    }
    if (t.t === 'name') {
      if (t.v === 'None' || t.v === 'True' || t.v === 'False') {
        this.i++;
        return t.v === 'None' ? null : t.v === 'True';
      }
      // A name, a dotted name or a call: kept as text, it is not a literal.
      let text = t.v;
      this.i++;
      for (;;) {
        const next = this.toks[this.i];
        const name = this.toks[this.i + 1];
        if (next?.t === 'op' && next.v === '.' && name?.t === 'name') {
          text += `.${name.v}`;
          this.i += 2;
          continue;
        }
        if (next?.t === 'op' && next.v === '(') {
          let depth = 0;
          for (; this.i < this.toks.length; this.i++) {
            const k = this.toks[this.i] as Token;
            if (k.t === 'op' && '([{'.includes(k.v)) depth++;
            if (k.t === 'op' && ')]}'.includes(k.v)) depth--;
            if (depth === 0) break;
          }
          this.i++;
          text += '(…)';
        }
        break;
      }
      return { expr: text };
    }
    throw new Error(`"${t.v}" is not a literal`);
  }
}
