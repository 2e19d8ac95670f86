// Instructions instead of milliseconds: the startup pairs of BENCHMARKS.md counted with `valgrind --tool=callgrind`.
// A process's instruction count does not depend on what else the machine is doing (on a shared machine the
// wall-clock rows swing by 10–20 % from one run to the next), so these rows say whether a change made the work
// smaller; the wall-clock rows above stay the goals. Every CLI variant has a warm-up under valgrind first: the
// code cache it then reads was written under valgrind's view of the CPU, as a real run reads one written natively.
//
//   node bench/instructions.js [--quick]     prints a Markdown section (bench/run.js includes it)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEnv, machine, median, normalServer } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'run.js');
const HTTP_FLOOR = join(ROOT, 'bench', 'http-baseline.js');
const quick = process.argv.includes('--quick');
const RUNS = quick ? 1 : 3;

function valgrind() {
  try {
    return execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

const version = valgrind();
if (!version) {
  console.log('## Instructions (callgrind)\n\nNot measured: valgrind is not installed here.');
  process.exit(0);
}

const sandbox = mkdtempSync(join(tmpdir(), 'handshake-instructions-'));
const server = await normalServer();
const url = server.url;
const env = cliEnv(sandbox);

/** The instructions one process ran, all threads, from callgrind's summary line. */
function count(args, extraEnv = {}) {
  const out = join(sandbox, 'callgrind.out');
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}.%p`, process.execPath, ...args], {
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => {
      for (const f of readdirSync(sandbox)) if (f.startsWith('callgrind.out')) rmSync(join(sandbox, f));
      const n = [...err.matchAll(/Collected : (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
      if (code !== 0 || n === 0) reject(new Error(`valgrind ${args.join(' ')} exited ${code}: ${err.slice(-400)}`));
      else resolve(n);
    });
  });
}

async function variant(args, extraEnv, warm) {
  if (warm) await count(args, extraEnv);
  const xs = [];
  for (let i = 0; i < RUNS; i++) xs.push(await count(args, extraEnv));
  return xs;
}

const M = (n) => `${(n / 1e6).toFixed(1)} M`;
const spread = (xs) => (xs.length > 1 ? `${M(Math.min(...xs))}–${M(Math.max(...xs))}` : '—');
try {
  const check = await variant([BIN, 'compat', 'check', '--json', '--server', url], {}, true);
  const floor = await variant([HTTP_FLOOR, `${url}/api/v1/config/version`], {}, false);
  const api = ['api', '/api/v1/projects'];
  const fresh = await variant([BIN, ...api], { HANDSHAKE_SERVER: url }, true); // the warm-up also caches the handshake
  const off = await variant([BIN, ...api], { HANDSHAKE_SERVER: url, HANDSHAKE_NO_VERSION_CHECK: '1' }, true);
  const rows = [
    ['`compat check --json` (loopback) vs bare Node `node:http` + print (the floor)', '≤ 1.6× (in time)', check, floor],
    ['`handshake api` with a fresh cache vs the check off', '≤ 1.05× (in time)', fresh, off],
  ];
  console.log(
    [
      '## Instructions (callgrind)',
      '',
      `The two startup goals again, counted in instructions (all threads) by \`valgrind --tool=callgrind\` (${version}) rather than timed:`,
      "a count does not move with the machine's load, so these rows tell a smaller change from noise; the goals stay the",
      `wall-clock rows above. Median of ${RUNS} run${RUNS > 1 ? 's' : ''} per variant, each CLI variant after a warm-up under valgrind. ${machine()}.`,
      '',
      '| pair | goal | A (median) | B (median) | spread A / B | ratio |',
      '|---|---|---|---|---|---|',
      ...rows.map(
        ([name, goal, a, b]) =>
          `| ${name} | ${goal} | ${M(median(a))} | ${M(median(b))} | ${spread(a)} / ${spread(b)} | ${(median(a) / median(b)).toFixed(3)}× |`,
      ),
    ].join('\n'),
  );
} finally {
  await server.close();
  rmSync(sandbox, { recursive: true, force: true });
}
