import fc from 'fast-check';
import semver from 'semver';
import { quote } from 'shell-quote';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyResponse, type Observation } from '../../src/handshake/observe.js';
import { REVISION_PATTERN } from '../../src/matrix/schema.js';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import { formatCompatReport } from '../../src/render/report.js';
import { formatPlan, formatPollState, formatStatus } from '../../src/render/server.js';
import { createStyle } from '../../src/render/style.js';
import { readVersionHeaders } from '../../src/session/checked-client.js';
import { buildReport } from '../../src/session/session.js';
import { planUpgrade } from '../../src/upgrade/plan.js';
import { describeState } from '../../src/upgrade/poll.js';
import { SEVERITY, STATUSES } from '../../src/verdict/verdict.js';
import { rawControls } from '../helpers/hostile.js';
import { saidVerdict as computeVerdict, matrixWith } from '../helpers/matrix.js';
import {
  cliContext,
  evilString,
  fuzzCases,
  fuzzParams,
  httpResponse,
  httpStatus,
  responseHeaders,
  versionDocument,
} from './arbitraries.js';

afterAll(() => {
  if (process.env.FUZZ_SCALE) console.log(`fuzz: ${fuzzCases()} cases in ${import.meta.url.split('/').pop()}`);
});

/**
 * Whatever a server sends, parsing it and judging it return a typed result
 * and never throw; every value that reaches a command was validated; every
 * formatter's output is free of raw control characters on its own (without
 * the writer's last guard).
 */

const matrices = [matrixWith(), matrixWith({ headers: { schema_revision: 'constructor', server_version: 'X-Observal-Server' } as never })];
/** A matrix whose server templates use every server-supplied placeholder, so a rejected value would show in a command. */
const bundledServer = matrixWith().doc.server;
const withRevisions = matrixWith({
  server: {
    ...bundledServer,
    generic: { ...bundledServer.generic, upgrade: ['migrate --from {revision} --from-version {from_version} --to {version}'] },
    deployments: Object.fromEntries(
      Object.entries(bundledServer.deployments).map(([k, v]) => [k, { ...v, upgrade: [...v.upgrade, 'migrate --from {revision}'] }]),
    ),
  },
});
const URL_ = new URL('https://ops.example.com/');
const KINDS: ReadonlySet<Observation['kind']> = new Set([
  'document',
  'cli_rejected',
  'unauthorized',
  'not_found',
  'invalid_response',
  'unreachable',
]);
const plain = createStyle(false);
const colour = createStyle(true);
// biome-ignore lint/suspicious/noControlCharactersInRegex: the style's own codes
const OWN_SGR = /\u001b\[(?:1|2|22|31|32|33|36|39)m/g;

/** A command to paste: printable, one line. */
function expectPasteable(command: string) {
  expect(rawControls(command)).toEqual([]);
  expect(command).not.toMatch(/[\n\r\u2028\u2029]/);
}

function expectCleanRender(text: string) {
  expect(rawControls(text)).toEqual([]);
}

describe('fuzz: the version document and the version endpoint', () => {
  it('versionDocumentSchema.safeParse never throws, and what it accepts is validated', () => {
    fc.assert(
      fc.property(fc.oneof(versionDocument, fc.jsonValue({ maxDepth: 3 })), (input) => {
        const r = versionDocumentSchema.safeParse(input);
        if (!r.success) return;
        const d = r.data;
        expect(d.server_version === 'dev' || semver.valid(d.server_version) === d.server_version).toBe(true);
        for (const v of [d.min_cli_version, d.max_cli_version, d.recommended_cli_version])
          expect(v === null || semver.valid(v) === v).toBe(true);
        expect(d.schema_revision === null || REVISION_PATTERN.test(d.schema_revision)).toBe(true);
        for (const m of d.pending_migrations) expect(REVISION_PATTERN.test(m.revision)).toBe(true);
      }),
      fuzzParams(800),
    );
  });

  it('classifyResponse → computeVerdict: a typed observation and verdict for any status, headers and body; remedies are pasteable', () => {
    fc.assert(
      fc.property(httpResponse, fc.constantFrom(...matrices), cliContext, (res, matrix, cli) => {
        const o = classifyResponse(res, matrix);
        expect(KINDS.has(o.kind)).toBe(true);
        if (o.kind === 'cli_rejected')
          expect(o.requiredVersion === null || semver.valid(o.requiredVersion) === o.requiredVersion).toBe(true);
        if (o.kind === 'unreachable' && o.retryAfterMs !== undefined)
          expect(Number.isFinite(o.retryAfterMs) && o.retryAfterMs >= 0).toBe(true);
        const v = computeVerdict(matrix, o, cli);
        expect(STATUSES).toContain(v.status);
        expect(v.severity).toBe(SEVERITY[v.status]);
        expect(typeof v.message).toBe('string');
        if (v.remedy !== null) expectPasteable(v.remedy);
      }),
      fuzzParams(1500),
    );
  });

  it('the passive check’s header parser never throws and keeps only validated values', () => {
    fc.assert(
      fc.property(httpStatus, responseHeaders, fc.constantFrom(...matrices), (status, headers, matrix) => {
        const h = readVersionHeaders(status, headers, matrix.doc.headers);
        expect(h.revision === null || REVISION_PATTERN.test(h.revision)).toBe(true);
        expect(h.version === null || h.version === 'dev' || semver.valid(h.version) === h.version).toBe(true);
        expect(h.requiredCliVersion === null || semver.valid(h.requiredCliVersion) === h.requiredCliVersion).toBe(true);
        expect(h.rejected).toBe(status === 426);
      }),
      fuzzParams(1000),
    );
  });

  it('every formatter of a server’s answer is clean on its own: report, status, poll state, upgrade plan', () => {
    fc.assert(
      fc.property(
        httpResponse,
        cliContext,
        fc.constantFrom('docker-compose', 'helm', null),
        fc.constantFrom(matrixWith(), withRevisions),
        (res, cli, deployment, matrix) => {
          const o = classifyResponse(res, matrix);
          const report = buildReport({ matrix, cli }, URL_, o);
          for (const style of [plain, colour]) {
            expectCleanRender(formatCompatReport(report, style).replace(OWN_SGR, ''));
            expectCleanRender(formatStatus(report, matrix, style).replace(OWN_SGR, ''));
          }
          expectCleanRender(formatPollState(describeState({ observation: o, report })));
          const decision = planUpgrade({ matrix: matrix.doc, report, deployment, now: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) });
          if (decision.kind === 'refused') for (const c of decision.commands) expectPasteable(c);
          if (decision.kind !== 'plan') return;
          const { plan } = decision;
          expectCleanRender(formatPlan(plan, report, plain));
          const commands = plan.hops.flatMap((h) => [...h.backup, ...h.upgrade, ...h.restore]);
          for (const c of commands) expectPasteable(c);
          for (const h of plan.hops) for (const v of [h.from, h.to]) expect(semver.valid(v)).toBe(v);
          // A value that failed validation is never inside a command. Checked for values holding shell syntax or a
          // control character, none of which the bundled templates contain (a value like " " is in every command anyway).
          for (const r of plan.rejected) {
            // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what makes a value telling
            if (!/[;|&`\u0000-\u001f\u007f-\u009f]/.test(r.value)) continue;
            for (const c of commands) expect(c.includes(r.value)).toBe(false);
          }
        },
      ),
      fuzzParams(800),
    );
  });

  it('planUpgrade on its own (values that skipped the schema): a rejected value is in no command, raw or quoted', () => {
    // A value is telling when it holds shell syntax or a control character and is not already part of a template's own text.
    const templateText = JSON.stringify(withRevisions.doc.server);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what makes a value telling
    const syntax = /[;|&`$()<>'"\\\u0000-\u001f\u007f-\u009f]/;
    const telling = {
      test: (v: string) => syntax.test(v) && !templateText.includes(v) && !templateText.includes(JSON.stringify(v).slice(1, -1)),
    };
    const report = fc.record({
      status: fc.constantFrom('compatible', 'schema_behind', 'server_outdated', 'schema_unknown', 'server_newer'),
      version: fc.oneof(fc.constantFrom('1.2.0', '1.3.0', '1.4.0', '1.4.2'), evilString),
      revision: fc.oneof(fc.constantFrom(null, '0003_add_insight_meta_cache', '0004_split_events_table'), evilString),
      deployment: fc.oneof(fc.constantFrom(null, 'docker-compose', 'helm', 'rpm'), evilString),
      pending: fc.boolean(),
    });
    fc.assert(
      fc.property(report, fc.constantFrom(null, 'docker-compose', 'deb'), (r, flag) => {
        const decision = planUpgrade({
          matrix: withRevisions.doc,
          report: {
            status: r.status,
            message: 'm',
            hint: null,
            server: { url: 'https://ops.example.com', version: r.version, schema_revision: r.revision, min_cli_version: null },
            pending_migrations: r.pending ? [{ revision: '0005_add_retention_policy', description: null }] : [],
            deployment: r.deployment,
            migration_status: null,
          },
          deployment: flag,
          now: new Date(0),
        });
        const commands =
          decision.kind === 'plan'
            ? decision.plan.hops.flatMap((h) => [...h.backup, ...h.upgrade, ...h.restore])
            : decision.kind === 'refused'
              ? decision.commands
              : [];
        const rejected = decision.kind === 'plan' ? decision.plan.rejected : decision.kind === 'refused' ? decision.rejected : [];
        for (const c of commands) expectPasteable(c);
        for (const v of rejected) {
          if (!telling.test(v.value)) continue;
          for (const c of commands) {
            expect(c.includes(v.value)).toBe(false);
            expect(c.includes(quote([v.value]))).toBe(false);
          }
        }
      }),
      fuzzParams(1500),
    );
  });
});
