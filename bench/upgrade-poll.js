// `server upgrade`'s poll: is success reported within one poll interval of the server reaching the target?
// A loopback server answers the old version until a known moment (the flip), then the new one; the built CLI
// runs `server upgrade --yes --json --interval I` against it, and the time from the flip to the moment its
// `upgraded` document reaches stdout is measured. The flip is placed at a different phase of the poll cycle each
// round (0, 1/n, 2/n … of the interval after the first look), so the worst phase is measured too.
//
//   node bench/upgrade-poll.js            intervals 0.2, 0.5, 1 and 2 s, 8 rounds each
//   node bench/upgrade-poll.js --quick    0.2 and 1 s, 4 rounds each
//
// Reports; never fails on a missed goal (the numbers go to BENCHMARKS.md by hand).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, load, machine, summary } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'run.js');
const quick = process.argv.includes('--quick');
const INTERVALS = quick ? [0.2, 1] : [0.2, 0.5, 1, 2];
const ROUNDS = quick ? 4 : 8;

const OLD = { server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache', pending_migrations: ['0004_split_events_table'] };
const NEW = { server_version: '1.4.2', schema_revision: '0005_add_retention_policy' };

const sandbox = mkdtempSync(join(tmpdir(), 'handshake-bench-poll-'));
const env = { ...process.env, XDG_CONFIG_HOME: join(sandbox, 'config'), HANDSHAKE_CACHE_DIR: join(sandbox, 'cache'), NO_COLOR: '1' };
for (const k of Object.keys(env)) if (k.startsWith('HANDSHAKE_') && k !== 'HANDSHAKE_CACHE_DIR') delete env[k];
for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'DEBUG']) delete env[k];

/** A server that flips from OLD to NEW `flipAfterMs` after its first request; resolves with its URL and the flip time. */
function flippingServer(flipAfterMs) {
  let firstAt = null;
  let flipAt = null;
  const requests = [];
  const server = createServer((_req, res) => {
    const now = performance.now();
    if (firstAt === null) {
      firstAt = now;
      flipAt = now + flipAfterMs;
    }
    requests.push(now);
    const body = JSON.stringify(now >= flipAt ? NEW : OLD);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        flipAt: () => flipAt,
        requests,
        close: () => {
          server.closeAllConnections();
          return new Promise((r) => server.close(r));
        },
      }),
    ),
  );
}

/** One round: ms from the flip to the `upgraded` document on stdout, and how many requests the poll made. */
async function round(intervalS, phase) {
  // The flip lands `phase` of an interval after some poll, two intervals in (so the poll is under way).
  const flipAfterMs = (2 + phase) * intervalS * 1000;
  const s = await flippingServer(flipAfterMs);
  const args = [BIN, 'server', 'upgrade', '--server', s.url, '--yes', '--json', '--interval', String(intervalS), '--wait', '120'];
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let reportedAt = null;
  child.stdout.setEncoding('utf8').on('data', (d) => {
    out += d;
    if (reportedAt === null && out.includes('"upgraded"')) reportedAt = performance.now();
  });
  child.stderr.resume();
  const code = await new Promise((r) => child.on('close', r));
  await s.close();
  if (code !== 0 || reportedAt === null) throw new Error(`server upgrade exited ${code} without an upgraded outcome: ${out.slice(0, 300)}`);
  return { latency: reportedAt - s.flipAt(), requests: s.requests.length };
}

const loadBefore = load();
const rows = [];
for (const intervalS of INTERVALS) {
  const latencies = [];
  for (let i = 0; i < ROUNDS; i++) latencies.push((await round(intervalS, i / ROUNDS)).latency);
  const intervalMs = intervalS * 1000;
  const within = latencies.filter((l) => l <= intervalMs).length;
  rows.push({ intervalMs, s: summary(latencies), within });
}
rmSync(sandbox, { recursive: true, force: true });

console.log('## server upgrade: success reported within one poll interval of the server reaching the target\n');
const loadText = (l) => `${l.avg.toFixed(2)} on ${l.cores} cores`;
console.log(
  `${machine()}; load before ${loadText(loadBefore)}, after ${loadText(load())}; ${ROUNDS} rounds per interval, flip phases 0..${ROUNDS - 1}/${ROUNDS}\n`,
);
console.log('| --interval | flip → reported: median | min | max | within one interval | goal |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  const ok = r.within === r.s.n;
  console.log(
    `| ${r.intervalMs / 1000} s | ${fmt(r.s.median)} | ${fmt(r.s.min)} | ${fmt(r.s.max)} | ${r.within}/${r.s.n} | ≤ ${r.intervalMs / 1000} s ${ok ? '✓' : '✗'} |`,
  );
}
