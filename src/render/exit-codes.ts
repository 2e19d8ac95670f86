import { ErrorCode, isHandshakeError } from '../errors.js';
import { type Severity, type Status, UNCHECKED_STATUSES } from '../verdict/verdict.js';

/** Exit codes (README.md "Exit codes"). */
export const ExitCode = {
  Ok: 0,
  Bug: 1,
  Usage: 2,
  Incompatible: 3,
  Unchecked: 4,
  Interrupted: 130,
  /** SIGTERM (CI cancelled, `docker stop`). */
  Terminated: 143,
} as const;

/** The exit code of a verdict: errors 3 (or 4 when the server could not be checked), warnings 3 only with --strict. */
export function exitCodeForVerdict(v: { status: Status; severity: Severity }, strict = false): number {
  if (v.severity === 'error') return UNCHECKED_STATUSES.has(v.status) ? ExitCode.Unchecked : ExitCode.Incompatible;
  if (v.severity === 'warn' && strict) return ExitCode.Incompatible;
  return ExitCode.Ok;
}

/** The exit code of a thrown error. Anything not coded is a bug (1). */
export function exitCodeForError(err: unknown): number {
  if (!isHandshakeError(err)) return ExitCode.Bug;
  // A command stopped by the feature gate exits as its verdict does: 3 lacking the feature, 4 not checked.
  // (session/feature-gate.ts's FeatureUnavailableError, known by its code and report, not imported here.)
  if (err.code === ErrorCode.FeatureUnavailable && 'report' in err) {
    return exitCodeForVerdict((err as typeof err & { report: { status: Status; severity: Severity } }).report);
  }
  switch (err.code) {
    case ErrorCode.MatrixInvalid:
    case ErrorCode.MatrixMissing:
    case ErrorCode.ConfigInvalid:
    case ErrorCode.Usage:
    case ErrorCode.NoServer:
      return ExitCode.Usage;
    case ErrorCode.ChainMismatch:
      return ExitCode.Incompatible;
    case ErrorCode.Aborted:
      return ExitCode.Interrupted;
    case ErrorCode.Internal:
      return ExitCode.Bug;
    default:
      return ExitCode.Unchecked;
  }
}
