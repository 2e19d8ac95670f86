/**
 * The doctor's check framework: independent named checks, run concurrently,
 * each bounded by its own timeout. A check that throws, hangs or returns
 * nonsense becomes a `fail` line in the report; the run itself never throws
 * because of a check. Nothing here knows about servers or versions: the
 * built-in checks live beside it, and a vendor CLI can add its own.
 */
import type { Hint, RemedyContext } from '../hint.js';
import { mapStrings } from '../redact.js';

export const CHECK_STATUSES = ['pass', 'warn', 'fail', 'skip'] as const;

/**
 * Words of a report: a string, or data where they name what the host says its own way (where a value came from:
 * `--server`, `HANDSHAKE_SERVER`), said by `src/render/` in the host's words (`report.remedies`).
 */
export type Words = string | Hint;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** What a check's `run` returns. */
export interface CheckOutcome {
  status: CheckStatus;
  /** One line: what was found. */
  detail: Words;
  /** The exact command or step that fixes a `fail` or `warn`, in words; null when there is none. */
  remedy?: string | null;
  /** The fix as data (src/hint.ts), said by `src/render/` in the host CLI's words; wins over {@link remedy}. */
  hint?: Hint | null;
  /**
   * Facts worth a line in a support ticket's header, label → value
   * (`{ 'Server version': '1.4.2' }`). Gathered in check order.
   */
  facts?: Readonly<Record<string, Words>>;
}

/** One named, independent check. `C` is whatever context the caller hands every check. */
export interface DoctorCheck<C> {
  /** Stable id, unique in a run: `server.tls`, `acme.license`. */
  id: string;
  /** Short human title: `TLS`. */
  title: string;
  /** The title of the section the check belongs to: `Server health`. */
  section: string;
  /** Overrides the run's per-check timeout, in ms. */
  timeoutMs?: number;
  /**
   * Runs the check. `signal` aborts when the check's timeout fires or the run
   * is cancelled; a check that ignores it is still cut off at its timeout.
   */
  run(context: C, signal: AbortSignal): CheckOutcome | Promise<CheckOutcome>;
}

/** One line of the report. */
export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  detail: Words;
  /** The fix in words, as the check gave it. */
  remedy: string | null;
  /** The fix as data; `remedyFor(result, report.remedies)` (src/render/remedy.ts) says either. */
  hint?: Hint | null;
  durationMs: number;
}

export interface DoctorSection {
  title: string;
  checks: CheckResult[];
}

export interface DoctorSummary {
  total: number;
  passed: number;
  warnings: number;
  failed: number;
  skipped: number;
}

/** What a doctor run returns. Safe to print once sanitized: the built-in run has already redacted secrets. */
export interface DoctorReport {
  /** True when no check failed (warnings allowed). */
  ok: boolean;
  sections: DoctorSection[];
  summary: DoctorSummary;
  /** The checks' facts in check order (first label wins), for a ticket's header. */
  facts: Array<{ label: string; value: Words }>;
  durationMs: number;
  /** When the checks ran (ISO 8601), set by runDoctor. */
  generatedAt?: string;
  /** What a ticket reader wants first: this CLI's version, the server checked (no credentials), the verdict. */
  about?: { cli: string; server: string | null; verdict: string | null };
  /** How the checks' hints are said (set by runDoctor): the host's bin and variable prefix, the server checked. */
  remedies?: RemedyContext;
}

export interface RunChecksOptions<C> {
  checks: readonly DoctorCheck<C>[];
  context: C;
  /** Per-check timeout in ms when a check names none (default 5000). */
  timeoutMs?: number;
  /** Section order; sections not named here follow in order of first appearance. */
  sections?: readonly string[];
  /** Cancels every check (Ctrl-C); the report then shows them as failed. */
  signal?: AbortSignal;
  /** Applied to every string of the report: the place to redact secrets. */
  redact?: (text: string) => string;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 5000;

/**
 * Runs every check concurrently and returns the report, checks in the order
 * given, grouped by section. Bounded: no check can hold the run past its own
 * timeout. Throws only for a programming error (two checks with one id).
 */
export async function runChecks<C>(options: RunChecksOptions<C>): Promise<DoctorReport> {
  const started = performance.now();
  const seen = new Set<string>();
  for (const check of options.checks) {
    if (seen.has(check.id)) throw new TypeError(`doctor: two checks have the id "${check.id}"`);
    seen.add(check.id);
  }
  const redact = options.redact ?? ((s: string) => s);
  const defaultTimeout = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const settled = await Promise.all(options.checks.map((check) => runOne(check, options.context, defaultTimeout, options.signal)));

  const order = [...(options.sections ?? [])];
  for (const check of options.checks) if (!order.includes(check.section)) order.push(check.section);
  const sections: DoctorSection[] = order
    .map((title) => ({
      title: redact(title),
      checks: settled
        .filter((s) => s.check.section === title)
        .map(({ result }) => ({
          ...result,
          title: redact(result.title),
          detail: mapStrings(result.detail, redact),
          remedy: result.remedy === null ? null : redact(result.remedy),
          hint: result.hint ? mapStrings(result.hint, redact) : null,
        })),
    }))
    .filter((s) => s.checks.length > 0);

  const facts: Array<{ label: string; value: Words }> = [];
  for (const { facts: f } of settled) {
    for (const [label, value] of Object.entries(f)) {
      if (!isWords(value) || facts.some((x) => x.label === label)) continue;
      facts.push({ label: redact(label), value: mapStrings(value, redact) });
    }
  }
  const all = sections.flatMap((s) => s.checks);
  const count = (status: CheckStatus) => all.filter((c) => c.status === status).length;
  const summary: DoctorSummary = {
    total: all.length,
    passed: count('pass'),
    warnings: count('warn'),
    failed: count('fail'),
    skipped: count('skip'),
  };
  return { ok: summary.failed === 0, sections, summary, facts, durationMs: Math.round(performance.now() - started) };
}

interface Settled<C> {
  check: DoctorCheck<C>;
  result: CheckResult;
  facts: Readonly<Record<string, Words>>;
}

async function runOne<C>(check: DoctorCheck<C>, context: C, defaultTimeout: number, parent?: AbortSignal): Promise<Settled<C>> {
  const started = performance.now();
  const timeoutMs = check.timeoutMs ?? defaultTimeout;
  const controller = new AbortController();
  let stop: (detail: string) => void = () => {};
  const cutOff = new Promise<CheckOutcome>((resolve) => {
    stop = (detail) => resolve({ status: 'fail', detail, remedy: null, hint: null });
  });
  const onParentAbort = () => {
    controller.abort(parent?.reason);
    stop('cancelled');
  };
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  const timer = setTimeout(() => {
    controller.abort(new Error(`timed out after ${timeoutMs} ms`));
    stop(`did not finish within ${timeoutMs} ms`);
  }, timeoutMs);

  let outcome: CheckOutcome;
  try {
    // `then` turns a synchronous throw into a rejection too.
    outcome = validOutcome(await Promise.race([Promise.resolve().then(() => check.run(context, controller.signal)), cutOff]));
  } catch (err) {
    outcome = { status: 'fail', detail: `the check failed: ${describe(err)}`, remedy: null };
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParentAbort);
  }
  return {
    check,
    facts: outcome.facts ?? {},
    result: {
      id: check.id,
      title: check.title,
      status: outcome.status,
      detail: outcome.detail,
      remedy: outcome.remedy ?? null,
      hint: outcome.hint ?? null,
      durationMs: Math.round(performance.now() - started),
    },
  };
}

function validOutcome(value: unknown): CheckOutcome {
  const o = value as Partial<CheckOutcome> | null | undefined;
  if (!o || typeof o !== 'object' || !(CHECK_STATUSES as readonly unknown[]).includes(o.status) || !isWords(o.detail)) {
    throw new TypeError('it returned no {status, detail}');
  }
  const remedy = typeof o.remedy === 'string' && o.remedy ? o.remedy : null;
  const hint = isHint(o.hint) ? o.hint : null;
  const facts = o.facts && typeof o.facts === 'object' && !Array.isArray(o.facts) ? o.facts : undefined;
  return { status: o.status as CheckStatus, detail: o.detail, remedy, hint, facts };
}

function isHint(x: unknown): x is Hint {
  return Boolean(x) && typeof x === 'object' && typeof (x as { kind?: unknown }).kind === 'string';
}

function isWords(x: unknown): x is Words {
  return typeof x === 'string' || isHint(x);
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/**
 * Wraps a function so it runs at most once, however many checks call it
 * concurrently: the way checks share one request. A rejection is shared too.
 */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => {
    promise ??= Promise.resolve().then(fn);
    return promise;
  };
}
