// Shared helpers of the benchmarks: alternated runs, medians, the machine. Plain ESM so `npm run bench` needs only the build.
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs A and B alternately (A B A B …) after a warm-up of each, and summarises both. */
export async function alternate({ rounds, warmup = 2, a, b }) {
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const as = [];
  const bs = [];
  for (let i = 0; i < rounds; i++) {
    as.push(await a());
    bs.push(await b());
  }
  return { a: summary(as), b: summary(bs), ratio: median(as) / median(bs) };
}

export function summary(xs) {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** Spawns a process and resolves with its wall time in ms (and exit code). */
export function timeProcess(cmd, args, { env = process.env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve(ms);
    });
  });
}

export function machine() {
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  return `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

export const fmt = (ms) => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
