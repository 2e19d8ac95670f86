import { setTimeout as delay } from 'node:timers/promises';
import { ErrorCode, isHandshakeError } from '../errors.js';
import type { Observation } from '../handshake/observe.js';
import type { StatusReport } from '../session/session.js';
import { plural } from '../text.js';
import { progressText } from '../verdict/verdict.js';

/**
 * Polling the version endpoint while an operator upgrades the server: an
 * async sequence of what was seen, ending in exactly one terminal event. The
 * clock and the sleep are injectable, so unit tests run in no time.
 */

/** One look at the server: the raw observation (for `Retry-After`) and its report. */
export interface Probe {
  observation: Observation;
  report: StatusReport;
}

/** A compact, comparable description of what the server looks like now. */
export interface PollState {
  /** Equal keys mean nothing worth reporting changed. */
  key: string;
  /** One line for a person, e.g. `1.3.0, schema 0004_split_events_table, 1 migration pending`. */
  summary: string;
  /** The server is not answering (refused, reset, timeout, 5xx): expected while it restarts. */
  outage: boolean;
}

export type PollEvent =
  /** A look that did not end the poll. `changed` is true for the first look and whenever the state differs from the previous one. */
  | { type: 'seen'; report: StatusReport; state: PollState; changed: boolean; attempt: number }
  /** The goal was reached. */
  | { type: 'done'; report: StatusReport; state: PollState; attempt: number }
  /** The server reports `migration_status: failed`. */
  | { type: 'migration_failed'; report: StatusReport; state: PollState; attempt: number }
  /** The server now refuses this CLI (426, or `min_cli_version` above it): waiting cannot help. */
  | { type: 'cli_rejected'; report: StatusReport; state: PollState; attempt: number }
  /** The deadline passed; `last` is the last thing seen (null if nothing was). */
  | { type: 'timeout'; last: StatusReport | null; state: PollState | null; attempt: number }
  /** The signal fired (Ctrl-C). */
  | { type: 'interrupted'; last: StatusReport | null; state: PollState | null; attempt: number };

export type TerminalPollEvent = Exclude<PollEvent, { type: 'seen' }>;

export interface PollOptions {
  /** One look at the server. May throw an `E_ABORTED` error when the signal fires. */
  probe(signal: AbortSignal): Promise<Probe>;
  /** When the poll is over. */
  reached(report: StatusReport): boolean;
  /** Time between looks, in ms. */
  intervalMs: number;
  /** When to give up, on `clock`'s scale. */
  deadline: number;
  signal?: AbortSignal;
  /** Milliseconds, monotonic enough (default `performance.now`). */
  clock?: () => number;
  /** Waits `ms` or rejects when the signal fires (default: `timers/promises`). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** How many intervals a `Retry-After` may stretch one wait to. */
export const RETRY_AFTER_CAP = 5;

/** The wait before the next look: the interval, or what `Retry-After` asked for, within [interval, interval × 5]. */
export function nextDelay(intervalMs: number, retryAfterMs: number | undefined | null): number {
  if (retryAfterMs === undefined || retryAfterMs === null || !Number.isFinite(retryAfterMs)) return intervalMs;
  return Math.min(Math.max(retryAfterMs, intervalMs), intervalMs * RETRY_AFTER_CAP);
}

/** Describes what a probe saw, compactly enough for a spinner. Pure. */
export function describeState(probe: Probe): PollState {
  const { observation: o, report: r } = probe;
  if (o.kind === 'unreachable') {
    const why =
      o.httpStatus !== null
        ? `HTTP ${o.httpStatus}`
        : o.code === ErrorCode.Timeout
          ? 'no answer in time'
          : (o.reason.split(': ').at(-1) ?? o.reason);
    return { key: `outage:${why}`, summary: `not answering (${why})`, outage: true };
  }
  if (o.kind === 'migrating') {
    // Maintenance mode: expected while the server migrates, like a restart.
    const summary = `migrating (${progressText(o.progress)})`;
    return { key: `migrating:${summary}`, summary, outage: true };
  }
  if (o.kind !== 'document') {
    return { key: `status:${r.status}`, summary: `${r.status}: ${r.message}`, outage: false };
  }
  const d = o.document;
  const parts = [d.server_version];
  if (d.schema_revision) parts.push(`schema ${d.schema_revision}`);
  const n = (r.findings?.migrations.counted ?? d.pending_migrations).length;
  if (n) parts.push(`${plural(n, 'migration')} pending`);
  if (d.migration_status === 'running') parts.push(`migration running (${progressText(d.migration_progress)})`);
  if (d.migration_status === 'failed') parts.push('migration failed');
  const bg = d.background_migrations_pending ?? 0;
  if (bg > 0) parts.push(`${plural(bg, 'background migration')} running`);
  if (r.status !== 'compatible' && r.status !== 'migration_running') parts.push(r.status);
  const summary = parts.join(', ');
  return { key: `doc:${summary}`, summary, outage: false };
}

const defaultSleep = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal });

/**
 * Polls until `reached`, a failed migration, a server refusing this CLI,
 * the deadline or the signal. Connection failures and 5xx answers are
 * expected while the server restarts: they are reported (`state.outage`) and
 * the poll goes on. The first look happens at once.
 */
export async function* pollServer(opts: PollOptions): AsyncGenerator<PollEvent, void, void> {
  const clock = opts.clock ?? (() => performance.now());
  const sleep = opts.sleep ?? defaultSleep;
  const signal = opts.signal ?? new AbortController().signal;
  let last: StatusReport | null = null;
  let lastState: PollState | null = null;
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) {
      yield { type: 'interrupted', last, state: lastState, attempt: attempt - 1 };
      return;
    }
    let probe: Probe;
    try {
      probe = await opts.probe(signal);
    } catch (err) {
      if (signal.aborted || isHandshakeError(err, ErrorCode.Aborted)) {
        yield { type: 'interrupted', last, state: lastState, attempt };
        return;
      }
      throw err;
    }
    const report = probe.report;
    const state = describeState(probe);
    const changed = lastState === null || lastState.key !== state.key;
    last = report;
    lastState = state;
    if (report.migration_status === 'failed') {
      yield { type: 'migration_failed', report, state, attempt };
      return;
    }
    if (report.status === 'cli_outdated') {
      yield { type: 'cli_rejected', report, state, attempt };
      return;
    }
    if (opts.reached(report)) {
      yield { type: 'done', report, state, attempt };
      return;
    }
    yield { type: 'seen', report, state, changed, attempt };
    const now = clock();
    if (now >= opts.deadline) {
      yield { type: 'timeout', last, state, attempt };
      return;
    }
    const o = probe.observation;
    const retryAfter = o.kind === 'unreachable' || o.kind === 'migrating' ? o.retryAfterMs : undefined;
    try {
      await sleep(Math.min(nextDelay(opts.intervalMs, retryAfter), opts.deadline - now), signal);
    } catch (err) {
      if (signal.aborted) {
        yield { type: 'interrupted', last, state, attempt };
        return;
      }
      throw err;
    }
  }
}
