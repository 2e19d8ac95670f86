import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { type Command, Config } from '@oclif/core';
import { type IO, type OutputStream, runWithIO } from '../../commands/_lib/io.js';
import { type CliResult, ROOT, testEnv } from './cli.js';

/**
 * Runs a command of handshake's own in this test's process, from its source (vitest compiles it), through the
 * one IO (commands/_lib/io.ts) — gh's way of testing a command: what it prints and the exit code it decides,
 * read from fakes, with no process to spawn. The result has runCli's shape, so an assertion reads the same
 * either way.
 *
 * What this does NOT exercise, and stays spawned (test/e2e, runCli): bin/run.js and the bundle, oclif's own
 * routing, help, version and its errors, the `command_not_found` hook, a real terminal (pty), signals, exit codes
 * as a shell sees them, variables Node itself reads at startup (NODE_EXTRA_CA_CERTS), a vendor CLI mounting
 * the commands, and several processes at once. docs/architecture.md "One IO" says which tests are which.
 */
export interface InProcessOptions {
  env?: Record<string, string | undefined>;
  /** stdin's content (read to its end by `-d @-` and `--with-token`); never a terminal. */
  input?: string;
  /** stdout and stderr are terminals (default: not, as when spawned). */
  isTTY?: boolean;
  /** Their width, when they are terminals (default 80). */
  columns?: number;
}

// The CLI's config (its bin, version, root, package.json), loaded once per test file: it is the same for every run.
let config: Promise<Config> | undefined;

/** The topics of the command tree; anything else is a command of its own (`api`, `doctor`). */
const TOPICS = new Set(['compat', 'server']);

/** The command `argv` names and the arguments after it, from the topic-separated spelling a user types. */
function commandOf(argv: readonly string[]): { id: string; file: string; rest: string[] } {
  const [first = '', second = ''] = argv;
  const word = /^[a-z][a-z-]*$/;
  const found =
    TOPICS.has(first) && word.test(second)
      ? { id: `${first}:${second}`, file: `${first}/${second}`, rest: argv.slice(2) }
      : word.test(first)
        ? { id: first, file: first, rest: argv.slice(1) }
        : null;
  if (found && existsSync(join(ROOT, 'commands', `${found.file}.ts`))) return found;
  throw new Error(`runInProcess: no command in ${JSON.stringify(argv)} (help, version and unknown commands are oclif's: use runCli)`);
}

/** A stream that keeps what is written to it, as a terminal or not. */
class Capture extends Writable {
  readonly chunks: Buffer[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns: number | undefined,
  ) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Runs `argv` (`['compat', 'check', '--json']`) in process, and resolves with what it printed and its exit code. */
export async function runInProcess(argv: string[], opts: InProcessOptions = {}): Promise<CliResult> {
  const { id, file, rest } = commandOf(argv);
  const mod = await import(join(ROOT, 'commands', `${file}.ts`));
  const Cmd = mod.default as CommandClass;
  Cmd.id = id;
  return runCommandInProcess(Cmd, rest, opts);
}

type CommandClass = { id: string; new (argv: string[], config: Config): Command };

/** Runs a command class (a vendor's, made in the test) with `rest` as its arguments, as runInProcess runs ours. */
export async function runCommandInProcess(Cmd: CommandClass, rest: string[], opts: InProcessOptions = {}): Promise<CliResult> {
  const started = performance.now();
  config ??= Config.load({ root: ROOT });
  const cfg = config;
  const stdout = new Capture(opts.isTTY ?? false, opts.isTTY ? (opts.columns ?? 80) : undefined);
  const stderr = new Capture(opts.isTTY ?? false, opts.isTTY ? (opts.columns ?? 80) : undefined);
  // stdin is a file holding the input: read to its end through its descriptor, as fd 0 is when spawned.
  const dir = mkdtempSync(join(tmpdir(), 'handshake-stdin-'));
  writeFileSync(join(dir, 'stdin'), opts.input ?? '');
  const fd = openSync(join(dir, 'stdin'), 'r');
  const signals = new Map<string, Set<() => void>>();
  const io: IO = {
    stdout: stdout as OutputStream,
    stderr: stderr as OutputStream,
    stdin: { isTTY: false, fd, stream: Readable.from([opts.input ?? '']) as unknown as NodeJS.ReadStream },
    env: testEnv(opts.env),
    now: () => Date.now(),
    onSignal: (signal, handler) => {
      signals.set(signal, (signals.get(signal) ?? new Set()).add(handler));
    },
    offSignal: (signal, handler) => {
      signals.get(signal)?.delete(handler);
    },
    exitCode: undefined,
    exit: (code) => {
      throw new Error(`runInProcess: the command exited at once (${code}); test that spawned`);
    },
  };
  try {
    const loaded = await cfg;
    // Made inside the run: a command takes its IO when it is made (BaseCommand's `io`).
    await runWithIO(io, () => (new Cmd(rest, loaded) as unknown as { _run(): Promise<unknown> })._run());
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  const stdoutBytes = stdout.bytes();
  return {
    code: io.exitCode ?? 0,
    stdout: stdoutBytes.toString('utf8'),
    stdoutBytes,
    stderr: stderr.bytes().toString('utf8'),
    ms: performance.now() - started,
  };
}
