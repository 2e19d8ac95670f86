import { Ansis } from 'ansis';

/** Minimal ANSI styling (ansis), off unless the output is a colour-capable TTY ({@link wantsColor} decides). */
export interface Style {
  readonly color: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

// Level 1 (16 colours: all this CLI uses), fixed: ansis's own detection (its FORCE_COLOR levels, CI names,
// COLORTERM) never decides; wantsColor does, per stream. The codes are the SGR pairs render/sanitize.ts keeps.
const ansi = new Ansis(1);

const PAINTS = ['bold', 'dim', 'red', 'yellow', 'green', 'cyan'] as const;

/** Every escape sequence a coloured {@link Style} prints: each paint's opening and closing SGR. render/sanitize.ts keeps exactly these. */
export const STYLE_SEQUENCES: readonly string[] = [...new Set(PAINTS.flatMap((paint) => [ansi[paint].open, ansi[paint].close]))];

const PLAIN: Style = { color: false, bold: String, dim: String, red: String, yellow: String, green: String, cyan: String };

const COLOURED: Style = {
  color: true,
  bold: (s) => ansi.bold(s),
  dim: (s) => ansi.dim(s),
  red: (s) => ansi.red(s),
  yellow: (s) => ansi.yellow(s),
  green: (s) => ansi.green(s),
  cyan: (s) => ansi.cyan(s),
};

export function createStyle(color: boolean): Style {
  return color ? COLOURED : PLAIN;
}

/** Colour only on a TTY, and never with NO_COLOR set (to any non-empty value, no-color.org) or TERM=dumb. FORCE_COLOR=0 also turns it off. */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}
