import { AsyncLocalStorage } from 'node:async_hooks';
import { isatty } from 'node:tty';

/**
 * Everything of the process a command touches: its streams, whether they are terminals and how wide,
 * its environment, the clock, the signals it listens to and the exit code it leaves (gh's IOStreams;
 * docs/architecture.md "One IO"). Commands reach the process only through here, so a test runs a
 * command in process against fakes (test/helpers/in-process.ts) and reads what it wrote and decided.
 */
export interface IO {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly stdin: InputStream;
  /** The environment the run reads (every variable, the proxies, HOME and XDG_* too). */
  readonly env: NodeJS.ProcessEnv;
  /** Wall-clock milliseconds (Date.now). */
  now(): number;
  /** SIGINT and SIGTERM, for a command that stops its work on the first one. */
  onSignal(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
  offSignal(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
  /** The exit code the run ends with (process.exitCode); undefined until set, which is 0. */
  exitCode: number | undefined;
  /** Ends the run at once (a second signal during `server upgrade`). */
  exit(code: number): void;
}

/** A stream a command writes to: a terminal (isTTY, columns) or not. ora and readline are given the stream itself. */
export type OutputStream = NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };

/**
 * What a command reads: a file descriptor read to its end (`-d @-`, `--with-token` from a pipe), and on a
 * terminal the stream itself, for a prompt.
 */
export interface InputStream {
  readonly isTTY: boolean;
  readonly fd: number;
  readonly stream: NodeJS.ReadStream;
}

/** The process itself: what every run uses outside the tests. */
export const processIO: IO = {
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
  // isatty(0), not process.stdin.isTTY: asking must not open stdin's stream (a pipe's would turn non-blocking).
  stdin: {
    get isTTY() {
      return isatty(0);
    },
    fd: 0,
    get stream() {
      return process.stdin;
    },
  },
  get env() {
    return process.env;
  },
  now: () => Date.now(),
  onSignal: (signal, handler) => {
    process.on(signal, handler);
  },
  offSignal: (signal, handler) => {
    process.off(signal, handler);
  },
  get exitCode() {
    const code = process.exitCode;
    return code === undefined ? undefined : Number(code);
  },
  set exitCode(code) {
    process.exitCode = code;
  },
  exit: (code) => process.exit(code),
};

// One store per run: two commands run in process in one test worker never share streams, environment or exit code.
const current = new AsyncLocalStorage<IO>();

/** The IO of the run this call belongs to; the process's outside {@link runWithIO}. */
export function currentIO(): IO {
  return current.getStore() ?? processIO;
}

/** Runs `work` (a command) with `io` as its process. */
export function runWithIO<T>(io: IO, work: () => Promise<T>): Promise<T> {
  return current.run(io, work);
}
