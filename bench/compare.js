// Compares builds of the bin, side by side, against the node:http floor (bench/http-baseline.js): the method
// behind the step table in bench/NOTES.md. Each build is a directory holding bin/, dist/, package.json,
// compat.json, oclif.manifest.json and node_modules (a copy of a worktree after `npm run build`, node_modules a
// symlink). The floor and every build run round-robin against one loopback server after a warm-up, each build
// with a code cache of its own (two builds sharing one would evict each other's), and the report gives medians,
// quartiles, the medians of each round's own ratio to the floor, paired differences against the first build, and
// the load average before and after.
//
//   node bench/compare.js [--rounds N] [--measure wall|cpu] label=DIR [label=DIR …]
//
// --measure cpu reports the children's CPU time (user + system, all threads, from a preloaded process.cpuUsage())
// instead of wall-clock from spawn to exit: less sensitive to a machine shared with other work.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEnv, load, median, normalServer } from './lib.js';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv.splice(i, 2)[1] : fallback;
};
const rounds = Number(option('--rounds', '25'));
const measure = option('--measure', 'wall');
const builds = argv.map((a) => {
  const [label, dir] = a.split('=');
  if (!dir) throw new Error(`expected label=DIR, got ${a}`);
  return { label, dir };
});
if (builds.length === 0) throw new Error('usage: node bench/compare.js [--rounds N] [--measure wall|cpu] label=DIR …');

const sandbox = mkdtempSync(join(tmpdir(), 'handshake-compare-'));
const cpuHook = join(sandbox, 'cpu.cjs');
writeFileSync(
  cpuHook,
  "process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeSync(2, '@@cpu=' + (u.user + u.system) / 1000 + '\\n'); });\n",
);
const server = await normalServer();
const url = server.url;
const env = cliEnv(sandbox);

const time = (args, extra = {}) =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, measure === 'cpu' ? ['-r', cpuHook, ...args] : args, {
      env: { ...env, ...extra },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`));
      resolve(measure === 'cpu' ? Number(/@@cpu=([\d.]+)/.exec(stderr)[1]) : performance.now() - started);
    });
  });

const floor = fileURLToPath(new URL('./http-baseline.js', import.meta.url));
const variants = [
  { label: 'node:http', run: () => time([floor, `${url}/api/v1/config/version`]) },
  ...builds.map((b) => ({
    label: b.label,
    run: () =>
      time([join(b.dir, 'bin', 'run.js'), 'compat', 'check', '--json', '--server', url], {
        HANDSHAKE_CACHE_DIR: join(sandbox, `cache-${b.label}`),
      }),
  })),
];

const before = load();
try {
  for (let w = 0; w < 2; w++) for (const v of variants) await v.run();
  const samples = variants.map(() => []);
  for (let i = 0; i < rounds; i++) for (const [j, v] of variants.entries()) samples[j].push(await v.run());
  const after = load();
  const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];
  const ms = (x) => `${x.toFixed(1)} ms`;
  console.log(`${rounds} rounds, ${measure === 'cpu' ? 'CPU time (user + system)' : 'wall-clock, spawn to exit'}`);
  for (const [j, v] of variants.entries()) {
    const xs = samples[j];
    const perRound = xs.map((x, i) => x / samples[0][i]);
    const ratio =
      j === 0
        ? ''
        : `  ratio ${(median(xs) / median(samples[0])).toFixed(3)}×, per-round median ${median(perRound).toFixed(3)}× (${q(perRound, 0.25).toFixed(3)}–${q(perRound, 0.75).toFixed(3)})`;
    console.log(
      `${v.label.padEnd(12)} median ${ms(median(xs))}  quartiles ${ms(q(xs, 0.25))}–${ms(q(xs, 0.75))}  min ${ms(Math.min(...xs))}${ratio}`,
    );
  }
  for (let j = 2; j < variants.length; j++) {
    const d = samples[j].map((x, i) => x - samples[1][i]);
    console.log(
      `${variants[j].label} − ${variants[1].label}: median paired difference ${ms(median(d))} (${ms(q(d, 0.25))}–${ms(q(d, 0.75))})`,
    );
  }
  console.log(`load average (1 min): ${before.avg.toFixed(2)} → ${after.avg.toFixed(2)} on ${before.cores} cores`);
} finally {
  await server.close();
  rmSync(sandbox, { recursive: true, force: true });
}
