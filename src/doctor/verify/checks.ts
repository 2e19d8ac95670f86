import semver from 'semver';
import type { z } from 'zod';
import { envName } from '../../env.js';
import { isJsonContentType, maintenance, parseRetryAfter } from '../../handshake/observe.js';
import { hint } from '../../hint.js';
import { CAPABILITY_PATTERN, REVISION_PATTERN } from '../../matrix/schema.js';
import { DEFAULT_HEADER_NAMES, ENDPOINT_PATH } from '../../protocol/defaults.js';
import { DEV_VERSION, type VersionDocument, versionDocumentSchema } from '../../protocol/version-document.js';
import { plural, shortList } from '../../text.js';
import { type HttpResponse, headerValue } from '../../transport/request.js';
import type { CheckOutcome, DoctorCheck } from '../framework.js';
import { ANCIENT_CLI, type Probe, type VerifyContext } from './context.js';
import type { ProtocolSection } from './sections.js';

/**
 * `server verify`'s checks (docs/protocol.md §1c): each verifies one section of the published protocol
 * against the live server, on the requests the context makes once, and says how the server's author fixes
 * what fails. A check whose section does not apply (no token set, no CLI window, not migrating, no admin
 * endpoint) is skipped, saying why.
 */

const skip = (detail: string): CheckOutcome => ({ status: 'skip', detail, remedy: null });
const pass = (detail: string): CheckOutcome => ({ status: 'pass', detail, remedy: null });
const fail = (detail: string, remedy: string | null): CheckOutcome => ({ status: 'fail', detail, remedy });
const warn = (detail: string, remedy: string | null): CheckOutcome => ({ status: 'warn', detail, remedy });

const UNREACHED = 'not checked: the server could not be reached (see the version endpoint)';

type Run = (ctx: VerifyContext) => Promise<CheckOutcome>;

/** The JSON object a response's body holds, or null (not JSON by type or by content, or not an object). */
function jsonObject(res: HttpResponse | null): Record<string, unknown> | null {
  if (!res || !isJsonContentType(headerValue(res.headers, 'content-type'))) return null;
  try {
    const value = JSON.parse(res.body.toString('utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The version document as the server sent it (raw JSON) and as the client parses it (null when invalid). */
async function documentOf(ctx: VerifyContext): Promise<{ raw: Record<string, unknown> | null; doc: VersionDocument | null }> {
  const p = await ctx.version();
  const raw = p.response?.status === 200 ? jsonObject(p.response) : null;
  const parsed = raw ? versionDocumentSchema.safeParse(raw) : null;
  return { raw, doc: parsed?.success ? parsed.data : null };
}

/** Runs only once the version endpoint answered at all. */
function reached(run: Run): Run {
  return async (ctx) => ((await ctx.version()).response ? run(ctx) : skip(UNREACHED));
}

/** `text/html` for a response's content type, or "no content type". */
function typeOf(res: HttpResponse): string {
  const type = headerValue(res.headers, 'content-type');
  return type ? (type.split(';')[0] ?? type).trim() : 'no content type';
}

/** The first characters of a value, for a detail (sanitized at render). */
function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

// §1 ---------------------------------------------------------------------------------------------------

const versionEndpoint: Run = async (ctx) => {
  const p = await ctx.version();
  const path = ctx.versionPath;
  if (!p.response) {
    // The transport's own fix (said in the host's words by src/render/).
    return {
      status: 'fail',
      detail: `${p.label}: ${p.error?.message ?? 'no answer'}`,
      remedy: p.error?.remedy ?? null,
      hint: p.error?.hint ?? null,
    };
  }
  const res = p.response;
  const status = res.status;
  const where = `${p.label} answered HTTP ${status}`;
  if (status === 401 || status === 403) {
    const open = 'Serve the version endpoint without authentication: a CLI reads it before it may use the API';
    const detail = `${where} ${ctx.token ? 'with the token' : 'without a token'}`;
    if (ctx.token) return fail(detail, open);
    return {
      status: 'fail',
      detail,
      remedy: null,
      hint: hint.steps(hint.text(`${open}; or set the token:`), hint.variable('TOKEN', { secret: true })),
    };
  }
  if (status === 404 || status === 405 || status === 410)
    return fail(
      `${where}: no version endpoint at ${path}`,
      `Serve the version document at GET ${path}, or name the path your server uses in compat.json's version_endpoint`,
    );
  if (status === 426)
    return fail(
      `${where}: the version endpoint refused this CLI`,
      'Never answer 426 on the version endpoint: it is how a CLI learns the window',
    );
  if (status === 503)
    return fail(
      `${where}`,
      'Keep the version endpoint answering 200 while migrating (its progress is read there); answer 503 on the other routes only',
    );
  if (status !== 200) return fail(`${where}, expected 200`, `Answer GET ${path} with 200 and the version document`);
  if (!isJsonContentType(headerValue(res.headers, 'content-type')))
    return fail(`${where} as ${typeOf(res)}, not JSON`, 'Send the version document with Content-Type: application/json');
  if (!jsonObject(res)) return fail(`${where} with a body that is not a JSON object`, 'Send the version document as one JSON object');
  const cache = headerValue(res.headers, 'cache-control');
  if (!cache || !/no-store|no-cache|max-age=0\b/i.test(cache))
    return warn(
      `${where} with a JSON object, but without Cache-Control: no-store (a proxy may keep an old document after a migration)`,
      'Send Cache-Control: no-store with the version document',
    );
  return pass(`${where} with a JSON object (${typeOf(res)})`);
};

// §1.1 -------------------------------------------------------------------------------------------------

/** One zod issue as `field message`. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const field =
    issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '') || 'document';
  if (issue.code === 'invalid_union') {
    if (field === 'server_version') return `${field} must be a semver version such as 1.4.0, or "dev"`;
    const inner = issue.errors.at(-1)?.[0];
    if (inner) return describeIssue({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue);
  }
  if (issue.code === 'invalid_value') return `${field} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'invalid_type') return `${field} must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
  return `${field} ${issue.message.startsWith('must') ? issue.message : `: ${issue.message}`}`;
}

/** The fields the protocol defines (docs/protocol.md §1.1). */
const KNOWN_FIELDS = new Set(Object.keys(versionDocumentSchema.shape));

const versionDocument: Run = reached(async (ctx) => {
  const { raw } = await documentOf(ctx);
  if (!raw) return skip('not checked: no JSON object from the version endpoint (see §1)');
  const parsed = versionDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(describeIssue);
    return fail(
      `the document is invalid, so every CLI reads it as invalid_response: ${shortList(problems, { max: 6, separator: '; ', beforeMore: '; ' })}`,
      "Fix those fields (types, enums and lengths as docs/protocol.md §1.1 lists them); validate the document against version-document.schema.json in your server's tests",
    );
  }
  const p = parsed.data.migration_progress;
  if (p && p.applied > p.total)
    return fail(
      `migration_progress says ${p.applied} applied of ${p.total}`,
      "Report applied ≤ total: this run's migrations applied, of how many",
    );
  const known = Object.keys(raw).filter((k) => KNOWN_FIELDS.has(k));
  const other = Object.keys(raw).filter((k) => !KNOWN_FIELDS.has(k));
  return pass(
    `valid: ${known.join(', ')}${other.length ? `; also ${other.slice(0, 5).join(', ')}${other.length > 5 ? '…' : ''} (not protocol fields: ignored by clients)` : ''}`,
  );
});

// §1.2 -------------------------------------------------------------------------------------------------

const serverVersion: Run = reached(async (ctx) => {
  const { raw } = await documentOf(ctx);
  if (!raw) return skip('not checked: no JSON object from the version endpoint (see §1)');
  const v = raw.server_version;
  const remedy = 'Report the release as MAJOR.MINOR.PATCH (1.4.2, 1.5.0-rc.1), or "dev" for an unversioned development build';
  if (v === undefined || v === null) return fail('server_version is missing: the one field every document must have', remedy);
  if (typeof v !== 'string') return fail(`server_version is ${show(v)}, not a string`, remedy);
  if (v === DEV_VERSION) return pass('dev: an unversioned development build (clients warn dev_server and cannot place it in a window)');
  const clean = v.length <= 256 ? semver.valid(v.trim()) : null;
  if (clean === null) return fail(`server_version ${show(v)} is not a semver version`, remedy);
  if (clean !== v)
    return warn(`server_version ${show(v)} is accepted as ${clean}`, `Report it as ${clean}, without a leading "v" or spaces`);
  return pass(`${v}: a semver version`);
});

const revisions: Run = reached(async (ctx) => {
  const { raw } = await documentOf(ctx);
  if (!raw) return skip('not checked: no JSON object from the version endpoint (see §1)');
  const ids: Array<{ where: string; value: unknown }> = [];
  if (raw.schema_revision !== undefined && raw.schema_revision !== null) ids.push({ where: 'schema_revision', value: raw.schema_revision });
  if (Array.isArray(raw.pending_migrations)) {
    raw.pending_migrations.forEach((m, i) => {
      const value = m !== null && typeof m === 'object' ? (m as { revision?: unknown }).revision : m;
      ids.push({ where: `pending_migrations[${i}]`, value });
    });
  }
  const progress = raw.migration_progress as { current?: unknown } | null | undefined;
  if (progress && typeof progress === 'object' && progress.current != null)
    ids.push({ where: 'migration_progress.current', value: progress.current });
  const bad = ids.filter((id) => typeof id.value !== 'string' || !REVISION_PATTERN.test(id.value));
  if (bad.length) {
    return fail(
      `not revision ids: ${shortList(bad, { max: 4, show: (b) => `${b.where} ${show(b.value)}` })}`,
      'Report each revision exactly as the migration tool records it: 1 to 256 printable characters, no control or format characters, no space at either end',
    );
  }
  if (raw.schema_revision === undefined || raw.schema_revision === null) {
    return warn(
      'no schema_revision: clients cannot place the database schema in their chain',
      'Report the revision the migration tool recorded in the database (alembic_version, django_migrations, schema_migrations…)',
    );
  }
  const pending = ids.length - 1 - (progress?.current != null ? 1 : 0);
  return pass(`schema_revision ${show(raw.schema_revision)}${pending > 0 ? `, ${pending} pending` : ''}: revision ids`);
});

// §1.3 -------------------------------------------------------------------------------------------------

const capabilities: Run = reached(async (ctx) => {
  const { raw } = await documentOf(ctx);
  if (!raw) return skip('not checked: no JSON object from the version endpoint (see §1)');
  const c = raw.capabilities;
  if (c === undefined || c === null) return pass('none advertised: no admin migration endpoint, no feature switched off');
  if (typeof c !== 'object' || Array.isArray(c))
    return fail(
      `capabilities is ${show(c)}, not an object: clients read it as no capabilities`,
      'Send capabilities as an object: {"migrate": "/path", "<feature>": false}',
    );
  const entries = Object.entries(c as Record<string, unknown>);
  const migrate = (c as { migrate?: unknown }).migrate;
  if (migrate !== undefined && migrate !== null && (typeof migrate !== 'string' || migrate.length > 2048 || !ENDPOINT_PATH.test(migrate))) {
    return fail(
      `capabilities.migrate is ${show(migrate)}, not a path`,
      "Set capabilities.migrate to the admin endpoint's absolute path, such as /api/v1/admin/migrations, or leave it out",
    );
  }
  const flags = entries.filter(([k]) => k !== 'migrate');
  const odd = flags.filter(([k, v]) => typeof v !== 'boolean' || !CAPABILITY_PATTERN.test(k));
  const said = [
    ...(typeof migrate === 'string' ? [`migrate at ${migrate}`] : []),
    ...flags.filter(([, v]) => typeof v === 'boolean').map(([k, v]) => `${k}: ${v}`),
  ];
  if (odd.length) {
    return warn(
      `feature flags clients ignore (a value other than true or false, or a key that is not a word of letters, digits and _ . -): ${odd
        .slice(0, 4)
        .map(([k, v]) => `${k}: ${show(v)}`)
        .join(', ')}`,
      'Name each feature flag with a word (letters, digits, _ . -; up to 64) and give it true or false (false: switched off on this server)',
    );
  }
  return pass(said.length ? said.join(', ') : 'an empty object');
});

// §1.4 -------------------------------------------------------------------------------------------------

/** Both headers on one response: present, valid, and saying what the document says. */
async function headersOn(ctx: VerifyContext, p: Probe | null): Promise<CheckOutcome> {
  if (!p) return skip(`not checked: no token is set (${envName(ctx.resolution.envPrefix, 'TOKEN')}), so no authenticated request was made`);
  if (!p.response) return fail(`${p.label}: ${p.error?.message ?? 'no answer'}`, null);
  const { doc } = await documentOf(ctx);
  const names = ctx.matrix.doc.headers;
  const renamed =
    names.schema_revision !== DEFAULT_HEADER_NAMES.schemaRevision || names.server_version !== DEFAULT_HEADER_NAMES.serverVersion
      ? " (the names this CLI's compat.json gives them)"
      : '';
  const res = p.response;
  const rev = headerValue(res.headers, names.schema_revision)?.trim() ?? null;
  const ver = headerValue(res.headers, names.server_version)?.trim() ?? null;
  const where = `${p.label} answered HTTP ${res.status}`;
  const missing = [
    ver === null ? names.server_version : null,
    rev === null && doc?.schema_revision !== null ? names.schema_revision : null,
  ].filter((x): x is string => x !== null);
  if (missing.length) {
    return fail(
      `${where} without ${missing.join(' or ')}${renamed}`,
      `Set ${names.schema_revision} and ${names.server_version} on every response, errors and HEAD included: in a middleware that runs before routing and authentication`,
    );
  }
  const problems: string[] = [];
  if (ver !== null && ver !== DEV_VERSION && semver.valid(ver) === null)
    problems.push(`${names.server_version} ${show(ver)} is not a semver version or "dev"`);
  if (rev !== null && !REVISION_PATTERN.test(rev)) problems.push(`${names.schema_revision} ${show(rev)} is not a revision id`);
  if (doc) {
    const readVer = ver === DEV_VERSION ? ver : (semver.valid(ver ?? '') ?? ver);
    if (ver !== null && readVer !== doc.server_version)
      problems.push(`${names.server_version} ${show(ver)} but the document says ${doc.server_version}`);
    if (rev !== null && rev !== (doc.schema_revision ?? ''))
      problems.push(`${names.schema_revision} ${show(rev)} but the document says ${doc.schema_revision ?? 'none'}`);
  }
  if (problems.length) {
    return fail(
      `${where}: ${problems.join('; ')}`,
      'Send in the headers what the version document reports, read from the same place: the applied revision from the database, the version from the release',
    );
  }
  const sent = [rev !== null ? `${names.schema_revision} ${rev}` : null, `${names.server_version} ${ver}`].filter(Boolean).join(' and ');
  return pass(`${where} with ${sent}${doc ? ', as the document says' : ''}${renamed}`);
}

// §1.6 -------------------------------------------------------------------------------------------------

const cliWindow: Run = reached(async (ctx) => {
  const { doc } = await documentOf(ctx);
  if (!doc) return skip('not checked: no valid version document (see §1.1)');
  const min = doc.min_cli_version;
  if (!min) return skip('not checked: the server declares no CLI window (min_cli_version)');
  if (!semver.gt(min, ANCIENT_CLI)) return skip(`not checked: min_cli_version ${min} leaves no older CLI to refuse`);
  if (doc.migration_status === 'running') return skip('not checked: the server is migrating, so its routes answer 503 (see §1.7)');
  const p = await ctx.oldCli();
  const names = ctx.matrix.doc.headers;
  const sent = `${p.label} with ${names.cli_version}: ${ANCIENT_CLI}`;
  const remedy = `Answer 426 with ${names.required_cli_version}: ${min} to every request but the version endpoint whose ${names.cli_version} is a version below ${min} (min_cli_version)`;
  if (!p.response) return fail(`${sent}: ${p.error?.message ?? 'no answer'}`, remedy);
  const res = p.response;
  // docs/protocol.md §1.6: enforcing is a SHOULD. A client reads min_cli_version from the document and
  // stops itself, so a server that lets an older CLI through is not broken, only less strict than it can be.
  if (res.status !== 426) return warn(`${sent} answered HTTP ${res.status}, not 426, though min_cli_version is ${min}`, remedy);
  const required = headerValue(res.headers, names.required_cli_version)?.trim();
  if (!required) return fail(`${sent} answered 426 without ${names.required_cli_version}`, remedy);
  const valid = semver.valid(required);
  if (!valid) return fail(`${sent} answered 426 with ${names.required_cli_version} ${show(required)}, not a semver version`, remedy);
  if (!semver.gt(valid, ANCIENT_CLI))
    return fail(`${sent} answered 426 requiring ${valid}, which the request's CLI already is: the check contradicts itself`, remedy);
  if (valid !== min)
    return warn(
      `${sent} answered 426 requiring ${valid}, but min_cli_version is ${min}`,
      `Name min_cli_version (${min}) in ${names.required_cli_version}`,
    );
  return pass(`${sent} answered 426 with ${names.required_cli_version}: ${valid}`);
});

// §1.7 -------------------------------------------------------------------------------------------------

const maintenanceMode: Run = reached(async (ctx) => {
  const { doc } = await documentOf(ctx);
  if (!doc) return skip('not checked: no valid version document (see §1.1)');
  if (doc.migration_status !== 'running')
    return skip(
      `not checked: the server is not migrating (migration_status ${doc.migration_status ?? 'not reported'}); it is checked while a run goes`,
    );
  const p = await ctx.health();
  const remedy =
    'While migrating, answer every route but the version endpoint with 503, Retry-After (seconds) and {"error": "migrating", "migration_progress": {…}}';
  if (!p.response) return fail(`${p.label}: ${p.error?.message ?? 'no answer'}`, remedy);
  const res = p.response;
  const where = `${p.label} answered HTTP ${res.status} while migration_status is running`;
  if (res.status !== 503) return fail(`${where}, not 503`, remedy);
  const problems = [
    parseRetryAfter(res.headers) === null ? 'no valid Retry-After' : null,
    maintenance(res) === null ? 'a body that is not {"error": "migrating", …}' : null,
  ].filter((x): x is string => x !== null);
  if (problems.length) return fail(`${where} with ${problems.join(' and ')}`, remedy);
  return pass(`${where}, Retry-After ${headerValue(res.headers, 'retry-after')}, {"error": "migrating"}`);
});

// §1.8 -------------------------------------------------------------------------------------------------

/** Every request the other checks make, once they are made: what the error-body checks look at. */
async function everyProbe(ctx: VerifyContext): Promise<Probe[]> {
  const { doc, raw } = await documentOf(ctx);
  const migrate = (raw?.capabilities as { migrate?: unknown } | undefined)?.migrate;
  await Promise.all([
    ctx.head(),
    ctx.notFound(),
    ctx.auth(),
    doc?.min_cli_version && semver.gt(doc.min_cli_version, ANCIENT_CLI) && doc.migration_status !== 'running' ? ctx.oldCli() : null,
    doc?.migration_status === 'running' ? ctx.health() : null,
    typeof migrate === 'string' && ENDPOINT_PATH.test(migrate) ? ctx.admin(migrate) : null,
  ]);
  return ctx.probes();
}

const HTML = /^\s*<(!doctype|html|head|body|\?xml)/i;

const errorBodies: Run = reached(async (ctx) => {
  const probes = await everyProbe(ctx);
  const nf = await ctx.notFound();
  const problems: string[] = [];
  let errors = 0;
  for (const p of probes) {
    const res = p.response;
    if (!res || p.method === 'HEAD') continue;
    const html = HTML.test(res.body.subarray(0, 256).toString('utf8')) || /html/i.test(typeOf(res));
    if (res.status < 400) {
      if (p === nf && html) problems.push(`${p.label} answered HTTP ${res.status} with an HTML page for a route no server has`);
      continue;
    }
    errors++;
    if (html) problems.push(`${p.label} answered HTTP ${res.status} as an HTML page`);
    else if (!isJsonContentType(headerValue(res.headers, 'content-type')))
      problems.push(`${p.label} answered HTTP ${res.status} as ${typeOf(res)}, not JSON`);
    else if (res.body.length > 0 && !jsonObject(res))
      problems.push(`${p.label} answered HTTP ${res.status} with a body that is not a JSON object`);
  }
  const remedy =
    'Answer every error with Content-Type: application/json and {"error": {"code", "message", "remedy"}}: replace the framework\'s and the proxy\'s HTML error pages';
  if (problems.length) return fail(problems.join('; '), remedy);
  if (nf.response && nf.response.status < 400)
    return warn(
      `${nf.label} answered HTTP ${nf.response.status} for a route no server has`,
      'Answer unknown API routes with 404 and a JSON error body',
    );
  if (errors === 0) return skip('not checked: no request got an error answer');
  return pass(`${plural(errors, 'error answer')} seen, each with a JSON body`);
});

const noEcho: Run = reached(async (ctx) => {
  const probes = await everyProbe(ctx);
  const echoed: string[] = [];
  let seen = 0;
  for (const p of probes) {
    if (!p.response || !p.sentToken) continue;
    seen++;
    const body = p.response.body.toString('utf8');
    if (body.includes(p.sentToken) || body.includes(encodeURIComponent(p.sentToken))) echoed.push(`${p.label} (HTTP ${p.response.status})`);
  }
  if (echoed.length) {
    return fail(
      `the body of ${echoed.join(', ')} repeats the token the request carried in Authorization`,
      'Never put request headers in a response body (error pages that dump the request do): the token ends up in CLI output and support tickets',
    );
  }
  if (seen === 0) return skip('not checked: no request carried a token');
  return pass(
    `none of the ${plural(seen, 'answer')} to a request with a token repeats it${ctx.token ? '' : ' (a made-up token, as none is set)'}`,
  );
});

// §1b --------------------------------------------------------------------------------------------------

const adminRefusals: Run = reached(async (ctx) => {
  const { raw, doc } = await documentOf(ctx);
  const migrate = (raw?.capabilities as { migrate?: unknown } | undefined)?.migrate;
  if (migrate === undefined || migrate === null)
    return skip('not checked: the server advertises no admin migration endpoint (capabilities.migrate)');
  if (typeof migrate !== 'string' || !ENDPOINT_PATH.test(migrate))
    return skip('not checked: capabilities.migrate is not a path (see §1.3)');
  const { anonymous, ordinary, after } = await ctx.admin(migrate);
  const problems: string[] = [];
  const notes: string[] = [];
  const refuse =
    'Check the credential before anything else and start nothing: no token → 401, the ordinary API token → 403; compare the admin token (a separate credential) in constant time';
  const judge = (p: Probe, expected: 401 | 403, who: string) => {
    if (!p.response) {
      problems.push(`${p.label} ${who}: ${p.error?.message ?? 'no answer'}`);
      return;
    }
    const s = p.response.status;
    if (s === expected) notes.push(`${who}: ${s}`);
    else if ((s === 401 || s === 403) && expected === 403)
      notes.push(`${who}: ${s} (403 expected: the token is known, it is not the admin's)`);
    else if (s === 404 || s === 405) problems.push(`${p.label} ${who} answered HTTP ${s}: the advertised endpoint is not served there`);
    else if (s === 403 && expected === 401) notes.push(`${who}: 403 (401 expected for a missing token)`);
    else problems.push(`${p.label} ${who} answered HTTP ${s}, not ${expected}: it got past the credential check`);
  };
  judge(anonymous, 401, 'without a token');
  if (ordinary) judge(ordinary, 403, 'with the ordinary token');
  else notes.push(`the ordinary token was not tried: none is set (${envName(ctx.resolution.envPrefix, 'TOKEN')})`);
  const afterDoc = jsonObject(after.response);
  const started = doc?.migration_status !== 'running' && afterDoc?.migration_status === 'running';
  if (started) problems.push('the version document says migration_status running after the refused requests: a run started');
  if (problems.length) return fail(problems.join('; '), refuse);
  const soft = notes.some((n) => n.includes('expected'));
  const detail = `POST ${migrate} ${notes.join(', ')}; nothing started`;
  return soft ? warn(detail, 'Answer 401 to a request without a token and 403 to the ordinary API token') : pass(detail);
});

/** Every check of `server verify`, in report order; `timeoutMs` is the per-request timeout. */
export function verifyChecks(timeoutMs: number, graceMs: number): DoctorCheck<VerifyContext>[] {
  const check = (id: string, section: ProtocolSection, title: string, run: Run, requests = 1): DoctorCheck<VerifyContext> => ({
    id,
    title,
    section,
    // A check that waits for several requests in a row may take as long as they do.
    timeoutMs: requests * timeoutMs + graceMs,
    run: (ctx) => run(ctx),
  });
  return [
    check('version.endpoint', '§1', 'Version endpoint', versionEndpoint),
    check('version.document', '§1.1', 'Version document', versionDocument),
    check('version.server_version', '§1.2', 'Server version', serverVersion),
    check('version.revisions', '§1.2', 'Revision ids', revisions),
    check('version.capabilities', '§1.3', 'Capabilities', capabilities),
    check('headers.version', '§1.4', 'On the version endpoint', (ctx) =>
      reached(async () => {
        const p = await ctx.version();
        return p.response?.status === 200 ? headersOn(ctx, p) : skip('not checked: the version endpoint did not answer 200 (see §1)');
      })(ctx),
    ),
    check('headers.not_found', '§1.4', 'On a 404', (ctx) => reached(async () => headersOn(ctx, await ctx.notFound()))(ctx), 2),
    check('headers.head', '§1.4', 'On a HEAD', (ctx) => reached(async () => headersOn(ctx, await ctx.head()))(ctx), 2),
    check('headers.auth', '§1.4', 'On an authenticated route', (ctx) => reached(async () => headersOn(ctx, await ctx.auth()))(ctx), 2),
    check('cli_window.426', '§1.6', 'A too-old CLI gets 426', cliWindow, 2),
    check('maintenance.503', '§1.7', 'Maintenance 503', maintenanceMode, 2),
    check('errors.json', '§1.8', 'JSON error bodies', errorBodies, 5),
    check('errors.no_echo', '§1.8', 'No token echoed', noEcho, 5),
    check('admin.refusals', '§1b', 'Admin endpoint refuses', adminRefusals, 4),
  ];
}
