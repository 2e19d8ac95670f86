import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHandshakeServer, createMigrationController, type RevisionSource } from '../../src/server/index.js';
import { ADAPTERS, APP_TOKEN } from '../helpers/adapters.js';
import { parseJson, sandbox } from '../helpers/cli.js';
import type { TestServer } from '../helpers/http.js';
import { runInProcess } from '../helpers/in-process.js';

/**
 * Every server helper beyond node:http passes `handshake server verify` (docs/protocol.md §1c): the
 * built CLI against Express, Fastify and Hono (through the fetch wrapper) on loopback ports, idle
 * and while a migration runs (maintenance mode).
 */

const ADMIN = 'adm1n-t0ken-0123456789';
const CHAIN = ['0003_add_insight_meta_cache', '0004_split_events_table', '0005_add_retention_policy'];

interface VerifyJson {
  ok: boolean;
  checks: Array<{ id: string; status: string; detail: string }>;
}

const box = sandbox();
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => box.cleanup());

/** A server at 0003 of a release whose head is 0005, with a CLI window and the admin endpoint; its runner held until `release()`. */
function handshake() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const source: RevisionSource = {
    applied: async () => CHAIN[0] as string,
    pending: async () => CHAIN.slice(1).map((revision) => ({ revision, description: null })),
    status: async () => 'idle',
  };
  const migrations = createMigrationController({
    adminToken: ADMIN,
    ordinaryToken: APP_TOKEN,
    head: () => CHAIN[2] as string,
    run: async (ctx) => {
      ctx.progress({ applied: 0, total: 2, current: null });
      await gate;
    },
  });
  const hs = createHandshakeServer({
    serverVersion: '1.4.0',
    revisions: source,
    minCliVersion: '0.9.0',
    enforceCliWindow: true,
    migrations,
  });
  return { hs, release, migrations };
}

async function verify(url: string) {
  // In process (test/helpers/in-process.ts): the subject is the adapter; server-verify.test.ts spawns the built CLI.
  const r = await runInProcess(['server', 'verify', '--server', url, '--json'], { env: { ...box.env, HANDSHAKE_TOKEN: APP_TOKEN } });
  const doc = parseJson<VerifyJson>(r);
  const status = Object.fromEntries(doc.checks.map((c) => [c.id, c.status]));
  return { code: r.code, doc, status, failures: doc.checks.filter((c) => c.status === 'fail') };
}

describe.each(ADAPTERS)('%s passes server verify', (_name, mount) => {
  it('idle: every check passes, the 426, the token route and the admin refusals included', async () => {
    const { hs } = handshake();
    const server = await mount(hs);
    servers.push(server);
    const { code, doc, status, failures } = await verify(server.url);
    expect(failures).toEqual([]);
    expect(code).toBe(0);
    expect(doc.ok).toBe(true);
    for (const id of [
      'headers.version',
      'headers.not_found',
      'headers.head',
      'headers.auth',
      'cli_window.426',
      'errors.json',
      'admin.refusals',
    ]) {
      expect(status[id], id).toBe('pass');
    }
    expect(status['maintenance.503']).toBe('skip');
  });

  it("while a migration runs: maintenance mode's 503 with Retry-After passes too", async () => {
    const { hs, release, migrations } = handshake();
    const server = await mount(hs);
    servers.push(server);
    const started = await fetch(`${server.url}/api/v1/admin/migrations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target_revision: CHAIN[2] }),
    });
    expect(started.status).toBe(202);
    try {
      const { code, status, failures } = await verify(server.url);
      expect(failures).toEqual([]);
      expect(code).toBe(0);
      expect(status['maintenance.503']).toBe('pass');
    } finally {
      release();
      await migrations.whenIdle();
    }
  });
});
