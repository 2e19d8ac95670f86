/**
 * The one place that defines and validates flag values. A value out of range, of the wrong kind or
 * unsafe to send is a usage error (exit 2) naming the flag and what it accepts: oclif checks the ranges
 * while it parses, before anything runs, and {@link flagValueError} says its refusal in our words.
 * Commands import their flags from here.
 */
import { Errors, Flags } from '@oclif/core';
import { ErrorCode, HandshakeError, isHandshakeError } from '../../src/errors.js';

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

/** A flag's value bounds and how they are said: what `--flag` takes when its value is refused. */
type Range = {
  min: number;
  max: number;
  /** What the number counts (`milliseconds`, `bytes`, `seconds`). */
  unit: string;
  /** The value a remedy shows. */
  example: string;
  /** Seconds with fractions, parsed to milliseconds; more than 0 when `min` is 0. */
  seconds?: boolean;
};

// oclif's own whole-number check (digits only, then min and max): no `1e3`, no `0x10`, no fractions, so what
// runs is exactly what was typed. Surrounding spaces are forgiven, as they always were.
const integerParse = Flags.integer().parse;
const wholeNumber = Flags.custom<number, Range>({
  // oclif reads only opts.min and opts.max; its type knows no Range.
  parse: async (input, ctx, opts) => {
    try {
      return await integerParse(input.trim(), ctx, opts as unknown as Parameters<typeof integerParse>[2]);
    } catch (err) {
      // oclif's refusal names the trimmed value: say the value as typed (docs/embedding.md), spaces and all.
      if (err instanceof Errors.CLIError) throw new Errors.CLIError(err.message.replace(/received: [\s\S]*$/, () => `received: ${input}`));
      throw err;
    }
  },
});

// oclif has no fractional flag: seconds are read here, with oclif's words for a refusal.
const seconds = Flags.custom<number, Range>({
  parse: async (input, _ctx, { min, max }) => {
    const text = input.trim();
    const n = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
    const ms = Math.round(n * 1000);
    // Zero checked after rounding: `0.0004` is 0 ms, as refused as `0`.
    if (!Number.isFinite(n) || n < min || n > max || ms === 0) {
      throw new Errors.CLIError(`Expected a number of seconds but received: ${input}`);
    }
    return ms;
  },
});

function show(input: string): string {
  return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
}

function usageError(message: string, remedy: string): HandshakeError {
  return new HandshakeError(ErrorCode.Usage, message, { remedy });
}

// What oclif's parser makes of anything a flag's parse throws: "Parsing --name \n\t<reason>\nSee more help with --help".
const PARSING = /^Parsing --([\w-]+) \n\t([\s\S]*?)(?:\nSee more help with --help)?$/;

/**
 * A flag value oclif refused, said in our words: the flag, what it takes (its range, from the flag's own
 * definition), and the value typed; a usage error (exit 2). oclif's own message ("Expected an integer less
 * than or equal to …") names no flag. BaseCommand's catch asks this first, with the command's flags; any
 * other flag whose parse failed gets oclif's reason after its name, and `otherwise` as its remedy; a coded error
 * a flag's parse threw keeps its own words. Undefined for any other error.
 */
export function flagValueError(err: unknown, flags: Record<string, unknown> | undefined, otherwise: string): HandshakeError | undefined {
  const m = err instanceof Error ? PARSING.exec(err.message) : null;
  if (!m) return undefined;
  const [, name = '', reason = ''] = m;
  // A flag's own parse threw one of ours (a vendor's custom flag): its own words and fix, without oclif's wrapping.
  if (isHandshakeError(err)) {
    err.message = reason;
    return err;
  }
  const flag = (flags?.[name] ?? {}) as Partial<Range> & { type?: string };
  const input = /received: ([\s\S]*)$/.exec(reason)?.[1];
  const got = input === undefined ? '' : `, got ${show(input)}`;
  const { min, max } = flag;
  if (typeof min !== 'number' && typeof max !== 'number') {
    return usageError(`--${name}: ${reason.split('\n')[0]}`, otherwise);
  }
  const kind = flag.seconds ? 'a number of seconds' : flag.unit ? `a whole number of ${flag.unit}` : 'a whole number';
  const range =
    typeof min === 'number' && typeof max === 'number'
      ? flag.seconds && min === 0
        ? `more than 0 and at most ${max}`
        : `from ${min} to ${max}`
      : typeof min === 'number'
        ? `of at least ${min}`
        : `of at most ${max}`;
  const remedy = flag.example === undefined ? otherwise : `--${name} ${flag.example}`;
  return usageError(`--${name} takes ${kind} ${range}${got}`, remedy);
}

/** `--timeout MS`: 1 to {@link MAX_TIMEOUT_MS}. */
export function timeoutFlag(defaultMs = 5000) {
  return wholeNumber({
    description: `Per-request timeout in milliseconds (1 to ${MAX_TIMEOUT_MS}).`,
    default: defaultMs,
    helpValue: 'MS',
    min: 1,
    max: MAX_TIMEOUT_MS,
    unit: 'milliseconds',
    example: '5000',
  });
}

/** `--max-bytes N`: 1 to {@link MAX_BODY_BYTES}. */
export function maxBytesFlag(defaultBytes: number) {
  return wholeNumber({
    description: `Refuse a response body larger than this many bytes (1 to ${MAX_BODY_BYTES}).`,
    default: defaultBytes,
    helpValue: 'BYTES',
    min: 1,
    max: MAX_BODY_BYTES,
    unit: 'bytes',
    example: String(defaultBytes),
  });
}

/** `server upgrade --interval SECONDS` (parsed to ms): at least {@link MIN_INTERVAL_SECONDS}. */
export function intervalFlag(defaultSeconds = 2) {
  return seconds({
    description: `Seconds between polls (fractions allowed, ${MIN_INTERVAL_SECONDS} to ${MAX_WAIT_SECONDS}).`,
    default: defaultSeconds * 1000,
    defaultHelp: async () => String(defaultSeconds),
    helpValue: 'SECONDS',
    min: MIN_INTERVAL_SECONDS,
    max: MAX_WAIT_SECONDS,
    unit: 'seconds',
    seconds: true,
    example: String(defaultSeconds),
  });
}

/** `server upgrade --wait SECONDS` (parsed to ms): more than 0, at most {@link MAX_WAIT_SECONDS}. */
export function waitFlag(defaultSeconds = 600) {
  return seconds({
    description: `Seconds to wait for the server, all hops together (up to ${MAX_WAIT_SECONDS}).`,
    default: defaultSeconds * 1000,
    defaultHelp: async () => String(defaultSeconds),
    helpValue: 'SECONDS',
    min: 0,
    max: MAX_WAIT_SECONDS,
    unit: 'seconds',
    seconds: true,
    example: String(defaultSeconds),
  });
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** `-X METHOD`: an HTTP token; CONNECT, TRACE and TRACK are refused (not API calls, and undici refuses CONNECT). */
export function parseMethod(input: string): string {
  const method = input.trim().toUpperCase();
  if (!TOKEN.test(method) || method.length > 32) {
    throw usageError(`--method (-X) ${show(input)} is not an HTTP method`, '-X GET, -X POST, -X PUT, -X PATCH or -X DELETE');
  }
  if (method === 'CONNECT' || method === 'TRACE' || method === 'TRACK') {
    throw usageError(`--method (-X) ${method} is not supported by api`, '-X GET, -X POST, -X PUT, -X PATCH or -X DELETE');
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
    throw usageError(`--header (-H) ${show(line)} is not a header: write it as "Name: value"`, '-H "X-Request-Id: 42"');
  }
  const value = line.slice(i + 1).trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value) || /[^\u0000-\u00ff]/.test(value)) {
    throw usageError(
      `--header (-H) ${name}: the value holds a control or non-Latin-1 character, which cannot be sent in a header`,
      `-H "${name}: value" with printable characters only`,
    );
  }
  if (FORBIDDEN_HEADERS.has(name.toLowerCase())) {
    throw usageError(`--header (-H) ${name} cannot be set: the connection and the body's framing are handled for you`, 'Remove that -H');
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
