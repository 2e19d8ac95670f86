import type { CheckStatus } from '../doctor/framework.js';
import { type ProtocolSection, SECTION_TITLES, type VerifyReport } from '../doctor/verify/index.js';
import { type FormatDoctorOptions, formatDoctor, formatDoctorMarkdown } from './doctor.js';
import { OWN_WORDS, remedyFor, saidText } from './remedy.js';
import { sanitize } from './sanitize.js';
import type { Style } from './style.js';

/** The `server verify --json` document (docs/protocol.md §1c): `ok`, the server, one row per check with its protocol section. */
export interface VerifyDocument {
  ok: boolean;
  server: string;
  checks: Array<{ id: string; title: string; status: CheckStatus; detail: string; remedy: string | null; section: string }>;
}

export function verifyDocument(report: VerifyReport): VerifyDocument {
  return {
    ok: report.ok,
    server: report.server,
    checks: report.sections.flatMap((s) =>
      s.checks.map((c) => ({
        id: c.id,
        title: c.title,
        status: c.status,
        detail: saidText(c.detail, report.remedies ?? OWN_WORDS),
        remedy: remedyFor(c, report.remedies ?? OWN_WORDS),
        section: s.title,
      })),
    ),
  };
}

/** The report with each section named as docs/protocol.md names it: `§1.4 Headers on every response`. */
function titled(report: VerifyReport): VerifyReport {
  return {
    ...report,
    sections: report.sections.map((s) => {
      const title = SECTION_TITLES[s.title as ProtocolSection];
      return { ...s, title: title ? `${s.title} ${title}` : s.title };
    }),
    facts: [{ label: 'Server', value: report.server }, ...report.facts],
  };
}

const INTRO = 'against docs/protocol.md';

/** Human output: what was checked, then doctor's layout (a header per protocol section, one line per check, its fix). */
export function formatVerify(report: VerifyReport, style: Style, options: FormatDoctorOptions = {}): string {
  const head = `${style.bold(`Server ${sanitize(report.server)}`)} ${style.dim(`checked ${INTRO}`)}\n\n`;
  const unreachable = report.reachable ? '' : `${style.red('The server could not be reached: nothing else was checked.')}\n`;
  return `${head}${formatDoctor(titled(report), style, options)}${unreachable}`;
}

/** A block for a pull request or an issue, as doctor's: summary, failures and warnings with their fixes, every check folded. */
export function formatVerifyMarkdown(report: VerifyReport, options: { bin?: string } = {}): string {
  return formatDoctorMarkdown(titled(report), { ...options, command: 'server verify' });
}
