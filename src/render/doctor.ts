import wrapAnsi from 'wrap-ansi';
import type { CheckResult, CheckStatus, DoctorReport } from '../doctor/framework.js';
import { plural } from '../text.js';
import { OWN_WORDS, remedyFor, saidText } from './remedy.js';
import { sanitize } from './sanitize.js';
import { createStyle, type Style } from './style.js';

/** The `doctor --json` document (docs/doctor.md): `ok` and the sections, each check with its duration. */
export interface DoctorDocument {
  ok: boolean;
  /** When the checks ran (ISO 8601). */
  generated_at: string | null;
  /** This CLI's version, the server checked, the verdict (docs/doctor.md). */
  summary: { cli: string; server: string | null; verdict: string | null } | null;
  sections: Array<{
    title: string;
    checks: Array<Pick<CheckResult, 'id' | 'title' | 'status' | 'remedy' | 'durationMs'> & { detail: string }>;
  }>;
}

export function doctorDocument(report: DoctorReport): DoctorDocument {
  return {
    ok: report.ok,
    generated_at: report.generatedAt ?? null,
    summary: report.about ?? null,
    sections: report.sections.map((s) => ({
      title: s.title,
      checks: s.checks.map((c) => ({
        id: c.id,
        title: c.title,
        status: c.status,
        detail: saidText(c.detail, report.remedies ?? OWN_WORDS),
        remedy: remedyFor(c, report.remedies ?? OWN_WORDS),
        durationMs: c.durationMs,
      })),
    })),
  };
}

const SYMBOL: Record<CheckStatus, string> = { pass: '✓', warn: '!', fail: '✗', skip: '-' };
const WORD: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };
const MAX_TITLE_WIDTH = 24;

function paint(status: CheckStatus, style: Style): (s: string) => string {
  return status === 'pass' ? style.green : status === 'warn' ? style.yellow : status === 'fail' ? style.red : style.dim;
}

/** `12 checks: 9 passed, 1 warning, 1 failed, 1 skipped` (skipped only when some were). */
export function doctorSummaryLine(report: DoctorReport): string {
  const s = report.summary;
  const parts = [`${s.passed} passed`, plural(s.warnings, 'warning'), `${s.failed} failed`];
  if (s.skipped) parts.push(`${s.skipped} skipped`);
  return `${plural(s.total, 'check')}: ${parts.join(', ')}`;
}

export interface FormatDoctorOptions {
  /** Wrap details to this many columns (a TTY's width); no wrapping when absent. */
  width?: number;
}

/**
 * Human output: a header per section, one line per check (a symbol on a
 * colour TTY, PASS/WARN/FAIL/SKIP otherwise), the remedy under each failure
 * or warning, and the summary line. Every string is sanitized.
 */
export function formatDoctor(report: DoctorReport, style: Style, options: FormatDoctorOptions = {}): string {
  const titles = report.sections.flatMap((s) => s.checks.map((c) => sanitize(c.title).length));
  const titleWidth = Math.min(MAX_TITLE_WIDTH, Math.max(0, ...titles));
  const markWidth = style.color ? 1 : 4;
  const beside = ' '.repeat(2 + markWidth + 1 + titleWidth + 2);
  // Too narrow for details beside the titles (a 40-column terminal): each detail goes under its title instead.
  const narrow = options.width !== undefined && options.width - beside.length < MIN_WRAP;
  const indent = narrow ? '    ' : beside;
  const room = options.width ? options.width - indent.length : Number.POSITIVE_INFINITY;
  const out: string[] = [];
  for (const section of report.sections) {
    out.push(style.bold(sanitize(section.title)));
    for (const check of section.checks) {
      const mark = paint(check.status, style)(style.color ? SYMBOL[check.status] : WORD[check.status]);
      const title = sanitize(check.title);
      let lead: string;
      if (narrow || title.length > titleWidth) {
        out.push(`  ${mark} ${title}`);
        lead = indent;
      } else {
        lead = `  ${mark} ${title.padEnd(titleWidth)}  `;
      }
      const [first = '', ...rest] = wrapWords(sanitize(saidText(check.detail, report.remedies ?? OWN_WORDS)), room);
      out.push(`${lead}${first}`, ...rest.map((l) => `${indent}${l}`));
      const remedy = remedyFor(check, report.remedies ?? OWN_WORDS);
      if (remedy && check.status !== 'pass') {
        const [fix = '', ...more] = wrapWords(`Fix: ${sanitize(remedy)}`, room);
        out.push(`${indent}${style.dim('Fix:')}${fix.slice(4)}`, ...more.map((l) => `${indent}${l}`));
      }
    }
    out.push('');
  }
  const colour = report.summary.failed ? style.red : report.summary.warnings ? style.yellow : style.green;
  out.push(colour(doctorSummaryLine(report)));
  if (report.generatedAt) out.push(style.dim(`Generated ${report.generatedAt}`));
  return `${out.join('\n')}\n`;
}

/** The fewest columns a detail is wrapped into: narrower, a line is left whole rather than cut into words per line. */
const MIN_WRAP = 30;

/** Splits text into lines of at most `room` columns at spaces (wrap-ansi; a longer word is left whole); a narrow or unknown width leaves it whole. */
function wrapWords(text: string, room: number): string[] {
  if (!Number.isFinite(room) || room < MIN_WRAP || text.length <= room) return [text];
  return wrapAnsi(text, room, { hard: false, trim: true }).split('\n');
}

export interface MarkdownOptions {
  /** The command name in the heading (default: the report's host, else `handshake`). */
  bin?: string;
  /** The subcommand in the heading (default `doctor`; `server verify` renders its report here too). */
  command?: string;
}

/**
 * A block for a support ticket: a heading, a fenced summary with the
 * versions, the failed checks and warnings with their fixes, and every check
 * in a collapsed section. Everything from the checks sits inside code
 * fences (longer than any backtick run in it), so a server-supplied string
 * cannot turn into a link, an image or markup in the ticket.
 */
export function formatDoctorMarkdown(report: DoctorReport, options: MarkdownOptions = {}): string {
  const bin = options.bin ?? report.remedies?.bin ?? 'handshake';
  const command = `${bin} ${options.command ?? 'doctor'}`;
  const plain = createStyle(false);
  const s = report.summary;
  const verdict = s.failed
    ? `${s.failed} failed${s.warnings ? `, ${plural(s.warnings, 'warning')}` : ''}`
    : s.warnings
      ? `no failures, ${plural(s.warnings, 'warning')}`
      : 'all checks passed';

  const labelWidth = Math.max(0, ...report.facts.map((f) => sanitize(f.label).length));
  const summary = [
    `${command}: ${doctorSummaryLine(report)}`,
    ...(report.generatedAt ? [`Generated ${report.generatedAt}`] : []),
    ...report.facts.map((f) => `${sanitize(f.label).padEnd(labelWidth)}  ${sanitize(saidText(f.value, report.remedies ?? OWN_WORDS))}`),
  ].join('\n');

  const problems: string[] = [];
  for (const status of ['fail', 'warn'] as const) {
    for (const section of report.sections) {
      for (const c of section.checks) {
        if (c.status !== status) continue;
        problems.push(
          `${WORD[status]}  ${sanitize(section.title)} › ${sanitize(c.title)}: ${sanitize(saidText(c.detail, report.remedies ?? OWN_WORDS))}`,
        );
        const remedy = remedyFor(c, report.remedies ?? OWN_WORDS);
        if (remedy) problems.push(`      Fix: ${sanitize(remedy)}`);
      }
    }
  }
  const all = formatDoctor(report, plain).trimEnd();

  const out = [`### \`${command}\`: ${verdict}`, '', fence(summary), ''];
  const heading = s.failed && s.warnings ? 'Failed checks and warnings' : s.failed ? 'Failed checks' : 'Warnings';
  if (problems.length) out.push(`**${heading}**`, '', fence(problems.join('\n')), '');
  out.push('<details>', '<summary>All checks</summary>', '', fence(all), '', '</details>', '');
  return out.join('\n');
}

function fence(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}text\n${text}\n${ticks}`;
}
