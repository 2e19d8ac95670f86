import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, sandbox } from '../helpers/cli.js';
import { closedPort, type TestServer, versionServer } from '../helpers/http-server.js';

// The README's CI recipe, taken from the README itself and run exactly as written with `sh`,
// from a project that has handshake in its devDependencies.
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const recipe = /<!-- ci-recipe[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1]?.trim() ?? '';
const project = mkdtempSync(join(tmpdir(), 'handshake-ci-'));
const box = sandbox();
const servers: TestServer[] = [];

beforeAll(() => {
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'deploy', private: true, devDependencies: { 'handshake-compat': '*' } }),
  );
  mkdirSync(join(project, 'node_modules/.bin'), { recursive: true });
  symlinkSync(ROOT, join(project, 'node_modules/handshake-compat'), 'dir');
  symlinkSync('../handshake-compat/bin/run.js', join(project, 'node_modules/.bin/handshake'));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(project, { recursive: true, force: true });
  box.cleanup();
});

async function runRecipe(url: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...box.env, URL: url, npm_config_offline: 'true', npm_config_update_notifier: 'false' };
  delete env.NODE_ENV;
  return promisify(execFile)('sh', ['-c', recipe], { cwd: project, env }).then(
    (ok) => ({ ...ok, code: 0 }),
    (err: { stdout: string; stderr: string; code: number }) => err,
  );
}

describe('the README CI recipe', () => {
  it('is one npx command', () => {
    expect(recipe).toBe('npx --package=handshake-compat handshake compat check --server "$URL" --strict --json');
  });

  it.each([
    [{ server_version: '1.4.2', schema_revision: '0005_add_retention_policy' }, 0, 'compatible'],
    [{ server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' }, 3, 'schema_behind'],
    [{ server_version: '1.5.0', schema_revision: '0005_add_retention_policy' }, 3, 'server_newer'],
  ])('%j → exit %i (%s)', async (doc, code, status) => {
    const server = await versionServer(doc);
    servers.push(server);
    const r = await runRecipe(server.url);
    expect(JSON.parse(r.stdout).status).toBe(status);
    expect(r.code).toBe(code);
  });

  it('a server that is down → exit 4; no URL → exit 2', async () => {
    expect((await runRecipe(`http://127.0.0.1:${await closedPort()}`)).code).toBe(4);
    expect((await runRecipe('')).code).toBe(2);
  });
});
