import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJson, ROOT, runCli, sandbox } from '../helpers/cli.js';
import { closeAfterAll, closedPort, json, startServer, type TestServer } from '../helpers/http-server.js';
import { runInProcess } from '../helpers/in-process.js';

/**
 * What doctor checks and says runs in process (test/helpers/in-process.ts); what needs the process stays spawned
 * (docs/architecture.md "One IO"): the run ending while a server holds its connection, and a CA trusted through
 * NODE_EXTRA_CA_CERTS, which Node reads when it starts.
 */

const box = sandbox();
afterAll(() => box.cleanup());

const serve = closeAfterAll();

interface Check {
  id: string;
  title: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  remedy: string | null;
}
interface Doc {
  ok: boolean;
  sections: Array<{ title: string; checks: Check[] }>;
}

const HEAD = '0005_add_retention_policy';
const VERSION_PATH = '/api/v1/config/version';
const HEALTHY = { server_version: '1.4.2', schema_revision: HEAD, pending_migrations: [], migration_status: 'idle', deployment: 'helm' };
const REVISION_HEADERS = { 'X-Server-Version': '1.4.2', 'X-Schema-Revision': HEAD };

/** A server answering the version document on its endpoint and `{}` elsewhere, with `headers` on every response. */
function apiServer(doc: Record<string, unknown>, headers: Record<string, string> = REVISION_HEADERS): Promise<TestServer> {
  return serve(startServer((req, res) => json(res, 200, req.url === VERSION_PATH ? doc : {}, headers)));
}

async function doctor(args: string[], env: Record<string, string | undefined> = {}, spawned = false) {
  const run = spawned ? runCli : runInProcess;
  const r = await run(['doctor', '--json', ...args], { env: { ...box.env, ...env } });
  return { r, doc: parseJson<Doc>(r) };
}

function checkOf(doc: Doc, id: string): Check {
  const c = doc.sections.flatMap((s) => s.checks).find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in ${JSON.stringify(doc, null, 2)}`);
  return c;
}
const section = (doc: Doc, title: string) => doc.sections.find((s) => s.title === title);

describe('doctor --json against real loopback servers', () => {
  it('a healthy server: exit 0, ok, a "Server health" section whose checks pass, one request to the version endpoint', async () => {
    const server = await apiServer(HEALTHY);
    const { r, doc } = await doctor(['--server', server.url]);
    expect(r.code).toBe(0);
    expect(doc.ok).toBe(true);
    expect(Object.keys(doc).sort()).toEqual(['generated_at', 'ok', 'sections', 'summary']);
    expect(Date.parse((doc as unknown as { generated_at: string }).generated_at)).not.toBeNaN();
    expect((doc as unknown as { summary: unknown }).summary).toEqual({ cli: '0.9.0', server: server.url, verdict: 'compatible' });
    const health = section(doc, 'Server health');
    expect(health).toBeDefined();
    for (const id of [
      'server.reachable',
      'server.version',
      'server.schema',
      'server.migrations',
      'server.verdict',
      'server.headers',
      'server.clock',
    ]) {
      expect(checkOf(doc, id).status, id).toBe('pass');
    }
    expect(checkOf(doc, 'server.verdict').detail).toContain('compatible');
    for (const c of doc.sections.flatMap((s) => s.checks)) {
      expect(Object.keys(c).sort()).toEqual(['detail', 'durationMs', 'id', 'remedy', 'status', 'title']);
    }
    // The server checks share one request to the version endpoint.
    expect(server.requests.filter((q) => q.url === VERSION_PATH)).toHaveLength(1);
    expect(r.stderr).toBe('');
  });

  it('an unreachable server: exit 3, ok false, a failed Reachable with a remedy, and the other sections still reported', async () => {
    const port = await closedPort();
    const { r, doc } = await doctor(['--server', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(3);
    expect(doc.ok).toBe(false);
    const reach = checkOf(doc, 'server.reachable');
    expect(reach.status).toBe('fail');
    expect(reach.detail).toMatch(/refused/);
    expect(reach.remedy).toBeTruthy();
    expect(section(doc, 'CLI')?.checks.length).toBeGreaterThan(0);
    expect(section(doc, 'Network')?.checks.length).toBeGreaterThan(0);
    expect(checkOf(doc, 'cli.version').status).toBe('pass');
    expect(checkOf(doc, 'server.verdict').status).toBe('skip');
  });

  it('a 503 from a proxy: Reachable fails saying the server behind it is down', async () => {
    const server = await serve(startServer((_req, res) => json(res, 503, { error: 'down' })));
    const { r, doc } = await doctor(['--server', server.url]);
    const reach = checkOf(doc, 'server.reachable');
    expect(reach.status).toBe('fail');
    expect(reach.detail).toMatch(/503.*down/);
    expect(checkOf(doc, 'server.verdict').status).toBe('skip');
    expect(r.code).toBe(3);
  });

  it('a server that never answers is bounded by --timeout: exit 3 well before the kill', async () => {
    const server = await serve(startServer(() => new Promise(() => {})));
    const r = await runCli(['doctor', '--json', '--server', server.url, '--timeout', '1000'], { env: box.env, timeoutMs: 20_000 });
    expect(r.code).toBe(3);
    const doc = parseJson<Doc>(r);
    expect(checkOf(doc, 'server.reachable').status).toBe('fail');
    expect(checkOf(doc, 'server.reachable').detail).toMatch(/1000 ms/);
    // Did not hang: a hang would end in the 20 s kill (code null). A generous bound, not a timing.
    expect(r.ms).toBeLessThan(10_000);
  });

  it('a server that accepts TCP but stalls the TLS handshake is bounded by --timeout too, process exit included', async () => {
    const sockets = new Set<Socket>();
    const stall = createNetServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve));
    try {
      const url = `https://127.0.0.1:${(stall.address() as AddressInfo).port}`;
      const r = await runCli(['doctor', '--json', '--server', url, '--timeout', '1000'], { env: box.env, timeoutMs: 20_000 });
      expect(r.code).toBe(3);
      expect(checkOf(parseJson<Doc>(r), 'server.reachable').status).toBe('fail');
      // undici keeps a stalled connection attempt (and the process) alive for its own 10 s connect timeout
      // unless told otherwise; a generous bound well under that, not a timing.
      expect(r.ms).toBeLessThan(8000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => stall.close(() => resolve()));
    }
  });

  it('a schema-behind server: the verdict and the schema check fail with the `handshake server upgrade` remedy', async () => {
    const server = await apiServer(
      { server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' },
      { 'X-Server-Version': '1.3.0', 'X-Schema-Revision': '0003_add_insight_meta_cache' },
    );
    const { r, doc } = await doctor(['--server', server.url]);
    expect(r.code).toBe(3);
    expect(doc.ok).toBe(false);
    const verdict = checkOf(doc, 'server.verdict');
    expect(verdict.status).toBe('fail');
    expect(verdict.detail).toContain('schema_behind');
    expect(verdict.remedy).toBe(`handshake server upgrade --server ${server.url}`);
    expect(checkOf(doc, 'server.schema')).toMatchObject({ status: 'fail', remedy: `handshake server upgrade --server ${server.url}` });
  });

  it('a Date header ten minutes behind: the clock check warns, and a warning alone still exits 0', async () => {
    const skewed = () => new Date(Date.now() - 10 * 60_000).toUTCString();
    const server = await serve(
      startServer((req, res) => json(res, 200, req.url === VERSION_PATH ? HEALTHY : {}, { ...REVISION_HEADERS, Date: skewed() })),
    );
    const { r, doc } = await doctor(['--server', server.url]);
    const clock = checkOf(doc, 'server.clock');
    expect(clock.status).toBe('warn');
    expect(clock.detail).toMatch(/behind/);
    expect(clock.remedy).toBeTruthy();
    expect(doc.ok).toBe(true);
    expect(r.code).toBe(0);
  });

  it('a Date header of -1 is no date: the clock check is skipped saying so, not judged', async () => {
    const server = await serve(
      startServer((req, res) => json(res, 200, req.url === VERSION_PATH ? HEALTHY : {}, { ...REVISION_HEADERS, Date: '-1' })),
    );
    const { doc } = await doctor(['--server', server.url]);
    expect(checkOf(doc, 'server.clock')).toMatchObject({ status: 'skip', detail: 'not checked: the Date header "-1" is not an HTTP date' });
  });

  it('a server in sync passes the clock check', async () => {
    const server = await apiServer(HEALTHY);
    const { doc } = await doctor(['--server', server.url]);
    expect(checkOf(doc, 'server.clock').status).toBe('pass');
  });

  it('--no-network: every server check is skipped saying why, nothing is sent, exit 0', async () => {
    const server = await apiServer(HEALTHY);
    const { r, doc } = await doctor(['--server', server.url, '--no-network']);
    expect(r.code).toBe(0);
    const health = section(doc, 'Server health');
    expect(health?.checks.length).toBeGreaterThan(5);
    for (const c of health?.checks ?? []) {
      expect(c.status, c.id).toBe('skip');
      expect(c.detail).toMatch(/network/);
    }
    expect(server.requests).toHaveLength(0);
    expect(section(doc, 'CLI')?.checks.every((c) => c.status !== 'skip')).toBe(true);
  });

  it('no server configured: the server section is skipped with the remedy to set one, exit 0', async () => {
    const { r, doc } = await doctor([]);
    expect(r.code).toBe(0);
    const health = section(doc, 'Server health');
    expect(health?.checks.every((c) => c.status === 'skip')).toBe(true);
    expect(checkOf(doc, 'server.reachable').remedy).toMatch(/--server|HANDSHAKE_SERVER/);
  });

  it('a server that sends no revision headers: header drift warns', async () => {
    const server = await apiServer(HEALTHY, {});
    const { r, doc } = await doctor(['--server', server.url]);
    const drift = checkOf(doc, 'server.headers');
    expect(drift.status).toBe('warn');
    expect(drift.detail).toMatch(/does not send revision headers/);
    expect(r.code).toBe(0);
  });

  it('an ordinary response whose revision header disagrees with the version document: header drift warns naming both', async () => {
    const server = await serve(
      startServer((req, res) =>
        req.url === VERSION_PATH
          ? json(res, 200, HEALTHY, REVISION_HEADERS)
          : json(res, 200, {}, { 'X-Server-Version': '1.4.2', 'X-Schema-Revision': '0004_split_events_table' }),
      ),
    );
    const { doc } = await doctor(['--server', server.url]);
    const drift = checkOf(doc, 'server.headers');
    expect(drift.status).toBe('warn');
    expect(drift.detail).toContain('0004_split_events_table');
    expect(drift.detail).toContain(HEAD);
  });

  it('a server that enforces its CLI window with 426 on ordinary requests: the CLI window check fails with the install command', async () => {
    const server = await serve(
      startServer((req, res) =>
        req.url === VERSION_PATH
          ? json(res, 200, { ...HEALTHY, min_cli_version: '0.9.0' }, REVISION_HEADERS)
          : json(res, 426, { error: 'upgrade' }, { ...REVISION_HEADERS, 'X-Required-CLI-Version': '1.0.0' }),
      ),
    );
    const { r, doc } = await doctor(['--server', server.url]);
    const window = checkOf(doc, 'server.cli_window');
    expect(window.status).toBe('fail');
    expect(window.detail).toContain('426');
    expect(window.remedy).toBe('npm install -g handshake-compat@1.0.0');
    // A 426 says nothing about the token: Authentication does not claim a result from it.
    expect(checkOf(doc, 'server.auth').status).toBe('skip');
    expect(r.code).toBe(3);
  });

  it('a server that names min_cli_version above this CLI: the verdict and the CLI window fail', async () => {
    const server = await apiServer({ ...HEALTHY, min_cli_version: '1.0.0' });
    const { r, doc } = await doctor(['--server', server.url]);
    expect(checkOf(doc, 'server.verdict').status).toBe('fail');
    expect(checkOf(doc, 'server.cli_window')).toMatchObject({ status: 'fail', remedy: 'npm install -g handshake-compat@1.0.0' });
    expect(r.code).toBe(3);
  });

  it('an invalid --compat file is a failed check, not a usage error: the rest of the report is still there', async () => {
    const file = join(box.dir, 'broken-compat.json');
    writeFileSync(file, JSON.stringify({ cli_version: 'one' }));
    const server = await apiServer(HEALTHY);
    const { r, doc } = await doctor(['--server', server.url, '--compat', file]);
    expect(r.code).toBe(3);
    const matrix = checkOf(doc, 'cli.matrix');
    expect(matrix.status).toBe('fail');
    expect(matrix.detail).toContain('cli_version');
    expect(checkOf(doc, 'server.reachable').status).toBe('pass');
    expect(checkOf(doc, 'server.verdict').status).toBe('skip');
  });

  it('an invalid config file fails its check and names the fix', async () => {
    const dir = join(box.dir, 'badcfg');
    mkdirSync(join(dir, 'handshake'), { recursive: true });
    writeFileSync(join(dir, 'handshake', 'config.json'), '{ nope');
    const { r, doc } = await doctor([], { XDG_CONFIG_HOME: dir });
    expect(checkOf(doc, 'cli.config')).toMatchObject({ status: 'fail' });
    expect(checkOf(doc, 'cli.config').remedy).toBeTruthy();
    expect(r.code).toBe(3);
  });

  it('reports the token as set or not set, never its value', async () => {
    const server = await apiServer(HEALTHY);
    const without = await doctor(['--server', server.url]);
    expect(checkOf(without.doc, 'cli.token').detail).toMatch(/not set/);
    const withToken = await doctor(['--server', server.url], { HANDSHAKE_TOKEN: 'tok-abcdef-123456' });
    expect(checkOf(withToken.doc, 'cli.token').detail).toMatch(/^set/);
    expect(withToken.r.stdout).not.toContain('tok-abcdef');
  });

  it('a token the server refuses on an ordinary request fails Authentication, naming the variable to set', async () => {
    const server = await serve(
      startServer((req, res) => {
        if (req.url === VERSION_PATH) return json(res, 200, HEALTHY, REVISION_HEADERS);
        const ok = req.headers.authorization === 'Bearer good-token-1234';
        return json(res, ok ? 200 : 401, {}, REVISION_HEADERS);
      }),
    );
    const refused = await doctor(['--server', server.url], { HANDSHAKE_TOKEN: 'stale-token-5678' });
    expect(checkOf(refused.doc, 'server.auth')).toMatchObject({ status: 'fail' });
    expect(checkOf(refused.doc, 'server.auth').remedy).toContain('HANDSHAKE_TOKEN');
    expect(refused.r.code).toBe(3);
    const accepted = await doctor(['--server', server.url], { HANDSHAKE_TOKEN: 'good-token-1234' });
    expect(checkOf(accepted.doc, 'server.auth').status).toBe('pass');
    expect(accepted.r.code).toBe(0);
    const none = await doctor(['--server', server.url]);
    // The route needs a token and none is set: that fails too, naming the variable.
    expect(checkOf(none.doc, 'server.auth').status).toBe('fail');
    expect(checkOf(none.doc, 'server.auth').remedy).toContain('HANDSHAKE_TOKEN');
  });

  it('says whether NO_PROXY covers the server', async () => {
    const server = await apiServer(HEALTHY);
    const covered = await doctor(['--server', server.url], { HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: 'localhost,127.0.0.1' });
    expect(checkOf(covered.doc, 'network.proxy').detail).toMatch(/direct \(NO_PROXY entry "127\.0\.0\.1"\)/);
    // The request really went direct: the proxy port is closed, yet the server answered.
    expect(checkOf(covered.doc, 'server.reachable').status).toBe('pass');
    const notCovered = await doctor(['--server', server.url, '--no-network'], { HTTP_PROXY: 'http://127.0.0.1:9' });
    expect(checkOf(notCovered.doc, 'network.proxy').detail).not.toMatch(/NO_PROXY/);
  });

  it('judges a proxy variable as the transport reads it: host:port is a proxy, socks5:// is refused', async () => {
    const schemeless = await doctor(['--no-network'], { HTTPS_PROXY: '10.0.0.1:3128' });
    expect(checkOf(schemeless.doc, 'network.proxy').status).not.toBe('fail');
    const socks = await doctor(['--no-network'], { HTTPS_PROXY: 'socks5://10.0.0.1:1080' });
    expect(checkOf(socks.doc, 'network.proxy').status).toBe('fail');
    expect(checkOf(socks.doc, 'network.proxy').remedy).toContain('HTTPS_PROXY');
  });

  it('NODE_EXTRA_CA_CERTS pointing at a missing file fails its check', async () => {
    const { doc } = await doctor(['--no-network'], { NODE_EXTRA_CA_CERTS: join(box.dir, 'missing-ca.pem') });
    expect(checkOf(doc, 'network.ca').status).toBe('fail');
  });

  it('escape sequences from the server never reach the terminal', async () => {
    const server = await apiServer({ ...HEALTHY, deployment: 'helm\u001b[2J\u001b]0;pwned\u0007' });
    for (const args of [[], ['--markdown']]) {
      const r = await runInProcess(['doctor', '--server', server.url, ...args], { env: box.env });
      expect(r.stdout).toContain('helm');
      expect(r.stdout).not.toContain('\u001b');
      expect(r.stdout).not.toContain('\u0007');
    }
  });
});

describe('doctor with named servers from the config file', () => {
  /** A config dir of its own, so the shared sandbox keeps no config file. */
  function configDir(config: unknown, mode = 0o600): string {
    const dir = join(box.dir, `cfg-${Math.random().toString(36).slice(2)}`);
    mkdirSync(join(dir, 'handshake'), { recursive: true });
    const file = join(dir, 'handshake', 'config.json');
    writeFileSync(file, JSON.stringify(config), { mode });
    chmodSync(file, mode);
    return dir;
  }

  it('a wrong token stored in the config: the fix stores the right one (server add … --with-token), not a variable that hides it', async () => {
    const server = await serve(
      startServer((req, res) => {
        if (req.url === VERSION_PATH) return json(res, 200, HEALTHY, REVISION_HEADERS);
        return json(res, req.headers.authorization === 'Bearer good-token-1234' ? 200 : 401, {}, REVISION_HEADERS);
      }),
    );
    const dir = configDir({ current: 'prod', servers: { prod: { url: server.url, token: 'stale-stored-5678' } } });
    const { r, doc } = await doctor([], { XDG_CONFIG_HOME: dir });
    expect(r.code).toBe(3);
    const auth = checkOf(doc, 'server.auth');
    expect(auth.status).toBe('fail');
    expect(auth.remedy).toContain(`handshake server add prod ${server.url} --with-token`);
    expect(auth.remedy).not.toContain('export');
    expect(r.stdout).not.toContain('stale-stored-5678');
  });

  it('checks the current server without --server, sends its stored token, and never prints it', async () => {
    const server = await apiServer(HEALTHY);
    const dir = configDir({ current: 'prod', servers: { prod: { url: server.url, token: 'stored-token-9d8c7b' } } });
    const { r, doc } = await doctor([], { XDG_CONFIG_HOME: dir });
    expect(r.code).toBe(0);
    expect(checkOf(doc, 'server.reachable').detail).toContain('prod');
    expect(checkOf(doc, 'server.verdict').status).toBe('pass');
    expect(checkOf(doc, 'cli.token').detail).toMatch(/^set \(from the config file/);
    expect(checkOf(doc, 'cli.config')).toMatchObject({ status: 'pass' });
    expect(server.requests.some((q) => q.headers.authorization === 'Bearer stored-token-9d8c7b')).toBe(true);
    expect(r.stdout).not.toContain('stored-token-9d8c7b');
  });

  it('--server NAME picks a configured server; an unknown name fails Reachable with the way to add it', async () => {
    const server = await apiServer(HEALTHY);
    const dir = configDir({ servers: { staging: { url: server.url } } });
    const named = await doctor(['--server', 'staging'], { XDG_CONFIG_HOME: dir });
    expect(checkOf(named.doc, 'server.reachable').status).toBe('pass');
    const unknown = await doctor(['--server', 'nosuch'], { XDG_CONFIG_HOME: dir });
    const reach = checkOf(unknown.doc, 'server.reachable');
    expect(reach.status).toBe('fail');
    expect(reach.detail).toContain('nosuch');
    expect(reach.remedy).toContain('server add');
    expect(unknown.r.code).toBe(3);
  });

  it('a config file holding a token but readable by others warns with the chmod that fixes it', async () => {
    const dir = configDir({ servers: { prod: { url: 'https://prod.example.com', token: 'stored-token-1234' } } }, 0o644);
    const { r, doc } = await doctor(['--no-network'], { XDG_CONFIG_HOME: dir });
    const config = checkOf(doc, 'cli.config');
    expect(config.status).toBe('warn');
    expect(config.remedy).toMatch(/^chmod 600 /);
    expect(r.code).toBe(0);
  });

  it('a token stored for one server is not sent to another: the Token check warns', async () => {
    const server = await apiServer(HEALTHY);
    const dir = configDir({ servers: { prod: { url: 'https://prod.example.com', token: 'stored-token-5678' } } });
    const { doc } = await doctor(['--server', server.url], { XDG_CONFIG_HOME: dir });
    expect(checkOf(doc, 'cli.token').status).toBe('warn');
    for (const q of server.requests) expect(q.headers.authorization).toBeUndefined();
  });
});

describe('doctor: human and Markdown output', () => {
  it('human, piped: a header per section, PASS/FAIL words without colour, the remedy under the failure, the summary line', async () => {
    const server = await apiServer({ server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' });
    const r = await runInProcess(['doctor', '--server', server.url], { env: box.env });
    expect(r.code).toBe(3);
    expect(r.stdout).not.toContain('\u001b[');
    const lines = r.stdout.split('\n');
    for (const title of ['CLI', 'Network', 'Server health']) expect(lines).toContain(title);
    const failLine = lines.findIndex((l) => /^\s+FAIL\s+Verdict\b/.test(l));
    expect(failLine).toBeGreaterThan(-1);
    expect(lines[failLine + 1]).toMatch(/^\s+Fix: handshake server upgrade --server http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines.some((l) => /^\s+PASS\s+Reachable\b/.test(l))).toBe(true);
    expect(r.stdout).toMatch(/\n\d+ checks: \d+ passed, \d+ warnings?, [1-9]\d* failed/);
  });

  it('--markdown: a heading, fenced blocks with the versions, the failing checks; exit 3 like the other formats', async () => {
    const server = await apiServer({ server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' });
    const r = await runInProcess(['doctor', '--server', server.url, '--markdown'], { env: box.env });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^### /);
    expect(r.stdout).toContain('```text');
    expect(r.stdout).toContain('1.3.0');
    expect(r.stdout).toContain('0003_add_insight_meta_cache');
    expect(r.stdout).toMatch(/FAIL .*Verdict/);
    // Every fence closes.
    expect((r.stdout.match(/^```/gm) ?? []).length % 2).toBe(0);
  });

  it('--markdown and --json together are a usage error', async () => {
    const r = await runInProcess(['doctor', '--markdown', '--json', '--no-network'], { env: box.env });
    expect(r.code).toBe(2);
  });
});

describe('doctor never leaks a secret', () => {
  const TOKEN = 'sentinel-token-7f3a9c';
  const SERVER_PASSWORD = 'server-pw-51d2e8';
  const PROXY_PASSWORD = 'proxypass';

  it('in any format, with a token, proxy credentials, a URL password and a server that echoes the token back', async () => {
    // The server puts the bearer token it received into the document and a header: doctor must still not print it.
    const server = await serve(
      startServer((req, res) => {
        const echoed = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        const headers = { 'X-Server-Version': echoed, 'X-Schema-Revision': HEAD };
        if (req.url === VERSION_PATH) json(res, 200, { ...HEALTHY, deployment: echoed }, headers);
        else json(res, 401, { error: `invalid token ${echoed}` }, headers);
      }),
    );
    // Files under the sandbox HOME, so the home directory shows up in the report (as ~).
    const ca = join(box.dir, 'corp-ca.pem');
    writeFileSync(ca, readFileSync(join(ROOT, 'test/fixtures/tls/cert.pem')));
    const url = server.url.replace('http://', `http://alice:${SERVER_PASSWORD}@`);
    const env = {
      ...box.env,
      HANDSHAKE_TOKEN: TOKEN,
      HTTPS_PROXY: `http://user:${PROXY_PASSWORD}@127.0.0.1:9`,
      http_proxy: `http://user:${PROXY_PASSWORD}@127.0.0.1:9`,
      NO_PROXY: '127.0.0.1',
      no_proxy: '127.0.0.1',
      NODE_EXTRA_CA_CERTS: ca,
    };
    for (const format of [[], ['--json'], ['--markdown']]) {
      const r = await runInProcess(['doctor', '--server', url, ...format], { env });
      const out = r.stdout + r.stderr;
      expect(r.stdout.length).toBeGreaterThan(200);
      for (const secret of [TOKEN, SERVER_PASSWORD, PROXY_PASSWORD, `alice:`, box.dir]) {
        expect(out, `${format.join(' ') || 'human'} leaks ${secret}`).not.toContain(secret);
      }
      // The redaction was exercised, not avoided: home is shown as ~, the token was echoed and replaced.
      expect(out).toContain('~/');
      expect(out).toContain('[redacted]');
    }
    // The token was really sent (the echo had something to leak).
    expect(server.requests.some((q) => q.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });
});

describe('doctor: TLS', () => {
  const cert = readFileSync(join(ROOT, 'test/fixtures/tls/cert.pem'));
  const key = readFileSync(join(ROOT, 'test/fixtures/tls/key.pem'));
  let https: HttpsServer;
  let url = '';
  afterAll(() => new Promise<void>((resolve) => https.close(() => resolve())));

  it('reads protocol, issuer and expiry when the CA is trusted, and fails a self-signed certificate otherwise', async () => {
    https = createHttpsServer({ cert, key }, (req, res) => json(res, 200, req.url === VERSION_PATH ? HEALTHY : {}, REVISION_HEADERS));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;

    const caFile = join(box.dir, 'test-ca.pem');
    writeFileSync(caFile, cert);
    const trusted = await doctor(['--server', url], { NODE_EXTRA_CA_CERTS: caFile }, true);
    const tls = checkOf(trusted.doc, 'server.tls');
    expect(tls.status).toBe('pass');
    expect(tls.detail).toMatch(/TLSv1\.[23]/);
    expect(tls.detail).toContain('handshake test server');
    expect(tls.detail).toMatch(/expires in \d+ days/);
    expect(checkOf(trusted.doc, 'network.ca').detail).toMatch(/1 certificate\b/);
    expect(trusted.r.code).toBe(0);

    const untrusted = await doctor(['--server', url]);
    const bad = checkOf(untrusted.doc, 'server.tls');
    expect(bad.status).toBe('fail');
    expect(bad.remedy).toContain('NODE_EXTRA_CA_CERTS');
    expect(checkOf(untrusted.doc, 'server.reachable').status).toBe('fail');
    expect(untrusted.r.code).toBe(3);
  });

  it('an https URL pointing at a plain http server: TLS fails saying so, with http:// as the fix', async () => {
    const plain = await apiServer(HEALTHY);
    const { r, doc } = await doctor(['--server', plain.url.replace('http://', 'https://')]);
    const tls = checkOf(doc, 'server.tls');
    expect(tls.status).toBe('fail');
    expect(tls.detail).toMatch(/does not speak TLS/);
    expect(tls.remedy).toContain('http://');
    expect(r.code).toBe(3);
  });
});
