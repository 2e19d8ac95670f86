import { describe, expect, it } from 'vitest';
import { type CheckOutcome, type DoctorCheck, once, runChecks } from '../../src/doctor/framework.js';

type Ctx = Record<string, never>;
const ctx: Ctx = {};

function check(id: string, run: DoctorCheck<Ctx>['run'], extra: Partial<DoctorCheck<Ctx>> = {}): DoctorCheck<Ctx> {
  return { id, title: id.toUpperCase(), section: 'S', run, ...extra };
}
const passing = (detail = 'fine'): CheckOutcome => ({ status: 'pass', detail });
const byId = (report: Awaited<ReturnType<typeof runChecks>>) => new Map(report.sections.flatMap((s) => s.checks).map((c) => [c.id, c]));

describe('runChecks', () => {
  it('runs checks concurrently: each waits until all have started', async () => {
    const n = 4;
    let started = 0;
    let release: () => void = () => {};
    const allStarted = new Promise<void>((resolve) => {
      release = resolve;
    });
    const checks = Array.from({ length: n }, (_, i) =>
      check(`c${i}`, async () => {
        started++;
        if (started === n) release();
        await allStarted;
        return passing();
      }),
    );
    // Run one after the other, the first check would wait forever and be cut off at its timeout.
    const report = await runChecks({ checks, context: ctx, timeoutMs: 2000 });
    expect(report.summary).toMatchObject({ total: n, passed: n, failed: 0 });
    expect(report.ok).toBe(true);
  });

  it('cuts off a hanging check at its own timeout, aborts its signal, and leaves the others alone', async () => {
    let seen: AbortSignal | undefined;
    const report = await runChecks({
      checks: [
        check(
          'hang',
          (_c, signal) => {
            seen = signal;
            return new Promise<CheckOutcome>(() => {});
          },
          { timeoutMs: 50 },
        ),
        check('quick', () => passing()),
      ],
      context: ctx,
      timeoutMs: 10_000,
    });
    const results = byId(report);
    expect(results.get('hang')?.status).toBe('fail');
    expect(results.get('hang')?.detail).toMatch(/50 ms/);
    expect(results.get('quick')?.status).toBe('pass');
    expect(seen?.aborted).toBe(true);
    expect(report.ok).toBe(false);
  });

  it('bounds the whole run by the per-check timeout even when every check hangs', async () => {
    const started = performance.now();
    const report = await runChecks({
      checks: [1, 2, 3].map((i) => check(`h${i}`, () => new Promise<CheckOutcome>(() => {}))),
      context: ctx,
      timeoutMs: 100,
    });
    expect(report.summary.failed).toBe(3);
    // Did not hang: without the per-check cut-off this would never return (a generous bound, not a timing).
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('reports a check that throws, synchronously or not, as fail with the error; never rejects', async () => {
    const report = await runChecks({
      checks: [
        check('sync', () => {
          throw new Error('kaboom-sync');
        }),
        check('async', async () => {
          throw new RangeError('kaboom-async');
        }),
        check('string', async () => {
          throw 'a bare string';
        }),
        check('ok', () => passing()),
      ],
      context: ctx,
    });
    const r = byId(report);
    expect(r.get('sync')).toMatchObject({ status: 'fail' });
    expect(r.get('sync')?.detail).toContain('kaboom-sync');
    expect(r.get('async')?.detail).toContain('kaboom-async');
    expect(r.get('string')?.detail).toContain('a bare string');
    expect(r.get('ok')?.status).toBe('pass');
    expect(report.summary).toMatchObject({ total: 4, failed: 3, passed: 1 });
  });

  it('turns a malformed outcome into a fail', async () => {
    const report = await runChecks({
      checks: [
        check('bad-status', () => ({ status: 'ok', detail: 'x' }) as unknown as CheckOutcome),
        check('no-detail', () => ({ status: 'pass' }) as unknown as CheckOutcome),
        check('undefined', () => undefined as unknown as CheckOutcome),
      ],
      context: ctx,
    });
    for (const c of report.sections.flatMap((s) => s.checks)) expect(c.status).toBe('fail');
  });

  it('keeps the given order within sections, puts named sections first, and drops empty ones', async () => {
    const report = await runChecks({
      checks: [
        check('b1', () => passing(), { section: 'B' }),
        check(
          'a1',
          async () => {
            await new Promise((r) => setTimeout(r, 20));
            return passing();
          },
          { section: 'A' },
        ),
        check('b2', () => passing(), { section: 'B' }),
        check('c1', () => passing(), { section: 'C' }),
      ],
      context: ctx,
      sections: ['A', 'Empty', 'C'],
    });
    expect(report.sections.map((s) => s.title)).toEqual(['A', 'C', 'B']);
    expect(report.sections.find((s) => s.title === 'B')?.checks.map((c) => c.id)).toEqual(['b1', 'b2']);
  });

  it('ok is false only when a check failed: warnings and skips keep it true', async () => {
    const report = await runChecks({
      checks: [
        check('w', () => ({ status: 'warn', detail: 'meh', remedy: 'do this' })),
        check('s', () => ({ status: 'skip', detail: 'n/a' })),
      ],
      context: ctx,
    });
    expect(report.ok).toBe(true);
    expect(report.summary).toEqual({ total: 2, passed: 0, warnings: 1, failed: 0, skipped: 1 });
    expect(byId(report).get('w')?.remedy).toBe('do this');
    expect(byId(report).get('s')?.remedy).toBeNull();
  });

  it('applies redact to titles, details, remedies and facts', async () => {
    const report = await runChecks({
      checks: [
        check('x', () => ({ status: 'fail', detail: 'SECRET in detail', remedy: 'SECRET in remedy', facts: { Who: 'SECRET fact' } }), {
          title: 'SECRET title',
        }),
      ],
      context: ctx,
      redact: (s) => s.replaceAll('SECRET', '***'),
    });
    expect(JSON.stringify(report)).not.toContain('SECRET');
    expect(report.facts).toEqual([{ label: 'Who', value: '*** fact' }]);
  });

  it('gathers facts in check order, the first label winning', async () => {
    const report = await runChecks({
      checks: [
        check('one', async () => {
          await new Promise((r) => setTimeout(r, 20));
          return { status: 'pass', detail: '', facts: { A: '1', B: '1' } };
        }),
        check('two', () => ({ status: 'pass', detail: '', facts: { B: '2', C: '2' } })),
      ],
      context: ctx,
    });
    expect(report.facts).toEqual([
      { label: 'A', value: '1' },
      { label: 'B', value: '1' },
      { label: 'C', value: '2' },
    ]);
  });

  it('refuses two checks with one id', async () => {
    await expect(runChecks({ checks: [check('same', () => passing()), check('same', () => passing())], context: ctx })).rejects.toThrow(
      /same/,
    );
  });

  it('a cancelled run reports every unfinished check as failed, promptly', async () => {
    const controller = new AbortController();
    const pending = runChecks({ checks: [check('h', () => new Promise<CheckOutcome>(() => {}))], context: ctx, signal: controller.signal });
    controller.abort();
    const report = await pending;
    expect(report.sections[0]?.checks[0]).toMatchObject({ status: 'fail', detail: 'cancelled' });
  });
});

describe('once', () => {
  it('runs the function once for concurrent callers and shares the result', async () => {
    let calls = 0;
    const shared = once(async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      return { n: calls };
    });
    const [a, b, c] = await Promise.all([shared(), shared(), shared()]);
    expect(calls).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
  });

  it('shares a rejection, including a synchronous throw', async () => {
    let calls = 0;
    const shared = once<number>(() => {
      calls++;
      throw new Error('nope');
    });
    await expect(shared()).rejects.toThrow('nope');
    await expect(shared()).rejects.toThrow('nope');
    expect(calls).toBe(1);
  });
});
