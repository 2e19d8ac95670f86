/**
 * How the demo writes: its own voice (step headings, narration, the commands
 * it runs, its checks) and, in a gutter below them, the real output of the
 * programs it runs. Colour only on a terminal, and never with NO_COLOR.
 */

const useColor = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
const paint = (code: string) => (s: string) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = paint('1');
export const dim = paint('2');
const cyan = paint('36');
const green = paint('32');
const red = paint('31');
const yellow = paint('33');

/** Columns to fit command lines into: the terminal's, or 100 when piped. */
function width(): number {
  return Math.max(60, (process.stdout.isTTY && process.stdout.columns) || 100);
}

function write(text: string): void {
  if (process.stdout.writable) process.stdout.write(`${text}\n`);
}

export function blank(): void {
  write('');
}

/** A step heading: `▶ step 2/6 — title`. */
export function step(n: number, of: number, title: string): void {
  blank();
  write(bold(cyan(`▶ step ${n}/${of} — ${title}`)));
}

/** The demo explaining what is going on: each line of `text` a paragraph, wrapped to the terminal. */
export function say(text: string, style: (s: string) => string = (s) => s): void {
  for (const paragraph of text.split('\n')) for (const line of wrap(paragraph, width() - 2)) write(`  ${style(line)}`);
}

function wrap(text: string, max: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current && current.length + 1 + word.length > max) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  out.push(current);
  return out;
}

/** A command being run, as someone would type it, wrapped with `\` continuations to fit. */
export function command(argv: readonly string[], who?: string): void {
  const lead = who ? `  ${yellow(`${who}:`)} $ ` : '  $ ';
  const leadWidth = who ? who.length + 6 : 4;
  const words = argv.map(quote);
  const max = width() - 2;
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    const indent = lines.length === 0 ? leadWidth : 6;
    if (current && indent + current.length + 1 + word.length + 2 > max) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  lines.forEach((line, i) => {
    const last = i === lines.length - 1;
    write(`${i === 0 ? lead : '      '}${bold(line)}${last ? '' : ' \\'}`);
  });
}

/** Quotes a word for a POSIX shell when it needs it. */
function quote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A line of a program's output, in the gutter (`operator` output gets its own).
 * Piped, the line is passed through as it is. On a terminal, a line wider
 * than the terminal is folded at spaces so the gutter stays unbroken, the
 * rest aligned under the line's value column (`  Server version  1.3.0` →
 * under `1.3.0`) or its indentation.
 */
export function output(line: string, from: 'cli' | 'operator' = 'cli'): void {
  const gutter = from === 'cli' ? dim('  │') : yellow('  ┊');
  const room = width() - 4;
  if (!line || !process.stdout.isTTY || line.length <= room) {
    write(line ? `${gutter} ${line}` : gutter);
    return;
  }
  const column = /^(.{0,40}?\S {2,})\S/.exec(line)?.[1]?.length ?? (/^ */.exec(line)?.[0].length ?? 0) + 2;
  const indent = ' '.repeat(column < room / 2 ? column : 4);
  let rest = line;
  let first = true;
  while (rest) {
    const max = first ? room : room - indent.length;
    let cut = rest.length <= max ? rest.length : rest.lastIndexOf(' ', max);
    if (cut <= 0 || (!first && cut === 0)) cut = Math.min(max, rest.length);
    write(`${gutter} ${first ? '' : indent}${rest.slice(0, cut).trimEnd()}`);
    rest = rest.slice(cut).trimStart();
    first = false;
  }
}

/** The demo's check of a step's outcome. */
export function ok(text: string): void {
  write(`  ${green('✓')} ${text}`);
}

export function note(text: string): void {
  write(`  ${dim(text)}`);
}

/** A failure, on stderr. */
export function fail(text: string): void {
  process.stderr.write(`\n${red(bold('✗ demo failed:'))} ${text.replace(/\n/g, '\n  ')}\n`);
}
