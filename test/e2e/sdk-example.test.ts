import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, sandbox } from '../helpers/cli.js';
import { json, startServer } from '../helpers/http-server.js';

const box = sandbox();
afterAll(() => box.cleanup());

describe('the README’s SDK example', () => {
  const file = join(ROOT, 'examples/sdk-example.js');

  it('is in the README word for word', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(readFileSync(file, 'utf8'));
  });

  it('runs against a server: the verdict, a checked call, exit 3 for an incompatible server', async () => {
    const server = await startServer((req, res) =>
      req.url === '/api/v1/config/version'
        ? json(res, 200, { server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' })
        : json(res, 200, { projects: [] }),
    );
    try {
      // Asynchronously: the server answers from this very process.
      const r = await promisify(execFile)(process.execPath, [file], { env: { ...process.env, ...box.env, SERVER_URL: server.url } }).then(
        (ok) => ({ ...ok, code: 0 }),
        (err: { stdout: string; stderr: string; code: number }) => err,
      );
      expect(r.stdout).toMatch(/^schema_behind: /);
      expect(r.stdout).toContain('fix: handshake server upgrade');
      expect(r.stdout).toContain('GET /api/v1/projects → HTTP 200');
      expect(r.code).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('reports a usage error by its code', () => {
    const r = spawnSync(process.execPath, [file], { env: { ...process.env, ...box.env, SERVER_URL: 'not a url' }, encoding: 'utf8' });
    expect(r.stderr).toMatch(/^E_USAGE: /);
    expect(r.status).toBe(2);
  });
});
