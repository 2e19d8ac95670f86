import { describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/doctor/framework.js';
import { doctorDocument, doctorSummaryLine, formatDoctor, formatDoctorMarkdown } from '../../src/render/doctor.js';
import { createStyle } from '../../src/render/style.js';

function report(overrides: Partial<DoctorReport> = {}): DoctorReport {
  return {
    ok: false,
    sections: [
      {
        title: 'CLI',
        checks: [{ id: 'cli.version', title: 'Version', status: 'pass', detail: 'handshake 0.9.0', remedy: null, durationMs: 1 }],
      },
      {
        title: 'Server health',
        checks: [
          {
            id: 'server.schema',
            title: 'Schema revision',
            status: 'fail',
            detail: 'behind',
            remedy: 'handshake server upgrade',
            durationMs: 3,
          },
          { id: 'server.clock', title: 'Clock skew', status: 'warn', detail: 'skewed', remedy: 'sync clocks', durationMs: 2 },
          { id: 'server.tls', title: 'TLS', status: 'skip', detail: 'not used', remedy: null, durationMs: 0 },
          { id: 'server.ok', title: 'Fine', status: 'pass', detail: 'ok', remedy: 'never shown for a pass', durationMs: 0 },
        ],
      },
    ],
    summary: { total: 5, passed: 2, warnings: 1, failed: 1, skipped: 1 },
    facts: [{ label: 'Server version', value: '1.3.0' }],
    durationMs: 5,
    ...overrides,
  };
}

describe('formatDoctor', () => {
  it('without colour: PASS/WARN/FAIL/SKIP words, no escapes, remedies under failures and warnings only', () => {
    const out = formatDoctor(report(), createStyle(false));
    expect(out).not.toContain('\u001b');
    const lines = out.split('\n');
    for (const word of ['PASS', 'WARN', 'FAIL', 'SKIP']) expect(lines.some((l) => l.trimStart().startsWith(`${word} `))).toBe(true);
    const fail = lines.findIndex((l) => l.includes('FAIL Schema revision'));
    expect(lines[fail + 1]?.trim()).toBe('Fix: handshake server upgrade');
    const warn = lines.findIndex((l) => l.includes('WARN Clock skew'));
    expect(lines[warn + 1]?.trim()).toBe('Fix: sync clocks');
    expect(out).not.toContain('never shown for a pass');
    expect(lines).toContain('Server health');
    expect(out.trimEnd().split('\n').at(-1)).toBe('5 checks: 2 passed, 1 warning, 1 failed, 1 skipped');
  });

  it('a 40-column terminal: details and fixes go under their titles, wrapped to fit', () => {
    const long = 'server 1.3.0 schema 0003_add_insight_meta_cache is 1 revision behind 0004_split_events_table, which CLI 0.9.0 needs';
    const r = report();
    const schema = r.sections[1]?.checks[0];
    if (schema)
      Object.assign(schema, {
        title: 'Schema revision',
        detail: long,
        remedy: 'handshake server upgrade --server https://observability.example.com',
      });
    const out = formatDoctor(r, createStyle(false), { width: 40 });
    const lines = out.split('\n');
    // Every check's line fits but for a single word longer than the room (the URL).
    for (const line of lines.filter((l) => l.startsWith(' ')))
      if (!line.includes('https://')) expect(line.length, line).toBeLessThanOrEqual(40);
    expect(lines).toContain('  FAIL Schema revision');
    expect(out.replace(/\s+/g, ' ')).toContain(long);
  });

  it('with colour: the symbols ✓ ! ✗ -', () => {
    const out = formatDoctor(report(), createStyle(true));
    for (const symbol of ['✓', '!', '✗', '-']) expect(out).toContain(`m${symbol}\u001b[`);
    expect(out).not.toMatch(/\bPASS\b/);
  });

  it('sanitizes what the checks say', () => {
    const r = report();
    const first = r.sections[1]?.checks[0];
    if (first) first.detail = 'evil\u001b[2J\u009b31m\u202e';
    const out = formatDoctor(r, createStyle(false));
    for (const raw of ['\u001b', '\u009b', '\u202e']) expect(out).not.toContain(raw);
    expect(out).toContain('evil\\x1b[2J');
  });

  it('wraps long details under their column on a narrow terminal', () => {
    const r = report();
    const first = r.sections[0]?.checks[0];
    if (first) first.detail = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    const out = formatDoctor(r, createStyle(false), { width: 80 });
    for (const line of out.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(out).toContain('word39');
  });
});

describe('doctorSummaryLine', () => {
  it('leaves out skipped when none were', () => {
    expect(doctorSummaryLine(report({ summary: { total: 3, passed: 3, warnings: 0, failed: 0, skipped: 0 } }))).toBe(
      '3 checks: 3 passed, 0 warnings, 0 failed',
    );
  });
});

describe('doctorDocument', () => {
  it('is exactly the contract shape, plus durationMs', () => {
    const doc = doctorDocument(report());
    expect(Object.keys(doc).sort()).toEqual(['generated_at', 'ok', 'sections', 'summary']);
    expect(Object.keys(doc.sections[0] ?? {}).sort()).toEqual(['checks', 'title']);
    expect(Object.keys(doc.sections[0]?.checks[0] ?? {}).sort()).toEqual(['detail', 'durationMs', 'id', 'remedy', 'status', 'title']);
  });
});

describe('formatDoctorMarkdown', () => {
  it('fences check text with more backticks than it contains, so it cannot close the fence', () => {
    const r = report();
    const first = r.sections[1]?.checks[0];
    if (first) first.detail = 'a ```` run and ![img](http://tracker.example/x.png)';
    const md = formatDoctorMarkdown(r);
    expect(md).toContain('`````text');
    // The image markup only ever appears inside a fence: every line with it sits between an opening and a closing fence.
    const lines = md.split('\n');
    let open: string | null = null;
    for (const line of lines) {
      const fence = /^(`{3,})/.exec(line)?.[1];
      if (fence && (open === null || fence === open)) open = open === null ? fence : null;
      else if (line.includes('![img]')) expect(open).not.toBeNull();
    }
    expect(open).toBeNull();
  });

  it('leads with the summary and the facts, then the failed checks and warnings with their fixes', () => {
    const md = formatDoctorMarkdown(report(), { bin: 'acme' });
    expect(md.startsWith('### `acme doctor`: 1 failed, 1 warning')).toBe(true);
    expect(md).toMatch(/Server version\s+1\.3\.0/);
    const problems = md.indexOf('**Failed checks and warnings**');
    expect(problems).toBeGreaterThan(-1);
    expect(md.indexOf('FAIL  Server health › Schema revision')).toBeGreaterThan(problems);
    expect(md).toContain('Fix: handshake server upgrade');
    expect(md).toContain('<details>');
  });
});
