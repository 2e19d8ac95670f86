import { afterAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, sandbox } from '../helpers/cli.js';
import { closedPort } from '../helpers/http-server.js';
import { runInProcess } from '../helpers/in-process.js';
import { type Breakage, PROTO_TOKEN, type ProtocolServer, protocolServer } from '../helpers/protocol-server.js';

/**
 * `handshake server verify` as a user runs it: the built CLI against loopback servers. The checks themselves
 * are tested in process (test/unit/server-verify.test.ts); here the command's face: exit codes, the JSON
 * document, text and Markdown, usage errors.
 */

const box = sandbox();
const servers: ProtocolServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  box.cleanup();
});
async function serve(b: Breakage = {}): Promise<ProtocolServer> {
  const s = await protocolServer(b);
  servers.push(s);
  return s;
}

interface VerifyJson {
  ok: boolean;
  server: string;
  checks: Array<{ id: string; title: string; status: string; detail: string; remedy: string | null; section: string }>;
}

// What server verify checks and says runs in process (test/helpers/in-process.ts); the first test spawns the built CLI.
describe('handshake server verify', () => {
  it('a conforming server: exit 0, the JSON document of docs/protocol.md §1c', async () => {
    const s = await serve({ requireToken: true });
    const r = await runCli(['server', 'verify', '--server', s.url, '--json'], { env: { ...box.env, HANDSHAKE_TOKEN: PROTO_TOKEN } });
    const doc = parseJson<VerifyJson>(r);
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(doc)).toEqual(['ok', 'server', 'checks']);
    expect(doc.ok).toBe(true);
    expect(doc.server).toBe(s.url);
    for (const c of doc.checks) {
      expect(Object.keys(c)).toEqual(['id', 'title', 'status', 'detail', 'remedy', 'section']);
      expect(c.section).toMatch(/^§1/);
    }
    expect(r.stdout).not.toContain(PROTO_TOKEN);
  });

  it('a check failed: exit 3, the failure with its section and a remedy for the server author, in text', async () => {
    const s = await serve({ noHeadersOnErrors: true });
    const r = await runInProcess(['server', 'verify', '--server', s.url], { env: box.env });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain('§1.4 Headers on every response');
    expect(r.stdout).toMatch(/FAIL\s+On a 404/);
    expect(r.stdout).toContain('Fix: Set X-Schema-Revision and X-Server-Version on every response');
    expect(r.stdout).toMatch(/checks: \d+ passed/);
  });

  it('--markdown: a block for a pull request', async () => {
    const s = await serve({ echoAuthorization: true });
    const r = await runInProcess(['server', 'verify', '--server', s.url, '--markdown'], { env: box.env });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^### `handshake server verify`: 1 failed/);
    expect(r.stdout).toContain('§1.8 Error bodies › No token echoed');
    // The made-up token the server echoed is never printed, nor any half of it.
    const sent =
      s.requests
        .map((q) => q.headers.authorization)
        .find(Boolean)
        ?.slice('Bearer '.length) ?? '';
    expect(sent).toMatch(/^[0-9a-f]{32}$/);
    expect(r.stdout).not.toContain(sent.slice(0, 16));
    expect(r.stdout).not.toContain(sent.slice(16));
    expect(r.stdout).toContain('/api/v1/handshake-verify/no-such-route');
  });

  it('nothing answers: exit 4', async () => {
    const port = await closedPort();
    const r = await runInProcess(['server', 'verify', '--server', `http://127.0.0.1:${port}`, '--json', '--timeout', '2000'], {
      env: box.env,
    });
    expect(r.code).toBe(4);
    const doc = parseJson<VerifyJson>(r);
    expect(doc.ok).toBe(false);
    expect(doc.checks.find((c) => c.id === 'version.endpoint')?.status).toBe('fail');
  });

  it('no server named: a usage error naming --server and the variable, exit 2', async () => {
    const r = await runInProcess(['server', 'verify', '--json'], { env: box.env });
    expect(r.code).toBe(2);
    const doc = parseJson<{ error: { code: string; remedy: string } }>(r);
    expect(doc.error.code).toBe('E_NO_SERVER');
    expect(doc.error.remedy).toContain('HANDSHAKE_SERVER');
  });

  it('never sends HANDSHAKE_ADMIN_TOKEN, and only reads (plus the refused admin POSTs)', async () => {
    const s = await serve();
    const admin = 'env-admin-token-a1b2c3d4e5f6';
    const r = await runInProcess(['server', 'verify', '--server', s.url], { env: { ...box.env, HANDSHAKE_ADMIN_TOKEN: admin } });
    expect(r.code, r.stdout).toBe(0);
    for (const req of s.requests) {
      expect(JSON.stringify(req.headers)).not.toContain(admin);
      expect(['GET', 'HEAD', 'POST']).toContain(req.method);
      if (req.method === 'POST') expect(req.body).toBe('{"target_revision":""}');
    }
    expect(s.started()).toBe(false);
  });
});
