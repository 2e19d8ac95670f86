import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import {
  defaultMigrationsDir,
  migrate,
  runReferenceServer,
  type ServerProcess,
  spawnServe,
  stopAll,
} from '../../examples/reference-server/index.js';
import { type CliResult, parseJson, ROOT, runCli, sandbox } from '../helpers/cli.js';
import { bundledJson } from '../helpers/matrix.js';

/**
 * The built CLI against the real reference server, both as child processes,
 * the server stopped, migrated and restarted on the same port the way an
 * operator does it. Creating a PGlite database costs seconds, so the suite
 * creates one at 0003 and migrates a copy of it to 0004 once; each test
 * works on a copy of one of those.
 */

const REV3 = '0003_add_insight_meta_cache';
const REV4 = '0004_split_events_table';
const REV5 = '0005_add_retention_policy';
const VERSION_PATH = '/api/v1/config/version';

const root = mkdtempSync(join(tmpdir(), 'e2e-reference-'));
const templates = new Map<string, string>();
let counter = 0;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/examples/reference-server/cli.js')))
    throw new Error('Run npm run build first: these tests run the built server');
  let previous: string | null = null;
  for (const revision of [REV3, REV4]) {
    const dir = join(root, `template-${revision.slice(0, 4)}`);
    if (previous) cpSync(previous, dir, { recursive: true });
    const result = await migrate({ dataDir: dir, to: revision });
    expect(result).toMatchObject({ status: 'migrated', revision });
    templates.set(revision, dir);
    previous = dir;
  }
}, 120_000);

// Each test stops its own servers (its context's onTestFinished, which concurrent tests need); whatever is left stops here.
afterAll(async () => {
  await stopAll();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh copy of the database at `revision`. */
function dataAt(revision: string): string {
  const dir = join(root, `data-${++counter}`);
  cpSync(templates.get(revision) as string, dir, { recursive: true });
  return dir;
}

/** A HOME/XDG/cache sandbox for the CLI, removed when the test ends. */
function freshEnv(ctx: TestContext): Record<string, string> {
  const b = sandbox();
  ctx.onTestFinished(() => b.cleanup());
  return b.env;
}

/** The reference server's environment: no token required. */
function serverEnv(): NodeJS.ProcessEnv {
  const { REFERENCE_SERVER_TOKEN: _token, ...env } = process.env;
  return env;
}

/** `server.js serve ARGS` as a child process, stopped when the test ends. */
async function serve(ctx: TestContext, args: string[]): Promise<ServerProcess> {
  const server = await spawnServe(args, { env: serverEnv(), readyTimeoutMs: 30_000 });
  ctx.onTestFinished(async () => {
    await server.stop();
  });
  return server;
}

/** How many times the server answered its version endpoint, from its request log. */
function versionRequests(server: ServerProcess): number {
  return server
    .stderr()
    .split('\n')
    .filter((line) => line.includes(` ${VERSION_PATH} `)).length;
}

/** Waits until `ready()` holds; fails after `ms` (a did-not-hang bound, not a timing assertion). */
async function until(ready: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Stops `server` (SIGTERM), runs `migrate` on its data directory, and starts it again on the same port. */
async function restartMigrated(
  ctx: TestContext,
  server: ServerProcess,
  dataDir: string,
  opts: { serveArgs?: string[]; migrateArgs?: string[]; migrateExit?: number } = {},
): Promise<{ server: ServerProcess; migrated: Record<string, unknown> }> {
  expect(await server.stop()).toBe(0);
  const run = await runReferenceServer(['migrate', '--data', dataDir, ...(opts.migrateArgs ?? [])], { env: serverEnv() });
  expect(run.code, run.stderr).toBe(opts.migrateExit ?? 0);
  const next = await serve(ctx, ['--data', dataDir, '--port', String(server.port), ...(opts.serveArgs ?? [])]);
  expect(next.url).toBe(server.url);
  return { server: next, migrated: JSON.parse(run.stdout) };
}

interface CompatDoc {
  status: string;
  severity: string;
  remedy: string | null;
  server: { url: string; version: string | null; schema_revision: string | null };
}
interface StatusDoc extends CompatDoc {
  pending_migrations: Array<{ revision: string; description: string | null }>;
  deployment: string | null;
  migration_status: string | null;
}
interface DoctorDoc {
  ok: boolean;
  sections: Array<{ title: string; checks: Array<{ id: string; status: 'pass' | 'warn' | 'fail' | 'skip' }> }>;
}
interface UpgradeDoc {
  outcome: string;
  remedy: string | null;
  commands: string[];
  before: StatusDoc;
  plan: { target: string; hops: Array<{ from: string; to: string; backup_file: string; restore: string[] }> } | null;
  after: StatusDoc | null;
}

describe('drift staged with --at: the verdict on the real server', { timeout: 60_000 }, () => {
  it.concurrent.for([
    { at: REV3, version: null, reported: '1.2.0', status: 'server_outdated', exit: 3 },
    { at: REV3, version: '1.3.0', reported: '1.3.0', status: 'schema_behind', exit: 3 },
    { at: REV4, version: null, reported: '1.3.0', status: 'compatible', exit: 0 },
  ])('at $at reporting $reported: compat check says $status and the passive check on api agrees', async (row, ctx) => {
    const { expect } = ctx;
    const { at, version, reported, status, exit } = row;
    const server = await serve(ctx, ['--data', dataAt(at), '--port', '0', '--at', at, ...(version ? ['--version', version] : [])]);
    const env = freshEnv(ctx);
    const r = await runCli(['compat', 'check', '--json', '--server', server.url], { env });
    expect(r.code, r.stderr).toBe(exit);
    const doc = parseJson<CompatDoc>(r);
    expect(doc).toMatchObject({ status, server: { url: server.url, version: reported, schema_revision: at } });
    // An incompatible server comes with the command that fixes it; a compatible one with none.
    expect(doc.remedy).toBe(exit === 0 ? null : `handshake server upgrade --server ${server.url}`);

    // An ordinary call (cold cache): the body on stdout whatever the verdict, the verdict's exit code, a warning only when incompatible.
    const api = await runCli(['api', '/api/v1/projects', '--server', server.url], { env: freshEnv(ctx) });
    expect(api.code, api.stderr).toBe(exit);
    expect((JSON.parse(api.stdout) as { projects: Array<{ name: string }> }).projects.map((p) => p.name)).toEqual(['default']);
    if (exit === 0) expect(api.stderr).toBe('');
    else expect(api.stderr).toContain('handshake server upgrade');
  });
});

describe('server upgrade, with the test playing the operator', { timeout: 90_000 }, () => {
  /**
   * Starts `server upgrade --yes --json` and resolves once it is polling (the server answered its version
   * endpoint twice), with the run still going: wrapped, since an async function would wait for a returned promise.
   */
  async function upgrading(server: ServerProcess, env: Record<string, string>): Promise<{ run: Promise<CliResult> }> {
    const run = runCli(['server', 'upgrade', '--yes', '--json', '--interval', '0.2', '--wait', '45', '--server', server.url], {
      env,
      timeoutMs: 60_000,
    });
    let exited = false;
    void run.then(() => {
      exited = true;
    });
    // The first request is the handshake the plan is built from; the next ones are the poll.
    const seen = versionRequests(server);
    await until(() => versionRequests(server) >= seen + 2 || exited, 'server upgrade to start polling');
    expect(exited, 'server upgrade ended before it polled').toBe(false);
    return { run };
  }

  it('status and doctor show what is wrong; upgrade waits through stop → migrate → restart on the same port; all green after', async (ctx) => {
    const dataDir = dataAt(REV3);
    const before = await serve(ctx, [
      '--data',
      dataDir,
      '--port',
      '0',
      '--at',
      REV3,
      '--version',
      '1.3.0',
      '--deployment',
      'docker-compose',
    ]);
    const env = freshEnv(ctx);
    const status = await runCli(['server', 'status', '--json', '--server', before.url], { env });
    expect(status.code, status.stderr).toBe(3);
    expect(parseJson<StatusDoc>(status)).toMatchObject({
      status: 'schema_behind',
      deployment: 'docker-compose',
      migration_status: 'idle',
      server: { version: '1.3.0', schema_revision: REV3 },
    });
    // Release 1.3.0's own migrations that its database lacks (0005 belongs to 1.4.0).
    expect(parseJson<StatusDoc>(status).pending_migrations.map((m) => m.revision)).toEqual([REV4]);
    const sick = await runCli(['doctor', '--json', '--server', before.url], { env });
    expect(sick.code, sick.stderr).toBe(3);
    expect(parseJson<DoctorDoc>(sick).ok).toBe(false);
    // What fails is the server's health, the verdict among it; nothing on this machine.
    const failed = parseJson<DoctorDoc>(sick).sections.flatMap((s) =>
      s.checks.filter((c) => c.status === 'fail').map((c) => [s.title, c.id]),
    );
    expect(failed.map(([, id]) => id)).toContain('server.verdict');
    expect(new Set(failed.map(([title]) => title))).toEqual(new Set(['Server health']));

    const { run } = await upgrading(before, env);
    // The operator runs the plan: the new release (1.4.2) on the migrated database.
    const { server: after, migrated } = await restartMigrated(ctx, before, dataDir, {
      serveArgs: ['--version', '1.4.2', '--deployment', 'docker-compose'],
    });
    expect(migrated).toMatchObject({ status: 'migrated', applied: [REV4, REV5] });

    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    // It kept polling across the restart window: the restarted server answered it.
    expect(versionRequests(after)).toBeGreaterThanOrEqual(1);
    const doc = parseJson<UpgradeDoc>(r);
    expect(doc).toMatchObject({
      outcome: 'upgraded',
      before: { status: 'schema_behind', server: { schema_revision: REV3 } },
      after: { status: 'compatible', pending_migrations: [], server: { version: '1.4.2', schema_revision: REV5 } },
    });
    expect(doc.plan?.hops.map((h) => [h.from, h.to])).toEqual([['1.3.0', '1.4.2']]);

    const done = await runCli(['server', 'status', '--json', '--server', after.url], { env });
    expect(done.code, done.stderr).toBe(0);
    expect(parseJson<StatusDoc>(done)).toMatchObject({ status: 'compatible', pending_migrations: [], deployment: 'docker-compose' });
    const check = await runCli(['compat', 'check', '--json', '--server', after.url], { env });
    expect(check.code, check.stderr).toBe(0);
    expect(parseJson<CompatDoc>(check)).toMatchObject({ status: 'compatible', remedy: null, server: { schema_revision: REV5 } });
    const healthy = await runCli(['doctor', '--json', '--server', after.url], { env });
    expect(healthy.code, healthy.stdout).toBe(0);
    expect(parseJson<DoctorDoc>(healthy).ok).toBe(true);
  });

  it('a migration that fails: migrate exits 3, the restarted server reports it, server upgrade exits 3 with the restore commands', async (ctx) => {
    // The real migrations, with 0004 replaced by one that creates its table and then fails on a typo.
    const migrations = join(root, `broken-migrations-${++counter}`);
    cpSync(defaultMigrationsDir(), migrations, { recursive: true });
    writeFileSync(
      join(migrations, `${REV4}.sql`),
      [
        '-- description: events split into events and event_payloads',
        '-- server_version: 1.3.0',
        'CREATE TABLE event_payloads (event_id bigint PRIMARY KEY REFERENCES events (id), payload jsonb NOT NULL);',
        'INSERT INTO event_payloads (event_id, payload) SELECT id, paylod FROM events;',
      ].join('\n'),
    );
    const dataDir = dataAt(REV3);
    const args = ['--migrations', migrations, '--deployment', 'docker-compose'];
    const before = await serve(ctx, ['--data', dataDir, '--port', '0', '--version', '1.3.0', ...args]);
    const { run } = await upgrading(before, freshEnv(ctx));

    const { migrated } = await restartMigrated(ctx, before, dataDir, {
      migrateArgs: ['--migrations', migrations],
      migrateExit: 3,
      serveArgs: ['--version', '1.4.2', ...args],
    });
    expect(migrated).toMatchObject({ status: 'failed', revision: REV3, failed: { revision: REV4 } });

    const r = await run;
    expect(r.code, r.stderr).toBe(3);
    const doc = parseJson<UpgradeDoc>(r);
    expect(doc.outcome).toBe('migration_failed');
    expect(doc.after).toMatchObject({ migration_status: 'failed', server: { schema_revision: REV3 } });
    // The restore hint: the hop's restore commands, from the docker-compose templates, naming the hop's backup file.
    const hop = doc.plan?.hops[0];
    const template = bundledJson().server.deployments?.['docker-compose']?.restore?.[0] ?? 'missing';
    expect(doc.commands).toEqual(hop?.restore);
    expect(doc.commands.some((c) => c.startsWith(template.split('{')[0] as string) && c.includes(hop?.backup_file ?? '?'))).toBe(true);
  });
});

describe('the passive check on an ordinary call', { timeout: 90_000 }, () => {
  it('notices a migrate behind the CLI’s back: one warning on stderr naming both revisions, the body on stdout, exit 0', async (ctx) => {
    const dataDir = dataAt(REV4);
    const before = await serve(ctx, ['--data', dataDir, '--port', '0']);
    const env = freshEnv(ctx);
    const api = (url: string) => runCli(['api', '/api/v1/projects', '--server', url], { env });

    const quiet = await api(before.url);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    const body = JSON.parse(quiet.stdout) as { projects: Array<{ name: string }> };
    expect(body.projects.map((p) => p.name)).toContain('default');

    // The operator migrates 0004 → 0005 and restarts; the CLI is not told.
    const { server: after } = await restartMigrated(ctx, before, dataDir);

    const drifted = await api(after.url);
    expect(drifted.code, drifted.stderr).toBe(0);
    expect(JSON.parse(drifted.stdout)).toEqual(body);
    expect(drifted.stderr).toContain(REV4);
    expect(drifted.stderr).toContain(REV5);

    // The warning refreshed the cache: the next call is quiet again.
    const again = await api(after.url);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
  });
});
