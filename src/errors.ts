/**
 * Every failure the SDK can report is a {@link HandshakeError} with a stable
 * `code` (never parse `message`) and, where one exists, what fixes it: a `hint`
 * (the remedy as data, src/hint.ts) or, where it needs no host context, a
 * `remedy` in words. `src/render/` alone says a hint, in the host CLI's words
 * (`remedyFor(err, context)`, exported by the SDK). Commands map codes to exit
 * codes; the SDK itself never prints or exits.
 */

import { type FlagName, type Hint, hint } from './hint.js';
import { optionText } from './option.js';
import { plural } from './text.js';

/** Stable error codes. Adding one is a minor change; renaming one is breaking. */
export const ErrorCode = {
  /** A `compat.json` (bundled or `--compat`) failed to parse or validate. */
  MatrixInvalid: 'E_MATRIX_INVALID',
  /** A CLI that mounts handshake ships no compat matrix of its own (docs/embedding.md): nothing to check against. */
  MatrixMissing: 'E_MATRIX_MISSING',
  /** The user's config file is unreadable or invalid. */
  ConfigInvalid: 'E_CONFIG_INVALID',
  /** A flag or argument is wrong in a way the flag parser could not see. */
  Usage: 'E_USAGE',
  /** No server URL was given. */
  NoServer: 'E_NO_SERVER',
  /** The request did not complete within its deadline. */
  Timeout: 'E_TIMEOUT',
  /** DNS, refused, reset, or another connection-level failure. */
  Unreachable: 'E_UNREACHABLE',
  /** The TLS handshake failed (self-signed, expired, wrong host…). */
  Tls: 'E_TLS',
  /** The response body exceeded the size cap. */
  TooLarge: 'E_TOO_LARGE',
  /** The server answered, but not with what was asked for. */
  InvalidResponse: 'E_INVALID_RESPONSE',
  /** The server answered with a non-2xx status. */
  HttpStatus: 'E_HTTP_STATUS',
  /** The operation was aborted by the caller (Ctrl-C). */
  Aborted: 'E_ABORTED',
  /** The matrix's schema chain does not match the migrations it is checked against (`compat sync`), or they have more than one head. */
  ChainMismatch: 'E_CHAIN_MISMATCH',
  /** A command needs a feature the server lacks, or a server it could not check for it (docs/matrix.md "Features"). */
  FeatureUnavailable: 'E_FEATURE_UNAVAILABLE',
  /** Not expected: a bug. */
  Internal: 'E_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface HandshakeErrorOptions {
  /** The remedy in words, when it needs no host context; otherwise give {@link hint}. */
  remedy?: string | null;
  /** The remedy as data, said in the host CLI's words by `src/render/`'s remedyFor. */
  hint?: Hint | null;
  /** The message as data, where it names what the caller passed: see {@link HandshakeError.said}. */
  said?: Hint | null;
  cause?: unknown;
}

/** Base class of every error the SDK throws on purpose. */
export class HandshakeError extends Error {
  readonly code: ErrorCode;
  /** The remedy in words, when it came in words; a {@link hint} is said by `remedyFor(err, context)` (src/render/remedy.ts). */
  readonly remedy: string | null;
  /** The remedy as data: a command of the host CLI, a flag, a variable… said with the host's bin, prefix and server. */
  readonly hint: Hint | null;
  /**
   * The message as data when it names what the caller passed ({@link inputError}): `render/` says it with the host's
   * flag (`--to "banana" is not…`); {@link message} names an SDK call's option (`{ to: "banana" } is not…`).
   */
  readonly said: Hint | null;

  constructor(code: ErrorCode, message: string, options: HandshakeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HandshakeError';
    this.code = code;
    this.hint = options.hint ?? null;
    this.said = options.said ?? null;
    // Words are decided in render/ alone, with the host's bin and prefix: a hint is never said here.
    this.remedy = options.remedy ?? null;
  }
}

/** One problem found while validating a matrix: where, and what is wrong. */
export interface MatrixIssue {
  /** A dotted path into the document, e.g. `upgrade_stops[1]`; empty for the root. */
  path: string;
  message: string;
}

/** The matrix file could not be read, parsed or validated. */
export class MatrixError extends HandshakeError {
  readonly file: string;
  readonly issues: readonly MatrixIssue[];

  constructor(file: string, issues: readonly MatrixIssue[], options: HandshakeErrorOptions = {}) {
    const first = issues[0];
    const where = first ? (first.path ? `${first.path}: ${first.message}` : first.message) : 'invalid';
    const more = issues.length > 1 ? ` (and ${plural(issues.length - 1, 'more problem')})` : '';
    super(ErrorCode.MatrixInvalid, `Invalid compat matrix ${file}: ${where}${more}`, {
      // No flag here: whoever knows how the file was chosen (src/session/resolve.ts) says how else to run.
      remedy: options.remedy ?? (options.hint ? undefined : `Fix ${file}`),
      hint: options.hint,
      cause: options.cause,
    });
    this.name = 'MatrixError';
    this.file = file;
    this.issues = issues;
  }
}

/** A request failed below HTTP, or its body broke a transport limit. */
export class TransportError extends HandshakeError {
  /** The URL that was requested, without credentials. */
  readonly url: string;

  constructor(code: ErrorCode, message: string, url: string, options: HandshakeErrorOptions = {}) {
    super(code, message, options);
    this.name = 'TransportError';
    this.url = url;
  }
}

/**
 * A usage error about a value the caller passed: `{flag}` in `text` names it — on a command line as the host's flag
 * (`--to "banana"`, said by `render/`), in an SDK call as its option (`{ to: "banana" }`, the message). `quote` puts
 * the value in double quotes on a command line.
 */
export function inputError(
  input: { flag: FlagName; value: string; quote?: boolean },
  text: string,
  options: Omit<HandshakeErrorOptions, 'said'> = {},
): HandshakeError {
  const said: Hint = { ...hint.flag(input.flag, input.value, text), ...(input.quote ? { quote: true } : {}) };
  return new HandshakeError(
    ErrorCode.Usage,
    text.replace('{flag}', () => optionText(input.flag, input.value)),
    { ...options, said },
  );
}

/** Type guard: is `err` a {@link HandshakeError}, optionally with the given code? */
export function isHandshakeError(err: unknown, code?: ErrorCode): err is HandshakeError {
  return err instanceof HandshakeError && (code === undefined || err.code === code);
}
