import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fillTemplate, shellCommand } from '../../src/matrix/templates.js';
import { createSecretRedactor, MIN_SECRET_LENGTH, REDACTED } from '../../src/redact.js';
import { safeJson, sanitize, sanitizeOutput } from '../../src/render/sanitize.js';
import { rawControls } from '../helpers/hostile.js';
import { evilString, fuzzCases, fuzzParams } from './arbitraries.js';

afterAll(() => {
  if (process.env.FUZZ_SCALE) console.log(`fuzz: ${fuzzCases()} cases in ${import.meta.url.split('/').pop()}`);
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: the style's own colour codes
const OWN_SGR = /\u001b\[(?:1|2|22|31|32|33|36|39)m/g;

/** The output side: the sanitizer, JSON encoding, shell quoting and redaction hold for any input. */

describe('fuzz: the sanitizer and JSON', () => {
  it('sanitize: no raw control or bidi character, and single-line unless asked', () => {
    fc.assert(
      fc.property(evilString, (s) => {
        const one = sanitize(s);
        expect(rawControls(one)).toEqual([]);
        expect(one).not.toMatch(/[\n\t]/);
        expect(rawControls(sanitize(s, { multiline: true }))).toEqual([]);
        expect(rawControls(sanitizeOutput(s, { keepStyle: true }).replace(OWN_SGR, ''))).toEqual([]);
        // Idempotent: a sanitized text has nothing left to escape.
        expect(sanitize(one)).toBe(one);
      }),
      fuzzParams(2000),
    );
  });

  it('safeJson: no raw control or bidi character, and it parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }), (value) => {
        const text = safeJson(value);
        expect(rawControls(text)).toEqual([]);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      fuzzParams(1000),
    );
  });
});

describe('fuzz: shell quoting', () => {
  // A shell cannot carry NUL in an argument; everything else must come back exactly.
  const word = evilString.map((s) => s.replaceAll('\u0000', '').replace(/[\ud800-\udfff]/g, ''));

  it('shellCommand and fillTemplate: a shell reads back exactly the words', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 20 }), (words) => {
        const direct = shellCommand(['printf', '%s\\0', ...words]);
        const viaTemplate = words.map((w) => fillTemplate('{version}', { version: w })).join(' ');
        const sh = (line: string) => execFileSync('sh', ['-c', line], { encoding: 'utf8' }).split('\0').slice(0, -1);
        expect(sh(direct)).toEqual(words);
        expect(sh(`printf '%s\\0' ${viaTemplate}`)).toEqual(words);
      }),
      // Each case runs a shell: fewer cases, many words each.
      fuzzParams(60),
    );
  });
});

describe('fuzz: redaction', () => {
  it('a secret never survives redaction, wherever it sits in the text or a document', () => {
    const secret = fc
      .string({ minLength: MIN_SECRET_LENGTH, maxLength: 24 })
      // The marker itself may contain a short secret ("dact"); that is not a leak.
      .filter((s) => !REDACTED.includes(s) && !s.includes(REDACTED));
    fc.assert(
      fc.property(secret, fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }), (s, parts) => {
        const text = parts.join(s) + s;
        const r = createSecretRedactor([s]);
        const out = r.text(text);
        // Replacing can join neighbours into a new occurrence only through the marker, which is not the secret.
        expect(out.split(REDACTED).some((piece) => piece.includes(s))).toBe(false);
        const doc = r.value({ a: text, b: [text, { c: text }] });
        for (const str of [doc.a, doc.b[0], (doc.b[1] as { c: string }).c] as string[]) {
          expect(str.split(REDACTED).some((piece) => piece.includes(s))).toBe(false);
        }
      }),
      fuzzParams(1000),
    );
  });
});
