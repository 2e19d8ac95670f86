import { createHash, timingSafeEqual } from 'node:crypto';
import { HandshakeServerError } from './errors.js';
import { ENDPOINT_PATH } from './options.js';

/** The path the reference server serves its admin migration endpoint at (docs/protocol.md §1b). */
export const DEFAULT_MIGRATE_PATH = '/api/v1/admin/migrations';

/** How many seconds a 503 in maintenance mode tells the client to wait, unless told otherwise. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** `migration_progress` of the version document: this run's migrations applied, of how many, the one running now. */
export interface MigrationProgress {
  applied: number;
  total: number;
  /** The revision being applied now; null before the first one starts (the backup) and after the last. */
  current: string | null;
}

/** What a runner reports: the progress, and optionally the revision its database is at now. */
export interface MigrationReport extends MigrationProgress {
  /** The schema revision committed so far, so the version document can say it while the database is busy. */
  schemaRevision?: string | null;
}

/** What the server's runner is given for one run. */
export interface MigrationRunContext {
  /** The revision the run must end at: the head of the server's release, as the caller asked for. */
  target: string;
  /** Call before the backup (`applied: 0, current: null`), before each migration and after the last. */
  progress(report: MigrationReport): void;
  /** Aborted when the server shuts down: stop between migrations (never inside one) and return. */
  signal: AbortSignal;
}

/**
 * The server's own migration runner: backs up first, then applies the
 * pending migrations of the release it runs, each in its own transaction.
 * Reject (throw) on any failure, a failed backup included: the run is then
 * recorded as `migration_status: failed`. It must not apply anything after a
 * failed backup.
 */
export type MigrationRunner = (ctx: MigrationRunContext) => Promise<void>;

export interface AdminMigrationOptions {
  /**
   * The admin credential. The endpoint exists only when this is a non-empty
   * string: null or '' means off (no route, no `capabilities.migrate`).
   */
  adminToken: string | null | undefined;
  /** The ordinary API token, so that a caller presenting it gets 403 rather than 401. */
  ordinaryToken?: string | null;
  /** Or a predicate that recognises an ordinary API token (a database of tokens). Checked after `ordinaryToken`. */
  isOrdinaryToken?: (token: string) => boolean | Promise<boolean>;
  /** The head revision of the release this server runs: the only `target_revision` accepted. */
  head: () => string | null | Promise<string | null>;
  /** Backs up, then applies the pending migrations; see {@link MigrationRunner}. */
  run: MigrationRunner;
  /** Where the endpoint is served (default {@link DEFAULT_MIGRATE_PATH}). */
  path?: string;
  /** The `Retry-After` of a 503 while migrating, in seconds (default 5). */
  retryAfterSeconds?: number;
  /** Told of a run that failed (with the runner's error) and of a revision source that failed after a run. */
  onError?: (err: unknown) => void;
}

/** The runner's state as this process knows it; `status: null` means no run started here (the revision source knows). */
export interface MigrationRunState {
  status: 'running' | 'failed' | null;
  progress: MigrationProgress | null;
  /** The revision committed so far during a run, as last reported. */
  schemaRevision: string | null;
  /** The runner's error message after a failed run. Never sent to a client. */
  error: string | null;
}

/** Who presented which credential. */
export type Caller = 'admin' | 'ordinary' | 'anonymous';

/** One run at a time, the admin credential, and the state the version document and the guard read. */
export interface MigrationController {
  readonly enabled: boolean;
  readonly path: string;
  readonly retryAfterSeconds: number;
  state(): MigrationRunState;
  running(): boolean;
  /** Classifies an `Authorization` header in constant time (the comparison leaks neither token nor length). */
  caller(authorization: string | string[] | undefined): Promise<Caller>;
  head(): Promise<string | null>;
  /** Starts a run unless one is going; synchronous, so of two concurrent callers exactly one gets true. */
  tryStart(target: string, from: { total: number; schemaRevision: string | null }): boolean;
  /** Resolves once no run is going. */
  whenIdle(): Promise<void>;
  /** Asks a run to stop after its current migration, and waits for it. */
  stop(): Promise<void>;
  /** Called after every run, whatever its end. */
  onSettled(listener: () => void): void;
}

/**
 * The admin migration endpoint's core, independent of HTTP: pass it to
 * `createHandshakeServer({ migrations })`, which mounts the endpoint, the
 * maintenance-mode guard and the version document's `capabilities.migrate`
 * and `migration_progress`.
 *
 * @throws {HandshakeServerError} on a bad path or retryAfterSeconds, or an admin token equal to the ordinary one.
 */
export function createMigrationController(options: AdminMigrationOptions): MigrationController {
  const path = options.path ?? DEFAULT_MIGRATE_PATH;
  if (!ENDPOINT_PATH.test(path))
    throw new HandshakeServerError(`Invalid migrations path "${path}"`, `Use an absolute path such as ${DEFAULT_MIGRATE_PATH}`);
  const retryAfterSeconds = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 1) {
    throw new HandshakeServerError(`Invalid retryAfterSeconds ${retryAfterSeconds}`, 'Use a whole number of seconds, 1 or more');
  }
  const credentials = credentialsOf(options);
  const runs = runSlot(options.run, options.onError ?? (() => {}));
  return {
    enabled: credentials.enabled,
    path,
    retryAfterSeconds,
    state: runs.state,
    running: runs.running,
    caller: credentials.caller,
    head: async () => options.head(),
    tryStart: (target, from) => credentials.enabled && runs.tryStart(target, from),
    whenIdle: runs.whenIdle,
    stop: runs.stop,
    onSettled: runs.onSettled,
  };
}

/** The admin and ordinary credentials, kept as SHA-256 digests and compared in constant time. */
function credentialsOf(options: AdminMigrationOptions): { enabled: boolean; caller: MigrationController['caller'] } {
  const adminDigest = options.adminToken ? digest(options.adminToken) : null;
  const ordinaryDigest = options.ordinaryToken ? digest(options.ordinaryToken) : null;
  if (adminDigest && ordinaryDigest && timingSafeEqual(adminDigest, ordinaryDigest)) {
    throw new HandshakeServerError(
      'The admin token is the same as the ordinary API token',
      'Give the admin migration endpoint a credential of its own',
    );
  }
  return {
    enabled: adminDigest !== null,
    async caller(authorization) {
      const token = bearer(authorization);
      if (token === null) return 'anonymous';
      const presented = digest(token);
      if (adminDigest && timingSafeEqual(presented, adminDigest)) return 'admin';
      if (ordinaryDigest && timingSafeEqual(presented, ordinaryDigest)) return 'ordinary';
      if (options.isOrdinaryToken && (await options.isOrdinaryToken(token))) return 'ordinary';
      return 'anonymous';
    },
  };
}

const IDLE: MigrationRunState = Object.freeze({ status: null, progress: null, schemaRevision: null, error: null });

/** At most one run at a time, and its state. */
function runSlot(runner: MigrationRunner, onError: (err: unknown) => void) {
  const listeners: (() => void)[] = [];
  let state: MigrationRunState = IDLE;
  let run: { done: Promise<void>; abort: AbortController } | null = null;

  const progress = (report: MigrationReport) => {
    if (state.status !== 'running') return;
    const { applied, total, current, schemaRevision } = report;
    state = { ...state, progress: { applied, total, current: current ?? null }, schemaRevision: schemaRevision ?? state.schemaRevision };
  };
  const settle = (err?: unknown) => {
    state = err === undefined ? IDLE : { ...IDLE, status: 'failed', error: err instanceof Error ? err.message : String(err) };
    if (err !== undefined) onError(err);
  };

  function tryStart(target: string, from: { total: number; schemaRevision: string | null }): boolean {
    if (run) return false;
    state = {
      status: 'running',
      progress: { applied: 0, total: from.total, current: null },
      schemaRevision: from.schemaRevision,
      error: null,
    };
    const abort = new AbortController();
    const done = Promise.resolve()
      .then(() => runner({ target, progress, signal: abort.signal }))
      .then(() => settle(), settle)
      .finally(() => {
        run = null;
        for (const listener of listeners) listener();
      });
    run = { done, abort };
    return true;
  }

  return {
    tryStart,
    state: () => state,
    running: () => run !== null,
    whenIdle: async () => {
      while (run) await run.done;
    },
    stop: async () => {
      const current = run;
      if (!current) return;
      current.abort.abort();
      await current.done;
    },
    onSettled: (listener: () => void) => {
      listeners.push(listener);
    },
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** The token of `Authorization: Bearer <token>`, or null. */
function bearer(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(value ?? '');
  return match?.[1] ?? null;
}
