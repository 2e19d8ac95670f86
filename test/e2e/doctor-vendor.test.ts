import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkVendorCli, parseJson, ROOT, runCli, sandbox } from '../helpers/cli.js';
import { json, startServer, type TestServer } from '../helpers/http-server.js';

// `acme doctor`: examples/vendor-cli mounts handshake as an oclif plugin, linked as `npm install ../..` would.
const ACME = join(ROOT, 'examples/vendor-cli/bin/run.js');
const box = sandbox();
let server: TestServer;

beforeAll(async () => {
  await linkVendorCli();
  // No revision headers: the drift warning's fix is text a vendor's users see too.
  const doc = { server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' };
  server = await startServer((req, res) => json(res, 200, req.url === '/api/v1/config/version' ? doc : {}));
});
afterAll(async () => {
  await server.close();
  box.cleanup();
});

interface Doc {
  ok: boolean;
  sections: Array<{ title: string; checks: Array<{ id: string; status: string; detail: string; remedy: string | null }> }>;
}

describe('acme doctor: handshake mounted in a vendor CLI', () => {
  it('reads ACME_SERVER and ACME_TOKEN, checks against acme’s matrix, names acme in its fixes and never handshake', async () => {
    const env = { ...box.env, ACME_SERVER: server.url, ACME_TOKEN: 'acme-token-4242' };
    const r = await runCli(['doctor', '--json'], { bin: ACME, env });
    const doc = parseJson<Doc>(r);
    const checks = new Map(doc.sections.flatMap((s) => s.checks).map((c) => [c.id, c]));
    expect(checks.get('cli.version')?.detail).toMatch(/^2\.3\.0\b/);
    expect(checks.get('cli.config')?.detail).toContain('~/config/acme/config.json');
    expect(checks.get('cli.token')?.detail).toContain('ACME_TOKEN');
    expect(checks.get('server.verdict')).toMatchObject({
      status: 'fail',
      remedy: expect.stringMatching(/^acme server upgrade --server http:/),
    });
    expect(server.requests.some((q) => q.headers.authorization === 'Bearer acme-token-4242')).toBe(true);
    expect(r.code).toBe(3);
    for (const format of [['--json'], [], ['--markdown']]) {
      const out = await runCli(['doctor', ...format], { bin: ACME, env });
      // The checkout's own path may hold any word: it is where the CLI lives, not what it says.
      expect(`${out.stdout}\n${out.stderr}`.replaceAll(ROOT.replace(/\/$/, ''), '<root>').toLowerCase()).not.toContain('handshake');
      expect(out.stdout).not.toContain('acme-token-4242');
    }
  });
});
