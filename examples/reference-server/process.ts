import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The reference server run the way an operator runs it: `node server.js serve …`
 * and `node server.js migrate …` as child processes. For the demo and the
 * end-to-end tests, which need a real restart window (a stopped process, a
 * closed port) rather than an in-process server.
 */

/** The launcher, `examples/reference-server/server.js`, from the source tree or from `dist/`. */
export function launcherPath(): string {
  const candidates = [new URL('./server.js', import.meta.url), new URL('../../../examples/reference-server/server.js', import.meta.url)];
  const found = candidates.find((u) => existsSync(fileURLToPath(u))) ?? (candidates[0] as URL);
  return fileURLToPath(found);
}

/** The JSON line `serve` prints on stdout once it listens. */
export interface ServeLine {
  url: string;
  pid: number;
  server_version: string;
  schema_revision: string | null;
}

export interface ServerProcess {
  line: ServeLine;
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything it wrote on stderr so far (startup notes, one line per request). */
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process is gone. */
  exited: Promise<number | null>;
  /** SIGTERM, as an operator stopping the service; SIGKILL if it has not exited after `graceMs`. Resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** How long `serve` may take to print its JSON line (PGlite's initdb takes seconds, more on a busy machine). */
  readyTimeoutMs?: number;
  /** Each complete line it writes on stderr, as it comes. */
  onStderr?: (line: string) => void;
}

/** Every child started here and not yet exited, so a caller can stop them all on failure or Ctrl-C. */
const live = new Set<ChildProcess>();

/** Starts `server.js serve ARGS` and resolves with its JSON line; rejects (and kills it) if it exits or stays silent. */
export function spawnServe(args: readonly string[], opts: SpawnOptions = {}): Promise<ServerProcess> {
  const child = start(['serve', ...args], opts.env);
  let out = '';
  let err = '';
  const exited = exitOf(child);
  lines(child.stderr, (line) => {
    err += `${line}\n`;
    opts.onStderr?.(line);
  });
  const stop = async (graceMs = 10_000): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const readyMs = opts.readyTimeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`reference-server serve printed no JSON line within ${readyMs / 1000} s; stderr:\n${err}`));
    }, readyMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`reference-server serve exited with ${code} before listening; stderr:\n${err}`));
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (out.includes('\n')) return;
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      let line: ServeLine;
      try {
        line = JSON.parse(out.slice(0, nl)) as ServeLine;
      } catch {
        child.kill('SIGKILL');
        reject(new Error(`reference-server serve printed something other than its JSON line: ${out.slice(0, nl)}`));
        return;
      }
      resolve({ line, url: line.url, port: Number(new URL(line.url).port), child, stderr: () => err, exited, stop });
    });
  });
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `server.js ARGS` (e.g. `migrate --data DIR`) to completion; SIGKILL after `timeoutMs`. */
export function runReferenceServer(
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; onStderr?: (line: string) => void } = {},
): Promise<RunResult> {
  const child = start(args, opts.env);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  lines(child.stderr, (line) => {
    stderr += `${line}\n`;
    opts.onStderr?.(line);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  return exitOf(child).then((code) => {
    clearTimeout(timer);
    return { code, stdout, stderr };
  });
}

/** Stops every child started here that is still running: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopAll(graceMs = 5000): Promise<void> {
  await Promise.all(
    [...live].map(async (child) => {
      const gone = exitOf(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    }),
  );
}

/** Synchronous last resort (a `process.on('exit')` handler): SIGKILL whatever is left. */
export function killAllNow(): void {
  for (const child of live) child.kill('SIGKILL');
}

function start(args: readonly string[], env: NodeJS.ProcessEnv | undefined): ChildProcess {
  const child = spawn(process.execPath, [launcherPath(), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** The exit code once the process has exited and its output is read; null after a signal or a failed spawn. */
function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('close', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
}

/** Calls `each` for every complete line of `stream`, and the unterminated rest when it ends. */
export function lines(stream: NodeJS.ReadableStream | null | undefined, each: (line: string) => void): void {
  if (!stream) return;
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buffer += d;
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      each(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (buffer) each(buffer);
    buffer = '';
  });
}
