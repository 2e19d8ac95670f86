import { json, startServer, type TestServer } from './http-server.js';

/**
 * A loopback server that follows docs/protocol.md §1b exactly, for the CLI side of the admin migration
 * endpoint (the real one lives in src/server on another branch): it runs release 1.4.2 on schema
 * 0004 with 0005 pending, advertises `capabilities.migrate`, and on a POST with the right admin
 * token and `{target_revision: "0005_add_retention_policy"}` answers 202 and "runs" for `runningPolls`
 * version requests (the other routes answer the maintenance 503), then reports the result.
 * Every request is recorded with its headers.
 */
export const ADMIN_TOKEN = 'adm-Secret-7f3c9a1e5b';
export const API_TOKEN = 'api-Token-2b8d4c6e0a';
export const MIGRATE_PATH = '/api/v1/admin/migrations';
export const HEAD = '0005_add_retention_policy';

export interface AdminServerOptions {
  /** What `capabilities.migrate` says (default: the path). */
  migrate?: string | null;
  /** Answer every POST with this status instead of judging it (401, 403, 409, 422, 307…). */
  force?: number;
  /** Headers of the forced answer (a redirect's Location). */
  forceHeaders?: Record<string, string>;
  /** The run fails (the backup or a migration): `migration_status: failed` at the revision before. */
  fail?: boolean;
  /** How many version requests answer "running" after the POST (default 2). */
  runningPolls?: number;
}

export interface AdminServer extends TestServer {
  posts(): number;
}

export async function adminServer(opts: AdminServerOptions = {}): Promise<AdminServer> {
  let state: 'pending' | 'running' | 'done' | 'failed' = 'pending';
  let running = 0;
  let posts = 0;
  const base = {
    server_version: '1.4.2',
    deployment: 'docker-compose',
    capabilities: { migrate: opts.migrate === undefined ? MIGRATE_PATH : opts.migrate },
  };
  const doc = () => {
    if (state === 'running') {
      running += 1;
      if (running > (opts.runningPolls ?? 2)) state = opts.fail ? 'failed' : 'done';
    }
    switch (state) {
      case 'pending':
        return { ...base, schema_revision: '0004_split_events_table', pending_migrations: [HEAD], migration_status: 'idle' };
      case 'running':
        return {
          ...base,
          schema_revision: '0004_split_events_table',
          pending_migrations: [HEAD],
          migration_status: 'running',
          migration_progress: { applied: 0, total: 1, current: HEAD },
        };
      case 'failed':
        return { ...base, schema_revision: '0004_split_events_table', pending_migrations: [HEAD], migration_status: 'failed' };
      case 'done':
        return { ...base, schema_revision: HEAD, pending_migrations: [], migration_status: 'idle' };
    }
  };
  const server = await startServer((req, res, body) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === MIGRATE_PATH) {
      posts += 1;
      if (opts.force) return json(res, opts.force, { error: `HTTP ${opts.force}` }, opts.forceHeaders);
      const auth = req.headers.authorization;
      if (!auth) return json(res, 401, { error: 'unauthorized' });
      if (auth !== `Bearer ${ADMIN_TOKEN}`) return json(res, 403, { error: 'forbidden' });
      let target: unknown;
      try {
        target = (JSON.parse(body) as { target_revision?: unknown }).target_revision;
      } catch {
        return json(res, 422, { error: 'invalid body' });
      }
      if (typeof target !== 'string') return json(res, 422, { error: 'invalid body' });
      if (state !== 'pending' || target !== HEAD) return json(res, 409, { error: 'conflict' });
      state = 'running';
      return json(res, 202, doc());
    }
    if (path === '/api/v1/config/version') return json(res, 200, doc());
    if (state === 'running')
      return json(res, 503, { error: 'migrating', migration_progress: { applied: 0, total: 1, current: HEAD } }, { 'retry-after': '1' });
    return json(res, 404, { error: 'not found' });
  });
  return { ...server, posts: () => posts };
}
