/**
 * Remedies as data. The SDK says *what* fixes a problem — one of this CLI's own commands (for a server
 * or not), a shell command from the matrix's templates, a variable to set, a flag to pass, or a step in
 * words — and `remedyText` (below) says it in the host CLI's words: its bin, its flag names, its variable
 * prefix and the server that was checked. Nothing below `render/` spells a CLI flag.
 */
import { shellCommand } from './matrix/templates.js';

export type Hint =
  /** This CLI's own command, e.g. `['server', 'upgrade']`; `forServer` adds the checked server's flag. */
  | { kind: 'run'; command: readonly string[]; args?: readonly FlagArg[]; forServer?: boolean }
  /** A literal command line (an install or restore command from the matrix templates). */
  | { kind: 'shell'; command: string }
  /** A variable to set, named without the host's prefix (`TOKEN` → `HANDSHAKE_TOKEN`); a secret is read, not typed in argv. */
  | { kind: 'variable'; name: string; secret?: boolean; example?: string }
  /** A flag of the command that was run, by its handshake name (`timeout`), with an example value. */
  | { kind: 'flag'; flag: FlagName; value?: string; text?: string }
  /** A step in words. */
  | { kind: 'text'; text: string }
  /** Words with other hints in them: `{0}`, `{1}`… in `text` are `parts` said in the host's words. */
  | { kind: 'say'; text: string; parts: readonly Hint[] }
  /** Several of the above, said in order. */
  | { kind: 'steps'; steps: readonly Hint[] };

/** A flag added to a `run` hint, by its handshake name. */
export interface FlagArg {
  flag: FlagName;
  value?: string;
}

/** The flags a remedy may name; a host CLI that spells them otherwise maps them in the RemedyContext. */
export type FlagName =
  | 'server'
  | 'timeout'
  | 'compat'
  | 'yes'
  | 'to'
  | 'deployment'
  | 'wait'
  | 'interval'
  | 'max-bytes'
  | 'strict'
  | 'json'
  | 'print-only'
  | 'dry-run'
  | 'with-token'
  | 'format'
  | 'release'
  | 'feature';

export const hint = {
  run: (command: readonly string[], options: { forServer?: boolean; args?: readonly FlagArg[] } = {}): Hint => ({
    kind: 'run',
    command,
    ...options,
  }),
  shell: (command: string): Hint => ({ kind: 'shell', command }),
  variable: (name: string, options: { secret?: boolean; example?: string } = {}): Hint => ({ kind: 'variable', name, ...options }),
  flag: (flag: FlagName, value?: string, text?: string): Hint => ({ kind: 'flag', flag, value, text }),
  text: (text: string): Hint => ({ kind: 'text', text }),
  say: (text: string, ...parts: Hint[]): Hint => ({ kind: 'say', text, parts }),
  steps: (...steps: Hint[]): Hint => ({ kind: 'steps', steps }),
};

/** The server a check used, as the user named it. */
export type ServerRef =
  /** A configured server chosen by name (`--server prod`, or the variable). */
  | { kind: 'name'; name: string }
  /** A server given as a URL (credentials already removed). */
  | { kind: 'url'; url: string }
  /** The config's current server: commands reach it without a flag. */
  | { kind: 'current' };

export interface RemedyContext {
  /** The host CLI's command name. */
  bin: string;
  /** Its variable prefix (`HANDSHAKE` → `HANDSHAKE_TOKEN`). */
  envPrefix: string;
  /** The server that was checked; remedies that act on a server name it. */
  server?: ServerRef | null;
  /** The host's spelling of a flag, where it differs from handshake's (`{ server: '--host' }`). */
  flags?: Partial<Record<FlagName, string>>;
}

/** The flag as the host spells it. */
export function flagText(ctx: Pick<RemedyContext, 'flags'>, flag: FlagName): string {
  return ctx.flags?.[flag] ?? `--${flag}`;
}

/** The words that select the checked server: `--server NAME`, `--server URL`, or nothing for the current one. */
export function serverArgs(ctx: RemedyContext): string[] {
  const s = ctx.server;
  if (!s || s.kind === 'current') return [];
  return [flagText(ctx, 'server'), s.kind === 'name' ? s.name : s.url];
}

/** The remedy as one line, or null. */
export function remedyText(h: Hint | null | undefined, ctx: RemedyContext): string | null {
  if (!h) return null;
  switch (h.kind) {
    case 'run': {
      const args = (h.args ?? []).flatMap((a) => [flagText(ctx, a.flag), ...(a.value === undefined ? [] : [a.value])]);
      return shellCommand([ctx.bin, ...h.command, ...(h.forServer ? serverArgs(ctx) : []), ...args]);
    }
    case 'shell':
      return h.command;
    case 'variable': {
      const name = `${ctx.envPrefix}_${h.name}`;
      if (h.secret) return `read -rs ${name} && export ${name}  # then paste the value; it stays out of your shell history`;
      return `export ${name}=${h.example ?? '…'}`;
    }
    case 'flag': {
      const flag = `${flagText(ctx, h.flag)}${h.value === undefined ? '' : ` ${h.value}`}`;
      return h.text ? h.text.replace('{flag}', flag) : flag;
    }
    case 'text':
      return h.text;
    case 'say':
      return h.text.replace(/\{(\d+)\}/g, (whole, i: string) => {
        const part = h.parts[Number(i)];
        return part ? (remedyText(part, ctx) ?? '') : whole;
      });
    case 'steps': {
      // Steps in order, "; " between them; words that lead into a command end in ": ", so what follows the
      // colon is the command alone, pasteable as it stands.
      let out = '';
      let leadIn = false;
      for (const step of h.steps) {
        const text = remedyText(step, ctx);
        if (!text) continue;
        out += out === '' ? '' : leadIn && step.kind !== 'text' && step.kind !== 'steps' ? ': ' : '; ';
        leadIn = step.kind === 'text';
        out += leadIn ? text.replace(/:$/, '') : text;
      }
      return out || null;
    }
  }
}
