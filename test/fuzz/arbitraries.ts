import fc from 'fast-check';
import { INSTALL_METHODS } from '../../src/matrix/schema.js';
import type { HttpResponse } from '../../src/transport/request.js';
import type { CliContext } from '../../src/verdict/verdict.js';
import { bundledJson } from '../helpers/matrix.js';

/**
 * Generators for the fuzz properties: what a hostile or broken server can
 * send (bodies, headers, statuses), and broken matrices. Biased towards the
 * shapes that reach deep code paths (a JSON content type, near-valid version
 * documents) rather than uniform noise that every parser rejects at once.
 */

/**
 * Cases per property: a quick sample inside `npm test`, `FUZZ_SCALE` times more
 * under `npm run fuzz` (scripts/fuzz.js sets it). `FUZZ_SEED` replays a failure.
 */
export function fuzzParams(base: number): fc.Parameters<unknown> {
  const scale = Number(process.env.FUZZ_SCALE ?? '1') || 1;
  const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
  const numRuns = Math.max(1, Math.round(base * scale));
  casesRun += numRuns;
  return { numRuns, ...(seed === undefined ? {} : { seed }) };
}

let casesRun = 0;
/** How many cases this file's properties asked for (printed by `npm run fuzz`). */
export function fuzzCases(): number {
  return casesRun;
}

/** Characters a terminal acts on, and text-hiding ones. */
const evilChar = fc.constantFrom(
  '\u0000',
  '\u0007',
  '\u0008',
  '\t',
  '\n',
  '\r',
  '\u001b',
  '\u001b[2J',
  '\u001b]0;t\u0007',
  '\u007f',
  '\u0085',
  '\u009b',
  '\u009b31m',
  '\u061c',
  '\u200b',
  '\u200f',
  '\u2028',
  '\u202e',
  '\u2066',
  '\u2069',
  '\ufeff',
  '\ud800',
  '$(id)',
  '`id`',
  "'",
  '"',
  ';',
  '&',
  '|',
  ' ',
  '-',
  '{version}',
);

/** Strings: any unicode, any code units, and runs of escape sequences and shell syntax. */
export const evilString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 40 }),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), evilChar), { maxLength: 12 }).map((parts) => parts.join('')),
);

const semverArb = fc
  .tuple(fc.nat(3), fc.nat(6), fc.nat(4), fc.option(fc.constantFrom('rc.1', 'beta', '0'), { nil: undefined }))
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre}` : ''}`);

/** Version-like values: valid, nearly valid, `dev`, and garbage. */
export const versionish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: semverArb },
  {
    weight: 3,
    arbitrary: fc.constantFrom('1.4.2', '1.3.0', '1.2.0', '1.5.0', '0.9.0', '0.8.5', 'dev', 'v1.4.0', ' 1.4.2 ', '1.4.0-rc.1', ''),
  },
  { weight: 2, arbitrary: evilString.map((s) => `1.4.2${s}`) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const chain = bundledJson().schema_chain.map((r) => r.revision);

export const revisionish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...chain, 'ffffffff_unknown', 'ae1027a6acf') },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/) },
  { weight: 2, arbitrary: evilString },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** A generated value as header text (some generated objects have no prototype, so String() would throw). */
const asText = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));

const opt = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, fc.constant(null));

const validVersion = fc.oneof(semverArb, fc.constantFrom('1.4.2', '1.3.0', '1.2.0', '1.5.0', '0.9.0', '0.8.5', 'v1.4.0', '1.4.0-rc.1'));
const chainRevision = fc.constantFrom(...chain, 'ffffffff_unknown');
/** Mostly `valid`, sometimes anything: so most documents parse and reach the verdict, and some break one field. */
const mostly = <T>(valid: fc.Arbitrary<T>, wild: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 30, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: wild });

/** A plausible version document: valid fields (free-text ones hostile), now and then one broken field. */
const plausibleDocument: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    server_version: mostly(fc.oneof({ weight: 9, arbitrary: validVersion }, { weight: 1, arbitrary: fc.constant('dev') }), versionish),
    schema_revision: mostly(fc.option(chainRevision), revisionish),
    min_cli_version: mostly(fc.option(validVersion), versionish),
    max_cli_version: mostly(fc.option(validVersion), versionish),
    recommended_cli_version: mostly(fc.option(validVersion), versionish),
    api_version: mostly(fc.option(evilString), fc.jsonValue({ maxDepth: 1 })),
    pending_migrations: mostly(
      fc.array(fc.oneof(chainRevision, fc.record({ revision: chainRevision, description: fc.option(evilString) })), { maxLength: 4 }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    deployment: mostly(
      fc.option(fc.oneof(fc.constantFrom('docker-compose', 'helm', 'rpm', 'deb', 'nomad', 'constructor', '__proto__', '-rf'), evilString)),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    migration_status: mostly(fc.option(fc.constantFrom('idle', 'running', 'failed')), evilString),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ['server_version'] },
);

/** A wild version document: each field valid, hostile, the wrong type, or absent. */
const wildDocument: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    server_version: versionish,
    schema_revision: opt(revisionish),
    min_cli_version: opt(versionish),
    max_cli_version: opt(versionish),
    recommended_cli_version: opt(versionish),
    api_version: opt(fc.oneof(evilString, fc.jsonValue({ maxDepth: 1 }))),
    pending_migrations: opt(
      fc.oneof(
        fc.array(fc.oneof(revisionish, fc.record({ revision: revisionish, description: opt(evilString) }, { requiredKeys: [] })), {
          maxLength: 5,
        }),
        fc.jsonValue({ maxDepth: 2 }),
      ),
    ),
    deployment: opt(
      fc.oneof(fc.constantFrom('docker-compose', 'helm', 'rpm', 'deb', 'nomad', 'constructor', '__proto__', '-rf'), evilString),
    ),
    migration_status: opt(fc.oneof(fc.constantFrom('idle', 'running', 'failed'), evilString)),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

export const versionDocument: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { weight: 3, arbitrary: plausibleDocument },
  { weight: 1, arbitrary: wildDocument },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 2, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'application/problem+json', 'APPLICATION/JSON', 'text/html') },
  { weight: 1, arbitrary: evilString },
);

const headerValueArb = fc.oneof(evilString, fc.array(evilString, { maxLength: 3 }), fc.constant(undefined));

/** Response headers (lower-case names, as undici gives them): the ones handshake reads, and noise. */
export const responseHeaders: fc.Arbitrary<HttpResponse['headers']> = fc
  .tuple(
    fc.record(
      {
        'content-type': contentType,
        'x-schema-revision': fc.oneof(revisionish.map(asText), headerValueArb),
        'x-server-version': fc.oneof(versionish.map(asText), headerValueArb),
        'x-required-cli-version': fc.oneof(versionish.map(asText), headerValueArb),
        'retry-after': fc.oneof(
          fc.nat().map(String),
          fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
          evilString,
        ),
        date: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
          evilString,
        ),
        'content-length': fc.oneof(fc.nat().map(String), evilString),
      },
      { requiredKeys: ['content-type'] },
    ),
    fc.dictionary(
      fc.oneof(fc.constantFrom('constructor', 'toString', '__proto__', 'location'), fc.string({ maxLength: 10 })),
      headerValueArb,
      {
        maxKeys: 4,
      },
    ),
  )
  .map(([known, noise]) => {
    const headers: HttpResponse['headers'] = {};
    for (const [k, v] of [...Object.entries(noise), ...Object.entries(known)]) {
      Object.defineProperty(headers, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return headers;
  });

/** A body: a version document, any JSON, deep nesting, text, or bytes. */
export const responseBody: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 12, arbitrary: versionDocument.map((d) => Buffer.from(JSON.stringify(d))) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }).map((n) => Buffer.from(`${'['.repeat(n)}${']'.repeat(n)}`)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2000 }).map((n) => Buffer.from(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`)) },
  { weight: 2, arbitrary: evilString.map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
);

export const httpStatus = fc.oneof(
  { weight: 12, arbitrary: fc.constant(200) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(201, 204, 301, 302, 304, 400, 401, 403, 404, 405, 408, 410, 426, 429, 500, 502, 503, 504),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 999 }) },
);

/** One response as the transport hands it to classifyResponse. */
export const httpResponse: fc.Arbitrary<HttpResponse> = fc.record({
  status: httpStatus,
  headers: responseHeaders,
  body: responseBody,
  url: fc.oneof(fc.constant('https://ops.example.com/api/v1/config/version'), evilString),
});

export const cliContext: fc.Arbitrary<CliContext> = fc.record({
  version: fc.constantFrom('0.9.0', '0.1.0', '1.0.0', '99.0.0', '0.9.0-rc.1'),
  installMethod: fc.constantFrom(...INSTALL_METHODS),
  envPrefix: fc.constantFrom('HANDSHAKE', 'OBSERVAL'),
});

/** Every path to a value in a JSON document, for mutations. */
export function pathsOf(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...pathsOf(v, [...prefix, i]));
  } else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

const BUNDLED = bundledJson() as unknown;
const BUNDLED_PATHS = pathsOf(BUNDLED).filter((p) => p.length > 0);

/** A value to put somewhere in a matrix. */
const matrixValue: fc.Arbitrary<unknown> = fc.oneof(
  evilString,
  versionish,
  revisionish,
  fc.constantFrom(undefined, null, [], {}, 0, -1, 1e308, '', '{version}', '{nope}', '>=1.0.0 <2.0.0', 'constructor', '__proto__'),
  fc.jsonValue({ maxDepth: 2 }),
);

/** The bundled matrix with a few random paths replaced, deleted, or given new keys. */
export const mutatedMatrix: fc.Arbitrary<unknown> = fc
  .array(fc.tuple(fc.nat(), matrixValue, fc.boolean(), fc.string({ maxLength: 8 })), { minLength: 0, maxLength: 4 })
  .map((mutations) => {
    const doc = structuredClone(BUNDLED) as Record<string, unknown>;
    for (const [n, value, addKey, key] of mutations) {
      const path = BUNDLED_PATHS[n % BUNDLED_PATHS.length] as Array<string | number>;
      let parent: unknown = doc;
      for (const p of path.slice(0, -1)) parent = (parent as Record<string | number, unknown> | undefined)?.[p];
      if (parent === null || typeof parent !== 'object') continue;
      const last = path.at(-1) as string | number;
      const target = parent as Record<string | number, unknown>;
      if (addKey && !Array.isArray(parent))
        Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
      else if (value === undefined) delete target[last];
      else target[last] = value;
    }
    return doc;
  });

/** Any JSON at all, as a matrix. */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4 });
