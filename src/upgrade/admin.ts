import { envName, type Variable } from '../env.js';
import { ErrorCode, isHandshakeError } from '../errors.js';
import { type Hint, hint } from '../hint.js';
import { tokenFromEnv } from '../input/index.js';
import { type HttpResponse, httpRequest } from '../transport/request.js';
import { isLoopback, resolveApiUrl } from '../url.js';
import type { RejectedValue } from './deployment.js';
import { STATUS_HINT } from './plan.js';

/**
 * The CLI half of the admin migration endpoint (docs/protocol.md §1b): the server applies the pending
 * migrations of the release it already runs, on an administrator's request. The admin token goes
 * to that one path on the server's own origin, in one POST, never across a redirect, never printed.
 */

/** The variable that holds the admin token, without the host's prefix (`HANDSHAKE_ADMIN_TOKEN`). */
export const ADMIN_TOKEN: Variable = 'ADMIN_TOKEN';

/**
 * The admin token from the environment, or null when unset or empty. A value with a line break, a
 * control byte or a space is a usage error naming the variable, thrown before anything is planned or sent.
 */
export function adminToken(env: NodeJS.ProcessEnv, envPrefix: string): string | null {
  return tokenFromEnv(env, envName(envPrefix, ADMIN_TOKEN));
}

// An absolute path: one leading slash (not `//host`), path characters only (no scheme, no backslash, no spaces).
const ABSOLUTE_PATH = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;

export type MigrateEndpoint = { kind: 'none' } | { kind: 'ok'; path: string; url: URL } | { kind: 'rejected'; rejected: RejectedValue };

/**
 * Where the server's migration endpoint is, from `capabilities.migrate`: an absolute path on the
 * server's own origin (under its base path, like the version endpoint). Anything else (a URL, a
 * protocol-relative `//host`, a relative path) is refused: the admin token would leave the server.
 */
export function migrateEndpoint(base: URL, capability: string | null): MigrateEndpoint {
  if (capability === null) return { kind: 'none' };
  const reject = (reason: string): MigrateEndpoint => ({
    kind: 'rejected',
    rejected: { field: 'capabilities.migrate', value: capability, reason },
  });
  if (!ABSOLUTE_PATH.test(capability)) {
    return reject('not an absolute path on this server (a URL or another origin would receive the admin token); ignored');
  }
  const url = resolveApiUrl(base, capability);
  url.username = '';
  url.password = '';
  url.hash = '';
  if (url.origin !== base.origin) return reject('points to another origin; ignored');
  // The admin token changes the database: it crosses a network only encrypted (plain http is for this machine).
  if (url.protocol === 'http:' && !isLoopback(url))
    return reject('is plain http to another machine: the admin token would cross the network unencrypted; ignored');
  return { kind: 'ok', path: capability, url };
}

export type MigrationStart =
  | { kind: 'started' }
  | { kind: 'refused'; httpStatus: number | null; message: string; hint: Hint | null }
  /** The request got no answer (timeout, reset): the run may or may not have started. */
  | { kind: 'unanswered'; message: string; hint: Hint | null }
  | { kind: 'interrupted' };

export interface StartOptions {
  url: URL;
  token: string;
  targetRevision: string;
  /** The session's ordinary headers (user agent, CLI version); credentials among them are dropped. */
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The environment whose proxy variables apply (the session's). */
  env?: NodeJS.ProcessEnv;
}

const CREDENTIALS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** One POST asking the server to apply its own migrations up to `targetRevision`. Never retried. */
export async function startServerMigration(opts: StartOptions): Promise<MigrationStart> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  for (const [k, v] of Object.entries(opts.headers)) if (!CREDENTIALS.has(k.toLowerCase())) headers[k] = v;
  let res: HttpResponse;
  try {
    res = await httpRequest(opts.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ target_revision: opts.targetRevision }),
      timeoutMs: opts.timeoutMs,
      auth: { origin: opts.url.origin, token: opts.token },
      followRedirects: false,
      signal: opts.signal,
      env: opts.env,
    });
  } catch (err) {
    if (opts.signal?.aborted || isHandshakeError(err, ErrorCode.Aborted)) return { kind: 'interrupted' };
    if (isHandshakeError(err, ErrorCode.Usage)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    // No answer is not a refusal: the server may have started the run. Say so, and how to check on it.
    return {
      kind: 'unanswered',
      message: `no answer to the request to start the migrations (${message}): the server may have started them`,
      hint: STATUS_HINT,
    };
  }
  return answerOf(res.status);
}

const PRINT_ONLY = hint.flag('print-only', undefined, 'or run again with {flag} for the commands to run on the server host yourself');

/** What each answer means; nothing is retried. */
function answerOf(status: number): MigrationStart {
  const refused = (message: string, h: Hint | null): MigrationStart => ({ kind: 'refused', httpStatus: status, message, hint: h });
  if (status === 202 || status === 200) return { kind: 'started' };
  if (status === 401) {
    return refused(
      'the server did not accept the admin token (HTTP 401): nothing was started',
      hint.steps(hint.text('Set the admin token the server was configured with'), hint.variable(ADMIN_TOKEN, { secret: true }), PRINT_ONLY),
    );
  }
  if (status === 403) {
    return refused(
      'the server refused the request (HTTP 403): the token is not its admin token (an ordinary API token?); nothing was started',
      hint.steps(hint.text('Set the admin token, not the API token'), hint.variable(ADMIN_TOKEN, { secret: true }), PRINT_ONLY),
    );
  }
  if (status === 409) {
    return refused(
      'the server refused to start (HTTP 409): a migration run is already going, or its release head is not the revision this plan was made for; nothing was started',
      hint.steps(hint.text('Check the server, then plan again'), STATUS_HINT),
    );
  }
  if (status === 422) {
    return refused(
      'the server did not understand the request (HTTP 422): this CLI and the server disagree on the endpoint; nothing was started',
      hint.steps(hint.text('Upgrade this CLI'), PRINT_ONLY),
    );
  }
  if (status >= 300 && status < 400) {
    return refused(
      `the server answered the admin request with a redirect (HTTP ${status}): not followed, the admin token stays here`,
      STATUS_HINT,
    );
  }
  return refused(
    `the server answered the admin request with HTTP ${status}: nothing is known to have started`,
    hint.steps(STATUS_HINT, PRINT_ONLY),
  );
}
