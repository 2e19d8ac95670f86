// What a person at a terminal sees (a pseudo-terminal from util-linux `script`): skipped where it is missing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxAfterAll } from '../helpers/cli.js';
import { json, startServer, type TestServer } from '../helpers/http-server.js';
import { hasScript, runOnPty } from '../helpers/pty.js';

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});
const box = sandboxAfterAll();

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

  it('doctor on a 40-column colour terminal: our colours only, every line wrapped to fit; NO_COLOR and FORCE_COLOR=0 turn colour off', async () => {
    // One revision behind: a failure whose detail and fix are longer than a 40-column line.
    const server = await startServer((_req, res) =>
      json(res, 200, { server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' }),
    );
    servers.push(server);
    const b = box();
    const screenOf = async (env: Record<string, string>) => {
      const run = runOnPty(['doctor', '--server', server.url], { ...b.env, ...env }, 40);
      await run.exited;
      return run.screen();
    };
    const coloured = await screenOf({});
    expect(coloured).toContain('\u001b[32m✓\u001b[39m');
    expect(coloured).toContain('\u001b[31m✗\u001b[39m');
    // The only escape sequences are render/style.ts's SGR pairs (render/sanitize.ts keeps no others).
    const visible = [1, 2, 22, 31, 32, 33, 36, 39].reduce((text, code) => text.replaceAll(`\u001b[${code}m`, ''), coloured);
    expect(visible).not.toContain('\u001b');
    // Every check's line fits, but for a single word longer than the room (a URL, a file path), left whole.
    for (const line of visible.split(/\r?\n/))
      if (line.startsWith(' ') && line.trim().includes(' ')) expect([...line].length, line).toBeLessThanOrEqual(40);
    expect(visible.replace(/\s+/g, ' ')).toContain('0003_add_insight_meta_cache');
    for (const env of [{ NO_COLOR: '1' }, { FORCE_COLOR: '0' }] as Record<string, string>[]) {
      const plain = await screenOf(env);
      expect(plain, JSON.stringify(env)).not.toContain('\u001b');
      expect(plain).toMatch(/\bFAIL\b/);
    }
  }, 90_000);
});
