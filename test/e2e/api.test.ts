import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli, sandbox } from '../helpers/cli.js';
import { json, startServer, type TestServer } from '../helpers/http-server.js';
import { runInProcess } from '../helpers/in-process.js';
import { startProxy } from '../helpers/proxy.js';

const HEAD = '0005_add_retention_policy';
const VERSION_PATH = '/api/v1/config/version';

let boxes: ReturnType<typeof sandbox>[] = [];
const servers: TestServer[] = [];
afterEach(() => {
  for (const b of boxes) b.cleanup();
  boxes = [];
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function freshBox() {
  const b = sandbox();
  boxes.push(b);
  return b;
}

interface FakeState {
  doc: Record<string, unknown>;
  /** Headers on ordinary responses. */
  revision?: string;
  version?: string;
  status?: number;
  body?: Buffer | string;
  extraHeaders?: Record<string, string>;
}

/** A server with a version endpoint and ordinary routes whose headers and answers the test controls. */
async function fakeServer(state: FakeState): Promise<TestServer & { state: FakeState; versionRequests(): number }> {
  const server = await startServer((req, res) => {
    if (req.url === VERSION_PATH) return json(res, 200, state.doc);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...state.extraHeaders };
    if (state.revision) headers['x-schema-revision'] = state.revision;
    if (state.version) headers['x-server-version'] = state.version;
    res.writeHead(state.status ?? 200, headers);
    res.end(state.body ?? '{"ok":true}');
  });
  servers.push(server);
  return Object.assign(server, { state, versionRequests: () => server.requests.filter((r) => r.url === VERSION_PATH).length });
}

/**
 * `api` run in process (test/helpers/in-process.ts): what it sends, prints and decides. `spawned` for what only the
 * process shows (the modules it loaded, a loop that never returns), as the first test does for stdout byte for byte.
 */
function api(server: TestServer, args: string[], env: Record<string, string>, input?: string, spawned = false) {
  return (spawned ? runCli : runInProcess)(['api', ...args, '--server', server.url], { env, input });
}

describe('handshake api: the body, unchanged', () => {
  it('prints the body byte for byte, including non-UTF-8 and escape bytes, with nothing else on stdout', async () => {
    const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d, 0x0a, 0xff, 0x00, 0x1b, 0x5b, 0x32, 0x4a]);
    const server = await fakeServer({ doc: { server_version: '1.4.2', schema_revision: HEAD }, revision: HEAD, version: '1.4.2', body });
    const box = freshBox();
    const r = await runCli(['api', '/api/v1/projects', '--server', server.url], { env: box.env });
    expect(r.code).toBe(0);
    expect(r.stdoutBytes.equals(body)).toBe(true);
    expect(r.stderr).toBe('');
  });

  it('sends -X, -d, -H; -d @file and @- read the body', async () => {
    const server = await fakeServer({ doc: { server_version: '1.4.2', schema_revision: HEAD } });
    const box = freshBox();
    const file = join(box.dir, 'event.json');
    writeFileSync(file, '{"from":"file"}');
    await api(server, ['/api/v1/events', '-X', 'PUT', '-d', '{"a":1}', '-H', 'X-Request-Id: 42'], box.env);
    await api(server, ['/api/v1/events', '-d', `@${file}`], box.env);
    await api(server, ['/api/v1/events', '-d', '@-'], box.env, 'from stdin');
    const ordinary = server.requests.filter((q) => q.url === '/api/v1/events');
    expect(ordinary.map((q) => [q.method, q.body])).toEqual([
      ['PUT', '{"a":1}'],
      ['POST', '{"from":"file"}'],
      ['POST', 'from stdin'],
    ]);
    expect(ordinary[0]?.headers['x-request-id']).toBe('42');
    expect(ordinary[0]?.headers['content-type']).toBe('application/json');
  });

  it('flags before the path, as gh api and curl take them: -H and -X first, then the path', async () => {
    const server = await fakeServer({ doc: { server_version: '1.4.2', schema_revision: HEAD }, revision: HEAD, version: '1.4.2' });
    const env = freshBox().env;
    const r = await runInProcess(
      ['api', '-H', 'Accept: application/json', '-H', 'X-Request-Id: 7', '-X', 'GET', '/api/v1/projects', '--server', server.url],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('{"ok":true}');
    const sent = server.requests.find((q) => q.url === '/api/v1/projects');
    expect(sent?.headers.accept).toBe('application/json');
    expect(sent?.headers['x-request-id']).toBe('7');
  });

  it('--include prints the status line and headers first', async () => {
    const server = await fakeServer({ doc: { server_version: '1.4.2', schema_revision: HEAD }, revision: HEAD, version: '1.4.2' });
    const r = await api(server, ['/api/v1/projects', '--include'], freshBox().env);
    expect(r.stdout).toMatch(/^HTTP 200\n/);
    expect(r.stdout).toMatch(/\nx-schema-revision: 0005_add_retention_policy\n/);
    expect(r.stdout.endsWith('\n\n{"ok":true}')).toBe(true);
  });

  it('a non-2xx answer: the body still on stdout, one line on stderr, exit 4', async () => {
    const server = await fakeServer({
      doc: { server_version: '1.4.2', schema_revision: HEAD },
      status: 404,
      body: '{"error":"no such project"}',
    });
    const r = await api(server, ['/api/v1/projects/9'], freshBox().env);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('{"error":"no such project"}');
    expect(r.stderr).toContain('404');
  });

  it('X-CLI-Version and User-Agent go on every request, the version request included', async () => {
    const server = await fakeServer({ doc: { server_version: '1.4.2', schema_revision: HEAD } });
    await api(server, ['/api/v1/projects'], freshBox().env);
    expect(server.requests.length).toBe(2);
    for (const q of server.requests) {
      expect(q.headers['x-cli-version']).toBe('0.9.0');
      expect(q.headers['user-agent']).toMatch(/^handshake\/0\.9\.0 /);
    }
  });
});

describe('the passive check on every call', () => {
  it('three calls with a fresh cache make one version request in all', async () => {
    const server = await fakeServer({ doc: { server_version: '1.4.2', schema_revision: HEAD }, revision: HEAD, version: '1.4.2' });
    const box = freshBox();
    for (let i = 0; i < 3; i++) {
      const r = await api(server, ['/api/v1/projects'], box.env);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
    }
    expect(server.versionRequests()).toBe(1);
  });

  it('a call served from a fresh cache loads neither node:crypto nor node:tls (the passive check costs next to nothing)', async () => {
    const server = await fakeServer({ doc: { server_version: '1.4.2', schema_revision: HEAD }, revision: HEAD, version: '1.4.2' });
    const box = freshBox();
    // A preload that reports, at exit, which of the two built-ins the process loaded.
    const hook = join(box.dir, 'loaded.cjs');
    writeFileSync(
      hook,
      "process.on('exit', () => process.stderr.write('loaded: ' + ['crypto', 'tls'].filter((m) => process.moduleLoadList.includes('NativeModule ' + m)).join(',') + '\\n'));\n",
    );
    const env = { ...box.env, NODE_OPTIONS: `--require ${hook}` };
    const first = await api(server, ['/api/v1/projects'], env, undefined, true);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^loaded: .*crypto/m); // the handshake was written: a temporary file name of random bytes
    const cached = await api(server, ['/api/v1/projects'], env, undefined, true);
    expect(cached.code).toBe(0);
    expect(cached.stderr).toBe('loaded: \n');
    expect(server.versionRequests()).toBe(1);
  });

  it('drift on an ordinary call warns once on stderr, names both revisions, keeps stdout the body, and re-handshakes next time', async () => {
    const server = await fakeServer({ doc: { server_version: '1.4.2', schema_revision: HEAD }, revision: HEAD, version: '1.4.2' });
    const box = freshBox();
    await api(server, ['/api/v1/projects'], box.env);
    expect(server.versionRequests()).toBe(1);

    // The server is rolled back behind the CLI's back: ordinary responses now say so.
    server.state.revision = '0003_add_insight_meta_cache';
    server.state.version = '1.2.0';
    const r = await api(server, ['/api/v1/projects'], box.env);
    expect(r.stdout).toBe('{"ok":true}');
    expect(r.stderr.match(/warning/g)?.length).toBe(1);
    expect(r.stderr).toContain(HEAD);
    expect(r.stderr).toContain('0003_add_insight_meta_cache');
    expect(r.stderr).toContain('handshake server upgrade');
    // The drifted server is incompatible (older than the minimum): the successful call exits 3.
    expect(r.code).toBe(3);
    expect(server.versionRequests()).toBe(1);

    // The cache was marked stale: the next command handshakes again.
    server.state.doc = { server_version: '1.2.0', schema_revision: '0003_add_insight_meta_cache' };
    await api(server, ['/api/v1/projects'], box.env);
    expect(server.versionRequests()).toBe(2);
  });

  it('a cold cache with an incompatible server: output first, the verdict on stderr, exit 3', async () => {
    const server = await fakeServer({ doc: { server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' } });
    const r = await api(server, ['/api/v1/projects'], freshBox().env);
    expect(r.stdout).toBe('{"ok":true}');
    expect(r.stderr).toContain('0003_add_insight_meta_cache');
    expect(r.stderr).toContain('handshake server upgrade');
    expect(r.code).toBe(3);
  });

  it('a warn-severity verdict warns but keeps exit 0', async () => {
    const server = await fakeServer({ doc: { server_version: '1.5.1', schema_revision: HEAD } });
    const r = await api(server, ['/api/v1/projects'], freshBox().env);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('1.5.1');
  });

  it('a corrupt cache file is ignored and rewritten', async () => {
    const server = await fakeServer({ doc: { server_version: '1.4.2', schema_revision: HEAD }, revision: HEAD, version: '1.4.2' });
    const box = freshBox();
    await api(server, ['/api/v1/projects'], box.env);
    const dir = box.env.HANDSHAKE_CACHE_DIR as string;
    const files = versionCacheFiles(dir);
    expect(files.length).toBe(1);
    writeFileSync(join(dir, files[0] as string), '{"v":1,"url":"x","fetched_at":');
    const r = await api(server, ['/api/v1/projects'], box.env);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(server.versionRequests()).toBe(2);
    // Rewritten: the next call is served from the cache again.
    await api(server, ['/api/v1/projects'], box.env);
    expect(server.versionRequests()).toBe(2);
  });

  it('HANDSHAKE_NO_VERSION_CHECK=1 turns it off: no version request, no warning', async () => {
    const server = await fakeServer({ doc: { server_version: '1.2.0' }, revision: '0001_initial', version: '1.2.0' });
    const r = await api(server, ['/api/v1/projects'], { ...freshBox().env, HANDSHAKE_NO_VERSION_CHECK: '1' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(server.versionRequests()).toBe(0);
  });

  it('a 426 on an ordinary call exits 3 naming the required version and its install command', async () => {
    const server = await fakeServer({
      doc: { server_version: '1.4.2', schema_revision: HEAD },
      status: 426,
      body: '{"error":"upgrade your CLI"}',
      extraHeaders: { 'X-Required-CLI-Version': '1.1.0' },
    });
    const r = await api(server, ['/api/v1/projects'], freshBox().env);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('1.1.0');
    expect(r.stderr).toContain('npm install -g handshake-compat@1.1.0');
  });

  it('server status refreshes the cache: the next call makes no version request of its own', async () => {
    const server = await fakeServer({ doc: { server_version: '1.4.2', schema_revision: HEAD }, revision: HEAD, version: '1.4.2' });
    const box = freshBox();
    await runInProcess(['server', 'status', '--server', server.url], { env: box.env });
    expect(server.versionRequests()).toBe(1);
    const r = await api(server, ['/api/v1/projects'], box.env);
    expect(r.code).toBe(0);
    expect(server.versionRequests()).toBe(1);
  });

  it('compat commands never run the passive check (no cache written)', async () => {
    const server = await fakeServer({ doc: { server_version: '1.4.2', schema_revision: HEAD } });
    const box = freshBox();
    await runInProcess(['compat', 'check', '--server', server.url], { env: box.env });
    await runInProcess(['compat', 'show'], { env: box.env });
    expect(versionCacheFiles(box.env.HANDSHAKE_CACHE_DIR as string)).toEqual([]);
  });
});

describe('handshake api: every mistake in what the user typed or set is a usage error (2) naming it', () => {
  const docServer = () => fakeServer({ doc: { server_version: '1.4.2', schema_revision: HEAD } });

  it('-d @file that is missing or a directory names the file; nothing is sent', async () => {
    const server = await docServer();
    const box = freshBox();
    for (const file of ['/nonexistent', '/etc', '/dev/zero']) {
      const r = await api(server, ['/api/v1/events', '-d', `@${file}`, '--json'], box.env);
      expect(r.code).toBe(2);
      expect(JSON.stringify(JSON.parse(r.stdout))).toContain(file);
    }
    expect(server.requests).toHaveLength(0);
  });

  it('malformed proxy variables name the variable, in api and in compat check', async () => {
    const server = await docServer();
    const box = freshBox();
    for (const env of [{ HTTPS_PROXY: 'ftp://x', HTTP_PROXY: 'ftp://x' }, { HTTP_PROXY: 'http://u:p%zz@127.0.0.1:9' }]) {
      const variable = Object.keys(env).at(-1) as string;
      for (const args of [
        ['api', '/api/v1/projects'],
        ['compat', 'check'],
      ]) {
        const r = await runInProcess([...args, '--server', server.url], { env: { ...box.env, ...env } });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(variable);
        expect(r.stderr).not.toContain('p%zz');
      }
    }
    expect(server.requests).toHaveLength(0);
  });

  it('HTTP_PROXY=host:port (no scheme) is used as an http:// proxy, as curl does', async () => {
    const target = await docServer();
    const proxy = await startProxy();
    const box = freshBox();
    try {
      const r = await runInProcess(['api', '/api/v1/projects', '--server', target.url], {
        env: { ...box.env, HTTP_PROXY: `127.0.0.1:${proxy.port}`, HANDSHAKE_NO_VERSION_CHECK: '1' },
      });
      expect(r.code).toBe(0);
      expect(proxy.tunnels.length + proxy.forwarded.length).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });

  it('--timeout beyond what a timer holds, or absurd, names --timeout and its range', async () => {
    const server = await docServer();
    const box = freshBox();
    for (const value of ['2147483648', '99999999999', '0', 'abc']) {
      const r = await runInProcess(['api', '/x', '--server', server.url, '--timeout', value], { env: box.env });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--timeout.*\d+ to \d+/);
      expect(r.stderr).not.toMatch(/TimeoutOverflowWarning|Parsing --/);
    }
    expect(server.requests).toHaveLength(0);
  });

  it('a token variable with a newline names the variable and sends nothing', async () => {
    const server = await docServer();
    const box = freshBox();
    const r = await runInProcess(['api', '/x', '--server', server.url], { env: { ...box.env, HANDSHAKE_TOKEN: 'tok-secret\n' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('HANDSHAKE_TOKEN');
    expect(r.stderr).not.toContain('tok-secret');
    expect(server.requests).toHaveLength(0);
  });

  it('bad -H and -X values name the flag', async () => {
    const server = await docServer();
    const box = freshBox();
    for (const args of [
      ['-H', 'Expect: 100-continue'],
      ['-H', 'Upgrade: h2c'],
      ['-H', 'Connection: close'],
      ['-H', 'X-A: a\u0001b'],
      ['-X', 'GE T'],
      ['-X', 'CONNECT'],
    ]) {
      const r = await api(server, ['/x', ...args], box.env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(args[0] as string);
    }
    expect(server.requests).toHaveLength(0);
  });

  it('--max-bytes: the limit stated is the real one and the remedy names --max-bytes', async () => {
    const server = await fakeServer({
      doc: { server_version: '1.4.2', schema_revision: HEAD },
      body: JSON.stringify({ d: 'x'.repeat(200) }),
    });
    const box = freshBox();
    const r = await api(server, ['/x', '--max-bytes', '50', '--json'], box.env);
    expect(r.code).toBe(4);
    const doc = JSON.parse(r.stdout) as { error: { message: string; remedy: string } };
    expect(doc.error.message).toMatch(/\b50 bytes\b/);
    expect(doc.error.remedy).toContain('--max-bytes');
  });

  it('a 401 says which variable holds the token; --help names it', async () => {
    const server = await fakeServer({
      doc: { server_version: '1.4.2', schema_revision: HEAD },
      status: 401,
      body: '{"error":"unauthorized"}',
    });
    const box = freshBox();
    const r = await api(server, ['/x'], box.env);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('HANDSHAKE_TOKEN');
    const help = await runCli(['api', '--help'], { env: box.env });
    expect(help.stdout).toContain('HANDSHAKE_TOKEN');
  });

  it("a refused token says where it came from as doctor does: the variable, or the config file's server that stored it", async () => {
    const server = await fakeServer({
      doc: { server_version: '1.4.2', schema_revision: HEAD },
      status: 401,
      body: '{"error":"unauthorized"}',
    });
    const box = freshBox();
    mkdirSync(join(box.env.XDG_CONFIG_HOME as string, 'handshake'), { recursive: true, mode: 0o700 });
    const file = join(box.env.XDG_CONFIG_HOME as string, 'handshake', 'config.json');
    writeFileSync(file, JSON.stringify({ current: 'prod', servers: { prod: { url: server.url, token: 'stored-token-4e5f6a' } } }), {
      mode: 0o600,
    });
    const stored = await runInProcess(['api', '/x', '--server', 'prod'], { env: box.env });
    expect(stored.code).toBe(4);
    expect(stored.stderr).toContain('The token from the config file, server "prod" was refused');
    expect(stored.stderr).not.toContain('stored-token-4e5f6a');
    const fromEnv = await runInProcess(['api', '/x', '--server', 'prod'], { env: { ...box.env, HANDSHAKE_TOKEN: 'env-token-7a8b9c' } });
    expect(fromEnv.stderr).toContain('The token from HANDSHAKE_TOKEN was refused');
  });

  it('a cache directory under /proc never fails the command, and never spins', async () => {
    const server = await fakeServer({ doc: { server_version: '1.4.2', schema_revision: HEAD } });
    const box = freshBox();
    const r = await api(server, ['/x'], { ...box.env, HANDSHAKE_CACHE_DIR: '/proc/handshake-test/cache' }, undefined, true);
    expect(r.code).toBe(0);
  });
});

/** The version cache's files: the cache dir without bin/run.js's V8 code cache (`code-cache/`), which any command writes. */
function versionCacheFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f !== 'code-cache');
  } catch {
    return [];
  }
}
