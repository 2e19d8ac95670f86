import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { writeFileAtomic } from '../../src/atomic-file.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'run.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  /** stdout exactly as the process wrote it. */
  stdoutBytes: Buffer;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
  cwd?: string;
  /** Another CLI's bin script (a vendor CLI mounting handshake); default handshake's own. */
  bin?: string;
  /** Called with the running process (to signal it while it works); the result still comes when it ends. */
  onSpawn?: (child: ChildProcess) => void;
}

/** A temporary HOME/XDG sandbox so no test reads or writes the developer's real config or cache. */
export function sandbox(): { dir: string; env: Record<string, string>; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'handshake-test-'));
  return {
    dir,
    env: {
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_CACHE_HOME: join(dir, 'cache'),
      HANDSHAKE_CACHE_DIR: join(dir, 'cache', 'handshake'),
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A maker of sandboxes for one test file, each removed when the file's tests are done. */
export function sandboxAfterAll(): () => ReturnType<typeof sandbox> {
  const boxes: ReturnType<typeof sandbox>[] = [];
  afterAll(() => {
    for (const b of boxes) b.cleanup();
  });
  return () => {
    const b = sandbox();
    boxes.push(b);
    return b;
  };
}

/** The environment a test starts from: the machine's, minus anything that would change handshake's behaviour. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(HANDSHAKE_|NODE_ENV$|NO_COLOR$|FORCE_COLOR$|https?_proxy$|no_proxy$|NODE_EXTRA_CA_CERTS$|DEBUG$|VITEST)/i.test(k)) continue;
    env[k] = v;
  }
  return env;
}

/** A run's environment: the machine's minus handshake's own (baseEnv), with `overrides` (undefined removes). */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = { ...baseEnv(), ...overrides };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env as Record<string, string>;
}

/** Spawns the built CLI (`node bin/run.js …`) exactly as a user would, without a TTY. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  const env = testEnv(opts.env);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.bin ?? BIN, ...args], { cwd: opts.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    opts.onSpawn?.(child);
    child.on('close', (code) => {
      clearTimeout(killer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr, ms: performance.now() - started });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** For `onSpawn`: sends `signal` once `ready()` holds (checked every 50 ms), unless the process has ended. */
export function signalWhen(ready: () => boolean, signal: NodeJS.Signals): (child: ChildProcess) => void {
  return (child) => {
    const nudge = setInterval(() => {
      if (!ready()) return;
      clearInterval(nudge);
      child.kill(signal);
    }, 50);
    child.on('close', () => clearInterval(nudge));
  };
}

/** Parses stdout as exactly one JSON document (fails the test otherwise). */
export function parseJson<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${r.code}):\n${r.stdout}\n--- stderr:\n${r.stderr}`);
  }
}

/**
 * examples/vendor-cli as a vendor ships it: handshake-compat in its node_modules, linked as `npm install ../..`
 * would, and its oclif.manifest.json written as oclif's prepack writes it (`oclif manifest`; without one, oclif
 * imports every command file of the CLI, and with them the SDK, to run any one of them: docs/embedding.md).
 * Written atomically: test files running at once each write the same manifest.
 */
export async function linkVendorCli(): Promise<string> {
  const vendor = join(ROOT, 'examples/vendor-cli');
  mkdirSync(join(vendor, 'node_modules'), { recursive: true });
  try {
    symlinkSync('../../..', join(vendor, 'node_modules/handshake-compat'), 'dir');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // What `oclif manifest` does (node_modules/oclif/lib/commands/manifest.js). Imported here, not by every file
  // that imports these helpers: oclif's modules cost each of them a quarter of a second.
  const { Plugin } = await import('@oclif/core');
  const plugin = new Plugin({ errorOnManifestCreate: true, ignoreManifest: true, respectNoCacheDefault: true, root: vendor, type: 'core' });
  await plugin.load();
  writeFileAtomic(join(vendor, 'oclif.manifest.json'), JSON.stringify(plugin.manifest, null, 2), { mode: 0o644, sync: false });
  return join(vendor, 'bin/run.js');
}

/** The files of the built package a copy needs to run (`bin/run.js` and the bundle it loads). */
const BUILT_FILES = ['bin', 'dist', 'package.json', 'oclif.manifest.json', 'compat.json', 'compat.schema.json'];

/**
 * A copy of the built package in `dir`, and its bin: for a test that edits its compat.json, or runs it as
 * another user (a checkout in a 0700 directory is not readable by one). With `linkModules`, its
 * node_modules is this checkout's (the bundle itself needs none).
 */
export function copyBuiltPackage(dir: string, options: { linkModules?: boolean } = {}): string {
  for (const f of BUILT_FILES) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  if (options.linkModules) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return join(dir, 'bin', 'run.js');
}
