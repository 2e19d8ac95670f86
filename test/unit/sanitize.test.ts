import { describe, expect, it } from 'vitest';
import { safeJson, sanitize } from '../../src/render/sanitize.js';

describe('sanitize', () => {
  it('makes escape sequences visible', () => {
    expect(sanitize('1.4.2\u001b[2J\u001b]0;pwned\u0007')).toBe('1.4.2\\x1b[2J\\x1b]0;pwned\\x07');
  });
  it('escapes the one-byte CSI, DEL and bidi overrides', () => {
    expect(sanitize('a\u009b31mb\u007fc\u202ed')).toBe('a\\x9b31mb\\x7fc\\u202ed');
  });
  it('keeps newlines only when asked', () => {
    expect(sanitize('a\nb')).toBe('a\\nb');
    expect(sanitize('a\nb', { multiline: true })).toBe('a\nb');
    expect(sanitize('a\rb', { multiline: true })).toBe('a\\rb');
  });
  it('leaves ordinary text, including non-Latin scripts and emoji, alone', () => {
    expect(sanitize('Größe — 版本 ✓ 🚀')).toBe('Größe — 版本 ✓ 🚀');
  });
});

describe('invisible characters (every Unicode format character, the TAG block, Hangul fillers)', () => {
  const invisible = [
    ...[0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0x206a, 0x206b, 0x206c, 0x206d, 0x206e, 0x206f],
    ...[0x00ad, 0x180e, 0x3164, 0x115f, 0x1160, 0xffa0, 0xfff9, 0xfffa, 0xfffb, 0x200d, 0xfeff],
    ...[0xe0000, 0xe0001, 0xe0020, 0xe0041, 0xe007e, 0xe007f],
  ].map((c) => String.fromCodePoint(c));
  it('escapes each of them, also in multiline mode and in JSON, which still round-trips', () => {
    for (const ch of invisible) {
      for (const out of [sanitize(`a${ch}b`), sanitize(`a${ch}b`, { multiline: true }), safeJson({ v: `a${ch}b` })]) {
        expect(out).not.toContain(ch);
      }
      expect(JSON.parse(safeJson({ v: `a${ch}b` }))).toEqual({ v: `a${ch}b` });
    }
  });
  it('a TAG-spelled command after docker-compose becomes visible', () => {
    const hidden = [...'; rm -rf /'].map((c) => String.fromCodePoint(0xe0000 + (c.codePointAt(0) ?? 0))).join('');
    expect(sanitize(`docker-compose${hidden}`)).toMatch(/^docker-compose(\\u\{e00[0-7][0-9a-f]\})+$/);
  });
  it('every \\p{Cf} character is escaped', () => {
    for (let cp = 0; cp <= 0xe0fff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      if (/\p{Cf}/u.test(ch)) expect(sanitize(ch)).not.toContain(ch);
    }
  });
});

describe('safeJson', () => {
  it('escapes C1 and bidi characters and round-trips', () => {
    const value = { v: 'a\u009bb\u202ec\u001bd' };
    const text = safeJson(value);
    for (const raw of ['\u001b', '\u009b', '\u202e']) expect(text).not.toContain(raw);
    expect(JSON.parse(text)).toEqual(value);
  });
});
