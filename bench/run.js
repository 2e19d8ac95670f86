// `npm run bench`: every performance goal measured side by side, alternated, and written to BENCHMARKS.md.
// Benchmarks are never assertions in `npm test`; this script reports, it does not fail on a missed goal.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alternate, fmt, machine, timeProcess } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { headerInterceptor } = await import('../dist/src/transport/interceptor.js');
const { httpRequest } = await import('../dist/src/transport/request.js');
const { Agent } = await import('undici');

const HEAD = '0005_add_retention_policy';
const quick = process.argv.includes('--quick');
const results = [];

function startServer() {
  let versionRequests = 0;
  const server = createServer((req, res) => {
    if (req.url === '/api/v1/config/version') {
      versionRequests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ server_version: '1.4.2', schema_revision: HEAD }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-schema-revision': HEAD, 'x-server-version': '1.4.2' });
    res.end('{"projects":[]}');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close(), versionRequests: () => versionRequests }),
    ),
  );
}

async function interceptorOverhead(server) {
  const N = 2000;
  const plain = new Agent({ keepAliveTimeout: 10_000 });
  let seen = 0;
  const hooked = new Agent({ keepAliveTimeout: 10_000 }).compose(
    headerInterceptor((info) => {
      if (info.headers['x-schema-revision']) seen++;
    }),
  );
  const burst = (dispatcher) => async () => {
    const t = performance.now();
    for (let i = 0; i < N; i++) await httpRequest(`${server.url}/api/v1/projects`, { timeoutMs: 5000, dispatcher });
    return performance.now() - t;
  };
  const r = await alternate({ rounds: quick ? 3 : 10, warmup: 1, a: burst(hooked), b: burst(plain) });
  await plain.close();
  if (seen === 0) throw new Error('the interceptor saw no headers: the benchmark measured nothing');
  results.push({
    goal: `Header interceptor over ${N} loopback requests`,
    target: '≤ 1.02×',
    a: `with interceptor ${fmt(r.a.median)}`,
    b: `without ${fmt(r.b.median)}`,
    spread: `${fmt(r.a.min)}–${fmt(r.a.max)} / ${fmt(r.b.min)}–${fmt(r.b.max)}`,
    ratio: r.ratio,
    met: r.ratio <= 1.02,
  });
}

async function apiFreshCache(server) {
  const cacheHome = mkdtempSync(join(tmpdir(), 'handshake-bench-'));
  const env = { ...process.env, HANDSHAKE_CACHE_DIR: cacheHome, HANDSHAKE_SERVER: server.url };
  delete env.NODE_ENV;
  const bin = join(ROOT, 'bin', 'run.js');
  const run = (extraEnv) => () =>
    timeProcess(process.execPath, [bin, 'api', '/api/v1/projects'], { env: { ...env, ...extraEnv }, cwd: ROOT });
  // Prime the cache once, then count version requests made by the measured runs.
  await run({})();
  const before = server.versionRequests();
  const r = await alternate({ rounds: quick ? 5 : 15, a: run({}), b: run({ HANDSHAKE_NO_VERSION_CHECK: '1' }) });
  const extra = server.versionRequests() - before;
  rmSync(cacheHome, { recursive: true, force: true });
  results.push({
    goal: '`handshake api` with a fresh cache vs the check off',
    target: '≤ 1.05×, 0 extra requests',
    a: `fresh cache ${fmt(r.a.median)}`,
    b: `HANDSHAKE_NO_VERSION_CHECK=1 ${fmt(r.b.median)}`,
    spread: `${fmt(r.a.min)}–${fmt(r.a.max)} / ${fmt(r.b.min)}–${fmt(r.b.max)}`,
    ratio: r.ratio,
    extra: `${extra} extra version requests`,
    met: r.ratio <= 1.05 && extra === 0,
  });
}

const server = await startServer();
try {
  await interceptorOverhead(server);
  await apiFreshCache(server);
} finally {
  server.close();
}

const lines = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (`bench/run.js`); do not edit by hand. Each pair is run alternately (A B A B …) after a warm-up,',
  'on one machine in one run; the ratio is median A / median B. These are goals, never assertions in `npm test`.',
  '',
  `- Machine: ${machine()}`,
  `- Date: ${new Date().toISOString().slice(0, 10)}`,
  '',
  '| goal | target | A (median) | B (median) | min–max A / B | ratio | met |',
  '|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.goal} | ${r.target} | ${r.a} | ${r.b} | ${r.spread} | ${r.ratio.toFixed(3)}×${r.extra ? ` (${r.extra})` : ''} | ${r.met ? 'yes' : '**no**'} |`,
  ),
  '',
];
const notesFile = join(ROOT, 'bench', 'NOTES.md');
let notes = '';
try {
  notes = (await import('node:fs')).readFileSync(notesFile, 'utf8');
} catch {}
writeFileSync(join(ROOT, 'BENCHMARKS.md'), `${lines.join('\n')}${notes ? `\n${notes}` : ''}`);
for (const r of results)
  console.log(`${r.met ? 'met ' : 'MISS'}  ${r.goal}: ${r.ratio.toFixed(3)}× (${r.a} vs ${r.b})${r.extra ? `, ${r.extra}` : ''}`);
console.log('BENCHMARKS.md written');
