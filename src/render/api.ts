import { envName } from '../env.js';
import { hint } from '../hint.js';
import { secondsUp } from '../text.js';
import { ExitCode } from './exit-codes.js';
import { remedyText } from './remedy.js';
import { sanitize } from './sanitize.js';

/**
 * `api`'s one outcome table: what an answer means for the exit code (README.md "Exit codes"), and the line it gets
 * on stderr. The body itself always goes to stdout, byte for byte.
 */
export type ApiOutcome = 'ok' | 'cli_rejected' | 'refused' | 'http_error' | 'incompatible';

export const API_OUTCOMES: Readonly<Record<ApiOutcome, { exit: number }>> = {
  /** 2xx, and the passive check found nothing that fails. */
  ok: { exit: ExitCode.Ok },
  /** 426: the server refuses this CLI (the passive check's warning names the install command). */
  cli_rejected: { exit: ExitCode.Incompatible },
  /** 401/403: the token is missing, wrong or lacks access. */
  refused: { exit: ExitCode.Unchecked },
  /** Any other non-2xx. */
  http_error: { exit: ExitCode.Unchecked },
  /** 2xx, but the passive check found the server incompatible. */
  incompatible: { exit: ExitCode.Incompatible },
};

/** The outcome of an answer with `status`, given whether the passive check fails. */
export function apiOutcome(status: number, passiveFails: boolean): ApiOutcome {
  if (status === 426) return 'cli_rejected';
  if (status === 401 || status === 403) return 'refused';
  if (status < 200 || status >= 300) return 'http_error';
  return passiveFails ? 'incompatible' : 'ok';
}

/** `api`'s line on stderr for a non-2xx answer, with the wait a 429/503 asked for when it said. */
export function formatApiStatus(bin: string, path: string, status: number, retryAfterMs: number | null): string {
  const wait = retryAfterMs === null ? '' : `; it asks to retry after ${secondsUp(retryAfterMs)} (Retry-After)`;
  return `${bin}: ${sanitize(path)} answered HTTP ${status}${wait}\n`;
}

/** What to do about a 401/403: which variable holds the token, and whether one was sent (`from` names where it came from). */
export function formatTokenHint(status: number, envPrefix: string, from: string | null): string {
  const variable = envName(envPrefix, 'TOKEN');
  const set = remedyText(hint.variable('TOKEN', { secret: true }), { bin: '', envPrefix });
  if (!from) return `No token was sent: set ${variable}. Fix: ${set}`;
  return status === 401
    ? `The token from ${from} was refused. Fix: ${set}`
    : `The token from ${from} lacks access to this path. Fix: use a token with more rights: ${set}`;
}
