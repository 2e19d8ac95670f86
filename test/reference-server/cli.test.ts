import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';

const repo = join(import.meta.dirname, '../..');
const launcher = join(repo, 'examples/reference-server/server.js');
const root = mkdtempSync(join(tmpdir(), 'ref-cli-'));
const children = new Set<ChildProcess>();

beforeAll(() => {
  if (!existsSync(join(repo, 'dist/examples/reference-server/cli.js')))
    throw new Error('Run npm run build first: these tests run the built server');
});
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Started {
  line: { url: string; pid: number; server_version: string; schema_revision: string };
  child: ChildProcess;
  stderr: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `server.js serve …` and resolves with the JSON line it prints once listening. */
function serve(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Started> {
  const child = spawn(process.execPath, [launcher, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  let out = '';
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no JSON line within 30 s; stderr:\n${err}`)), 30_000);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening; stderr:\n${err}`));
    });
    child.stdout?.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolve({
        line: JSON.parse(out.slice(0, nl)),
        child,
        stderr: () => err,
        stop: async () => {
          child.kill('SIGTERM');
          const code = await exited;
          children.delete(child);
          return code;
        },
      });
    });
  });
}

/** Runs `server.js …` to completion. */
function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [launcher, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) =>
    child.once('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('reference-server serve / migrate, as an operator runs them', () => {
  it('serves a new data directory at --at, stops on SIGTERM, migrates, and restarts on the same port', async () => {
    const data = join(root, 'restart');
    const first = await serve([
      '--data',
      data,
      '--port',
      '0',
      '--at',
      '0003_add_insight_meta_cache',
      '--version',
      '1.4.0',
      '--deployment',
      'docker-compose',
    ]);
    expect(first.line).toMatchObject({ server_version: '1.4.0', schema_revision: '0003_add_insight_meta_cache', pid: first.child.pid });
    expect(first.line.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const doc = versionDocumentSchema.parse(await (await fetch(`${first.line.url}/api/v1/config/version`)).json());
    expect(doc).toMatchObject({ schema_revision: '0003_add_insight_meta_cache', deployment: 'docker-compose' });
    expect(doc.pending_migrations).toHaveLength(2);
    expect(await first.stop()).toBe(0);
    expect(existsSync(join(data, 'server.lock'))).toBe(false);

    const migrated = await run(['migrate', '--data', data]);
    expect(migrated.code).toBe(0);
    const result = JSON.parse(migrated.stdout);
    expect(result).toMatchObject({ status: 'migrated', revision: '0005_add_retention_policy' });
    expect(existsSync(result.backup)).toBe(true);

    const port = new URL(first.line.url).port;
    const second = await serve(['--data', data, '--port', port]);
    expect(second.line.url).toBe(first.line.url);
    expect(second.line).toMatchObject({ server_version: '1.4.0', schema_revision: '0005_add_retention_policy' });
    const projects = await fetch(`${second.line.url}/api/v1/projects`);
    expect(projects.headers.get('x-schema-revision')).toBe('0005_add_retention_policy');
    expect(await second.stop()).toBe(0);
  });

  it('answers 426 to an old CLI with --min-cli-version, and guards the API with --token-env', async () => {
    const data = join(root, 'window');
    const args = ['--data', data, '--min-cli-version', '0.9.0', '--token-env', 'REF_TEST_TOKEN'];
    // --token-env names a variable that is not set: refused before anything starts.
    const { REF_TEST_TOKEN: _unset, ...withoutToken } = process.env;
    const refused = await run(['serve', ...args], withoutToken);
    expect(refused.code).toBe(2);
    expect(existsSync(data)).toBe(false);

    const server = await serve(args, { ...process.env, REF_TEST_TOKEN: 'tok-123' });
    const { url } = server.line;
    const auth = { authorization: 'Bearer tok-123' };
    const old = await fetch(`${url}/api/v1/projects`, { headers: { ...auth, 'X-CLI-Version': '0.8.0' } });
    expect(old.status).toBe(426);
    expect(old.headers.get('x-required-cli-version')).toBe('0.9.0');
    expect((await fetch(`${url}/api/v1/projects`, { headers: { 'X-CLI-Version': '0.9.0' } })).status).toBe(401);
    expect((await fetch(`${url}/api/v1/projects`, { headers: { ...auth, 'X-CLI-Version': '0.9.0' } })).status).toBe(200);
    expect((await fetch(`${url}/api/v1/config/version`)).status).toBe(200);
    expect(await server.stop()).toBe(0);
    const stderr = server.stderr();
    expect(stderr).not.toContain('tok-123');
  });

  it('fails closed on a broken migration: exit 3, rolled back, the backup named', async () => {
    const data = join(root, 'broken');
    const init = await run(['migrate', '--data', data, '--to', '0003_add_insight_meta_cache']);
    expect(init.code).toBe(0);
    expect(JSON.parse(init.stdout)).toMatchObject({ status: 'migrated', from: null, backup: null });

    const migrations = join(root, 'broken-migrations');
    cpSync(join(repo, 'examples/reference-server/migrations'), migrations, { recursive: true });
    writeFileSync(join(migrations, '0004_split_events_table.sql'), 'CREATE TABLE event_payloads (x int);\nSELECT no_such_function();\n');
    const failed = await run(['migrate', '--data', data, '--migrations', migrations]);
    expect(failed.code).toBe(3);
    const result = JSON.parse(failed.stdout);
    expect(result).toMatchObject({
      status: 'failed',
      revision: '0003_add_insight_meta_cache',
      failed: { revision: '0004_split_events_table' },
    });
    expect(existsSync(result.backup)).toBe(true);
    expect(failed.stderr).toContain(result.backup);

    const server = await serve(['--data', data, '--migrations', migrations, '--quiet']);
    const doc = versionDocumentSchema.parse(await (await fetch(`${server.line.url}/api/v1/config/version`)).json());
    expect(doc).toMatchObject({ schema_revision: '0003_add_insight_meta_cache', migration_status: 'failed' });
    await server.stop();
  });

  it.each([
    [['serve', '--port', '0'], 2],
    [['serve', '--data', 'x', '--port', 'eighty'], 2],
    [['serve', '--data', 'x', '--version', 'latest'], 2],
    [['serve', '--data', 'x', '--frobnicate'], 2],
    [['migrate', '--data', 'x', '--to', '0042_nope'], 2],
    [['upgrade'], 2],
    [['serve', '--data', 'FILE'], 2],
    [['migrate', '--data', 'FILE/below'], 2],
  ])('refuses bad input with a remedy and no stack trace: %j', async (args, code) => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a data directory');
    const res = await run(args.map((a) => (a === 'x' ? join(root, 'never-created') : a.replace(/^FILE/, file))));
    expect(res.code).toBe(code);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/fix:/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(root, 'never-created'))).toBe(false);
  });
});
