// `npm run bench`: every performance goal measured side by side, alternated, and written to BENCHMARKS.md.
// Benchmarks are never assertions in `npm test`; this script reports, it does not fail on a missed goal.
//
//   node bench/run.js            every goal, 15 rounds per pair after a warm-up
//   node bench/run.js --quick    fewer rounds, for a first look (BENCHMARKS.md says so)
//   node bench/run.js --only version,check   a subset; BENCHMARKS.md is left alone
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  alternate,
  cliEnv,
  fmt,
  fmtKiB,
  HEAD,
  listen,
  load,
  machine,
  median,
  normalServer,
  peakRss,
  roundRobin,
  rssMethod,
  summary,
  timeProcess,
  VERSION_PATH,
} from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'run.js');
const BASELINE = join(ROOT, 'bench', 'fetch-baseline.js');
const HTTP_FLOOR = join(ROOT, 'bench', 'http-baseline.js');
const dist = (p) => import(new URL(`../dist/src/${p}`, import.meta.url).href);
const { headerInterceptor, withHeaderHook } = await dist('transport/interceptor.js');
const { httpRequest } = await dist('transport/request.js');
const { Agent } = await import('undici');

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : argv[argv.indexOf(onlyArg) + 1]).split(',') : null;
const ROUNDS = quick ? 5 : 15;
const results = [];
const sections = [];
const loadBefore = load();

const sandbox = mkdtempSync(join(tmpdir(), 'handshake-bench-'));
const baseEnv = cliEnv(sandbox);
const cli =
  (args, { env = {}, expect = 0 } = {}) =>
  () =>
    timeProcess(process.execPath, [BIN, ...args], { env: { ...baseEnv, ...env }, cwd: ROOT, expect });
const node = (args) => () => timeProcess(process.execPath, args, { env: baseEnv, cwd: ROOT });

const pairRow = (goal, target, r, labels, met, extra) => ({
  goal,
  target,
  a: `${labels[0]} ${fmt(r.a.median)}`,
  b: `${labels[1]} ${fmt(r.b.median)}`,
  spread: `${fmt(r.a.min)}–${fmt(r.a.max)} / ${fmt(r.b.min)}–${fmt(r.b.max)}`,
  ratio: `${r.ratio.toFixed(3)}×${extra ? ` (${extra})` : ''}`,
  met,
});

const goals = {
  /** `handshake --version` against bare `node -e 0`. */
  async version() {
    const r = await alternate({ rounds: ROUNDS, a: cli(['--version']), b: node(['-e', '0']) });
    results.push(pairRow('`handshake --version` vs `node -e 0`', '≤ 1.8×', r, ['--version', 'node -e 0'], r.ratio <= 1.8));
  },

  /** `compat check --json` against a bare Node script that fetches and prints the same endpoint. */
  async check() {
    const server = await normalServer();
    try {
      const r = await alternate({
        rounds: ROUNDS,
        a: cli(['compat', 'check', '--json', '--server', server.url]),
        b: node([BASELINE, `${server.url}${VERSION_PATH}`]),
      });
      results.push(
        pairRow('`compat check --json` (loopback) vs bare Node `fetch` + print', '≤ 1.8×', r, ['check', 'fetch'], r.ratio <= 1.8),
      );
    } finally {
      await server.close();
    }
  },

  /**
   * The same against the real floor (issue 17): bare Node asking once with node:http, which loads no undici. The
   * goal of issue 17, so more rounds than the others (31), and the median of the rounds' own ratios beside it.
   */
  async floor() {
    const server = await normalServer();
    try {
      const r = await alternate({
        rounds: quick ? 5 : 31,
        a: cli(['compat', 'check', '--json', '--server', server.url]),
        b: node([HTTP_FLOOR, `${server.url}${VERSION_PATH}`]),
      });
      results.push(
        pairRow(
          '`compat check --json` (loopback) vs bare Node `node:http` + print (the floor)',
          '≤ 1.6×',
          r,
          ['check', 'node:http'],
          r.ratio <= 1.6,
          `per-round median ${r.paired.toFixed(3)}×, ${quick ? 5 : 31} rounds`,
        ),
      );
    } finally {
      await server.close();
    }
  },

  /** An ordinary call with a fresh cache: no version request, and no time over the same call with the check off. */
  async api() {
    const server = await normalServer();
    const env = { HANDSHAKE_SERVER: server.url };
    try {
      // Prime the cache once, then count version requests made by the measured runs.
      await cli(['api', '/api/v1/projects'], { env })();
      const before = server.versionRequests();
      const r = await alternate({
        rounds: ROUNDS,
        a: cli(['api', '/api/v1/projects'], { env }),
        b: cli(['api', '/api/v1/projects'], { env: { ...env, HANDSHAKE_NO_VERSION_CHECK: '1' } }),
      });
      const extra = server.versionRequests() - before;
      results.push(
        pairRow(
          '`handshake api` with a fresh cache vs the check off',
          '≤ 1.05×, 0 extra requests',
          r,
          ['fresh cache', 'HANDSHAKE_NO_VERSION_CHECK=1'],
          r.ratio <= 1.05 && extra === 0,
          `${extra} extra version requests`,
        ),
      );
    } finally {
      await server.close();
    }
  },

  /**
   * The passive check's header hook over many loopback requests, in process, against a plain agent, with a
   * second plain agent as the control. A round makes 2,000 requests through each, interleaved request by
   * request in an order where each variant follows every other equally often (a Williams square), so a busy
   * moment or a warm cache weighs on all of them; each round has fresh agents (fresh connections). The ratio
   * is the median of the rounds' ratios.
   */
  async interceptor() {
    const server = await normalServer();
    const N = 2000;
    const R = quick ? 5 : 25;
    let seen = 0;
    const hook = (info) => {
      if (info.headers['x-schema-revision']) seen++;
    };
    // CheckedClient's hook: withHeaderHook, reading three headers by name, where the build has it; else compose(), as before it.
    const names = ['X-Schema-Revision', 'X-Server-Version', 'X-Required-CLI-Version'];
    const make = [
      (agent) => (withHeaderHook ? withHeaderHook(agent, hook, { names }) : agent.compose(headerInterceptor(hook))),
      (agent) => agent,
      (agent) => agent.compose(headerInterceptor(hook)),
      (agent) => agent,
    ];
    const order = [
      [0, 1, 3, 2],
      [1, 2, 0, 3],
      [2, 3, 1, 0],
      [3, 0, 2, 1],
    ];
    const url = `${server.url}/api/v1/projects`;
    const round = async () => {
      const agents = make.map(() => new Agent({ keepAliveTimeout: 10_000 }));
      const dispatchers = make.map((m, v) => m(agents[v]));
      const totals = make.map(() => 0);
      for (let i = 0; i < N; i++) {
        for (const v of order[i % 4]) {
          const t = performance.now();
          await httpRequest(url, { timeoutMs: 5000, dispatcher: dispatchers[v] });
          totals[v] += performance.now() - t;
        }
      }
      await Promise.all(agents.map((a) => a.close()));
      return totals;
    };
    try {
      await round();
      const rounds = [];
      for (let r = 0; r < R; r++) rounds.push(await round());
      if (seen === 0) throw new Error('the header hook saw no headers: the benchmark measured nothing');
      const [hooked, plain, composed, control] = make.map((_, v) => summary(rounds.map((t) => t[v])));
      const pair = (a, v) => ({ a, b: plain, ratio: median(rounds.map((t) => t[v] / t[1])) });
      const r = pair(hooked, 0);
      results.push(
        pairRow(`Header hook over ${N} loopback requests (CheckedClient's wrapper)`, '≤ 1.02×', r, ['hooked', 'plain'], r.ratio <= 1.02),
      );
      results.push(
        pairRow('Same, through `agent.compose(headerInterceptor())` (for comparison)', '—', pair(composed, 2), ['composed', 'plain'], null),
      );
      results.push(
        pairRow('Control: a second plain agent (the precision of the two rows above)', '—', pair(control, 3), ['plain 2', 'plain'], null),
      );
    } finally {
      await server.close();
    }
  },

  /** A server that accepts and never answers, or trickles a byte every 200 ms: the command ends within --timeout + 250 ms. */
  async hanging() {
    const never = await listen(() => {});
    const trickle = (headersFirst) =>
      listen((_req, res) => {
        const body = JSON.stringify({ server_version: '1.4.2', schema_revision: HEAD, padding: 'x'.repeat(100) });
        const raw = headersFirst
          ? null
          : Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
        if (headersFirst) res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        const bytes = raw ?? Buffer.from(body);
        let i = 0;
        const timer = setInterval(() => {
          if (i >= bytes.length || res.socket?.destroyed) return clearInterval(timer);
          if (raw) res.socket.write(bytes.subarray(i, i + 1));
          else res.write(bytes.subarray(i, i + 1));
          i++;
        }, 200);
        res.on('close', () => clearInterval(timer));
      });
    const head = await trickle(false);
    const body = await trickle(true);
    const T = 1000;
    const cases = [
      ['accepts, never answers', never, ['compat', 'check']],
      ['trickles the status line and headers, 1 byte / 200 ms', head, ['compat', 'check']],
      ['sends headers, trickles the body, 1 byte / 200 ms', body, ['compat', 'check']],
      ['accepts, never answers (`api`, cold cache: request and handshake both pending)', never, ['api', '/api/v1/projects']],
    ];
    try {
      const runs = cases.map(([, server, args]) =>
        cli([...args, '--timeout', String(T), '--json', '--server', server.url], {
          expect: 4,
          env: { HANDSHAKE_CACHE_DIR: join(sandbox, `cold-${Math.random()}`) },
        }),
      );
      const stats = await roundRobin({ rounds: quick ? 3 : 7, runs });
      for (const [i, [label, , args]] of cases.entries()) {
        const s = stats[i];
        results.push({
          goal: `\`${args[0]}${args[0] === 'compat' ? ` ${args[1]}` : ''} --timeout ${T}\`: server ${label}`,
          target: `≤ ${T + 250} ms`,
          a: `median ${fmt(s.median)}`,
          b: '—',
          spread: `${fmt(s.min)}–${fmt(s.max)}`,
          ratio: `max ${fmt(s.max)}`,
          met: s.max <= T + 250,
        });
      }
    } finally {
      await Promise.all([never.close(), head.close(), body.close()]);
    }
  },

  /** A 64 MiB answer on the version endpoint: the size cap refuses it while streaming, so memory stays flat. */
  async memory() {
    const SIZE = 64 * 2 ** 20;
    const huge = (declared) =>
      listen((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', ...(declared ? { 'content-length': SIZE } : {}) });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        res.write('{"server_version":"1.4.2","padding":"');
        let sent = 0;
        const pump = () => {
          while (sent < SIZE && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return res.once('drain', pump);
          }
          res.end('"}');
        };
        res.on('close', () => {
          sent = SIZE;
        });
        pump();
      });
    const normal = await normalServer();
    const chunked = await huge(false);
    const declared = await huge(true);
    const rss = (server, expect) => () =>
      peakRss(BIN, ['compat', 'check', '--json', '--server', server.url], { env: baseEnv, cwd: ROOT, expect });
    try {
      const [n, c, d] = await roundRobin({ rounds: quick ? 3 : 9, runs: [rss(normal, 0), rss(chunked, 4), rss(declared, 4)] });
      const growth = c.median - n.median;
      results.push({
        goal: '`compat check` against a 64 MiB body (chunked, no length): peak RSS over a normal check',
        target: '< +10 MiB',
        a: `64 MiB body ${fmtKiB(c.median)}`,
        b: `normal ${fmtKiB(n.median)}`,
        spread: `${fmtKiB(c.min)}–${fmtKiB(c.max)} / ${fmtKiB(n.min)}–${fmtKiB(n.max)}`,
        ratio: `${growth >= 0 ? '+' : ''}${fmtKiB(growth)}`,
        met: growth < 10 * 1024,
      });
      results.push({
        goal: 'Same, with the 64 MiB announced in Content-Length (refused before reading)',
        target: '< +10 MiB',
        a: `64 MiB body ${fmtKiB(d.median)}`,
        b: `normal ${fmtKiB(n.median)}`,
        spread: `${fmtKiB(d.min)}–${fmtKiB(d.max)} / ${fmtKiB(n.min)}–${fmtKiB(n.max)}`,
        ratio: `${d.median - n.median >= 0 ? '+' : ''}${fmtKiB(d.median - n.median)}`,
        met: d.median - n.median < 10 * 1024,
      });
    } finally {
      await Promise.all([normal.close(), chunked.close(), declared.close()]);
    }
  },

  /** How `compat check` grows with the matrix: 10, 1,000 and 10,000 schema revisions. */
  async scale() {
    const { loadMatrix } = await dist('matrix/load.js');
    const { computeVerdict } = await dist('verdict/verdict.js');
    const { versionDocumentSchema } = await dist('protocol/version-document.js');
    const base = JSON.parse(readFileSync(join(ROOT, 'compat.json'), 'utf8'));
    const dir = join(sandbox, 'matrices');
    const server = await normalServer();
    const document = versionDocumentSchema.parse({ server_version: '1.4.2', schema_revision: HEAD });
    const observation = { kind: 'document', document, headers: { schemaRevision: HEAD, serverVersion: '1.4.2' } };
    const cliCtx = { version: base.cli_version, installMethod: 'npm' };
    const rows = [];
    try {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(dir, { recursive: true });
      const sizes = [10, 1000, 10_000];
      const files = sizes.map((n) => {
        // n revisions, oldest first, ending at the server's; the CLI needs the last tenth of them.
        const chain = Array.from({ length: n - 1 }, (_, i) => ({
          revision: `${String(i + 1).padStart(6, '0')}_generated_revision`,
          description: `generated revision ${i + 1} of ${n}`,
        }));
        chain.push({ revision: HEAD, description: 'per-project retention policy', server_version: '1.4.0' });
        const doc = { ...base, schema_chain: chain, min_schema_revision: chain[Math.floor(n * 0.9)].revision };
        delete doc.$schema;
        const file = join(dir, `compat-${n}.json`);
        writeFileSync(file, JSON.stringify(doc, null, 2));
        return file;
      });
      // In process: read + validate + index the file, then the verdict (the placement is a Map lookup).
      const inProcess = sizes.map((n, i) => {
        const times = [];
        const place = [];
        for (let r = 0; r < (quick ? 5 : 15) + 2; r++) {
          const t0 = performance.now();
          const matrix = loadMatrix(files[i]);
          const t1 = performance.now();
          const v = computeVerdict(matrix, observation, cliCtx);
          const t2 = performance.now();
          if (v.status !== 'compatible') throw new Error(`the ${n}-revision matrix gave ${v.status}: ${v.message}`);
          if (r >= 2) times.push({ load: t1 - t0, verdict: t2 - t1 });
          const t3 = performance.now();
          for (let k = 0; k < 10_000; k++) matrix.placeRevision(HEAD);
          place.push((performance.now() - t3) / 10_000);
        }
        return {
          load: median(times.map((t) => t.load)),
          verdict: median(times.map((t) => t.verdict)),
          place: median(place),
        };
      });
      // The whole command, per size, round-robin.
      const wall = await roundRobin({
        rounds: quick ? 5 : ROUNDS,
        runs: files.map((f) => cli(['compat', 'check', '--json', '--compat', f, '--server', server.url])),
      });
      for (const [i, n] of sizes.entries()) {
        rows.push(
          `| ${n.toLocaleString('en')} | ${(readFileSync(files[i]).length / 1024).toFixed(0)} KiB | ${fmt(inProcess[i].load)} | ${fmt(inProcess[i].verdict)} | ${(inProcess[i].place * 1e6).toFixed(0)} ns | ${fmt(wall[i].median)} (${fmt(wall[i].min)}–${fmt(wall[i].max)}) |`,
        );
      }
    } finally {
      await server.close();
    }
    sections.push(
      [
        '## Scale: `compat check` by the size of the matrix',
        '',
        'Generated matrices (the bundled one with a longer `schema_chain`), the server at the newest revision. In process: load',
        '(read, parse, validate with zod, index) and the verdict, medians after a warm-up; placing a revision is a Map lookup',
        'after load. End to end: `compat check --json --compat FILE`, the sizes run round-robin.',
        '',
        '| revisions | file | load + validate + index | verdict | place one revision | `compat check --compat FILE` (median, min–max) |',
        '|---|---|---|---|---|---|',
        ...rows,
      ].join('\n'),
    );
  },

  /**
   * What a user downloads: `npm pack`, then `npm install -g ./tarball --prefix <tmp>` (from npm's cache where it
   * can), the installed tree's size on disk (`du`), and the installed `handshake` answering `--version`.
   */
  async install() {
    const { execFileSync } = await import('node:child_process');
    const dir = join(sandbox, 'install');
    const prefix = join(dir, 'prefix');
    const npm = (args, cwd) =>
      execFileSync('npm', args, {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...baseEnv, npm_config_update_notifier: 'false' },
      });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], ROOT));
    const out = npm(['install', '-g', join(dir, packed.filename), '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund'], dir);
    const added = /added (\d+) packages?/.exec(out)?.[1] ?? '?';
    const kib = (p) => Number(execFileSync('du', ['-sk', p], { encoding: 'utf8' }).split('\t')[0]);
    const version = execFileSync(join(prefix, 'bin', 'handshake'), ['--version'], { encoding: 'utf8', env: baseEnv }).trim();
    const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    sections.push(
      [
        '## Installed size',
        '',
        '`npm pack`, then `npm install -g ./' + packed.filename + ' --prefix <tmp>`; sizes on disk from `du -sk`.',
        '',
        '| package | tarball | unpacked (the package alone) | installed, with its dependencies | packages installed | runtime dependencies | `<prefix>/bin/handshake --version` |',
        '|---|---|---|---|---|---|---|',
        `| ${packed.name}@${packed.version} | ${(packed.size / 1024).toFixed(0)} KiB | ${(packed.unpackedSize / 1024).toFixed(0)} KiB | ${(kib(prefix) / 1024).toFixed(1)} MiB | ${added} | ${Object.keys(pjson.dependencies).join(', ')} | \`${version}\` |`,
      ].join('\n'),
    );
  },

  /** `compat sync` on 10,000 revisions (bench/sync.js, its own script: it prints its rows). */
  async sync() {
    sections.push(['## `compat sync`: a 10,000-revision directory', '', await script('sync.js')].join('\n'));
  },

  /** `server upgrade`'s poll: success reported within one interval of the server reaching the target (bench/upgrade-poll.js). */
  async upgradePoll() {
    sections.push(await script('upgrade-poll.js'));
  },

  /** handshake mounted in a CLI made by `oclif generate`, installed from tarballs (bench/mounted.js). */
  async mounted() {
    sections.push(await script('mounted.js'));
  },

  /** `doctor`: its checks run concurrently against the same checks one after another. */
  /** The startup pairs counted in instructions (bench/instructions.js): the same on a busy machine as on a quiet one. */
  async instructions() {
    sections.push(await script('instructions.js'));
  },

  async doctor() {
    if (!existsSync(join(ROOT, 'dist', 'commands', 'doctor.js'))) {
      sections.push('## `doctor`: concurrent against sequential\n\nNot measured: `doctor` has not landed on this branch yet.');
      return;
    }
    const mod = await import('./doctor.js');
    sections.push(await mod.benchDoctor({ cli, sandbox, rounds: ROUNDS, quick }));
  },
};

/** Runs one of the bench scripts that print their own Markdown, with --quick when this run is quick. */
async function script(name) {
  const { execFileSync } = await import('node:child_process');
  const args = [join(ROOT, 'bench', name), ...(quick ? ['--quick'] : [])];
  return execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }).trim();
}

const selected = Object.keys(goals).filter((g) => !only || only.includes(g));
try {
  for (const name of selected) {
    const t = performance.now();
    process.stdout.write(`${name}… `);
    await goals[name]();
    console.log(`${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
} finally {
  rmSync(sandbox, { recursive: true, force: true });
}
const loadAfter = load();

for (const r of results) {
  const mark = r.met === null ? '    ' : r.met ? 'met ' : 'MISS';
  console.log(`${mark}  ${r.goal}: ${r.ratio} (${r.a}${r.b === '—' ? '' : ` vs ${r.b}`})`);
}
for (const s of sections) console.log(`\n${s}`);
if (loadBefore.avg > loadBefore.cores || loadAfter.avg > loadAfter.cores) {
  console.log(
    `note: the load average was ${loadBefore.avg.toFixed(1)} → ${loadAfter.avg.toFixed(1)} on ${loadBefore.cores} cores: other work shared the machine; re-run when it is quieter`,
  );
}
if (only) {
  console.log('--only: BENCHMARKS.md left alone');
  process.exit(0);
}

const lines = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (`bench/run.js`); do not edit by hand. Each pair is run alternately (A B A B …) after a warm-up,',
  `on one machine in one run, ${ROUNDS} rounds${quick ? ' (`--quick`)' : ''}; the ratio is median A / median B. Times are wall-clock, spawn to exit.`,
  `The header hook runs in process instead: ${quick ? 5 : 25} rounds of 2,000 requests per variant, interleaved request by request, fresh agents each round; its ratio is the median of the per-round ratios.`,
  'These are goals, never assertions in `npm test`.',
  '',
  `- Machine: ${machine()}`,
  `- Date: ${new Date().toISOString().slice(0, 10)}`,
  `- Load average (1 min) at start and end: ${loadBefore.avg.toFixed(2)}, ${loadAfter.avg.toFixed(2)}`,
  `- Peak RSS: ${rssMethod}`,
  '',
  '| goal | target | A (median) | B (median) | min–max A / B | ratio | met |',
  '|---|---|---|---|---|---|---|',
  ...results.map(
    (r) => `| ${r.goal} | ${r.target} | ${r.a} | ${r.b} | ${r.spread} | ${r.ratio} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} |`,
  ),
  '',
  ...sections.flatMap((s) => [s, '']),
];
const notesFile = join(ROOT, 'bench', 'NOTES.md');
const notes = existsSync(notesFile) ? readFileSync(notesFile, 'utf8') : '';
writeFileSync(join(ROOT, 'BENCHMARKS.md'), `${lines.join('\n')}${notes ? `\n${notes}` : ''}`);
console.log('BENCHMARKS.md written');
