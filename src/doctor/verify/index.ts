import { createRedactor, mapStrings } from '../../redact.js';
import { redactUrl } from '../../url.js';
import { type DoctorReport, runChecks } from '../framework.js';
import { DEFAULT_GRACE_MS } from '../index.js';
import { verifyChecks } from './checks.js';
import { createVerifyContext, type VerifyContextOptions } from './context.js';
import { SECTION_ORDER } from './sections.js';

/** What `server verify` found: doctor's report (sections keyed by protocol section, `§1.4`), and whether the server answered at all. */
export interface VerifyReport extends DoctorReport {
  /** The server checked, without credentials. */
  server: string;
  /** False when the version endpoint got no HTTP answer at all (exit 4). */
  reachable: boolean;
}

export interface VerifyOptions extends VerifyContextOptions {
  /** How much longer than its requests a check may run before it is cut off (default 1000 ms). */
  graceMs?: number;
  /** The wall clock (tests). */
  now?: () => number;
}

/**
 * `handshake server verify` as a function: checks a live server against docs/protocol.md (§1c), read-only,
 * with doctor's check framework. Needs a resolution with a valid server and matrix. Nothing is printed;
 * src/render/verify.ts renders the report. Every string in it is already redacted, the made-up token too.
 */
export async function runVerify(options: VerifyOptions): Promise<VerifyReport> {
  const context = createVerifyContext(options);
  const redact = createRedactor({ secrets: [...options.resolution.secrets, context.madeUpToken] });
  const generatedAt = new Date((options.now ?? Date.now)()).toISOString();
  try {
    const report = await runChecks({
      checks: verifyChecks(context.timeoutMs, options.graceMs ?? DEFAULT_GRACE_MS),
      context,
      sections: SECTION_ORDER,
      signal: options.signal,
      redact,
    });
    const reachable = (await context.version()).response !== null;
    const server = options.resolution.server;
    const remedies = {
      bin: options.resolution.bin,
      envPrefix: options.resolution.envPrefix,
      server: server.kind === 'ok' ? server.ref : null,
    };
    return { ...report, generatedAt, server: redact(redactUrl(context.url)), reachable, remedies: mapStrings(remedies, redact) };
  } finally {
    await context.close();
  }
}

export { ANCIENT_CLI, NOT_FOUND_PATH, type Probe, REFUSED_ADMIN_BODY, type VerifyContext } from './context.js';
export { type ProtocolSection, SECTION_ORDER, SECTION_TITLES } from './sections.js';
