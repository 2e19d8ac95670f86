/**
 * Remedies as data. The SDK says *what* fixes a problem — one of this CLI's own commands (for a server
 * or not), a shell command from the matrix's templates, a variable to set, a flag to pass, or a step in
 * words — and `src/render/remedy.ts` alone says it in the host CLI's words: its bin, its flag names, its
 * variable prefix and the server that was checked. Nothing below `render/` spells a CLI flag.
 */

export type Hint =
  /** This CLI's own command, e.g. `['server', 'upgrade']`; `forServer` adds the checked server's flag. */
  | { kind: 'run'; command: readonly string[]; args?: readonly FlagArg[]; forServer?: boolean }
  /** A literal command line (an install or restore command from the matrix templates). */
  | { kind: 'shell'; command: string }
  /** A variable to set, named without the host's prefix (`TOKEN` → `HANDSHAKE_TOKEN`); a secret is read, not typed in argv. */
  | { kind: 'variable'; name: string; secret?: boolean; example?: string }
  /**
   * A flag of the command that was run, by its handshake name (`timeout`), with an example value; `quote`: the value
   * in double quotes (what the caller passed, named in an error: `--to "banana"`).
   */
  | { kind: 'flag'; flag: FlagName; value?: string; text?: string; quote?: boolean }
  /** Where a value the run used came from (`--server`, `HANDSHAKE_SERVER`, the config file): {@link Source}. */
  | { kind: 'source'; source: Source }
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

/**
 * The flags a remedy may name, by handshake's names; a host CLI that spells them otherwise maps them in the
 * RemedyContext. Each is a flag of this CLI's commands (test/unit/architecture.test.ts reads them from commands/).
 */
export const FLAG_NAMES = [
  'server',
  'timeout',
  'compat',
  'yes',
  'to',
  'deployment',
  'wait',
  'interval',
  'max-bytes',
  'strict',
  'json',
  'print-only',
  'dry-run',
  'with-token',
  'force',
  'format',
  'release',
  'feature',
  'no-network',
] as const;

export type FlagName = (typeof FLAG_NAMES)[number];

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
  source: (source: Source): Hint => ({ kind: 'source', source }),
};

/**
 * Where a value the run used came from, as data: `render/` names it in the host's words (`--compat` on a command
 * line, `{ compatFile }` in an SDK call, `ACME_COMPAT_FILE` with the host's prefix).
 */
export type Source =
  /** A flag given (an SDK call's option), by its handshake name. */
  | { kind: 'flag'; flag: FlagName }
  /** A variable, named without the host's prefix (`SERVER` → `HANDSHAKE_SERVER`). */
  | { kind: 'variable'; name: string }
  /** The config file's current server. */
  | { kind: 'config' }
  /** The matrix the CLI ships (handshake's bundled one, or the host's own). */
  | { kind: 'bundled' };

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
  /**
   * The caller is a program passing options (an SDK call), not a command line: a `flag` hint names the option
   * (`{ server: 'https://…' }`) instead of a flag. `run` hints stay commands of the CLI `bin`.
   */
  options?: boolean;
}
