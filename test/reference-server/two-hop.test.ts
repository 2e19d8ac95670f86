import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate, runReferenceServer, type ServerProcess, spawnServe, stopAll } from '../../examples/reference-server/index.js';
import { parseJson, runCli, sandbox } from '../helpers/cli.js';

/**
 * The README's "Upgrading the server" story, end to end with the built CLI
 * and the reference server, the test playing the operator: 1.2.0 → the
 * required stop 1.3.0 → 1.4.2. Each hop is reached only when its release has
 * no migration pending, which holds because the server lists its own
 * release's migrations (issue 14), not every file it carries.
 */
const root = mkdtempSync(join(tmpdir(), 'ref-two-hop-'));
const box = sandbox();
beforeAll(async () => {
  expect(await migrate({ dataDir: join(root, 'data'), to: '0003_add_insight_meta_cache' })).toMatchObject({ status: 'migrated' });
}, 60_000);
afterEach(() => stopAll());
afterAll(() => {
  box.cleanup();
  rmSync(root, { recursive: true, force: true });
});

const serverEnv = () => {
  const { REFERENCE_SERVER_TOKEN: _t, ...env } = process.env;
  return env;
};
const versionRequests = (s: ServerProcess) =>
  s
    .stderr()
    .split('\n')
    .filter((l) => l.includes(' /api/v1/config/version ')).length;
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((r) => setTimeout(r, 25));
}

/** The operator's restart window: stop, the new release's own migrate, start it on the same port. */
async function hop(server: ServerProcess, dataDir: string, version: string): Promise<ServerProcess> {
  // The CLI has seen this server at least twice (the plan, then the poll) before the operator moves on.
  const seen = versionRequests(server);
  await until(() => versionRequests(server) >= seen + 1);
  expect(await server.stop()).toBe(0);
  const migrated = await runReferenceServer(['migrate', '--data', dataDir, '--version', version], { env: serverEnv() });
  expect(migrated.code, migrated.stderr).toBe(0);
  return spawnServe(['--data', dataDir, '--port', String(server.port), '--version', version, '--deployment', 'docker-compose'], {
    env: serverEnv(),
  });
}

describe('the README two-hop story', { timeout: 150_000 }, () => {
  it('1.2.0 → stop 1.3.0 → 1.4.2: each hop reached with nothing pending, upgraded at the end', async () => {
    const dataDir = join(root, 'story');
    cpSync(join(root, 'data'), dataDir, { recursive: true });
    const v120 = await spawnServe(['--data', dataDir, '--port', '0', '--deployment', 'docker-compose'], { env: serverEnv() });
    const run = runCli(['server', 'upgrade', '--yes', '--json', '--interval', '0.2', '--wait', '120', '--server', v120.url], {
      env: box.env,
      timeoutMs: 140_000,
    });
    await until(() => versionRequests(v120) >= 2);
    const v130 = await hop(v120, dataDir, '1.3.0');
    const status130 = await (await fetch(`${v130.url}/api/v1/config/version`)).json();
    expect(status130).toMatchObject({ server_version: '1.3.0', schema_revision: '0004_split_events_table', pending_migrations: [] });
    const v142 = await hop(v130, dataDir, '1.4.2');
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson<{ outcome: string; plan: { hops: { to: string }[] }; after: { server: Record<string, unknown> } }>(r);
    expect(doc.outcome).toBe('upgraded');
    expect(doc.plan.hops.map((h) => h.to)).toEqual(['1.3.0', '1.4.2']);
    expect(doc.after.server).toMatchObject({ version: '1.4.2', schema_revision: '0005_add_retention_policy' });
    await v142.stop();
  });
});
