// `doctor`: its checks run concurrently (as shipped) against the same checks one after another, in process
// through the SDK's runDoctor(), against a server answering at once and one answering after a delay
// (a server across a network); plus `doctor --json` end to end.
import { createServer } from 'node:http';
import { fmt, roundRobin } from './lib.js';

const HEAD = '0005_add_retention_policy';

function delayedServer(delayMs) {
  const server = createServer((req, res) => {
    setTimeout(() => {
      const body =
        req.url === '/api/v1/config/version' ? JSON.stringify({ server_version: '1.4.2', schema_revision: HEAD }) : '{"status":"ok"}';
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-schema-revision': HEAD,
        'x-server-version': '1.4.2',
        date: new Date().toUTCString(),
      });
      res.end(body);
    }, delayMs);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => {
          server.closeAllConnections();
          return new Promise((r) => server.close(r));
        },
      }),
    ),
  );
}

/** The same checks, each waiting for the one before it to finish. */
function sequential(checks) {
  let previous = Promise.resolve();
  return checks.map((check) => ({
    ...check,
    run(ctx, signal) {
      const mine = previous.then(() => check.run(ctx, signal));
      previous = mine.catch(() => {});
      return mine;
    },
  }));
}

export async function benchDoctor({ cli, sandbox, rounds, quick }) {
  const { runDoctor, builtinChecks } = await import('../dist/src/doctor/index.js');
  const env = { ...process.env, XDG_CONFIG_HOME: `${sandbox}/config`, HANDSHAKE_CACHE_DIR: `${sandbox}/cache` };
  for (const k of [
    'HANDSHAKE_SERVER',
    'HANDSHAKE_TOKEN',
    'HANDSHAKE_COMPAT_FILE',
    'HTTP_PROXY',
    'HTTPS_PROXY',
    'http_proxy',
    'https_proxy',
  ])
    delete env[k];
  const rows = [];
  for (const delay of [0, 100]) {
    const server = await delayedServer(delay);
    try {
      const run = (checks) => async () => {
        const t = performance.now();
        const report = await runDoctor({ cliVersion: '0.9.0', server: server.url, timeoutMs: 5000, env, checks });
        if (report.summary.failed) throw new Error(`doctor failed a check against the bench server: ${JSON.stringify(report.sections)}`);
        return performance.now() - t;
      };
      const checks = builtinChecks();
      const [c, s] = await roundRobin({ rounds: quick ? 5 : rounds, warmup: 2, runs: [run(checks), run(sequential(checks))] });
      rows.push(
        `| ${delay} ms | ${checks.length} | ${fmt(c.median)} (${fmt(c.min)}–${fmt(c.max)}) | ${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)}) | ${(s.median / c.median).toFixed(2)}× |`,
      );
    } finally {
      await server.close();
    }
  }
  const server = await delayedServer(0);
  let endToEnd;
  try {
    const [d] = await roundRobin({ rounds: quick ? 5 : rounds, runs: [cli(['doctor', '--json', '--server', server.url])] });
    endToEnd = d;
  } finally {
    await server.close();
  }
  return [
    '## `doctor`: concurrent against sequential',
    '',
    "In process (`runDoctor()` from the SDK, every built-in check), medians after a warm-up; sequential runs the same checks one after another. The server's probes are shared between checks (one version request, one ordinary request), so concurrency saves about one round trip per probe; the delayed server stands for one across a network.",
    '',
    '| server answers after | checks | concurrent (as shipped) | sequential | sequential / concurrent |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `End to end, \`doctor --json\` against the loopback server: median ${fmt(endToEnd.median)} (${fmt(endToEnd.min)}–${fmt(endToEnd.max)}).`,
  ].join('\n');
}
