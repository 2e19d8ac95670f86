/**
 * The one place that defines and validates flag values. A value out of range, of the wrong kind or
 * unsafe to send is a usage error (exit 2) naming the flag and what it accepts, thrown while oclif
 * parses, before anything runs. Commands import their flags from here.
 */
import { Flags } from '@oclif/core';
import { ErrorCode, HandshakeError } from '../../src/errors.js';

/**
 * The largest `--timeout`: one hour. A Node timer holds at most 2^31-1 ms (~24.8 days); a larger
 * value silently becomes 1 ms with a TimeoutOverflowWarning. No single request needs an hour.
 */
export const MAX_TIMEOUT_MS = 3_600_000;
/** The largest `--max-bytes`: 1 GiB (the body is held in memory). */
export const MAX_BODY_BYTES = 1024 * 1024 * 1024;
/** The floor on `--interval` (docs/commands.md "Upgrading the server"): polls no closer than 0.2 s. */
export const MIN_INTERVAL_SECONDS = 0.2;
/** The largest `--interval` and `--wait`: one day, well inside what a timer holds. */
export const MAX_WAIT_SECONDS = 86_400;

/**
 * A usage error about a flag value. oclif prefixes whatever a flag's parser throws with
 * "Parsing --flag \n\t… See more help with --help"; this one's message cannot be rewritten, so the
 * user reads one line that names the flag and its range.
 */
export class FlagValueError extends HandshakeError {
  constructor(message: string, remedy: string) {
    super(ErrorCode.Usage, message, { remedy });
    Object.defineProperty(this, 'message', { get: () => message, set: () => {}, enumerable: false, configurable: true });
  }
}

function show(input: string): string {
  return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
}

/**
 * Parses a whole number for `--flag` in `[min, max]`: digits only (no `1e3`, no `0x10`, no
 * fractions), so what runs is exactly what was typed.
 */
export function parseInteger(flag: string, input: string, min: number, max: number, unit: string, example: number): number {
  const text = input.trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new FlagValueError(`--${flag} takes a whole number of ${unit} from ${min} to ${max}, got ${show(input)}`, `--${flag} ${example}`);
  }
  return n;
}

/** Parses seconds for `--flag` (fractions allowed) in `[min, max]`; returns milliseconds. */
export function parseSeconds(flag: string, input: string, min: number, max: number, example: string): number {
  const text = input.trim();
  const n = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(n) || n < min || n > max || (min === 0 && n === 0)) {
    const range = min === 0 ? `more than 0 and at most ${max}` : `from ${min} to ${max}`;
    throw new FlagValueError(`--${flag} takes a number of seconds ${range}, got ${show(input)}`, `--${flag} ${example}`);
  }
  return Math.round(n * 1000);
}

/** `--timeout MS`: 1 to {@link MAX_TIMEOUT_MS}. */
export function timeoutFlag(defaultMs = 5000) {
  return Flags.custom<number>({
    description: `Per-request timeout in milliseconds (1 to ${MAX_TIMEOUT_MS}).`,
    default: defaultMs,
    helpValue: 'MS',
    parse: async (input) => parseInteger('timeout', input, 1, MAX_TIMEOUT_MS, 'milliseconds', 5000),
  })();
}

/** `--max-bytes N`: 1 to {@link MAX_BODY_BYTES}. */
export function maxBytesFlag(defaultBytes: number) {
  return Flags.custom<number>({
    description: `Refuse a response body larger than this many bytes (1 to ${MAX_BODY_BYTES}).`,
    default: defaultBytes,
    helpValue: 'BYTES',
    parse: async (input) => parseInteger('max-bytes', input, 1, MAX_BODY_BYTES, 'bytes', defaultBytes),
  })();
}

/** `server upgrade --interval SECONDS` (parsed to ms): at least {@link MIN_INTERVAL_SECONDS}. */
export function intervalFlag(defaultSeconds = 2) {
  return Flags.custom<number>({
    description: `Seconds between polls (fractions allowed, ${MIN_INTERVAL_SECONDS} to ${MAX_WAIT_SECONDS}).`,
    default: defaultSeconds * 1000,
    defaultHelp: async () => String(defaultSeconds),
    helpValue: 'SECONDS',
    parse: async (input) => parseSeconds('interval', input, MIN_INTERVAL_SECONDS, MAX_WAIT_SECONDS, String(defaultSeconds)),
  })();
}

/** `server upgrade --wait SECONDS` (parsed to ms): more than 0, at most {@link MAX_WAIT_SECONDS}. */
export function waitFlag(defaultSeconds = 600) {
  return Flags.custom<number>({
    description: `Seconds to wait for the server, all hops together (up to ${MAX_WAIT_SECONDS}).`,
    default: defaultSeconds * 1000,
    defaultHelp: async () => String(defaultSeconds),
    helpValue: 'SECONDS',
    parse: async (input) => parseSeconds('wait', input, 0, MAX_WAIT_SECONDS, String(defaultSeconds)),
  })();
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** `-X METHOD`: an HTTP token; CONNECT, TRACE and TRACK are refused (not API calls, and undici refuses CONNECT). */
export function parseMethod(input: string): string {
  const method = input.trim().toUpperCase();
  if (!TOKEN.test(method) || method.length > 32) {
    throw new FlagValueError(`--method (-X) ${show(input)} is not an HTTP method`, '-X GET, -X POST, -X PUT, -X PATCH or -X DELETE');
  }
  if (method === 'CONNECT' || method === 'TRACE' || method === 'TRACK') {
    throw new FlagValueError(`--method (-X) ${method} is not supported by api`, '-X GET, -X POST, -X PUT, -X PATCH or -X DELETE');
  }
  return method;
}

/**
 * Headers `-H` may not set: hop-by-hop and framing headers (the transport owns the connection and
 * the body's length), `Expect` and `Upgrade` (undici refuses them; they change the protocol), and
 * `Host`, which must name the server the URL names.
 */
export const FORBIDDEN_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'content-length',
  'host',
]);

/** One `-H "Name: value"`, validated: a header name token, a value without control characters. */
export function parseHeader(line: string): [string, string] {
  const i = line.indexOf(':');
  const name = (i < 0 ? line : line.slice(0, i)).trim();
  if (i <= 0 || !TOKEN.test(name)) {
    throw new FlagValueError(`--header (-H) ${show(line)} is not a header: write it as "Name: value"`, '-H "X-Request-Id: 42"');
  }
  const value = line.slice(i + 1).trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value) || /[^\u0000-\u00ff]/.test(value)) {
    throw new FlagValueError(
      `--header (-H) ${name}: the value holds a control or non-Latin-1 character, which cannot be sent in a header`,
      `-H "${name}: value" with printable characters only`,
    );
  }
  if (FORBIDDEN_HEADERS.has(name.toLowerCase())) {
    throw new FlagValueError(
      `--header (-H) ${name} cannot be set: the connection and the body's framing are handled for you`,
      'Remove that -H',
    );
  }
  return [name.toLowerCase(), value];
}

/** Repeated `-H` values as one header object (a later one with the same name wins). */
export function headersFrom(lines: readonly string[]): Record<string, string> {
  return Object.fromEntries(lines.map(parseHeader));
}

/** Flags every command has. */
export const commonFlags = {
  json: Flags.boolean({ description: 'Print one JSON document on stdout and nothing else.' }),
  compat: Flags.string({
    description: 'Use this compat matrix instead of the bundled one (default: $<%= config.scopedEnvVarKey("COMPAT_FILE") %>).',
    helpValue: 'FILE',
  }),
};

/** Flags of every command that talks to a server. */
export const serverFlags = {
  server: Flags.string({
    description: 'Server base URL or configured name (default: $<%= config.scopedEnvVarKey("SERVER") %>, then the current server).',
    helpValue: 'URL|NAME',
  }),
  timeout: timeoutFlag(),
};
