import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/handshake/observe.js';
import { parseHttpDate } from '../../src/http-date.js';

const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);

describe('parseHttpDate: only what HTTP calls a date (RFC 9110 §5.6.7)', () => {
  it('reads the IMF-fixdate and the two obsolete forms', () => {
    const at = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(at);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(at);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994', NOW)).toBe(at);
  });

  it('refuses what Date.parse would take: -1, a bare year, other formats, impossible days', () => {
    for (const value of [
      '-1',
      '1',
      '2024',
      '0',
      '2026-12-05T12:00:00Z',
      'Sun, 31 Feb 2026 08:49:37 GMT',
      'Sun, 06 Nov 1994 25:00:00 GMT',
      '',
      'tomorrow',
    ]) {
      expect(parseHttpDate(value, NOW), value).toBeNull();
    }
    expect(Number.isNaN(Date.parse('-1'))).toBe(false); // why this module exists
  });

  it("Retry-After measured against a Date of -1 uses this machine's clock instead", () => {
    expect(parseRetryAfter({ 'retry-after': 'Sat, 05 Dec 2026 12:00:30 GMT', date: '-1' }, NOW)).toBe(30_000);
  });
});
