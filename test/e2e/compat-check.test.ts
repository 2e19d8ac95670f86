import { readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyBuiltPackage, parseJson, ROOT, runCli, sandbox } from '../helpers/cli.js';
import { closeAfterAll, closedPort, json, pumpBody, startServer, type TestServer, versionServer } from '../helpers/http-server.js';
import { runInProcess } from '../helpers/in-process.js';

const box = sandbox();
afterAll(() => box.cleanup());

const serve = closeAfterAll();

interface Report {
  status: string;
  severity: string;
  message: string;
  remedy: string | null;
  cli: { version: string };
  server: { url: string; version: string | null; schema_revision: string | null; min_cli_version: string | null };
}

/**
 * `compat check --json` run in process (test/helpers/in-process.ts): the verdict, its words and its exit code.
 * `spawned` where the process is the subject (it exits while a server holds its connection).
 */
async function check(url: string, extra: string[] = [], env: Record<string, string> = {}, spawned = false) {
  const run = spawned ? runCli : runInProcess;
  const r = await run(['compat', 'check', '--server', url, '--json', ...extra], { env: { ...box.env, ...env } });
  return { r, report: parseJson<Report>(r) };
}

const HEAD = '0005_add_retention_policy';

describe('compat check --json: one status per server, with its exit code', () => {
  const cases: Array<{ name: string; doc: Record<string, unknown>; status: string; severity: string; exit: number }> = [
    { name: 'compatible', doc: { server_version: '1.4.2', schema_revision: HEAD }, status: 'compatible', severity: 'ok', exit: 0 },
    {
      name: 'CLI older than min_cli_version',
      doc: { server_version: '1.4.2', schema_revision: HEAD, min_cli_version: '1.0.0' },
      status: 'cli_outdated',
      severity: 'error',
      exit: 3,
    },
    {
      name: 'CLI newer than max_cli_version',
      doc: { server_version: '1.4.2', schema_revision: HEAD, max_cli_version: '0.8.5' },
      status: 'cli_too_new',
      severity: 'error',
      exit: 3,
    },
    {
      name: 'server older than min_server_version',
      doc: { server_version: '1.2.0', schema_revision: '0003_add_insight_meta_cache' },
      status: 'server_outdated',
      severity: 'error',
      exit: 3,
    },
    {
      name: 'schema behind min_schema_revision',
      doc: { server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' },
      status: 'schema_behind',
      severity: 'error',
      exit: 3,
    },
    {
      name: 'a pending migration this CLI needs',
      doc: { server_version: '1.3.0', pending_migrations: [{ revision: '0004_split_events_table', description: 'split' }] },
      status: 'schema_behind',
      severity: 'error',
      exit: 3,
    },
    {
      name: 'server beyond the window',
      doc: { server_version: '1.5.0', schema_revision: HEAD },
      status: 'server_newer',
      severity: 'warn',
      exit: 0,
    },
    {
      name: 'revision unknown to this CLI',
      doc: { server_version: '1.4.3', schema_revision: '0006_add_dashboards' },
      status: 'schema_unknown',
      severity: 'warn',
      exit: 0,
    },
    { name: 'dev build', doc: { server_version: 'dev', schema_revision: HEAD }, status: 'dev_server', severity: 'warn', exit: 0 },
    {
      name: 'non-semver server_version',
      doc: { server_version: 'latest-and-greatest' },
      status: 'invalid_response',
      severity: 'error',
      exit: 4,
    },
    { name: 'no server_version at all', doc: { version: '1.4.2' }, status: 'invalid_response', severity: 'error', exit: 4 },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status}, exit ${c.exit}`, async () => {
      const server = await serve(versionServer(c.doc));
      const { r, report } = await check(server.url);
      expect(report.status).toBe(c.status);
      expect(report.severity).toBe(c.severity);
      expect(r.code).toBe(c.exit);
      expect(report.cli.version).toBe('0.9.0');
      expect(report.server.url).toBe(server.url);
      expect(typeof report.message).toBe('string');
      expect(report.message.length).toBeGreaterThan(0);
    });
  }

  it('names both versions and the exact install command for an outdated CLI', async () => {
    const server = await serve(versionServer({ server_version: '1.4.2', schema_revision: HEAD, min_cli_version: '1.0.0' }));
    const { report } = await check(server.url);
    expect(report.message).toContain('0.9.0');
    expect(report.message).toContain('1.4.2');
    expect(report.remedy).toBe('npm install -g handshake-compat@1.0.0');
    expect(report.server).toEqual({ url: server.url, version: '1.4.2', schema_revision: HEAD, min_cli_version: '1.0.0' });
  });

  it('gives `handshake server upgrade` as the remedy for a schema behind', async () => {
    const server = await serve(versionServer({ server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' }));
    const { report } = await check(server.url);
    expect(report.remedy).toBe(`handshake server upgrade --server ${server.url}`);
  });

  it('--strict turns a warning into exit 3', async () => {
    const server = await serve(versionServer({ server_version: '1.5.0', schema_revision: HEAD }));
    const { r, report } = await check(server.url, ['--strict']);
    expect(report.status).toBe('server_newer');
    expect(r.code).toBe(3);
  });

  it('426 on the version endpoint → cli_outdated with the required version, exit 3', async () => {
    const server = await serve(startServer((_req, res) => json(res, 426, { error: 'upgrade' }, { 'X-Required-CLI-Version': '1.2.0' })));
    const { r, report } = await check(server.url);
    expect(report.status).toBe('cli_outdated');
    expect(report.remedy).toBe('npm install -g handshake-compat@1.2.0');
    expect(report.server.min_cli_version).toBe('1.2.0');
    expect(r.code).toBe(3);
  });

  it('401 → unauthorized, exit 4, remedy names the token variable', async () => {
    const server = await serve(startServer((_req, res) => json(res, 401, { error: 'no' })));
    const { r, report } = await check(server.url);
    expect(report.status).toBe('unauthorized');
    expect(report.remedy).toContain('HANDSHAKE_TOKEN');
    expect(r.code).toBe(4);
  });

  it('403 → unauthorized', async () => {
    const server = await serve(startServer((_req, res) => json(res, 403, { error: 'no' })));
    const { report } = await check(server.url);
    expect(report.status).toBe('unauthorized');
  });

  it('404 → not_found, exit 4', async () => {
    const server = await serve(startServer((_req, res) => json(res, 404, { error: 'nope' })));
    const { r, report } = await check(server.url);
    expect(report.status).toBe('not_found');
    expect(r.code).toBe(4);
  });

  it('an HTML login page with status 200 → invalid_response naming the content type', async () => {
    const server = await serve(
      startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><html><head><title>Sign in · Corp SSO</title></head><body>Sign in</body></html>');
      }),
    );
    const { r, report } = await check(server.url);
    expect(report.status).toBe('invalid_response');
    expect(report.message).toContain('text/html');
    expect(report.message).toContain('Sign in');
    expect(r.code).toBe(4);
  });

  it('a JSON body that is not JSON → invalid_response', async () => {
    const server = await serve(
      startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"server_version": ');
      }),
    );
    const { report } = await check(server.url);
    expect(report.status).toBe('invalid_response');
  });

  it('a body over the size cap → invalid_response, refused while streaming', async () => {
    const server = await serve(
      startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        void pumpBody(res, 64 * 1024 * 1024);
      }),
    );
    const { r, report } = await check(server.url);
    expect(report.status).toBe('invalid_response');
    expect(report.message).toMatch(/larger than/);
    expect(r.code).toBe(4);
  });

  it('a closed port → unreachable naming "refused", exit 4', async () => {
    const port = await closedPort();
    const { r, report } = await check(`http://127.0.0.1:${port}`);
    expect(report.status).toBe('unreachable');
    expect(report.message).toMatch(/refused/);
    expect(r.code).toBe(4);
  });

  it('a 503 from a proxy → unreachable, exit 4', async () => {
    const server = await serve(startServer((_req, res) => json(res, 503, { error: 'down' })));
    const { r, report } = await check(server.url);
    expect(report.status).toBe('unreachable');
    expect(report.message).toContain('503');
    expect(r.code).toBe(4);
  });

  it('a body that trickles one byte per 200 ms is cut by --timeout 1000 → unreachable (timeout), exit 4', async () => {
    const server = await serve(
      startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 200);
        res.on('close', () => clearInterval(timer));
      }),
    );
    const { r, report } = await check(server.url, ['--timeout', '1000']);
    expect(report.status).toBe('unreachable');
    expect(report.message).toMatch(/1000 ms/);
    expect(r.code).toBe(4);
    // Bounded, not timed: a hang would take the 20 s kill instead.
    expect(r.ms).toBeLessThan(10_000);
  });

  it('a server that accepts TCP but stalls the TLS handshake is cut by --timeout too, process exit included', async () => {
    const sockets = new Set<Socket>();
    const stall = createNetServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve));
    try {
      const { r, report } = await check(`https://127.0.0.1:${(stall.address() as AddressInfo).port}`, ['--timeout', '1000'], {}, true);
      expect(report.status).toBe('unreachable');
      expect(r.code).toBe(4);
      // undici would hold a stalled connect (and the process) for its own 10 s connect timeout: a bound under that.
      expect(r.ms).toBeLessThan(8000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => stall.close(() => resolve()));
    }
  });

  it('sends User-Agent and X-CLI-Version, and the token only as a bearer header', async () => {
    const server = await serve(versionServer({ server_version: '1.4.2', schema_revision: HEAD }));
    await check(server.url, [], { HANDSHAKE_TOKEN: 'sentinel-token-123' });
    const req = server.requests.at(-1);
    expect(req?.url).toBe('/api/v1/config/version');
    expect(req?.headers['user-agent']).toMatch(/^handshake\/0\.9\.0 \(node v\d+\.\d+\.\d+; \w+\)$/);
    expect(req?.headers['x-cli-version']).toBe('0.9.0');
    expect(req?.headers.authorization).toBe('Bearer sentinel-token-123');
  });

  it('never sends the token across a redirect to another origin', async () => {
    const other = await serve(versionServer({ server_version: '1.4.2', schema_revision: HEAD }));
    const first = await serve(
      startServer((_req, res) => {
        res.writeHead(302, { location: `${other.url}/api/v1/config/version` });
        res.end();
      }),
    );
    const { report } = await check(first.url, [], { HANDSHAKE_TOKEN: 'sentinel-token-123' });
    expect(first.requests[0]?.headers.authorization).toBe('Bearer sentinel-token-123');
    expect(other.requests.length).toBeGreaterThan(0);
    for (const req of other.requests) expect(req.headers.authorization).toBeUndefined();
    expect(report.status).toBe('compatible');
  });

  it('reads the server from HANDSHAKE_SERVER and keeps a path prefix', async () => {
    const server = await serve(
      startServer((req, res) =>
        req.url === '/observal/api/v1/config/version'
          ? json(res, 200, { server_version: '1.4.2', schema_revision: HEAD })
          : json(res, 404, {}),
      ),
    );
    const r = await runInProcess(['compat', 'check', '--json'], { env: { ...box.env, HANDSHAKE_SERVER: `${server.url}/observal/` } });
    expect(parseJson<Report>(r).status).toBe('compatible');
  });

  it('prints the URL without credentials', async () => {
    const server = await serve(versionServer({ server_version: '1.4.2', schema_revision: HEAD }));
    const url = server.url.replace('http://', 'http://alice:hunter2@');
    const { r, report } = await check(url);
    expect(report.server.url).toBe(server.url);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  });
});

describe('compat check: usage errors exit 2 with a JSON error document', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await serve(versionServer({ server_version: '1.4.2', schema_revision: HEAD }));
  });

  it('no server configured', async () => {
    const r = await runInProcess(['compat', 'check', '--json'], { env: box.env });
    expect(r.code).toBe(2);
    const doc = parseJson<{ error: { code: string; remedy: string } }>(r);
    expect(doc.error.code).toBe('E_NO_SERVER');
    expect(doc.error.remedy).toContain('--server');
  });

  it('an unknown flag', async () => {
    const r = await runInProcess(['compat', 'check', '--json', '--bogus'], { env: box.env });
    expect(r.code).toBe(2);
    expect(parseJson<{ error: { code: string } }>(r).error.code).toBe('E_USAGE');
  });

  it('a URL that is not http(s)', async () => {
    const r = await runInProcess(['compat', 'check', '--json', '--server', 'ftp://example.com'], { env: box.env });
    expect(r.code).toBe(2);
  });

  it('an invalid --compat file names the file and the field', async () => {
    const file = join(box.dir, 'bad-compat.json');
    writeFileSync(file, JSON.stringify({ cli_version: 'one' }));
    const r = await runInProcess(['compat', 'check', '--json', '--server', server.url, '--compat', file], { env: box.env });
    expect(r.code).toBe(2);
    const doc = parseJson<{ error: { code: string; message: string; file: string; issues: { path: string }[] } }>(r);
    expect(doc.error.code).toBe('E_MATRIX_INVALID');
    expect(doc.error.message).toContain(file);
    expect(doc.error.issues.map((i) => i.path)).toContain('cli_version');
  });

  it('HANDSHAKE_COMPAT_FILE is honoured, and in human mode the error goes to stderr without a stack trace', async () => {
    const file = join(box.dir, 'not-json.json');
    writeFileSync(file, '{ nope');
    const r = await runInProcess(['compat', 'check', '--server', server.url], { env: { ...box.env, HANDSHAKE_COMPAT_FILE: file } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(file);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("usage errors say what is wrong in the host CLI's words", () => {
  it('a --compat file that cannot be read: the remedy names the variable with its prefix', async () => {
    const r = await runInProcess(['server', 'status', '--json', '--compat', join(box.dir, 'absent.json')], { env: box.env });
    expect(r.code).toBe(2);
    expect(parseJson<{ error: { remedy: string } }>(r).error.remedy).toContain('HANDSHAKE_COMPAT_FILE');
  });

  it.each([
    [['compat', 'sync'], 'dir'],
    [['api'], 'path'],
  ])('%j without its argument names the argument', async (args, name) => {
    const r = await runInProcess([...args, '--json'], { env: box.env });
    expect(r.code).toBe(2);
    expect(parseJson<{ error: { message: string } }>(r).error.message).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it('compat show lists a conditional upgrade stop as text', async () => {
    const matrix = JSON.parse(readFileSync(join(ROOT, 'compat.json'), 'utf8'));
    matrix.upgrade_stops = ['1.3.0', { version: '1.4.0', when_target: '>=1.5.0' }];
    const file = join(box.dir, 'stops.json');
    writeFileSync(file, JSON.stringify(matrix));
    const r = await runInProcess(['compat', 'show', '--compat', file], { env: box.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('[object Object]');
    expect(r.stdout).toMatch(/1\.3\.0, 1\.4\.0 .*>=1\.5\.0/);
  });
});

describe('a server that cannot be checked: the remedy names it', () => {
  it('unreachable, chosen by HANDSHAKE_SERVER (no --server on the line), and a 5xx answer', async () => {
    const port = await closedPort();
    const down = await runInProcess(['compat', 'check', '--json'], { env: { ...box.env, HANDSHAKE_SERVER: `http://127.0.0.1:${port}` } });
    expect(down.code).toBe(4);
    expect(parseJson<{ remedy: string }>(down).remedy).toContain(`http://127.0.0.1:${port}`);
    const failing = await serve(startServer((_req, res) => json(res, 500, { error: 'boom' })));
    const r = await runInProcess(['compat', 'check', '--json', '--server', failing.url], { env: box.env });
    expect(r.code).toBe(4);
    expect(parseJson<{ remedy: string }>(r).remedy).toContain(new URL(failing.url).origin);
  });
});

describe('compat check: human output', () => {
  it('prints the verdict on stdout and nothing on stderr', async () => {
    const server = await serve(versionServer({ server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' }));
    const r = await runInProcess(['compat', 'check', '--server', server.url], { env: box.env });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('schema_behind');
    expect(r.stdout).toContain('handshake server upgrade');
    expect(r.stderr).toBe('');
    // No TTY: no colour escapes.
    expect(r.stdout).not.toContain('\u001b[');
  });
});

describe('the bundled compat.json, validated at build time, is validated again once its text changes', () => {
  // A copy of the built package whose compat.json a test may edit; the build's stored validation stays as it was.
  const pkg = join(box.dir, 'pkg');
  let bin = '';
  const original = readFileSync(join(ROOT, 'compat.json'), 'utf8');
  let server: TestServer;
  beforeAll(async () => {
    bin = copyBuiltPackage(pkg, { linkModules: true });
    server = await serve(versionServer({ server_version: '1.4.2', schema_revision: HEAD }));
  });
  const run = (text: string) => {
    writeFileSync(join(pkg, 'compat.json'), text);
    return runCli(['compat', 'check', '--server', server.url, '--json'], { env: box.env, bin });
  };

  it('unchanged, or changed only in layout, it checks as before', async () => {
    for (const text of [original, `${JSON.stringify(JSON.parse(original))}\n`]) {
      const r = await run(text);
      expect(r.code, r.stderr).toBe(0);
      expect(parseJson<Report>(r).status).toBe('compatible');
    }
  });

  it('an invalid edit is the usual E_MATRIX_INVALID, exit 2', async () => {
    const r = await run(original.replace('"min_server_version": "1.3.0"', '"min_server_version": "v1.3"'));
    expect(r.code).toBe(2);
    const doc = parseJson<{ error: { code: string; issues: { path: string }[] } }>(r);
    expect(doc.error.code).toBe('E_MATRIX_INVALID');
    expect(doc.error.issues.map((i) => i.path)).toContain('min_server_version');
  });
});
