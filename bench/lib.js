// Shared helpers of the benchmarks: alternated runs, medians, child processes, peak RSS, the machine.
// Plain ESM so `npm run bench` needs only the build.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summary(xs) {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** Runs A and B alternately (A B A B …) after a warm-up of each, and summarises both; the ratio is median A / median B. */
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
  // Also the median of the rounds' own ratios: A and B of a round run back to back, so a busy moment weighs on both.
  return { a: summary(as), b: summary(bs), ratio: median(as) / median(bs), paired: median(as.map((x, i) => x / bs[i])) };
}

/** Runs several variants round-robin (1 2 3 1 2 3 …) after a warm-up, and summarises each. */
export async function roundRobin({ rounds, warmup = 1, runs }) {
  for (let i = 0; i < warmup; i++) for (const run of runs) await run();
  const samples = runs.map(() => []);
  for (let i = 0; i < rounds; i++) for (const [j, run] of runs.entries()) samples[j].push(await run());
  return samples.map(summary);
}

/**
 * Spawns a process and resolves with its wall time in ms, measured from spawn to exit.
 * `expect` is the exit code it must end with (default 0): a benchmark of a failing command measures nothing.
 */
export function timeProcess(cmd, args, { env = process.env, cwd, expect = 0 } = {}) {
  return run(cmd, args, { env, cwd, expect }).then((r) => r.ms);
}

function run(cmd, args, { env, cwd, expect }) {
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
      if (code !== expect) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}, expected ${expect}: ${stderr}`));
      else resolve({ ms, stderr });
    });
  });
}

const TIME = '/usr/bin/time';
const RSS_WRAPPER = fileURLToPath(new URL('./max-rss.js', import.meta.url));

/** How peak RSS is measured here: `/usr/bin/time` when the machine has it, else a preloaded reporter. */
export const rssMethod = existsSync(TIME)
  ? '/usr/bin/time -f %M (peak RSS of the process)'
  : 'process.resourceUsage().maxRSS, reported at exit';

/** Runs a Node script and resolves with its peak resident set size in KiB. */
export async function peakRss(script, args, { env = process.env, cwd, expect = 0 } = {}) {
  if (existsSync(TIME)) {
    const r = await run(TIME, ['-f', '@@maxrss=%M', process.execPath, script, ...args], { env, cwd, expect });
    const m = r.stderr.match(/@@maxrss=(\d+)/);
    if (!m) throw new Error(`no peak RSS in the output of ${TIME}: ${r.stderr}`);
    return Number(m[1]);
  }
  const dir = mkdtempSync(join(tmpdir(), 'handshake-rss-'));
  const out = join(dir, 'rss');
  try {
    await run(process.execPath, ['--import', RSS_WRAPPER, script, ...args], { env: { ...env, BENCH_RSS_FILE: out }, cwd, expect });
    return Number(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function machine() {
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  return `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** The 1-minute load average and the number of cores: numbers taken at a load above the core count are noisy. */
export function load() {
  return { avg: loadavg()[0], cores: cpus().length };
}

export const fmt = (ms) => `${ms.toFixed(ms < 10 ? 2 : ms < 100 ? 1 : 0)} ms`;
export const fmtKiB = (kib) => `${(kib / 1024).toFixed(1)} MiB`;

/** The schema revision and the version path of the benchmarks' well-behaved server. */
export const HEAD = '0005_add_retention_policy';
export const VERSION_PATH = '/api/v1/config/version';

/** A loopback server on port 0; close() also drops its open connections. */
export function listen(handler) {
  const server = createServer(handler);
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise((r) => server.close(r));
        },
      }),
    ),
  );
}

/** The well-behaved server: a version endpoint and an ordinary route with the revision headers. */
export async function normalServer() {
  let versionRequests = 0;
  const s = await listen((req, res) => {
    if (req.url === VERSION_PATH) {
      versionRequests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ server_version: '1.4.2', schema_revision: HEAD }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-schema-revision': HEAD, 'x-server-version': '1.4.2' });
    res.end('{"projects":[]}');
  });
  return Object.assign(s, { versionRequests: () => versionRequests });
}

/** A clean environment for the CLI: a sandboxed cache and config, none of the shell's variables that change what it does. */
export function cliEnv(sandbox) {
  const env = { ...process.env, XDG_CONFIG_HOME: join(sandbox, 'config'), HANDSHAKE_CACHE_DIR: join(sandbox, 'cache'), NO_COLOR: '1' };
  for (const k of [
    'NODE_ENV',
    'NODE_OPTIONS',
    'HANDSHAKE_SERVER',
    'HANDSHAKE_TOKEN',
    'HANDSHAKE_COMPAT_FILE',
    'HANDSHAKE_NO_VERSION_CHECK',
    'DEBUG',
  ])
    delete env[k];
  for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) delete env[k];
  return env;
}
