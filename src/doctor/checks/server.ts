import semver from 'semver';
import { ErrorCode } from '../../errors.js';
import { readVersionHeaders } from '../../handshake/observe.js';
import { type Hint, hint, type Source } from '../../hint.js';
import { parseHttpDate } from '../../http-date.js';
import type { Matrix } from '../../matrix/load.js';
import { cliInstallCommand } from '../../matrix/templates.js';
import type { StatusReport } from '../../session/session.js';
import { plural, pluralWord, roughDuration, shortList } from '../../text.js';
import { classifyError } from '../../transport/errors.js';
import { type HttpResponse, headerValue } from '../../transport/request.js';
import { isLoopback, redactUrl } from '../../url.js';
import { featureHint, featureSpecs } from '../../verdict/features.js';
import { type Findings, INCONSISTENT_REJECTION, inconsistentRejection } from '../../verdict/verdict.js';
import type { DoctorContext, HttpProbe, VersionProbe } from '../context.js';
import type { CheckOutcome, CheckStatus, DoctorCheck, Words } from '../framework.js';
import { describeProxy, readProxySettings, routeFor } from '../proxy.js';
import { SECTION } from './sections.js';

/** Clock skew beyond this is a warning. */
export const MAX_CLOCK_SKEW_MS = 60_000;
/** A certificate expiring sooner than this is a warning. */
export const CERT_WARN_DAYS = 14;

type Target = { url: URL; name: string | null; source: Source; matrix: Matrix };
type Run = (ctx: DoctorContext, target: Target, signal: AbortSignal) => Promise<CheckOutcome>;

const skip = (detail: Words, fix: Hint | null = null): CheckOutcome => ({ status: 'skip', detail, hint: fix });

/** The fix an error carries, as data or words: `src/render/` says it in the host's words. */
const fixOf = (x: { hint?: Hint | null; remedy?: string | null }): Pick<CheckOutcome, 'hint' | 'remedy'> => ({
  hint: x.hint ?? null,
  remedy: x.remedy ?? null,
});

const EXAMPLE_SERVER = 'https://your-server.example.com';

/**
 * Words with values in them, `{0}`, `{1}`… in `text`: a value is a part, never read as a placeholder. Where the server
 * came from (`--server`, the variable) is data (`hint.source`), said by `src/render/` in the host's words.
 */
const words = (text: string, ...values: Array<string | Hint>): Hint =>
  hint.say(text, ...values.map((v) => (typeof v === 'string' ? hint.text(v) : v)));

/**
 * A server check: skipped with the reason when network checks are off, no
 * server is configured or the matrix cannot be read; the first check
 * (`primary`) carries the remedy, so it is said once.
 */
function serverCheck(id: string, title: string, run: Run, primary = false): DoctorCheck<DoctorContext> {
  return {
    id,
    title,
    section: SECTION.server,
    async run(ctx, signal) {
      if (!ctx.network) return skip(hint.flag('no-network', undefined, 'not checked: network checks are off ({flag})'));
      const s = ctx.server;
      if (s.kind === 'none') {
        return skip(
          'not checked: no server configured',
          primary
            ? hint.say(
                'Pass {0}, {1}, or save one: {2}',
                hint.flag('server', EXAMPLE_SERVER),
                hint.variable('SERVER', { example: EXAMPLE_SERVER }),
                hint.run(['server', 'add', 'prod', EXAMPLE_SERVER]),
              )
            : null,
        );
      }
      if (s.kind === 'invalid') {
        return primary
          ? {
              status: 'fail',
              detail: words(`{0}; server from {1}${s.configFile ? ' (config file)' : ''}`, s.error.message, hint.source(s.source)),
              ...fixOf(s.error),
            }
          : skip('not checked: the server URL is invalid');
      }
      if (!ctx.requestMatrix) return skip('not checked: no valid compat matrix');
      return run(ctx, { url: s.url, name: s.name, source: s.source, matrix: ctx.requestMatrix }, signal);
    },
  };
}

/** Why a check that needs the version document has none. */
function notChecked(p: VersionProbe): string {
  const o = p.observation;
  switch (o.kind) {
    case 'document':
      return '';
    case 'unreachable':
      return p.response
        ? `not checked: the server answered HTTP ${p.response.status} (see Reachable)`
        : 'not checked: the server could not be reached';
    case 'unauthorized':
      return `not checked: the version endpoint refused the request (HTTP ${o.httpStatus}; see Verdict)`;
    case 'not_found':
      return 'not checked: the server has no version endpoint (see Verdict)';
    case 'invalid_response':
      return "not checked: the version endpoint's answer is invalid (see Verdict)";
    case 'cli_rejected':
      return 'not checked: the server refused this CLI (HTTP 426; see CLI window)';
    case 'migrating':
      return 'not checked: the server is applying its migrations (see Verdict)';
  }
}

const SEVERITY_STATUS: Record<'ok' | 'warn' | 'error', CheckStatus> = { ok: 'pass', warn: 'warn', error: 'fail' };

/** Server health: reachability, TLS, versions, migrations, the verdict, header drift, clock skew, the CLI window. */
export function serverChecks(): DoctorCheck<DoctorContext>[] {
  return [
    serverCheck('server.reachable', 'Reachable', reachable, true),
    serverCheck('server.tls', 'TLS', tls),
    serverCheck('server.version', 'Server version', serverVersion),
    serverCheck('server.schema', 'Schema revision', schemaRevision),
    serverCheck('server.migrations', 'Migrations', migrations),
    serverCheck('server.verdict', 'Verdict', verdict),
    serverCheck('server.features', 'Features', features),
    serverCheck('server.auth', 'Authentication', authentication),
    serverCheck('server.cli_window', 'CLI window', cliWindow),
    serverCheck('server.headers', 'Header drift', headerDrift),
    serverCheck('server.clock', 'Clock skew', clockSkew),
  ];
}

const reachable: Run = async (ctx, t) => {
  const p = await ctx.versionProbe();
  const base = t.name ? `"${t.name}" ${redactUrl(t.url)}` : redactUrl(t.url);
  const from = hint.source(t.source);
  const facts = { Server: words('{0} (from {1})', base, from) };
  if (p.error || !p.response) {
    return {
      status: 'fail',
      detail: words('{0}; server URL from {1}', p.error?.message ?? 'no answer', from),
      ...(p.error ? fixOf(p.error) : {}),
      facts,
    };
  }
  const status = p.response.status;
  const answered = words(
    '{0} (from {1}): {2} answered HTTP {3} in {4} ms',
    base,
    from,
    t.matrix.doc.version_endpoint,
    `${status}`,
    `${p.elapsedMs}`,
  );
  if (p.observation.kind === 'unreachable') {
    const why =
      status === 429 ? ': too many requests' : status >= 502 && status <= 504 ? ': the server behind the proxy is down or restarting' : '';
    return { status: 'fail', detail: words(`{0}${why}`, answered), ...fixOf(p.observation), facts };
  }
  if (p.observation.kind === 'not_found') {
    // Something answers, but not the server's API at this URL (a prefix that doubles /api, a wrong base): that is not "reachable".
    const report = await ctx.report();
    const url = p.observation.url ?? p.url;
    return {
      status: 'fail',
      detail: words('{0} (from {1}): {2} answered HTTP {3}: no version endpoint there', base, from, url, `${status}`),
      hint: report?.hint ?? null,
      facts,
    };
  }
  if (p.elapsedMs > ctx.timeoutMs / 2) {
    return {
      status: 'warn',
      detail: words(`{0}, over half of the ${ctx.timeoutMs} ms timeout`, answered),
      hint: hint.flag('timeout', 'MS', 'Check the load on the server and the network path to it, or allow more time with {flag}'),
      facts,
    };
  }
  return { status: 'pass', detail: answered, facts };
};

const tls: Run = async (ctx, t) => {
  const { url } = t;
  if (url.protocol === 'http:') {
    return isLoopback(url)
      ? skip('not used: plain http to a loopback address')
      : {
          status: 'warn',
          detail: `not used: ${redactUrl(url)} is plain http, so the token and data cross the network unencrypted`,
          hint: hint.flag('server', undefined, "Use the server's https:// URL in {flag}"),
        };
  }
  const route = routeFor(url, readProxySettings(ctx.env));
  if (route.via === 'proxy') {
    return skip(
      `not inspected: requests go through the proxy ${describeProxy(route.proxy).text}; the certificate is still verified on every request (see Reachable)`,
    );
  }
  const probe = await ctx.tlsProbe();
  if (probe.kind === 'error') {
    // Not reaching the port at all is Reachable's failure to report; this check speaks for TLS itself.
    if (probe.error.code !== ErrorCode.Tls) return skip('not checked: the server could not be reached');
    return { status: 'fail', detail: probe.error.message, ...fixOf(probe.error) };
  }
  const protocol = probe.protocol ?? 'TLS';
  if (!probe.authorized) {
    const code = probe.authorizationError ?? 'UNKNOWN';
    const err = classifyError(Object.assign(new Error(code), { code }), {
      url: redactUrl(url),
      timeoutMs: ctx.timeoutMs,
      timedOut: false,
      aborted: false,
    });
    return {
      status: 'fail',
      detail: `${err.message} (${code}; issuer ${probe.issuer ?? 'unknown'})`,
      ...fixOf(err),
    };
  }
  if (probe.hostnameError) {
    return {
      status: 'fail',
      detail: `${protocol}: ${probe.hostnameError}`,
      hint: hint.flag('server', undefined, 'Use the host name the certificate was issued for in {flag}'),
    };
  }
  const issued = `issued by ${probe.issuer ?? 'an unnamed issuer'}`;
  if (probe.validToMs === null) return { status: 'pass', detail: `${protocol}, ${issued}` };
  const days = Math.floor((probe.validToMs - ctx.now()) / 86_400_000);
  const date = new Date(probe.validToMs).toISOString().slice(0, 10);
  const detail = `${protocol}, ${issued}, expires in ${plural(days, 'day')} (${date})`;
  if (days < 0) return { status: 'fail', detail: `${protocol}, ${issued}, expired on ${date}`, remedy: 'Renew the server certificate' };
  if (days < CERT_WARN_DAYS) return { status: 'warn', detail, remedy: 'Renew the server certificate before it expires' };
  if (protocol === 'TLSv1' || protocol === 'TLSv1.1') {
    return { status: 'warn', detail, remedy: 'Enable TLS 1.2 or 1.3 on the server' };
  }
  return { status: 'pass', detail };
};

/**
 * The checks below read the judge's findings (src/verdict/verdict.ts) for the version document, said for
 * the server that was checked: no second copy of a verdict rule lives in doctor. Each check speaks for
 * one finding; the Verdict row says which one decided.
 */
async function withJudgement(ctx: DoctorContext, run: (r: StatusReport, f: Findings) => CheckOutcome): Promise<CheckOutcome> {
  if (!ctx.matrix.ok) return skip('not checked: the compat matrix is invalid (see Compat matrix)');
  const [p, report] = await Promise.all([ctx.versionProbe(), ctx.report()]);
  if (!report?.findings) return skip(notChecked(p));
  return run(report, report.findings);
}

const serverVersion: Run = (ctx) =>
  withJudgement(ctx, (r, f) => {
    const d = ctx.versionDocument();
    const facts: Record<string, string> = { 'Server version': f.server.reported };
    if (r.deployment) facts.Deployment = r.deployment;
    const extra = [r.deployment ? `deployment ${r.deployment}` : null, d?.api_version ? `API ${d.api_version}` : null].filter(Boolean);
    const v = `${f.server.reported}${extra.length ? ` (${extra.join(', ')})` : ''}`;
    const range = f.server.range;
    switch (f.server.status) {
      case 'dev':
        return {
          status: 'warn',
          detail: `dev: an unversioned development build${extra.length ? ` (${extra.join(', ')})` : ''}; its place in the window cannot be checked`,
          remedy: 'Run a released server version to check compatibility',
          facts,
        };
      case 'server_outdated':
        return { status: 'fail', detail: `${v} is older than this CLI supports (${range})`, hint: UPGRADE_HINT, facts };
      case 'server_newer':
        return {
          status: 'warn',
          detail: `${v} is newer than this CLI knows (${range})`,
          remedy: 'Upgrade this CLI (see CLI › Version)',
          facts,
        };
      case 'ok':
        return { status: 'pass', detail: `${v}, inside this CLI's window ${range}`, facts };
    }
  });

const schemaRevision: Run = (ctx) =>
  withJudgement(ctx, (r, f) => {
    const d = ctx.resolution.matrix.ok ? ctx.resolution.matrix.matrix.doc : null;
    const rev = f.schema.revision;
    if (!rev || !d) {
      return {
        status: 'warn',
        detail: 'the server does not report a schema revision, so its schema cannot be checked',
        remedy: 'Ask the server operator to report schema_revision on the version endpoint',
      };
    }
    const facts = { 'Schema revision': rev };
    const p = f.schema.placement;
    const release = f.schema.release ? `, introduced by release ${f.schema.release}` : '';
    if (f.release?.ahead) {
      return {
        status: 'fail',
        detail: `${rev}${release}: newer than server ${f.server.reported} includes (${r.status})`,
        hint: r.hint,
        facts,
      };
    }
    switch (f.schema.status) {
      case 'unknown':
        return f.server.covered
          ? {
              status: 'warn',
              detail: `${rev} is not in this CLI's chain, though it covers release ${f.server.reported}: the schema diverged or was never stamped`,
              hint: r.status === 'schema_unknown' ? r.hint : null,
              facts,
            }
          : {
              status: 'warn',
              detail: `${rev} is not in this CLI's chain (the server is ahead of this CLI)`,
              remedy: 'Upgrade this CLI (see CLI › Version)',
              facts,
            };
      case 'predates':
        return {
          status: 'fail',
          detail: `${rev} predates this CLI's chain (release ${f.server.reported} is older than its first release); this CLI needs ${d.min_schema_revision}`,
          hint: UPGRADE_HINT,
          facts,
        };
      case 'behind_min': {
        const behind = p?.known ? -p.distance : 0;
        return {
          status: 'fail',
          detail: `${rev} is ${plural(behind, 'revision')} behind ${d.min_schema_revision}, which this CLI needs`,
          hint: UPGRADE_HINT,
          facts,
        };
      }
      case 'past_max':
        return {
          status: 'fail',
          detail: `${rev} is past ${d.max_schema_revision}, the newest revision this CLI works with`,
          hint: r.hint,
          facts,
        };
      default: {
        const at = p?.known ? `${p.index + 1} of ${d.schema_chain.length} known` : 'known';
        return { status: 'pass', detail: `${rev} (${at}${release}; this CLI needs ${d.min_schema_revision} or later)`, facts };
      }
    }
  });

const migrations: Run = (ctx) =>
  withJudgement(ctx, (r, f) => {
    const pending = f.migrations.pending.map((m) => m.revision);
    const pendingText = pending.length ? `${pending.length} pending: ${shortList(pending)}` : 'none pending';
    const runner = f.runner.status ? `; runner ${f.runner.status}` : '';
    if (f.runner.status === 'failed') {
      return { status: 'fail', detail: `the server's migration runner reports "failed" (${pendingText})`, hint: r.hint };
    }
    if (f.runner.status === 'running') {
      return { status: 'fail', detail: `migrations are running (${r.message})`, hint: r.hint };
    }
    const missing = f.release?.missing ?? [];
    if (missing.length) {
      return {
        status: 'fail',
        detail: `${plural(missing.length, 'migration')} of release ${f.server.reported} never ran (${shortList(missing)}); ${pendingText}`,
        hint: UPGRADE_HINT,
      };
    }
    if (f.migrations.counted.length) return { status: 'fail', detail: `${pendingText}${runner}`, hint: UPGRADE_HINT };
    if (pending.length) return { status: 'warn', detail: `${pendingText} (of later releases, not the one it runs)${runner}`, remedy: null };
    const background = f.runner.background ? `; ${f.runner.background} background migrations still running` : '';
    return { status: background ? 'warn' : 'pass', detail: `${pendingText}${runner}${background}` };
  });

/** How to set the token: the one secret-variable remedy (src/hint.ts). */
const TOKEN_HINT = hint.variable('TOKEN', { secret: true });

/** `server upgrade` for the server that was checked. */
const UPGRADE_HINT = hint.run(['server', 'upgrade'], { forServer: true });

const verdict: Run = async (ctx) => {
  if (!ctx.matrix.ok) return skip('not checked: the compat matrix is invalid (see Compat matrix)');
  const p = await ctx.versionProbe();
  if (p.observation.kind === 'unreachable') return skip(notChecked(p));
  const report = await ctx.report();
  if (!report) return skip(notChecked(p));
  return {
    status: SEVERITY_STATUS[report.severity],
    detail: `${report.status}: ${report.message}`,
    hint: report.hint,
    facts: { Verdict: report.status },
  };
};

/** The matrix's features on this server (docs/matrix.md "Features"): a warning names those it lacks and why. */
const features: Run = async (ctx, t) => {
  const names = Object.keys(featureSpecs(t.matrix));
  if (names.length === 0) return skip('not checked: the compat matrix declares no features');
  const p = await ctx.versionProbe();
  const report = await ctx.report();
  if (!report?.findings) return skip(notChecked(p));
  const missing = report.findings.features.filter((f) => !f.available);
  const first = missing[0];
  if (!first) return { status: 'pass', detail: `available on this server: ${names.join(', ')}` };
  return {
    status: 'warn',
    detail: `unavailable on this server (commands that need them stop before they send anything): ${missing.map((f) => `${f.name} (${f.reason})`).join('; ')}`,
    hint: featureHint(first, report.findings.server.version),
  };
};

/**
 * Authentication is judged on a request that needs a token: first without one (a 401/403 proves the
 * route needs one), then with the token. A route that answers without a token proves nothing about the
 * token, and says so, so a wrong token never passes.
 */
const authentication: Run = async (ctx) => {
  const server = ctx.server.kind === 'ok' ? ctx.server : null;
  const anon = await ctx.authProbe(false);
  const where = `GET ${ctx.authPath}`;
  if (!anon.response) return skip('not checked: the server could not be reached');
  const status = anon.response.status;
  if (status === 426) return skip('not checked: the server refused this CLI (HTTP 426; see CLI window)');
  if (status !== 401 && status !== 403) {
    return skip(
      `not tested: ${where} answered HTTP ${status} without a token, so it cannot tell a valid token from a wrong one${server?.token ? ' (a token is set)' : ''}`,
    );
  }
  if (!server?.token) {
    return {
      status: 'fail',
      detail: `${where} needs a token (HTTP ${status} without one), and none is set`,
      hint: TOKEN_HINT,
    };
  }
  const authed = await ctx.authProbe(true);
  const code = authed.response?.status ?? null;
  if (code === 401 || code === 403) {
    return {
      status: 'fail',
      detail: `the server refused the token (from ${server.tokenSource}) on ${where} (HTTP ${code}): it is invalid, expired or lacks access`,
      // A stored token is fixed where it is stored: a variable would only hide it, and every later command without it fails again.
      hint:
        server.tokenStored && server.name
          ? hint.steps(
              hint.text('Store the right token for this server (it prompts for it, or reads it from stdin)'),
              hint.run(['server', 'add', server.name, redactUrl(server.url)], { args: [{ flag: 'with-token' }] }),
            )
          : TOKEN_HINT,
    };
  }
  if (code === null) return skip('not checked: the request with the token got no answer');
  return { status: 'pass', detail: `${where} needs a token and accepted the one from ${server.tokenSource} (HTTP ${code})` };
};

/** The CLI version a 426 named, if this response is one (the one reader of version headers). */
function rejection(res: HttpResponse | null, matrix: Matrix): { required: string | null } | null {
  const seen = res ? readVersionHeaders(res.status, res.headers, matrix.doc.headers) : null;
  return seen?.rejected ? { required: seen.requiredCliVersion } : null;
}

const cliWindow: Run = async (ctx, t) => {
  if (!ctx.matrix.ok) return skip('not checked: the compat matrix is invalid (see Compat matrix)');
  const matrix = ctx.matrix.matrix;
  const [vp, ap] = await Promise.all([ctx.versionProbe(), ctx.apiProbe()]);
  const v = ctx.cli.version;
  const install = (version: string) => cliInstallCommand(matrix.doc, ctx.cli.installMethod, version);
  const refused =
    (vp.observation.kind === 'cli_rejected' ? { where: 'the version endpoint', required: vp.observation.requiredVersion } : null) ??
    ((r) => (r ? { where: `GET ${ctx.healthPath}`, required: r.required } : null))(rejection(ap.response, t.matrix));
  if (refused?.required && inconsistentRejection(refused.required, v)) {
    return {
      status: 'fail',
      detail: `the server refused CLI ${v} with HTTP 426 on ${refused.where}, yet requires ${refused.required} or newer, which this CLI is: the server's CLI check contradicts itself`,
      hint: INCONSISTENT_REJECTION,
    };
  }
  if (refused) {
    return {
      status: 'fail',
      detail: `the server refused CLI ${v} with HTTP 426 on ${refused.where}${refused.required ? `; it requires ${refused.required} or newer` : ''}`,
      remedy: install(refused.required ?? 'latest'),
    };
  }
  if (vp.observation.kind !== 'document') return skip(notChecked(vp));
  const report = await ctx.report();
  const f = report?.findings;
  if (!f) return skip(notChecked(vp));
  const { min, max } = f.cli;
  const window = min && max ? `${min} to ${max}` : min ? `${min} or newer` : max ? `up to ${max}` : null;
  if (!window) return { status: 'pass', detail: 'not enforced: no min_cli_version or max_cli_version, and no 426' };
  if (f.cli.status !== 'ok') {
    const older = f.cli.status === 'cli_outdated';
    return {
      status: 'fail',
      detail: `CLI ${v} is ${older ? 'older' : 'newer'} than the server accepts (${window})`,
      hint: report.hint,
    };
  }
  const rec = f.cli.recommended;
  if (rec && semver.gt(rec, v)) {
    return { status: 'warn', detail: `CLI ${v} is accepted (${window}), but the server recommends ${rec}`, remedy: install(rec) };
  }
  return { status: 'pass', detail: `CLI ${v} is inside the server's window (${window})` };
};

const headerDrift: Run = async (ctx, t) => {
  const [vp, ap] = await Promise.all([ctx.versionProbe(), ctx.apiProbe()]);
  if (!vp.response && !ap.response) return skip('not checked: the server could not be reached');
  if (vp.observation.kind !== 'document') return skip('not checked: no version document to compare with');
  const doc = vp.observation.document;
  const names = t.matrix.doc.headers;
  const seen = [
    { where: `GET ${ctx.healthPath}`, res: ap.response },
    { where: 'the version endpoint', res: vp.response },
  ].flatMap(({ where, res }) => {
    if (!res) return [];
    // What a header says, as the passive check reads it; a value it would refuse is drift too, shown as sent.
    const read = readVersionHeaders(res.status, res.headers, names);
    const raw = (name: string) => headerValue(res.headers, name)?.trim() ?? null;
    return [{ where, rev: raw(names.schema_revision), ver: raw(names.server_version), readVer: read.version }];
  });
  const anyRev = seen.some((s) => s.rev !== null);
  const anyVer = seen.some((s) => s.ver !== null);
  const middleware = "Send them on every API response (the server helpers' headers middleware does), so every CLI call notices drift";
  if (!anyRev && !anyVer) {
    return {
      status: 'warn',
      detail: `server does not send revision headers (${names.schema_revision}, ${names.server_version})`,
      remedy: middleware,
    };
  }
  // Group what each response sent by (header, value), so two responses saying the same thing make one statement.
  const claims = new Map<string, { header: string; value: string; expected: string; where: string[] }>();
  for (const s of seen) {
    const pairs: Array<[string, string | null, string, boolean]> = [
      [names.schema_revision, s.rev, doc.schema_revision ?? 'none', s.rev !== null && s.rev !== (doc.schema_revision ?? '')],
      [names.server_version, s.ver, doc.server_version, s.ver !== null && (s.readVer ?? s.ver) !== doc.server_version],
    ];
    for (const [header, value, expected, differs] of pairs) {
      if (!differs || value === null) continue;
      const key = `${header}\n${value}`;
      const claim = claims.get(key) ?? { header, value, expected, where: [] };
      claim.where.push(s.where);
      claims.set(key, claim);
    }
  }
  const drift = [...claims.values()].map(
    (c) =>
      `${c.where.join(' and ')} ${pluralWord(c.where.length, 'sends', 'send')} ${c.header} ${c.value}, the version document says ${c.expected}`,
  );
  if (drift.length) {
    return {
      status: 'warn',
      detail: drift.join('; '),
      remedy:
        'If an upgrade just finished, run doctor again in a minute; otherwise check that every replica behind the load balancer runs one version',
    };
  }
  const missing = [!anyRev && doc.schema_revision ? names.schema_revision : null, !anyVer ? names.server_version : null].filter(
    (x): x is string => x !== null,
  );
  const sent = [anyRev ? names.schema_revision : null, anyVer ? names.server_version : null].filter((x): x is string => x !== null);
  if (missing.length) {
    return { status: 'warn', detail: `the server sends ${sent.join(' and ')} but not ${missing.join(' or ')}`, remedy: middleware };
  }
  const on = ap.response ? `GET ${ctx.healthPath}` : 'the version endpoint';
  return { status: 'pass', detail: `${sent.join(' and ')} on ${on} match the version document` };
};

const clockSkew: Run = async (ctx) => {
  const [vp, ap] = await Promise.all([ctx.versionProbe(), ctx.apiProbe()]);
  const answered = [vp, ap].filter((p): p is HttpProbe & { response: HttpResponse } => p.response !== null);
  if (answered.length === 0) return skip('not checked: the server could not be reached');
  const withDate = answered.find((p) => headerValue(p.response.headers, 'date'));
  const date = withDate ? headerValue(withDate.response.headers, 'date') : undefined;
  if (!withDate || !date) return skip('not checked: the server sends no Date header');
  // Only a real HTTP date: Date.parse reads `Date: -1` as the year -1.
  const serverMs = parseHttpDate(date, withDate.localTime);
  if (serverMs === null) return skip(`not checked: the Date header "${date}" is not an HTTP date`);
  // `Date` has one-second resolution: it is truncated, so the server's clock reads up to 1 s later than it says.
  const skew = serverMs + 500 - withDate.localTime;
  const abs = Math.abs(skew);
  if (abs > MAX_CLOCK_SKEW_MS) {
    return {
      status: 'warn',
      detail: `the server's clock is ${roughDuration(abs)} ${skew > 0 ? 'ahead of' : 'behind'} this machine's (Date: ${date})`,
      remedy: 'Sync the clocks of this machine and the server (NTP): token expiry, certificates and logs depend on them',
    };
  }
  const s = Math.round(abs / 1000);
  return {
    status: 'pass',
    detail: s <= 1 ? 'in sync with this machine (within 1 s)' : `${roughDuration(abs)} ${skew > 0 ? 'ahead of' : 'behind'} this machine`,
  };
};
