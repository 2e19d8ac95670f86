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

describe('safeJson', () => {
  it('escapes C1 and bidi characters and round-trips', () => {
    const value = { v: 'a\u009bb\u202ec\u001bd' };
    const text = safeJson(value);
    for (const raw of ['\u001b', '\u009b', '\u202e']) expect(text).not.toContain(raw);
    expect(JSON.parse(text)).toEqual(value);
  });
});
