import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, spawnServe } from '../../examples/reference-server/process.js';
import { linkVendorCli, parseJson, ROOT, runCli, sandbox } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

// Features (docs/matrix.md "Features"): acme's `projects retention` needs `retention` (server 1.4.0, revision
// 0005_add_retention_policy, capability retention). Three reference servers: release 1.3.0 (schema 0004), release
// 1.4.2 (schema 0005, retention on) and release 1.4.2 with retention switched off. Each server's request log (its
// stderr) shows what reached it.
const ACME = join(ROOT, 'examples/vendor-cli/bin/run.js');
const box = sandbox();
const data = mkdtempSync(join(tmpdir(), 'features-ref-'));
const servers: Record<'old' | 'new' | 'off', ServerProcess | undefined> = { old: undefined, new: undefined, off: undefined };
const RETENTION = {
  name: 'retention',
  min_server_version: '1.4.0',
  min_schema_revision: '0005_add_retention_policy',
  capability: 'retention',
};

interface VerdictDoc {
  status: string;
  severity: string;
  message: string;
  remedy: string | null;
  cli: { version: string };
  server: { url: string; version: string | null; schema_revision: string | null };
  features?: Record<string, { available: boolean; reason: string | null }>;
  feature?: typeof RETENTION;
}

beforeAll(async () => {
  await linkVendorCli();
  const serve = (dir: string, ...args: string[]) =>
    spawnServe(['--data', join(data, dir), '--port', '0', ...args], { readyTimeoutMs: 170_000 });
  [servers.old, servers.new, servers.off] = await Promise.all([
    serve('old', '--at', '0004_split_events_table'),
    serve('new', '--version', '1.4.2'),
    serve('off', '--version', '1.4.2', '--disable-feature', 'retention'),
  ]);
}, 180_000);
afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s?.stop()));
  rmSync(data, { recursive: true, force: true });
  box.cleanup();
});

const url = (s: keyof typeof servers) => (servers[s] as ServerProcess).url;
const log = (s: keyof typeof servers) => (servers[s] as ServerProcess).stderr();
/** Lines of the server's request log for the retention route (`GET /api/v1/retention 200 3 ms`). */
const retentionRequests = (s: keyof typeof servers) =>
  log(s)
    .split('\n')
    .filter((l) => /\b(GET|PUT) \/api\/v1\/retention\b/.test(l));
const acme = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { bin: ACME, env: { ...box.env, ACME_CACHE_DIR: join(box.dir, 'acme-cache'), ...env }, timeoutMs: 120_000 });

describe('a command that needs a feature (acme projects retention)', () => {
  it('on release 1.3.0: feature_unavailable (exit 3) before anything is sent; the fix upgrades to 1.4.0', async () => {
    const before = retentionRequests('old').length;
    const r = await acme(['projects', 'retention', 'default', '--days', '30', '--json', '--server', url('old')]);
    expect(r.code).toBe(3);
    const doc = parseJson<VerdictDoc>(r);
    expect(doc).toMatchObject({
      status: 'feature_unavailable',
      severity: 'error',
      remedy: `acme server upgrade --server ${url('old')} --to 1.4.0`,
      cli: { version: '2.3.0' },
      server: { url: url('old'), version: '1.3.0', schema_revision: '0004_split_events_table' },
      features: { retention: { available: false } },
      feature: RETENTION,
    });
    expect(doc.message).toContain('acme projects retention needs feature retention');
    expect(doc.message).toContain('server 1.3.0 is older than 1.4.0');
    expect(Object.keys(doc)).toEqual(['status', 'severity', 'message', 'remedy', 'cli', 'server', 'features', 'feature']);
    // The request log: the version endpoint was asked, the command's own route never.
    expect(log('old')).toMatch(/GET \/api\/v1\/config\/version 200/);
    expect(retentionRequests('old').length).toBe(before);
  });

  it('from a fresh cached handshake: no request at all reaches the server', async () => {
    const cache = { ACME_CACHE_DIR: join(box.dir, 'cache-fresh') };
    await acme(['compat', 'check', '--server', url('old')], cache); // compat check does not write the cache…
    await acme(['server', 'status', '--server', url('old')], cache); // …server status does
    const lines = log('old').split('\n').length;
    const r = await acme(['projects', 'retention', '--server', url('old')], cache);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('feature_unavailable');
    expect(r.stderr).toContain(`Fix`);
    expect(r.stdout).toBe('');
    expect(log('old').split('\n').length).toBe(lines);
  });

  it('on release 1.4.2: the request goes and the policy is set (exit 0)', async () => {
    const r = await acme(['projects', 'retention', 'default', '--days', '30', '--json', '--server', url('new')]);
    expect(r.code).toBe(0);
    expect(parseJson(r)).toEqual({ project: 'default', keep_days: 30 });
    expect(retentionRequests('new').some((l) => /PUT \/api\/v1\/retention 200/.test(l))).toBe(true);
  });

  it('with retention switched off: feature_unavailable, the operator must switch it on (no upgrade)', async () => {
    const r = await acme(['projects', 'retention', '--days', '7', '--json', '--server', url('off')]);
    expect(r.code).toBe(3);
    const doc = parseJson<VerdictDoc>(r);
    expect(doc.status).toBe('feature_unavailable');
    expect(doc.message).toContain('the server has capability retention switched off');
    expect(doc.remedy).toBe(
      `No upgrade brings it: ask the server's operator to switch capability retention on, and check again: acme compat check --server ${url('off')} --feature retention`,
    );
    expect(retentionRequests('off')).toEqual([]);
  });
});

describe('compat check --feature, server status, doctor, compat show', () => {
  // handshake's own commands run in process (test/helpers/in-process.ts); acme above is a vendor CLI, spawned.
  const handshake = (args: string[]) => runInProcess(args, { env: box.env });

  it('compat check --feature gates CI: 3 on 1.3.0 and with the capability off, 0 on 1.4.2; features in --json', async () => {
    const old = await handshake(['compat', 'check', '--feature', 'retention', '--json', '--server', url('old')]);
    expect(old.code).toBe(3);
    expect(parseJson<VerdictDoc>(old)).toMatchObject({
      status: 'feature_unavailable',
      remedy: `handshake server upgrade --server ${url('old')} --to 1.4.0`,
      feature: RETENTION,
    });
    const ok = await handshake(['compat', 'check', '--feature', 'retention', '--json', '--server', url('new')]);
    expect(ok.code).toBe(0);
    expect(parseJson<VerdictDoc>(ok)).toMatchObject({ status: 'compatible', features: { retention: { available: true, reason: null } } });
    expect(parseJson<VerdictDoc>(ok)).not.toHaveProperty('feature');
    const off = await handshake(['compat', 'check', '--feature', 'retention', '--server', url('off')]);
    expect(off.code).toBe(3);
    expect(off.stdout).toContain('Feature retention');
    expect(off.stdout).toContain('switched off');
    // Without --feature the server is compatible: the feature is one command's need, not the CLI's window.
    const plain = await handshake(['compat', 'check', '--json', '--server', url('old')]);
    expect(plain.code).toBe(0);
    expect(parseJson<VerdictDoc>(plain).features).toEqual({
      retention: {
        available: false,
        reason: 'server 1.3.0 is older than 1.4.0; schema 0004_split_events_table precedes 0005_add_retention_policy',
      },
    });
  });

  it('compat check --feature with a name the matrix does not declare: exit 2 naming it', async () => {
    const r = await handshake(['compat', 'check', '--feature', 'retention', '--feature', 'exports', '--server', url('new')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--feature exports');
    expect(r.stderr).toContain('it declares retention');
    // The fix is a command to paste, for the server checked, not a bare flag.
    expect(r.stderr).toMatch(new RegExp(`Fix: +\\S+ compat check --server ${url('new').replaceAll('.', '\\.')} --feature retention`));
  });

  it('server status lists the features; doctor warns about the one this server lacks', async () => {
    const status = await handshake(['server', 'status', '--server', url('off')]);
    expect(status.stdout).toMatch(/Feature retention\s+unavailable: the server has capability retention switched off/);
    const doctor = await handshake(['doctor', '--json', '--server', url('old')]);
    const doc = parseJson<{ sections: { checks: { id: string; status: string; detail: string; remedy: string | null }[] }[] }>(doctor);
    const check = doc.sections.flatMap((s) => s.checks).find((c) => c.id === 'server.features');
    expect(check).toMatchObject({ status: 'warn', remedy: `handshake server upgrade --server ${url('old')} --to 1.4.0` });
    expect(check?.detail).toContain('retention (server 1.3.0 is older than 1.4.0');
  });

  it('compat show draws the features × releases table', async () => {
    const r = await handshake(['compat', 'show']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Features × releases');
    expect(r.stdout).toMatch(
      /retention\s+·\s+·\s+·\s+·\s+✓\s+1\.4\.0 \(server 1\.4\.0, schema 0005_add_retention_policy, capability retention\)/,
    );
  });
});
