// What a person at a terminal sees (a pseudo-terminal from util-linux `script`): skipped where it is missing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sandbox } from '../helpers/cli.js';
import { json, startServer, type TestServer } from '../helpers/http-server.js';
import { hasScript, runOnPty } from '../helpers/pty.js';

const boxes: ReturnType<typeof sandbox>[] = [];
const servers: TestServer[] = [];
afterAll(async () => {
  for (const b of boxes) b.cleanup();
  await Promise.all(servers.map((s) => s.close()));
});
function box() {
  const b = sandbox();
  boxes.push(b);
  return b;
}

describe.skipIf(!hasScript())('on a terminal', () => {
  it('server add --with-token prompts, does not echo the token, and ends at Enter', async () => {
    const b = box();
    const run = runOnPty(['server', 'add', 'prod', 'http://127.0.0.1:9', '--with-token'], b.env);
    await run.waitFor('Token for prod');
    run.type('sekret-tok-4711\r');
    expect(await run.exited).toBe(0);
    expect(run.screen()).not.toContain('sekret-tok-4711');
    const config = JSON.parse(readFileSync(join(b.env.XDG_CONFIG_HOME as string, 'handshake', 'config.json'), 'utf8'));
    expect(config.servers.prod).toEqual({ url: 'http://127.0.0.1:9', token: 'sekret-tok-4711' });
  }, 60_000);

  it('api: the passive warning starts on its own line after a body without a trailing newline', async () => {
    // The version endpoint says 1.4.2 at the head; ordinary answers say 1.2.0 at 0003: drift, and too old.
    const server = await startServer((req, res) =>
      req.url === '/api/v1/config/version'
        ? json(res, 200, { server_version: '1.4.2', schema_revision: '0005_add_retention_policy' })
        : json(res, 200, { projects: [] }, { 'X-Server-Version': '1.2.0', 'X-Schema-Revision': '0003_add_insight_meta_cache' }),
    );
    servers.push(server);
    const b = box();
    const run = runOnPty(['api', '/api/v1/projects', '--server', server.url], b.env);
    await run.exited;
    const screen = run.screen();
    expect(screen).toContain('{"projects":[]}');
    expect(screen).toContain('warning');
    expect(screen).not.toMatch(/\}[^\r\n]*warning/);
  }, 60_000);
});
