import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/** Whether util-linux `script` is here to give the CLI a terminal. */
export function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface PtyRun {
  child: ChildProcess;
  /** Everything the terminal showed so far (what the CLI wrote, and the terminal's echo of what was typed). */
  screen(): string;
  /** Resolves once the screen shows `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** Types on the terminal. */
  type(keys: string): void;
  exited: Promise<number | null>;
}

/**
 * Runs the built CLI on a pseudo-terminal (`script -qfec`): stdin, stdout and stderr are all the
 * terminal, as when a person runs it. `columns` sets the terminal's width.
 */
export function runOnPty(args: string[], env: Record<string, string>, columns = 100): PtyRun {
  const cli = [process.execPath, join(ROOT, 'bin', 'run.js'), ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', `stty cols ${columns} rows 40; exec ${cli}`, '/dev/null'], {
    env: { ...cleanEnv(), ...env, TERM: 'xterm-256color' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.resume();
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    screen: () => out,
    async waitFor(text, timeoutMs = 30_000) {
      const end = performance.now() + timeoutMs;
      while (!out.includes(text)) {
        if (performance.now() > end) throw new Error(`the terminal never showed ${JSON.stringify(text)}; it shows:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    type: (keys) => child.stdin?.write(keys),
    exited,
  };
}

function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(HANDSHAKE_|NO_COLOR$|FORCE_COLOR$|https?_proxy$|VITEST)/i.test(k)) continue;
    env[k] = v;
  }
  return env;
}
