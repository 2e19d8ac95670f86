import { realpathSync } from 'node:fs';
import { homeDirectory } from '../input/index.js';
import { createRedactor, mapStrings } from '../redact.js';
import { redactUrl } from '../url.js';
import { cliChecks, networkChecks } from './checks/local.js';
import { SECTION, SECTION_ORDER } from './checks/sections.js';
import { serverChecks } from './checks/server.js';
import { createDoctorContext, type DoctorContext, type DoctorContextOptions } from './context.js';
import { type DoctorCheck, type DoctorReport, runChecks } from './framework.js';

/**
 * `handshake doctor` as a function: the built-in checks (or yours), run
 * concurrently against one context, returned as a {@link DoctorReport} with
 * every secret already redacted. Nothing is printed; `src/render/doctor.ts`
 * renders the report, and says the checks' hints in the host's words (`report.remedies`).
 *
 * A vendor CLI adds its own checks beside the built-in ones:
 *
 * ```ts
 * const report = await runDoctor({
 *   cliVersion: '2.1.0',
 *   checks: [...builtinChecks(), {
 *     id: 'acme.license', title: 'License', section: SECTION.server,
 *     async run(ctx) {
 *       const res = await ctx.request('/api/v1/license');
 *       return res.status === 200 ? { status: 'pass', detail: 'valid' } : { status: 'fail', detail: `HTTP ${res.status}`, remedy: 'acme license renew' };
 *     },
 *   }],
 * });
 * ```
 */
export interface DoctorOptions extends DoctorContextOptions {
  /** The checks to run (default {@link builtinChecks}). */
  checks?: readonly DoctorCheck<DoctorContext>[];
  /**
   * How much longer than the per-request timeout a check may run before it is
   * cut off and reported as failed (default 1000 ms). Bounds the whole run.
   */
  graceMs?: number;
}

export const DEFAULT_GRACE_MS = 1000;

/** Every built-in check, in report order: the CLI, the network, Server health. */
export function builtinChecks(): DoctorCheck<DoctorContext>[] {
  return [...cliChecks(), ...networkChecks(), ...serverChecks()];
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const context = createDoctorContext(options);
  const generatedAt = new Date((options.now ?? Date.now)()).toISOString();
  // The run's one list of secrets (src/session/resolve.ts), through the one redactor: the checks and the summary alike.
  const redact = createRedactor({ secrets: context.resolution.secrets, home: homes(context.resolution.env) });
  try {
    const report = await runChecks({
      checks: options.checks ?? builtinChecks(),
      context,
      timeoutMs: context.timeoutMs + (options.graceMs ?? DEFAULT_GRACE_MS),
      sections: SECTION_ORDER,
      signal: options.signal,
      redact,
    });
    const verdict = context.network && context.server.kind === 'ok' ? await context.report().catch(() => null) : null;
    const server = context.server.kind === 'ok' ? redactUrl(context.server.url) : null;
    return {
      ...report,
      generatedAt,
      about: { cli: context.cli.version, server: server && redact(server), verdict: verdict?.status ?? null },
      remedies: mapStrings(context.remedyContext(), redact),
    };
  } finally {
    await context.close();
  }
}

function homes(env: NodeJS.ProcessEnv): string[] {
  const home = homeDirectory(env);
  if (!home) return []; // a uid with no passwd entry and no HOME: nothing to shorten
  try {
    return [home, realpathSync(home)];
  } catch {
    return [home];
  }
}

export { createRedactor, REDACTED } from '../redact.js';
export { cliChecks, networkChecks, nodeVersionOutcome } from './checks/local.js';
export { CERT_WARN_DAYS, MAX_CLOCK_SKEW_MS, serverChecks } from './checks/server.js';
export type {
  ConfigState,
  DoctorContext,
  DoctorContextOptions,
  HttpProbe,
  MatrixState,
  ServerTarget,
  TlsProbe,
  VersionProbe,
} from './context.js';
export { createDoctorContext, DEFAULT_HEALTH_PATH } from './context.js';
export type {
  CheckOutcome,
  CheckResult,
  CheckStatus,
  DoctorCheck,
  DoctorReport,
  DoctorSection,
  DoctorSummary,
  RunChecksOptions,
  Words,
} from './framework.js';
export { CHECK_STATUSES, DEFAULT_CHECK_TIMEOUT_MS, once, runChecks } from './framework.js';
export { SECTION, SECTION_ORDER };
