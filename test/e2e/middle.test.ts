import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, spawnServe, stopAll } from '../../examples/reference-server/index.js';
import { classifyResponse } from '../../src/handshake/observe.js';
import { loadMatrix } from '../../src/matrix/load.js';
import { createSecretRedactor, partialLength } from '../../src/redact.js';
import { computeVerdict } from '../../src/verdict/verdict.js';
import { parseJson, sandbox } from '../helpers/cli.js';
import { closeAfterAll, json, startServer } from '../helpers/http-server.js';
import { runInProcess } from '../helpers/in-process.js';

/**
 * The house's middle (issue 12): one redactor applied before any truncation, remedies that name the
 * server that was checked, `--all` independent of the server a variable names, and doctor's
 * Authentication judged on a request that needs the token. What the commands say and decide: run in process
 * (test/helpers/in-process.ts); the spawned CLI is tested for the same commands in compat-check, doctor and
 * server-status.
 */

const box = sandbox();
const serve = closeAfterAll();
const VERSION_PATH = '/api/v1/config/version';
const TOKEN = 'tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const BEHIND = { server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' };

/** No run of partialLength characters of `secret` anywhere in `text`. */
function expectNoPart(text: string, secret: string): void {
  const n = partialLength(secret.length);
  for (let i = 0; i + n <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + n));
}

/** An HTML page (a proxy's login page) quoting the token `offset` characters in. */
function htmlQuoting(offset: number, secret = TOKEN): string {
  return `<html><body>${'x'.repeat(offset)}${secret} is not a valid session</body></html>`;
}

describe('one redactor, before any truncation', () => {
  it.each([TOKEN, 'hunter2xy'])(
    'a token (%s) quoted at every offset from 0 to 200 of an HTML body never survives, not even in part (the real pipeline)',
    (secret) => {
      const matrix = loadMatrix();
      const redactor = createSecretRedactor([secret]);
      for (let offset = 0; offset <= 200; offset++) {
        const res = {
          status: 200,
          headers: { 'content-type': 'text/html' },
          body: Buffer.from(htmlQuoting(offset, secret)),
          url: 'http://h/x',
        };
        const verdict = computeVerdict(matrix, classifyResponse(res, matrix), { version: '0.9.0', installMethod: 'npm' });
        expectNoPart(redactor.text(verdict.message), secret);
      }
    },
  );

  it.each([['compat', 'check'], ['server', 'status'], ['doctor']])(
    '%s %s: a token quoted at offsets 0, 40, 79 and 150 of an HTML page, in every format',
    async (...cmd) => {
      for (const offset of [0, 40, 79, 150]) {
        const server = await serve(
          startServer((_req, res) => {
            res.writeHead(200, { 'content-type': 'text/html' });
            res.end(htmlQuoting(offset));
          }),
        );
        const formats = cmd[0] === 'doctor' ? [[], ['--json'], ['--markdown']] : [[], ['--json']];
        for (const format of formats) {
          const r = await runInProcess([...cmd, '--server', server.url, ...format], { env: { ...box.env, HANDSHAKE_TOKEN: TOKEN } });
          expect(r.code).not.toBe(1);
          expectNoPart(r.stdout + r.stderr, TOKEN);
        }
      }
    },
  );

  it("doctor never prints the Basic credentials of a --server URL's user:password, when the server echoes them", async () => {
    const server = await serve(
      startServer((req, res) =>
        json(res, 200, req.url === VERSION_PATH ? { ...BEHIND, echo: req.headers.authorization } : { seen: req.headers.authorization }),
      ),
    );
    const withCreds = server.url.replace('http://', 'http://ada:s3cret-passw0rd@');
    const basic = Buffer.from('ada:s3cret-passw0rd').toString('base64');
    for (const format of [[], ['--json'], ['--markdown']]) {
      const r = await runInProcess(['doctor', '--server', withCreds, ...format], { env: box.env });
      expect(r.stdout + r.stderr).not.toContain('s3cret-passw0rd');
      expectNoPart(r.stdout + r.stderr, basic);
    }
  });
});

describe('remedies name the server that was checked', () => {
  it('--server URL: the remedy carries --server URL', async () => {
    const server = await serve(startServer((_req, res) => json(res, 200, BEHIND)));
    const r = await runInProcess(['compat', 'check', '--json', '--server', server.url], { env: box.env });
    expect(parseJson<{ remedy: string }>(r).remedy).toBe(`handshake server upgrade --server ${server.url}`);
  });

  it('--server NAME: the remedy carries --server NAME; the current server: no flag; --all: each row its own name', async () => {
    const old = await serve(startServer((_req, res) => json(res, 200, BEHIND)));
    const ok = await serve(
      startServer((_req, res) => json(res, 200, { server_version: '1.4.2', schema_revision: '0005_add_retention_policy' })),
    );
    const env = { ...box.env, XDG_CONFIG_HOME: mkdtempSync(join(box.dir, 'cfg-')) };
    expect((await runInProcess(['server', 'add', 'fine', ok.url], { env })).code).toBe(0);
    expect((await runInProcess(['server', 'add', 'old', old.url], { env })).code).toBe(0);
    const named = parseJson<{ remedy: string }>(await runInProcess(['compat', 'check', '--json', '--server', 'old'], { env }));
    expect(named.remedy).toBe('handshake server upgrade --server old');
    expect((await runInProcess(['server', 'use', 'old'], { env })).code).toBe(0);
    const current = parseJson<{ remedy: string }>(await runInProcess(['compat', 'check', '--json'], { env }));
    expect(current.remedy).toBe('handshake server upgrade');
    const all = await runInProcess(['compat', 'check', '--all', '--json'], { env });
    const rows = parseJson<Array<{ name: string; remedy: string | null }>>(all);
    expect(rows.find((row) => row.name === 'old')?.remedy).toBe('handshake server upgrade --server old');
    expect(rows.find((row) => row.name === 'fine')?.remedy).toBeNull();
    const human = await runInProcess(['compat', 'check', '--all'], { env });
    expect(human.stdout).toContain('handshake server upgrade --server old');
  });

  it('--all never uses the server HANDSHAKE_SERVER names, so a wrong one is no error', async () => {
    const ok = await serve(
      startServer((_req, res) => json(res, 200, { server_version: '1.4.2', schema_revision: '0005_add_retention_policy' })),
    );
    const env = { ...box.env, XDG_CONFIG_HOME: mkdtempSync(join(box.dir, 'cfg-')) };
    expect((await runInProcess(['server', 'add', 'fine', ok.url], { env })).code).toBe(0);
    const r = await runInProcess(['compat', 'check', '--all', '--json'], { env: { ...env, HANDSHAKE_SERVER: 'no-such-server' } });
    expect(r.code, r.stderr).toBe(0);
    expect(parseJson<Array<{ name: string }>>(r).map((row) => row.name)).toEqual(['fine']);
  });

  it('a broken config file does not block compat check --server URL', async () => {
    const ok = await serve(
      startServer((_req, res) => json(res, 200, { server_version: '1.4.2', schema_revision: '0005_add_retention_policy' })),
    );
    const xdg = mkdtempSync(join(box.dir, 'cfg-'));
    mkdirSync(join(xdg, 'handshake'));
    writeFileSync(join(xdg, 'handshake', 'config.json'), '{ "servers": ');
    const r = await runInProcess(['compat', 'check', '--json', '--server', ok.url], { env: { ...box.env, XDG_CONFIG_HOME: xdg } });
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('a base URL that doubles /api', () => {
  it('compat check names the URL requested and the base to use; doctor fails Reachable and does not pass Authentication', async () => {
    const server = await serve(
      startServer((req, res) =>
        req.url === VERSION_PATH
          ? json(res, 200, { server_version: '1.4.2', schema_revision: '0005_add_retention_policy' })
          : json(res, 404, {}),
      ),
    );
    const doubled = `${server.url}/api`;
    const check = parseJson<{ status: string; message: string; remedy: string }>(
      await runInProcess(['compat', 'check', '--json', '--server', doubled], { env: box.env }),
    );
    expect(check.status).toBe('not_found');
    expect(check.message).toContain('/api/api/v1/config/version');
    expect(check.remedy).toMatch(new RegExp(`--server ${server.url}/?$`));
    const r = await runInProcess(['doctor', '--json', '--server', doubled], { env: { ...box.env, HANDSHAKE_TOKEN: TOKEN } });
    const checks = parseJson<{ sections: Array<{ checks: Array<{ id: string; status: string }> }> }>(r).sections.flatMap((x) => x.checks);
    expect(checks.find((c) => c.id === 'server.reachable')?.status).toBe('fail');
    expect(checks.find((c) => c.id === 'server.auth')?.status).not.toBe('pass');
  });
});

describe("doctor's Authentication is judged on a request that needs the token (reference server --token-env)", () => {
  const root = mkdtempSync(join(tmpdir(), 'e2e-auth-'));
  let url = '';
  beforeAll(async () => {
    const data = join(root, 'data');
    await migrate({ dataDir: data });
    const server = await spawnServe(['--data', data, '--port', '0', '--token-env', 'REF_AUTH_TOKEN', '--quiet'], {
      env: { ...process.env, REF_AUTH_TOKEN: TOKEN },
    });
    url = server.url;
  }, 120_000);
  afterAll(async () => {
    await stopAll();
    rmSync(root, { recursive: true, force: true });
    box.cleanup();
  });

  const auth = async (token: string | undefined) => {
    const env = { ...box.env, ...(token === undefined ? {} : { HANDSHAKE_TOKEN: token }) };
    const r = await runInProcess(['doctor', '--json', '--server', url], { env });
    const doc = parseJson<{ sections: Array<{ checks: Array<{ id: string; status: string; remedy: string | null }> }> }>(r);
    return doc.sections.flatMap((s) => s.checks).find((c) => c.id === 'server.auth');
  };

  it('no token: fail, naming the variable', async () => {
    const c = await auth(undefined);
    expect(c?.status).toBe('fail');
    expect(c?.remedy).toContain('HANDSHAKE_TOKEN');
  });
  it('a wrong token: fail', async () => {
    expect((await auth('tok_wrong_wrong_wrong_wrong'))?.status).toBe('fail');
  });
  it('the right token: pass', async () => {
    expect((await auth(TOKEN))?.status).toBe('pass');
  });
});
