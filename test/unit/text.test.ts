import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatSeconds, plural, pluralWord, roughDuration, secondsUp, shortList } from '../../src/text.js';

const UNIT_MS: Record<string, number> = { s: 1000, min: 60_000, h: 3_600_000, days: 86_400_000 };

/** `3 min 5 s` → 185000: what a duration in words says, in ms. */
function readDuration(text: string): number {
  const parts = text.split(' ');
  expect(parts.length % 2, text).toBe(0);
  let ms = 0;
  for (let i = 0; i < parts.length; i += 2) {
    const unit = UNIT_MS[parts[i + 1] as string];
    expect(unit, text).toBeDefined();
    expect(parts[i], text).toMatch(/^(0|[1-9]\d*)$/);
    ms += Number(parts[i]) * (unit as number);
  }
  return ms;
}

const ms = fc.integer({ min: 0, max: 400 * 86_400_000 });

describe('plural and pluralWord: a count and its noun', () => {
  it('says one for exactly 1, the plural for every other count', () => {
    expect(plural(1, 'migration')).toBe('1 migration');
    expect(plural(3, 'migration')).toBe('3 migrations');
    expect(plural(0, 'warning')).toBe('0 warnings');
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
    expect(plural(1, 'more problem')).toBe('1 more problem');
    expect(pluralWord(1, 'is', 'are')).toBe('is');
    expect(pluralWord(2, 'is', 'are')).toBe('are');
    // A verb agrees the other way round: `HEAD sends`, `HEAD and GET send`.
    expect(pluralWord(1, 'sends', 'send')).toBe('sends');
    expect(pluralWord(2, 'sends', 'send')).toBe('send');
  });

  it('property: the count comes first, as given, and the noun is the singular only for 1', () => {
    fc.assert(
      fc.property(fc.nat(1_000_000), fc.stringMatching(/^[a-z]{1,12}$/), (n, word) => {
        const said = plural(n, word);
        expect(said).toBe(`${n} ${n === 1 ? word : `${word}s`}`);
        expect(said.startsWith(`${n} `)).toBe(true);
      }),
    );
  });
});

describe('shortList: up to max items, then how many more', () => {
  it('lists a short list whole and cuts a long one', () => {
    expect(shortList([])).toBe('');
    expect(shortList(['a', 'b', 'c'])).toBe('a, b, c');
    expect(shortList(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c and 2 more');
    expect(shortList(['a', 'b', 'c'], { max: 2, separator: '; ', beforeMore: '; ' })).toBe('a; b; and 1 more');
    expect(shortList([1, 2, 3, 4, 5], { max: 4, show: (n) => `#${n}` })).toBe('#1, #2, #3, #4 and 1 more');
  });

  it('writes only the items it shows', () => {
    const shown: string[] = [];
    shortList(['a', 'b', 'c', 'd'], {
      max: 2,
      show: (s) => {
        shown.push(s);
        return s;
      },
    });
    expect(shown).toEqual(['a', 'b']);
  });

  it('property: the items shown and the count said add up to the list', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { maxLength: 30 }), fc.integer({ min: 1, max: 12 }), (items, max) => {
        const said = shortList(items, { max });
        const more = / and (\d+) more$/.exec(said);
        const shown = (more ? said.slice(0, more.index) : said).split(', ').filter(Boolean);
        expect(shown).toEqual(items.slice(0, max));
        expect(shown.length + (more ? Number(more[1]) : 0)).toBe(items.length);
        expect(more === null).toBe(items.length <= max);
      }),
    );
  });
});

describe('durations', () => {
  it('formatDuration: elapsed and left, to the second', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(42_999)).toBe('42 s');
    expect(formatDuration(60_000)).toBe('1 min');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatDuration(3_600_000)).toBe('1 h');
    expect(formatDuration(7_260_000)).toBe('2 h 1 min');
  });

  it('property formatDuration: read back, it is the time floored (to the second below an hour, to the minute above), and never decreases', () => {
    fc.assert(
      fc.property(ms, ms, (a, b) => {
        const back = readDuration(formatDuration(a));
        const unit = a < 3_600_000 ? 1000 : 60_000;
        expect(back).toBe(Math.floor(a / unit) * unit);
        if (a <= b) expect(back).toBeLessThanOrEqual(readDuration(formatDuration(b)));
      }),
    );
  });

  it('roughDuration: one rounded unit', () => {
    expect(roughDuration(61_000)).toBe('61 s');
    expect(roughDuration(119_400)).toBe('119 s');
    expect(roughDuration(300_000)).toBe('5 min');
    expect(roughDuration(3 * 3_600_000)).toBe('3 h');
    expect(roughDuration(2 * 86_400_000)).toBe('2 days');
  });

  it('property roughDuration: within one of its unit of the time, and never decreasing', () => {
    fc.assert(
      fc.property(ms, ms, (a, b) => {
        const said = roughDuration(a);
        const unit = UNIT_MS[said.split(' ')[1] as string] as number;
        expect(Math.abs(readDuration(said) - a)).toBeLessThan(unit);
        if (a <= b) expect(readDuration(said)).toBeLessThanOrEqual(readDuration(roughDuration(b)));
      }),
    );
  });

  it('formatSeconds: an interval or a limit as it was set', () => {
    expect(formatSeconds(500)).toBe('0.5 s');
    expect(formatSeconds(250)).toBe('0.25 s');
    expect(formatSeconds(2000)).toBe('2 s');
    expect(formatSeconds(600_000)).toBe('600 s');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (n) => {
        const said = formatSeconds(n);
        expect(said).toMatch(/^(0|[1-9]\d*)(\.\d{1,3})? s$/);
        expect(Math.round(Number.parseFloat(said) * 1000)).toBe(n);
      }),
    );
  });

  it('secondsUp: a wait asked for is never said shorter than asked', () => {
    expect(secondsUp(1)).toBe('1 s');
    expect(secondsUp(2000)).toBe('2 s');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (n) => {
        const said = Number.parseInt(secondsUp(n), 10) * 1000;
        expect(said).toBeGreaterThanOrEqual(n);
        expect(said - n).toBeLessThan(1000);
      }),
    );
  });
});

describe('formatBytes: a size, never rounded up past the limit it states', () => {
  it('says bytes, KiB and MiB', () => {
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(50)).toBe('50 bytes');
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(1500)).toBe('1.4 KiB (1500 bytes)');
    expect(formatBytes(64 * 1024 * 1024)).toBe('64 MiB');
  });

  it('property: the size said is at most the size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (n) => {
        const [value, unit] = formatBytes(n).split(' ');
        const size = { byte: 1, bytes: 1, KiB: 1024, MiB: 1024 * 1024 }[unit as string] as number;
        expect(Number(value) * size).toBeLessThanOrEqual(n);
      }),
    );
  });
});
