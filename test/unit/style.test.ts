import { afterEach, describe, expect, it, vi } from 'vitest';
import { sanitizeOutput } from '../../src/render/sanitize.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

/** render/style.ts loaded afresh (ansis reads the environment when it is loaded). */
async function freshStyle() {
  vi.resetModules();
  return import('../../src/render/style.js');
}

describe("wantsColor: our rules (README's table of variables: NO_COLOR, a non-TTY), nobody else’s", () => {
  it('colour only on a TTY; NO_COLOR (any value but empty), FORCE_COLOR=0 and TERM=dumb turn it off', async () => {
    const { wantsColor } = await freshStyle();
    const tty = { isTTY: true };
    expect(wantsColor(tty, {})).toBe(true);
    expect(wantsColor({ isTTY: false }, {})).toBe(false);
    expect(wantsColor({}, {})).toBe(false);
    expect(wantsColor(tty, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor(tty, { NO_COLOR: '0' })).toBe(false);
    expect(wantsColor(tty, { NO_COLOR: '' })).toBe(true);
    expect(wantsColor(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(wantsColor(tty, { TERM: 'dumb' })).toBe(false);
    // FORCE_COLOR never turns colour on where there is no terminal (a pipe, a file, CI logs).
    expect(wantsColor({ isTTY: false }, { FORCE_COLOR: '3' })).toBe(false);
  });
});

describe('createStyle: ansis paints, wantsColor decides', () => {
  it('on: the exact SGR pairs the sanitizer keeps, whatever ansis would detect from this environment', async () => {
    // A pipe (vitest's stdout), NO_COLOR and FORCE_COLOR=0: ansis's own detection would say "no colour".
    vi.stubEnv('NO_COLOR', '1');
    vi.stubEnv('FORCE_COLOR', '0');
    vi.stubEnv('TERM', 'dumb');
    const { createStyle } = await freshStyle();
    const s = createStyle(true);
    expect(s.color).toBe(true);
    expect([s.bold('b'), s.dim('d'), s.red('r'), s.yellow('y'), s.green('g'), s.cyan('c')]).toEqual([
      '\u001b[1mb\u001b[22m',
      '\u001b[2md\u001b[22m',
      '\u001b[31mr\u001b[39m',
      '\u001b[33my\u001b[39m',
      '\u001b[32mg\u001b[39m',
      '\u001b[36mc\u001b[39m',
    ]);
    // Nested and multi-line (ansis closes and reopens around each, so a line on its own is styled whole): still only our codes.
    const nested = s.dim(`a\n${s.red('r')} b`);
    expect(sanitizeOutput(nested, { keepStyle: true })).toBe(nested);
  });

  it('the sequences the sanitizer keeps are exactly the ones a style prints: SGR bold, dim, four colours and their resets', async () => {
    const { STYLE_SEQUENCES } = await freshStyle();
    expect([...STYLE_SEQUENCES].sort()).toEqual([1, 2, 22, 31, 32, 33, 36, 39].map((n) => `\u001b[${n}m`).sort());
  });

  it('off: plain text, even where ansis would detect a colour terminal', async () => {
    vi.stubEnv('FORCE_COLOR', '3');
    vi.stubEnv('COLORTERM', 'truecolor');
    const { createStyle } = await freshStyle();
    const s = createStyle(false);
    expect(s.color).toBe(false);
    expect([s.bold('b'), s.dim('d'), s.red('r'), s.yellow('y'), s.green('g'), s.cyan('c')].join('')).toBe('bdrygc');
  });
});
