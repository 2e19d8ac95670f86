import { describe, expect, it } from 'vitest';
import type { Observation } from '../../src/handshake/observe.js';
import { parseRetryAfter } from '../../src/handshake/observe.js';
import { versionDocumentSchema } from '../../src/protocol/version-document.js';
import { buildReport } from '../../src/session/session.js';
import { hopReached } from '../../src/upgrade/plan.js';
import { describeState, nextDelay, type PollEvent, type Probe, pollServer } from '../../src/upgrade/poll.js';
import { matrixWith } from '../helpers/matrix.js';

const matrix = matrixWith();
const URL_ = new URL('http://127.0.0.1:9/');
const cli = { version: '0.9.0', installMethod: 'npm' as const };
const probeOf = (observation: Observation): Probe => ({ observation, report: buildReport({ matrix, cli }, URL_, observation) });
const doc = (fields: Record<string, unknown>) =>
  probeOf({ kind: 'document', document: versionDocumentSchema.parse(fields), headers: { schemaRevision: null, serverVersion: null } });
const down = (httpStatus: number | null, retryAfterMs?: number) =>
  probeOf({
    kind: 'unreachable',
    reason: httpStatus ? `x answered HTTP ${httpStatus}` : 'cannot reach http://127.0.0.1:9: connection refused',
    code: httpStatus ? 'E_HTTP_STATUS' : 'E_UNREACHABLE',
    remedy: null,
    httpStatus,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });

const OLD = doc({ server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' });
const NEW = doc({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy' });
const lastHop = (r: Probe['report']) => hopReached(matrix, { min_version: null, past_minor: null, compatible: true }, r);

/** Runs the poll on a fake clock: sleeping advances time, nothing waits. */
async function run(probes: Probe[], opts: { intervalMs?: number; waitMs?: number; abortAfter?: number; repeatLast?: boolean } = {}) {
  let now = 0;
  const sleeps: number[] = [];
  const controller = new AbortController();
  let calls = 0;
  const events: PollEvent[] = [];
  for await (const e of pollServer({
    probe: async () => {
      calls += 1;
      if (opts.abortAfter !== undefined && calls > opts.abortAfter) controller.abort();
      const p = probes[Math.min(calls - 1, probes.length - 1)];
      if (!p) throw new Error('no probe');
      return p;
    },
    reached: lastHop,
    intervalMs: opts.intervalMs ?? 1000,
    deadline: opts.waitMs ?? 60_000,
    signal: controller.signal,
    clock: () => now,
    sleep: async (ms, signal) => {
      if (signal.aborted) throw new Error('aborted');
      sleeps.push(ms);
      now += ms;
    },
  })) {
    events.push(e);
  }
  return { events, sleeps, calls, now };
}

describe('pollServer', () => {
  it('keeps polling through refused connections and 502s, and ends when the goal is reached', async () => {
    const { events, sleeps } = await run([OLD, down(null), down(null), down(502), NEW]);
    expect(events.map((e) => e.type)).toEqual(['seen', 'seen', 'seen', 'seen', 'done']);
    expect(events.map((e) => (e.type === 'seen' ? e.changed : null))).toEqual([true, true, false, true, null]);
    expect(events.filter((e) => e.type === 'seen' && e.state.outage)).toHaveLength(3);
    expect(sleeps).toEqual([1000, 1000, 1000, 1000]);
    const last = events.at(-1);
    expect(last?.type === 'done' && last.report.server.version).toBe('1.4.2');
  });

  it('honours Retry-After on 429/503, within [interval, 5 × interval]', async () => {
    const { sleeps } = await run([down(503, 3000), down(503, 60_000), down(429, 10), NEW]);
    expect(sleeps).toEqual([3000, 5000, 1000]);
    expect(nextDelay(2000, undefined)).toBe(2000);
    expect(nextDelay(2000, 7000)).toBe(7000);
    expect(nextDelay(2000, 600_000)).toBe(10_000);
  });

  it('times out at the deadline with the last state seen, and never sleeps past it', async () => {
    const { events, sleeps, now, calls } = await run([OLD], { intervalMs: 1000, waitMs: 3500 });
    const last = events.at(-1);
    expect(last?.type).toBe('timeout');
    if (last?.type === 'timeout') {
      expect(last.last?.server.version).toBe('1.3.0');
      expect(last.state?.summary).toContain('1.3.0');
    }
    expect(now).toBe(3500);
    expect(sleeps).toEqual([1000, 1000, 1000, 500]);
    expect(calls).toBe(5);
    expect(events.filter((e) => e.type === 'seen' && e.changed)).toHaveLength(1);
  });

  it('stops at once on a failed migration', async () => {
    const { events } = await run([OLD, doc({ server_version: '1.4.2', migration_status: 'failed' }), NEW]);
    expect(events.map((e) => e.type)).toEqual(['seen', 'migration_failed']);
  });

  it('stops when the server starts refusing this CLI: waiting cannot fix that', async () => {
    const { events } = await run([OLD, probeOf({ kind: 'cli_rejected', requiredVersion: '1.0.0', httpStatus: 426 }), NEW]);
    expect(events.map((e) => e.type)).toEqual(['seen', 'cli_rejected']);
  });

  it('a migration still running is not done, even at the new version', async () => {
    const { events } = await run([
      doc({ server_version: '1.4.2', schema_revision: '0005_add_retention_policy', migration_status: 'running' }),
      NEW,
    ]);
    expect(events.map((e) => e.type)).toEqual(['seen', 'done']);
  });

  it('is interrupted by the signal, reporting the last state', async () => {
    const { events } = await run([OLD], { abortAfter: 2 });
    const last = events.at(-1);
    expect(last?.type).toBe('interrupted');
    if (last?.type === 'interrupted') expect(last.last?.server.version).toBe('1.3.0');
  });
});

describe('describeState', () => {
  it('names the cause of an outage compactly', () => {
    expect(describeState(down(null)).summary).toBe('not answering (connection refused)');
    expect(describeState(down(502)).summary).toBe('not answering (HTTP 502)');
    expect(describeState(down(null)).outage).toBe(true);
  });
  it('summarises a document: version, schema, pending, migration status, verdict', () => {
    const s = describeState(
      doc({
        server_version: '1.4.2',
        schema_revision: '0004_split_events_table',
        pending_migrations: ['0005_add_retention_policy'],
        migration_status: 'running',
      }),
    );
    expect(s.summary).toContain('1.4.2');
    expect(s.summary).toContain('0004_split_events_table');
    expect(s.summary).toContain('1 migration pending');
    expect(s.summary).toContain('running');
    expect(s.outage).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates (against the response Date header)', () => {
    expect(parseRetryAfter({ 'retry-after': '7' })).toBe(7000);
    expect(parseRetryAfter({ 'retry-after': 'Sat, 21 Nov 2026 06:00:30 GMT', date: 'Sat, 21 Nov 2026 06:00:00 GMT' })).toBe(30_000);
    expect(parseRetryAfter({ 'retry-after': 'Sat, 21 Nov 2026 06:00:30 GMT' }, Date.parse('Sat, 21 Nov 2026 06:00:20 GMT'))).toBe(10_000);
    expect(parseRetryAfter({ 'retry-after': 'soon' })).toBeNull();
    expect(parseRetryAfter({})).toBeNull();
  });
});
