import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type CliResult, copyBuiltPackage, ROOT, type RunOptions, runCli, sandbox } from '../helpers/cli.js';
import { EVIL, rawControls, rawControlsInBytes, rawResponse, rawServer, SENTINEL_TOKEN } from '../helpers/hostile.js';
import { closedPort, json, pumpBody, startServer } from '../helpers/http-server.js';
import { runInProcess } from '../helpers/in-process.js';
import { startProxy } from '../helpers/proxy.js';
import { makeCerts, startHttpsServer, type TestCerts } from '../helpers/tls.js';

/**
 * Issue 7: nothing a server sends can hang, crash, leak or paint the
 * terminal. Every hostile scenario runs against every command that talks to
 * a server; each run must end with the contract's exit code within a
 * generous did-not-hang bound (never a performance assertion), print no raw
 * control or bidi character, and never print a secret.
 *
 * What a command says and decides is the same in process (test/helpers/in-process.ts), so most of the matrix runs
 * there; a scenario whose subject is the process itself (it exits while a server holds its connections open,
 * variables Node reads at startup) is spawned, and so is one scenario through every command
 * (docs/architecture.md "One IO").
 */

const HEAD = '0005_add_retention_policy';
const VERSION_PATH = '/api/v1/config/version';
/** Far above any honest run (and far below runCli's 20 s kill): only a hang can cross it. */
const DID_NOT_HANG_MS = 15_000;
const URL_PASSWORD = 'url-pass-5d2e8b';

const certs: TestCerts = makeCerts();
afterAll(() => certs.cleanup());

interface Target {
  url: string;
  env?: Record<string, string | undefined>;
  /** Checked after every run of this scenario. */
  verify?(): void | Promise<void>;
  close(): Promise<void>;
}

interface Exits {
  check: number;
  status: number;
  api: number;
  upgrade: number;
  /** 0 when no check failed, 3 when one did. */
  doctor: number;
  /** `server upgrade --yes` with a short --wait, where it differs from the dry run. */
  poll?: number;
}

interface Scenario {
  name: string;
  start(): Promise<Target>;
  args?: string[];
  exit: Exits;
  /** Which runs (default: all of them). Scenarios that only repeat a code path run fewer, to keep the suite fast. */
  runs?: readonly RunName[];
  /** What `compat check --json` must say, where the scenario pins it. */
  report?(doc: { status: string; message: string; remedy: string | null; server: { url: string } }): void;
  /** Runs the built CLI (runCli) instead of the commands in process: the process is the subject. */
  spawned?: boolean;
}

/** The built CLI spawned, or the command run in this process. */
function cli(spawned: boolean | undefined, argv: string[], opts: RunOptions): Promise<CliResult> {
  return spawned ? runCli(argv, opts) : runInProcess(argv, { env: opts.env });
}

type RunName =
  | 'compat check'
  | 'compat check --json'
  | 'server status'
  | 'server status --json'
  | 'api --include'
  | 'server upgrade --dry-run'
  | 'server upgrade --dry-run --json'
  | 'doctor'
  | 'doctor --json'
  | 'doctor --markdown'
  | 'server upgrade --yes (polls)';

interface Run {
  name: RunName;
  argv: string[];
  exit(e: Exits): number;
  json?: boolean;
  api?: boolean;
}

const RUNS: Run[] = [
  { name: 'compat check', argv: ['compat', 'check'], exit: (e) => e.check },
  { name: 'compat check --json', argv: ['compat', 'check', '--json'], exit: (e) => e.check, json: true },
  { name: 'server status', argv: ['server', 'status'], exit: (e) => e.status },
  { name: 'server status --json', argv: ['server', 'status', '--json'], exit: (e) => e.status },
  { name: 'api --include', argv: ['api', '/api/v1/projects', '--include'], exit: (e) => e.api, api: true },
  { name: 'server upgrade --dry-run', argv: ['server', 'upgrade', '--dry-run'], exit: (e) => e.upgrade },
  { name: 'server upgrade --dry-run --json', argv: ['server', 'upgrade', '--dry-run', '--json'], exit: (e) => e.upgrade },
  {
    name: 'server upgrade --yes (polls)',
    argv: ['server', 'upgrade', '--yes', '--wait', '1', '--interval', '0.25'],
    exit: (e) => e.poll ?? e.upgrade,
  },
  { name: 'doctor', argv: ['doctor'], exit: (e) => e.doctor },
  { name: 'doctor --json', argv: ['doctor', '--json'], exit: (e) => e.doctor },
  { name: 'doctor --markdown', argv: ['doctor', '--markdown'], exit: (e) => e.doctor },
];
const ALL_RUNS: readonly RunName[] = [
  'compat check',
  'compat check --json',
  'server status',
  'api --include',
  'server upgrade --dry-run',
  'doctor',
];
/** The two ways of asking (the version endpoint, an ordinary call), human and JSON. */
const CORE: readonly RunName[] = ['compat check', 'compat check --json', 'api --include', 'doctor'];
/** Everything, doctor in all three formats: for scenarios whose server text doctor shows. */
const EVERY: readonly RunName[] = [...ALL_RUNS, 'doctor --json', 'doctor --markdown'];
/** Failures below HTTP, or statuses whose body is never shown: the verdict, an ordinary call, and the upgrade's first look. */
const TRANSPORT: readonly RunName[] = ['compat check --json', 'api --include', 'server upgrade --dry-run', 'doctor'];

const all = (n: number): Exits => ({ check: n, status: n, api: n, upgrade: n, doctor: n === 0 ? 0 : 3 });

/** Starts an http server and wraps it as a target. */
async function http(
  handler: Parameters<typeof startServer>[0],
): Promise<Target & { requests: Awaited<ReturnType<typeof startServer>>['requests'] }> {
  const s = await startServer(handler);
  return { url: s.url, requests: s.requests, close: () => s.close() };
}

/** A server that streams a large body; afterwards, every copy must have been refused early and cheaply (the client hung up long before 64 MiB went out). */
async function refusedEarly(stream: (res: ServerResponse) => Promise<number>): Promise<Target> {
  const sentAtClose: number[] = [];
  const s = await http((_req, res) => {
    void stream(res).then((n) => sentAtClose.push(n));
  });
  return {
    ...s,
    verify: async () => {
      await new Promise((r) => setTimeout(r, 100));
      for (const sent of sentAtClose) expect(sent).toBeLessThan(24 * 1024 * 1024);
    },
  };
}

function evilBody(res: ServerResponse, status: number, headers: Record<string, string> = {}) {
  json(res, status, { error: `nope ${EVIL}`, detail: EVIL }, headers);
}

const scenarios: Scenario[] = [
  {
    name: 'connection refused',
    runs: TRANSPORT,
    spawned: true, // every command that talks to a server, built and spawned, in the cheapest scenario
    start: async () => ({ url: `http://127.0.0.1:${await closedPort()}`, close: async () => {} }),
    exit: all(4),
    report: (d) => expect(d.status).toBe('unreachable'),
  },
  {
    name: 'connection reset in the middle of the body',
    runs: TRANSPORT,
    start: async () => {
      const s = await rawServer((socket, request) => {
        void request.then(() => {
          socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"server_version":"1.');
          setTimeout(() => socket.resetAndDestroy(), 50);
        });
      });
      return s;
    },
    exit: all(4),
    report: (d) => expect(d.status).toBe('unreachable'),
  },
  {
    name: 'a server that accepts and never answers (--timeout 1000)',
    runs: TRANSPORT,
    spawned: true, // the process exits while the connection is still open
    start: () => rawServer(() => {}),
    args: ['--timeout', '1000'],
    exit: all(4),
    report: (d) => expect(d.status).toBe('unreachable'),
  },
  {
    name: 'a keep-alive server that would hold every connection open for ten minutes',
    runs: TRANSPORT,
    spawned: true, // the process exits while the server holds its connections
    start: async () => {
      const s = await rawServer((socket) => {
        let buffered = '';
        socket.on('data', (d: Buffer) => {
          buffered += d.toString('latin1');
          // One answer per complete request head; the connection is never closed from this side.
          while (buffered.includes('\r\n\r\n')) {
            const head = buffered.slice(0, buffered.indexOf('\r\n\r\n'));
            buffered = buffered.slice(buffered.indexOf('\r\n\r\n') + 4);
            const body = JSON.stringify(
              head.startsWith(`GET ${VERSION_PATH}`) ? { server_version: '1.4.2', schema_revision: HEAD } : { ok: true },
            );
            socket.write(
              `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: keep-alive\r\nkeep-alive: timeout=600\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
            );
          }
        });
      });
      // The assertion is the did-not-hang bound: the CLI lets go of its connections and exits.
      return s;
    },
    exit: all(0),
  },
  {
    name: 'a body that trickles one byte per 200 ms (--timeout 1000)',
    runs: TRANSPORT,
    start: () =>
      http((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 200);
        res.on('close', () => clearInterval(timer));
      }),
    args: ['--timeout', '1000'],
    exit: all(4),
    report: (d) => expect(d.status).toBe('unreachable'),
  },
  {
    name: '64 MiB of JSON, streamed without a length',
    runs: TRANSPORT,
    start: () =>
      refusedEarly((res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[');
        return pumpBody(res, 64 * 1024 * 1024, { chunk: Buffer.from('0,'.repeat(32 * 1024)), tail: '0]' });
      }),
    exit: all(4),
    report: (d) => expect(d.status).toBe('invalid_response'),
  },
  {
    name: '64 MiB of JSON announced by Content-Length',
    runs: CORE,
    start: () =>
      refusedEarly((res) => {
        const size = 64 * 1024 * 1024;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(size) });
        return pumpBody(res, size);
      }),
    exit: all(4),
    report: (d) => expect(d.status).toBe('invalid_response'),
  },
  {
    name: 'an HTML login page with status 200 that echoes the token and holds escape sequences',
    runs: EVERY,
    start: () =>
      http((req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        // The echo comes first, so it lands inside the preview an error message quotes.
        res.end(`${req.headers.authorization} is not a valid session${EVIL}<html><title>Sign in${EVIL}</title></html>`);
      }),
    // api prints a 200 body as it is; the passive check's warning must still be clean.
    exit: { check: 4, status: 4, api: 0, upgrade: 4, doctor: 3 },
    report: (d) => expect(d.status).toBe('invalid_response'),
  },
  {
    name: 'a 302 to another port',
    start: async () => {
      const other = await startServer((req, res) =>
        req.url === VERSION_PATH ? json(res, 200, { server_version: '1.4.2', schema_revision: HEAD }) : json(res, 200, { ok: true }),
      );
      const first = await startServer((req, res) => {
        res.writeHead(302, { location: `${other.url}${req.url}` });
        res.end(EVIL);
      });
      return {
        url: first.url,
        verify: () => {
          expect(first.requests.some((r) => r.headers.authorization === `Bearer ${SENTINEL_TOKEN}`)).toBe(true);
          expect(other.requests.length).toBeGreaterThan(0);
          for (const r of other.requests) {
            expect(r.headers.authorization).toBeUndefined();
            expect(JSON.stringify(r.headers)).not.toContain(SENTINEL_TOKEN);
          }
        },
        close: async () => {
          await Promise.all([first.close(), other.close()]);
        },
      };
    },
    exit: all(0),
    report: (d) => expect(d.status).toBe('compatible'),
  },
  {
    name: 'a 302 to another port, with user:password@ in the URL and no token',
    runs: CORE,
    start: async () => {
      const other = await startServer((req, res) =>
        req.url === VERSION_PATH ? json(res, 200, { server_version: '1.4.2', schema_revision: HEAD }) : json(res, 200, { ok: true }),
      );
      const first = await startServer((req, res) => {
        res.writeHead(302, { location: `${other.url}${req.url}` });
        res.end();
      });
      return {
        url: first.url.replace('http://', `http://alice:${URL_PASSWORD}@`),
        env: { HANDSHAKE_TOKEN: undefined },
        verify: () => {
          const basic = `Basic ${Buffer.from(`alice:${URL_PASSWORD}`).toString('base64')}`;
          expect(first.requests.some((r) => r.headers.authorization === basic)).toBe(true);
          expect(other.requests.length).toBeGreaterThan(0);
          for (const r of other.requests) expect(r.headers.authorization).toBeUndefined();
        },
        close: async () => {
          await Promise.all([first.close(), other.close()]);
        },
      };
    },
    exit: all(0),
    report: (d) => expect(d.server.url).not.toContain('alice'),
  },
  {
    name: '401',
    runs: TRANSPORT,
    start: () => http((_req, res) => evilBody(res, 401, { 'www-authenticate': 'Bearer realm="\u009b31m"' })),
    exit: all(4),
    report: (d) => expect(d.status).toBe('unauthorized'),
  },
  {
    name: '403',
    runs: CORE,
    start: () => http((_req, res) => evilBody(res, 403)),
    exit: all(4),
    report: (d) => expect(d.status).toBe('unauthorized'),
  },
  {
    name: '404',
    runs: CORE,
    start: () => http((_req, res) => evilBody(res, 404)),
    exit: all(4),
    report: (d) => expect(d.status).toBe('not_found'),
  },
  {
    name: '426 naming the required version',
    start: () => http((_req, res) => evilBody(res, 426, { 'x-required-cli-version': '1.0.0' })),
    exit: all(3),
    report: (d) => {
      expect(d.status).toBe('cli_outdated');
      expect(d.remedy).toContain('1.0.0');
    },
  },
  {
    name: '426 with an escape sequence in the required version',
    runs: CORE,
    start: () => http((_req, res) => evilBody(res, 426, { 'x-required-cli-version': '1.0.0\u009b2J' })),
    exit: all(3),
    report: (d) => {
      expect(d.status).toBe('cli_outdated');
      expect(d.remedy).not.toContain('\u009b');
    },
  },
  {
    name: '429 with Retry-After',
    runs: TRANSPORT,
    start: () => http((_req, res) => evilBody(res, 429, { 'retry-after': '30' })),
    exit: all(4),
    report: (d) => {
      expect(d.status).toBe('unreachable');
      expect(d.remedy).toContain('30');
    },
  },
  {
    name: '500',
    runs: CORE,
    start: () => http((_req, res) => evilBody(res, 500)),
    exit: all(4),
    report: (d) => expect(d.status).toBe('unreachable'),
  },
  {
    name: '502',
    runs: CORE,
    start: () => http((_req, res) => evilBody(res, 502)),
    exit: all(4),
    report: (d) => expect(d.status).toBe('unreachable'),
  },
  {
    name: '503 with Retry-After',
    runs: TRANSPORT,
    start: () => http((_req, res) => evilBody(res, 503, { 'retry-after': '7' })),
    exit: all(4),
    report: (d) => expect(d.status).toBe('unreachable'),
  },
  {
    name: 'C1 and bidi bytes in header values (latin1 on the wire)',
    runs: EVERY,
    start: () =>
      rawServer((socket, request) => {
        void request.then((head) => {
          const doc = head.startsWith(`GET ${VERSION_PATH}`) ? { server_version: '1.4.2', schema_revision: HEAD } : { ok: true };
          socket.end(
            rawResponse(
              200,
              [
                ['content-type', 'application/json'],
                ['x-server-version', '1.4.2\x9b2J'],
                ['x-schema-revision', `${HEAD}\x9b31m`],
                ['x-evil', 'a\x9b2J\x85b\xe2\x80\xaec'],
              ],
              JSON.stringify(doc),
            ),
          );
        });
      }),
    exit: all(0),
    report: (d) => expect(d.status).toBe('compatible'),
  },
  {
    name: 'ESC in a header value (refused by the HTTP parser)',
    runs: CORE,
    start: () =>
      rawServer((socket, request) => {
        void request.then(() => socket.end(rawResponse(200, [['x-evil', '\x1b[2J\x1b]0;pwned\x07']], '{}')));
      }),
    exit: all(4),
  },
  {
    name: 'TLS: a self-signed certificate',
    runs: EVERY,
    start: () => startHttpsServer(certs.selfSigned, (_req, res) => json(res, 200, { server_version: '1.4.2', schema_revision: HEAD })),
    exit: all(4),
    report: (d) => {
      expect(d.status).toBe('unreachable');
      expect(d.message).toMatch(/TLS/);
      expect(d.remedy).toContain('NODE_EXTRA_CA_CERTS');
    },
  },
  {
    name: 'TLS: a self-signed certificate, even with NODE_TLS_REJECT_UNAUTHORIZED=0',
    runs: CORE,
    spawned: true, // Node's TLS reads the variable from the process's environment
    start: async () => {
      const s = await startHttpsServer(certs.selfSigned, (_req, res) => json(res, 200, { server_version: '1.4.2', schema_revision: HEAD }));
      return {
        ...s,
        env: { NODE_TLS_REJECT_UNAUTHORIZED: '0' },
        // No request (and so no token) ever went to the server whose certificate failed.
        verify: () => expect(s.requests).toBe(0),
      };
    },
    exit: all(4),
    report: (d) => expect(d.message).toMatch(/TLS/),
  },
  {
    name: 'TLS: an expired certificate from a trusted CA',
    runs: CORE,
    spawned: true, // NODE_EXTRA_CA_CERTS is read when Node starts
    start: async () => ({
      ...(await startHttpsServer(certs.expired, (_req, res) => json(res, 200, { server_version: '1.4.2', schema_revision: HEAD }))),
      env: { NODE_EXTRA_CA_CERTS: certs.caFile },
    }),
    exit: all(4),
    report: (d) => {
      expect(d.status).toBe('unreachable');
      expect(d.message).toMatch(/TLS/);
      expect(d.message).toMatch(/expired/);
    },
  },
  {
    name: 'TLS: a trusted certificate for another host name (example.test)',
    runs: CORE,
    spawned: true, // NODE_EXTRA_CA_CERTS is read when Node starts
    start: async () => ({
      ...(await startHttpsServer(certs.wrongHost, (_req, res) => json(res, 200, { server_version: '1.4.2', schema_revision: HEAD }))),
      env: { NODE_EXTRA_CA_CERTS: certs.caFile },
    }),
    exit: all(4),
    report: (d) => {
      expect(d.status).toBe('unreachable');
      expect(d.message).toMatch(/TLS/);
      expect(d.remedy).toContain('--server');
    },
  },
  {
    name: 'TLS: a good certificate from the CA named by NODE_EXTRA_CA_CERTS',
    runs: CORE,
    spawned: true, // NODE_EXTRA_CA_CERTS is read when Node starts
    start: async () => ({
      ...(await startHttpsServer(certs.good, (req, res) =>
        req.url === VERSION_PATH ? json(res, 200, { server_version: '1.4.2', schema_revision: HEAD }) : json(res, 200, { ok: true }),
      )),
      env: { NODE_EXTRA_CA_CERTS: certs.caFile },
    }),
    exit: all(0),
    report: (d) => expect(d.status).toBe('compatible'),
  },
  {
    name: 'through an HTTP proxy with credentials (HTTP_PROXY)',
    runs: EVERY,
    start: async () => {
      const proxyPassword = 'proxy-pass-91c4';
      const proxy = await startProxy({ requireAuth: `bob:${proxyPassword}` });
      const origin = await startServer((req, res) =>
        req.url === VERSION_PATH ? json(res, 200, { server_version: '1.4.2', schema_revision: HEAD }) : json(res, 200, { ok: true }),
      );
      return {
        url: origin.url,
        env: { HTTP_PROXY: proxy.url.replace('http://', `http://bob:${proxyPassword}@`) },
        verify: () => {
          expect(proxy.tunnels.length + proxy.forwarded.length).toBeGreaterThan(0);
          for (const r of origin.requests) expect(r.headers['proxy-authorization']).toBeUndefined();
        },
        close: async () => {
          await Promise.all([proxy.close(), origin.close()]);
        },
      };
    },
    exit: all(0),
    report: (d) => expect(d.status).toBe('compatible'),
  },
];

/** Every string field of the version document holding escape sequences: the free-text ones all at once, the checked ones one by one. */
const BASE_DOC = {
  server_version: '1.3.0',
  schema_revision: '0004_split_events_table',
  pending_migrations: [{ revision: HEAD, description: 'per-project retention' }],
  deployment: 'docker-compose',
  migration_status: 'idle',
};
const EVIL60 = EVIL.slice(0, 60);
// Release 1.3.0 one migration short of its own head (0004), described with escapes: schema_behind.
const freeText = {
  ...BASE_DOC,
  schema_revision: '0003_add_insight_meta_cache',
  api_version: EVIL60,
  pending_migrations: [{ revision: '0004_split_events_table', description: EVIL }],
  deployment: EVIL60,
  [`x${EVIL60}`]: EVIL,
};
scenarios.push({
  name: 'escape sequences in every free-text field of the version document (api_version, descriptions, deployment, unknown fields)',
  start: () =>
    http((req, res) =>
      req.url === VERSION_PATH
        ? json(res, 200, freeText, { 'x-server-version': '1.3.0', 'x-schema-revision': '0003_add_insight_meta_cache' })
        : json(res, 200, { ok: true }),
    ),
  // A valid document whose own release's migration is pending: schema_behind (3); the upgrade plan applies it (dry
  // run, 0) and rejects the deployment; a real upgrade polls a server that never changes until --wait runs out (4).
  exit: { ...all(3), upgrade: 0, poll: 4 },
  runs: [
    ...ALL_RUNS,
    'server status --json',
    'server upgrade --dry-run --json',
    'server upgrade --yes (polls)',
    'doctor --json',
    'doctor --markdown',
  ],
  report: (d) => expect(d.status).toBe('schema_behind'),
});
const checked: Array<[string, Record<string, unknown>]> = [
  ['server_version', { server_version: `1.3.0${EVIL}` }],
  ['schema_revision', { schema_revision: `0004${EVIL}` }],
  ['min_cli_version', { min_cli_version: `0.1.0${EVIL}` }],
  ['max_cli_version', { max_cli_version: `9.0.0${EVIL}` }],
  ['recommended_cli_version', { recommended_cli_version: `0.9.0${EVIL}` }],
  ['pending_migrations (a revision)', { pending_migrations: [`0005${EVIL}`] }],
  ['migration_status', { migration_status: EVIL }],
];
for (const [field, patch] of checked) {
  scenarios.push({
    name: `escape sequences in the version document's ${field}`,
    start: () => http((req, res) => (req.url === VERSION_PATH ? json(res, 200, { ...BASE_DOC, ...patch }) : json(res, 200, { ok: true }))),
    exit: { check: 4, status: 4, api: 0, upgrade: 4, doctor: 3 },
    runs: ['compat check', 'server status --json', 'doctor'],
  });
}

/** What a run printed, minus api's body (the data asked for, byte for byte by design). */
function printed(run: Run, r: CliResult): { stdout: string; stdoutBytes: Buffer; stderr: string } {
  if (!run.api) return r;
  const end = r.stdoutBytes.indexOf('\n\n');
  const head = end < 0 ? r.stdoutBytes : r.stdoutBytes.subarray(0, end + 2);
  return { stdout: head.toString('utf8'), stdoutBytes: head, stderr: r.stderr };
}

function expectClean(run: Run, r: CliResult, secrets: string[]): void {
  const out = printed(run, r);
  const where = `\n--- stdout:\n${JSON.stringify(r.stdout.slice(0, 2000))}\n--- stderr:\n${JSON.stringify(r.stderr.slice(0, 2000))}`;
  expect(rawControlsInBytes(out.stdoutBytes), `raw control characters on stdout${where}`).toEqual([]);
  expect(rawControls(out.stderr), `raw control characters on stderr${where}`).toEqual([]);
  for (const secret of secrets) {
    expect(out.stdout.includes(secret) || out.stderr.includes(secret), `a secret was printed${where}`).toBe(false);
  }
  // Never a crash: no stack trace, no "unexpected error".
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(r.code).not.toBe(1);
}

for (const scenario of scenarios) {
  describe.concurrent(`hostile: ${scenario.name}`, () => {
    let target: Target;
    const box = sandbox();
    beforeAll(async () => {
      target = await scenario.start();
    });
    afterAll(async () => {
      await target.close();
      box.cleanup();
    });

    for (const run of RUNS.filter((r) => (scenario.runs ?? ALL_RUNS).includes(r.name))) {
      it(`${run.name} → exit ${run.exit(scenario.exit)}, in bounded time, nothing raw, no secret`, async () => {
        const env = { ...box.env, HANDSHAKE_TOKEN: SENTINEL_TOKEN, ...target.env };
        const r = await cli(scenario.spawned, [...run.argv, '--server', target.url, ...(scenario.args ?? [])], { env, timeoutMs: 25_000 });
        expect(r.ms, 'did not hang').toBeLessThan(DID_NOT_HANG_MS);
        expect(r.code, `exit code\n--- stdout:\n${r.stdout.slice(0, 1500)}\n--- stderr:\n${r.stderr.slice(0, 1500)}`).toBe(
          run.exit(scenario.exit),
        );
        expectClean(run, r, [SENTINEL_TOKEN, URL_PASSWORD, 'proxy-pass-91c4']);
        if (run.argv.includes('--json')) {
          const doc = JSON.parse(r.stdout);
          if (run.json) scenario.report?.(doc);
        }
        await target.verify?.();
      });
    }
  });
}

describe.concurrent('hostile: compat show and --compat files', () => {
  const box = sandbox();
  afterAll(() => box.cleanup());
  const bundled = JSON.parse(readFileSync(join(ROOT, 'compat.json'), 'utf8')) as Record<string, unknown> & {
    schema_chain: Array<Record<string, unknown>>;
    cli: { install: Record<string, string> };
  };
  // Free-text fields of a matrix (descriptions, templates) holding escape sequences, in a file whose name holds one too.
  const hostile = {
    ...bundled,
    schema_chain: bundled.schema_chain.map((r) => ({ ...r, description: `${String(r.description)} ${EVIL}`.slice(0, 200) })),
    cli: { ...bundled.cli, install: { ...bundled.cli.install, npm: `npm install -g {package}@{version} ${EVIL}` } },
  };
  const validFile = join(box.dir, 'compat-\u001b[2J\u009b.json');
  writeFileSync(validFile, JSON.stringify(hostile));
  // Invalid: a duplicate revision id made of escape sequences, which the error message quotes.
  const invalid = { ...hostile, schema_chain: [...hostile.schema_chain, { revision: EVIL }, { revision: EVIL }] };
  const invalidFile = join(box.dir, 'invalid-\u001b]0;x\u0007.json');
  writeFileSync(invalidFile, JSON.stringify(invalid));

  const cases: Array<{ name: string; argv: string[]; exit: number }> = [
    { name: 'compat show, a hostile matrix', argv: ['compat', 'show', '--compat', validFile], exit: 0 },
    { name: 'compat show --json, a hostile matrix', argv: ['compat', 'show', '--json', '--compat', validFile], exit: 0 },
    { name: 'compat show, an invalid hostile matrix', argv: ['compat', 'show', '--compat', invalidFile], exit: 2 },
    { name: 'compat show --json, an invalid hostile matrix', argv: ['compat', 'show', '--json', '--compat', invalidFile], exit: 2 },
    {
      name: 'compat check, an invalid hostile matrix',
      argv: ['compat', 'check', '--server', 'http://127.0.0.1:9', '--compat', invalidFile],
      exit: 2,
    },
  ];
  for (const c of cases) {
    it(`${c.name} → exit ${c.exit}, nothing raw, no secret`, async () => {
      const r = await runInProcess(c.argv, { env: { ...box.env, HANDSHAKE_TOKEN: SENTINEL_TOKEN } });
      expect(r.ms, 'did not hang').toBeLessThan(DID_NOT_HANG_MS);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(c.exit);
      expectClean(RUNS[0] as Run, r, [SENTINEL_TOKEN]);
      if (c.argv.includes('--json')) expect(() => JSON.parse(r.stdout)).not.toThrow();
    });
  }
});

describe('hostile: compat check --all and doctor over configured servers, tokens from the config file', () => {
  const box = sandbox();
  const tokens = { echo: 'cfg-token-echo-3b91d2', evil: 'cfg-token-evil-77c0aa', down: 'cfg-token-down-19f3e4' };
  const started: Array<{ close(): Promise<void> }> = [];
  beforeAll(async () => {
    // One server echoes the token it was sent into an HTML page, one answers a document full of escape sequences, one is down.
    const echo = await startServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`${req.headers.authorization} rejected${EVIL}`);
    });
    const evil = await startServer((_req, res) =>
      json(res, 200, {
        server_version: '1.3.0',
        schema_revision: '0004_split_events_table',
        deployment: EVIL.slice(0, 60),
        api_version: EVIL.slice(0, 60),
      }),
    );
    started.push(echo, evil);
    const config = {
      current: 'echo',
      servers: {
        echo: { url: echo.url, token: tokens.echo },
        evil: { url: evil.url, token: tokens.evil },
        down: { url: `http://127.0.0.1:${await closedPort()}`, token: tokens.down },
      },
    };
    const dir = join(box.env.XDG_CONFIG_HOME as string, 'handshake');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
  });
  afterAll(async () => {
    await Promise.all(started.map((s) => s.close()));
    box.cleanup();
  });

  for (const format of [[], ['--json'], ['--markdown']]) {
    it(`doctor ${format.join(' ')} on the current server, which echoes its config-file token: exit 3, nothing raw, no token`, async () => {
      const r = await runInProcess(['doctor', ...format], { env: box.env });
      expect(r.ms, 'did not hang').toBeLessThan(DID_NOT_HANG_MS);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
      expectClean(RUNS[0] as Run, r, Object.values(tokens));
      // The echo did reach the output, redacted: the test would see a leak.
      expect(r.stdout + r.stderr).toContain('[redacted]');
    });
  }

  for (const json of [false, true]) {
    it(`compat check --all${json ? ' --json' : ''}: the worst exit (4), nothing raw, no token of any server`, async () => {
      const r = await runInProcess(['compat', 'check', '--all', ...(json ? ['--json'] : [])], { env: box.env });
      expect(r.ms, 'did not hang').toBeLessThan(DID_NOT_HANG_MS);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(4);
      expectClean(RUNS[0] as Run, r, Object.values(tokens));
      expect(r.stdout + r.stderr).toContain('[redacted]');
      if (json) expect(JSON.parse(r.stdout)).toHaveLength(3);
    });
  }
});

describe.concurrent('hostile: TLS failures through api --json name the cause (E_TLS) and the fix', () => {
  const box = sandbox();
  const started: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.close()));
    box.cleanup();
  });
  const doc = { server_version: '1.4.2', schema_revision: HEAD };
  const cases: Array<{ name: string; pair: () => import('../helpers/tls.js').KeyPair; ca: boolean; remedy: RegExp }> = [
    { name: 'self-signed', pair: () => certs.selfSigned, ca: false, remedy: /NODE_EXTRA_CA_CERTS/ },
    { name: 'expired', pair: () => certs.expired, ca: true, remedy: /[Rr]enew/ },
    { name: 'wrong host', pair: () => certs.wrongHost, ca: true, remedy: /--server/ },
  ];
  for (const c of cases) {
    it(`${c.name}: exit 4, E_TLS, a remedy, nothing sent`, async () => {
      const s = await startHttpsServer(c.pair(), (_req, res) => json(res, 200, doc));
      started.push(s);
      // With a CA, spawned: NODE_EXTRA_CA_CERTS is read when Node starts.
      const r = await cli(c.ca, ['api', '/api/v1/projects', '--json', '--server', s.url], {
        env: { ...box.env, HANDSHAKE_TOKEN: SENTINEL_TOKEN, ...(c.ca ? { NODE_EXTRA_CA_CERTS: certs.caFile } : {}) },
      });
      expect(r.code).toBe(4);
      const e = JSON.parse(r.stdout) as { error: { code: string; message: string; remedy: string } };
      expect(e.error.code).toBe('E_TLS');
      expect(e.error.remedy).toMatch(c.remedy);
      expect(s.requests).toBe(0);
      expectClean(RUNS[0] as Run, r, [SENTINEL_TOKEN]);
    });
  }
});

describe('hostile twists in the local environment and the protocol', () => {
  it('an unsolicited 100 Continue before every answer: compat check and api still read the answer', async () => {
    const doc = JSON.stringify({ server_version: '1.4.2', schema_revision: HEAD });
    const server = await rawServer((socket, request) => {
      void request.then((head) => {
        const body = head.startsWith(`GET ${VERSION_PATH}`) ? doc : '{"ok":true}';
        socket.end(
          `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
      });
    });
    try {
      const b = sandbox();
      try {
        const check = await runInProcess(['compat', 'check', '--server', server.url, '--json'], { env: b.env });
        expect(check.code).toBe(0);
        const api = await runInProcess(['api', '/api/v1/projects', '--server', server.url], { env: b.env });
        expect(api.code).toBe(0);
        expect(api.stdout).toBe('{"ok":true}');
      } finally {
        b.cleanup();
      }
    } finally {
      await server.close();
    }
  });

  // A uid without a passwd entry and without HOME or SHELL (docker --user 12345, OpenShift). Needs root
  // and util-linux's setpriv to become such a uid; elsewhere there is nothing to simulate it with.
  const canSetpriv = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
  it.skipIf(!canSetpriv)('a uid with no passwd entry, no HOME and no SHELL: no command exits 1 or prints a Node error', () => {
    // That uid runs a copy of the built package in a directory it can read: a checkout in a 0700 directory
    // (mktemp -d) is not readable by another user, and the bundle needs nothing else.
    const pkg = mkdtempSync(join(tmpdir(), 'handshake-homeless-'));
    chmodSync(pkg, 0o755);
    const bin = copyBuiltPackage(pkg);
    onTestFinished(() => rmSync(pkg, { recursive: true, force: true }));
    for (const args of [
      ['server', 'list'],
      ['compat', 'show'],
      ['compat', 'check', '--server', 'http://127.0.0.1:9'],
      ['server', 'add', 'p', 'http://127.0.0.1:9'],
      ['api', '/x', '--server', 'http://127.0.0.1:9'],
      ['doctor'],
    ]) {
      const r = spawnSync(
        'setpriv',
        ['--reuid', '54321', '--regid', '54321', '--clear-groups', 'env', '-i', `PATH=${process.env.PATH}`, process.execPath, bin, ...args],
        { cwd: '/', encoding: 'utf8', timeout: DID_NOT_HANG_MS },
      );
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).not.toBe(1);
      expect(r.status).not.toBeNull();
      expect(r.stderr).not.toMatch(/SystemError|uv_os_|ERR_SYSTEM_ERROR|\n\s+at /);
    }
  });
});
