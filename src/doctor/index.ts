import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { namedServers } from '../config/config.js';
import { cliChecks, networkChecks } from './checks/local.js';
import { SECTION, SECTION_ORDER } from './checks/sections.js';
import { serverChecks } from './checks/server.js';
import { createDoctorContext, type DoctorContext, type DoctorContextOptions } from './context.js';
import { type DoctorCheck, type DoctorReport, runChecks } from './framework.js';
import { PROXY_VARIABLES } from './proxy.js';
import { createRedactor, urlSecrets } from './redact.js';

/**
 * `handshake doctor` as a function: the built-in checks (or yours), run
 * concurrently against one context, returned as a {@link DoctorReport} with
 * every secret already redacted. Nothing is printed; `src/render/doctor.ts`
 * renders the report.
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
  try {
    return await runChecks({
      checks: options.checks ?? builtinChecks(),
      context,
      timeoutMs: context.timeoutMs + (options.graceMs ?? DEFAULT_GRACE_MS),
      sections: SECTION_ORDER,
      signal: options.signal,
      redact: createRedactor({ secrets: secretsOf(context, options), home: homes() }),
    });
  } finally {
    await context.close();
  }
}

/** Every value that must not reach the report: tokens, and passwords in the server and proxy URLs. */
function secretsOf(ctx: DoctorContext, options: DoctorOptions): string[] {
  const env = ctx.env;
  const secrets: Array<string | null | undefined> = [env[`${ctx.envPrefix}_TOKEN`]];
  if (ctx.server.kind === 'ok') secrets.push(ctx.server.token, ...urlSecrets(ctx.server.url.href));
  secrets.push(...urlSecrets(options.server), ...urlSecrets(env[`${ctx.envPrefix}_SERVER`]));
  if (ctx.config.state === 'ok') {
    // Every token the config file holds, not only the chosen server's: a server may echo any of them.
    for (const entry of Object.values(namedServers(ctx.config.config))) secrets.push(entry.token, ...urlSecrets(entry.url));
    secrets.push(ctx.config.config.token, ...urlSecrets(ctx.config.config.server));
  }
  for (const name of PROXY_VARIABLES) secrets.push(...urlSecrets(env[name]));
  return secrets.filter((s): s is string => Boolean(s));
}

function homes(): string[] {
  const home = homedir();
  try {
    return [home, realpathSync(home)];
  } catch {
    return [home];
  }
}

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
} from './framework.js';
export { CHECK_STATUSES, DEFAULT_CHECK_TIMEOUT_MS, once, runChecks } from './framework.js';
export { createRedactor, REDACTED } from './redact.js';
export { SECTION, SECTION_ORDER };
