import semver from 'semver';
import type { z } from 'zod';
import { ErrorCode, isHandshakeError } from '../errors.js';
import type { Hint } from '../hint.js';
import { parseHttpDate } from '../http-date.js';
import type { Matrix } from '../matrix/load.js';
import { REVISION_PATTERN } from '../matrix/schema.js';
import {
  DEV_VERSION,
  type MigrationProgress,
  migrationProgressSchema,
  type VersionDocument,
  versionDocumentSchema,
} from '../protocol/version-document.js';
import { secondsUp } from '../text.js';
import { type HttpResponse, headerValue, httpRequest, type RequestOptions } from '../transport/request.js';
import { resolveApiUrl, serverAt } from '../url.js';

/**
 * What one look at the version endpoint saw. The verdict engine turns this
 * into a status; nothing here decides compatibility.
 */
export type Observation =
  | {
      kind: 'document';
      document: VersionDocument;
      /** The revision and version headers of the same response, when present. */
      headers: { schemaRevision: string | null; serverVersion: string | null };
    }
  /** The server refused this CLI with 426; `requiredVersion` is validated semver or null. */
  | { kind: 'cli_rejected'; requiredVersion: string | null; httpStatus: 426 }
  | { kind: 'unauthorized'; httpStatus: 401 | 403 }
  /** No version endpoint; `url` is the URL actually requested (without credentials). */
  | { kind: 'not_found'; httpStatus: number; url?: string }
  /** A maintenance-mode 503 (`{"error": "migrating"}`): the server is applying its migrations. */
  | { kind: 'migrating'; httpStatus: 503; progress: MigrationProgress | null; retryAfterMs?: number }
  | { kind: 'invalid_response'; reason: string; httpStatus: number | null }
  | {
      kind: 'unreachable';
      reason: string;
      code: string;
      remedy: string | null;
      /** The remedy as data, when the transport gave one (said in the host's words by whoever prints it). */
      hint?: Hint | null;
      httpStatus: number | null;
      /** How long a 429 or 503 asked the client to wait (`Retry-After`), in ms; absent when it did not say. */
      retryAfterMs?: number;
    };

export interface ObserveOptions extends Pick<RequestOptions, 'timeoutMs' | 'signal' | 'dispatcher' | 'env'> {
  baseUrl: URL;
  matrix: Matrix;
  token?: string | null;
  /** Headers sent on every request (User-Agent, the CLI-version header). */
  headers: Record<string, string>;
}

/** Fetches the version endpoint and classifies the answer. Never throws for anything the server or network does. */
export async function observe(opts: ObserveOptions): Promise<Observation> {
  const url = resolveApiUrl(opts.baseUrl, opts.matrix.doc.version_endpoint);
  let res: HttpResponse;
  try {
    res = await httpRequest(url, {
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      dispatcher: opts.dispatcher,
      env: opts.env,
      headers: { accept: 'application/json', ...opts.headers },
      auth: opts.token ? { origin: opts.baseUrl.origin, token: opts.token } : null,
    });
  } catch (err) {
    // Cancelled, or refused before anything was sent (a malformed proxy variable, token or header): not the server's doing.
    if (isHandshakeError(err, ErrorCode.Aborted) || isHandshakeError(err, ErrorCode.Usage)) throw err;
    return observationFromError(err);
  }
  return classifyResponse(res, opts.matrix);
}

/**
 * The observation for an error {@link httpRequest} threw: also for callers that make the version-endpoint
 * request themselves to keep the raw response (doctor reads its `Date` header and timing). Rethrows what
 * is not a transport error.
 */
export function observationFromError(err: unknown): Observation {
  if (isHandshakeError(err)) {
    if (err.code === ErrorCode.TooLarge || err.code === ErrorCode.InvalidResponse) {
      return { kind: 'invalid_response', reason: err.message, httpStatus: null };
    }
    return { kind: 'unreachable', reason: err.message, code: err.code, remedy: err.remedy, hint: err.hint, httpStatus: null };
  }
  throw err;
}

/** Classifies a response of the version endpoint (exported for the passive check and tests). */
export function classifyResponse(res: HttpResponse, matrix: Matrix): Observation {
  const { status } = res;
  const h = matrix.doc.headers;
  const seen = readVersionHeaders(status, res.headers, h);
  if (seen.rejected) return { kind: 'cli_rejected', requiredVersion: seen.requiredCliVersion, httpStatus: 426 };
  if (status === 401 || status === 403) return { kind: 'unauthorized', httpStatus: status };
  if (status === 404 || status === 405 || status === 410) return { kind: 'not_found', httpStatus: status, url: res.url };
  const migrating = maintenance(res);
  if (migrating) return migrating;
  if (status >= 500 || status === 429 || status === 408) {
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(res.headers) : null;
    return {
      kind: 'unreachable',
      reason: `${res.url} answered HTTP ${status}${status === 502 || status === 503 || status === 504 ? ': the server behind the proxy is down or restarting' : ''}`,
      code: ErrorCode.HttpStatus,
      remedy: retryAfterRemedy(status, retryAfterMs, res.url, matrix.doc.version_endpoint),
      httpStatus: status,
      ...(retryAfterMs === null ? {} : { retryAfterMs }),
    };
  }
  if (status < 200 || status >= 300) {
    return { kind: 'invalid_response', reason: `${res.url} answered HTTP ${status}, expected 200`, httpStatus: status };
  }
  const type = headerValue(res.headers, 'content-type') ?? '';
  if (!isJsonContentType(type)) {
    return {
      kind: 'invalid_response',
      reason: `${res.url} answered ${type ? type.split(';')[0] : 'without a content type'} instead of JSON (HTTP ${status}): "${preview(res.body)}"`,
      httpStatus: status,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString('utf8'));
  } catch {
    return { kind: 'invalid_response', reason: `${res.url} answered invalid JSON: "${preview(res.body)}"`, httpStatus: status };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { kind: 'invalid_response', reason: `${res.url} answered JSON that is not an object`, httpStatus: status };
  }
  // One document per run: zod's eval-compiled fast path costs more to build than it saves (src/matrix/load.ts).
  const parsed = versionDocumentSchema.safeParse(json, { jitless: true });
  if (!parsed.success) {
    return {
      kind: 'invalid_response',
      reason: `the version document is invalid: ${describeIssue(parsed.error, json)}`,
      httpStatus: status,
    };
  }
  return {
    kind: 'document',
    document: parsed.data,
    headers: { schemaRevision: seen.revision, serverVersion: seen.version },
  };
}

/** Is this a JSON content type (`application/json`, `application/problem+json`…; parameters allowed)? */
export function isJsonContentType(type: string | undefined): boolean {
  return /^application\/([a-z0-9.+-]*\+)?json\b/i.test((type ?? '').trim());
}

/**
 * A maintenance-mode answer (docs/protocol.md §1.7): HTTP 503 with a JSON body `{"error": "migrating", …}`. Any
 * call can get one while the server migrates, so the passive check reads it too. Null for any other answer.
 */
export function maintenance(res: Pick<HttpResponse, 'status' | 'headers' | 'body'>): Extract<Observation, { kind: 'migrating' }> | null {
  if (res.status !== 503 || res.body.length === 0 || res.body.length > 65_536) return null;
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString('utf8'));
  } catch {
    return null;
  }
  if (json === null || typeof json !== 'object' || (json as { error?: unknown }).error !== 'migrating') return null;
  const progress = migrationProgressSchema.safeParse((json as { migration_progress?: unknown }).migration_progress);
  const retryAfterMs = parseRetryAfter(res.headers);
  return {
    kind: 'migrating',
    httpStatus: 503,
    progress: progress.success ? progress.data : null,
    ...(retryAfterMs === null ? {} : { retryAfterMs }),
  };
}

/**
 * One-shot commands do not retry (a CI gate should answer now, and a retry
 * loop would add load to a server that asked for less): the remedy passes on
 * how long the server asked to wait. Only `server upgrade`'s poll honours it.
 */
function retryAfterRemedy(status: number, retryAfterMs: number | null, url: string, endpoint: string): string {
  const wait = retryAfterMs === null ? null : secondsUp(retryAfterMs);
  if (status === 429)
    return wait ? `Wait ${wait} (the server's Retry-After) and run the command again` : 'Wait a moment and run the command again';
  const server = serverAt(url, endpoint);
  return wait
    ? `The server asks to retry after ${wait} (Retry-After); if ${server} stays down, check its logs`
    : `Check the logs of ${server}, or try again when it is back`;
}

/**
 * `Retry-After` in ms: delay-seconds, or an HTTP date measured against the
 * response's own `Date` header (so a skewed local clock does not matter;
 * without one, against this machine's clock). Null when absent or unparsable.
 */
export function parseRetryAfter(headers: HttpResponse['headers'], now: number = Date.now()): number | null {
  const value = headerValue(headers, 'retry-after')?.trim();
  if (!value) return null;
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1000;
  const at = parseHttpDate(value, now);
  if (at === null) return null;
  const sent = parseHttpDate(headerValue(headers, 'date'), now);
  return Math.max(0, at - (sent ?? now));
}

function describeIssue(error: z.core.$ZodError, input: unknown): string {
  const issue = error.issues[0];
  if (!issue) return 'unknown problem';
  const path = issue.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
  // zod 4 leaves `issue.input` out unless asked: whether the field is there is read from the document itself.
  const missing = valueAt(input, issue.path) === undefined;
  let message = issue.message;
  if (missing && issue.path.length > 0) message = 'is missing';
  else if (issue.code === 'invalid_type') message = `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
  else if (issue.code === 'invalid_union' && path === 'server_version') message = 'must be a semver version such as 1.4.0, or "dev"';
  return `${path || 'document'} ${message.startsWith('must') || message.startsWith('is') ? message : `: ${message}`}`;
}

/** The value at a zod issue's path inside the parsed JSON (own properties only), or undefined. */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || typeof key === 'symbol' || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

/** The first characters of a body, whitespace collapsed, for an error message (sanitized later, at render). */
function preview(body: Buffer): string {
  const text = body.subarray(0, 512).toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** What the headers of one response say about the server; every value validated, null when absent or malformed. */
export interface VersionHeaders {
  revision: string | null;
  version: string | null;
  /** HTTP 426: the server refuses this CLI. */
  rejected: boolean;
  /** With a 426: the CLI version it requires (validated semver), or null. */
  requiredCliVersion: string | null;
}

/**
 * Reads the revision and version headers of a response (pure): the one reader of them, for the
 * version endpoint, the passive check and doctor. Only well-formed values count: a header can never inject
 * text into a warning or a command.
 */
export function readVersionHeaders(
  statusCode: number,
  headers: HttpResponse['headers'],
  names: Pick<Matrix['doc']['headers'], 'schema_revision' | 'server_version' | 'required_cli_version'>,
): VersionHeaders {
  const revision = headerValue(headers, names.schema_revision)?.trim();
  const version = headerValue(headers, names.server_version)?.trim();
  const rejected = statusCode === 426;
  return {
    revision: revision && REVISION_PATTERN.test(revision) ? revision : null,
    version: version && (version === DEV_VERSION || semver.valid(version)) ? (semver.valid(version) ?? version) : null,
    rejected,
    requiredCliVersion: rejected ? semver.valid(headerValue(headers, names.required_cli_version)?.trim() ?? '') : null,
  };
}
