const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// RFC 9110 §5.6.7: the preferred IMF-fixdate, and the two obsolete forms a recipient must still accept.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
const RFC850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`, 'i');

/**
 * An HTTP date (a `Date` or `Retry-After` header) in ms since the epoch, or null when the value
 * is not one of the three forms HTTP defines (RFC 9110 §5.6.7) or names no real moment.
 * `Date.parse` is not this: it takes `-1`, `2024` or `1` as dates.
 */
export function parseHttpDate(value: string | null | undefined, now: number = Date.now()): number | null {
  const parts = dateParts(value?.trim() ?? '', now);
  if (!parts) return null;
  const { year, month, day, h, min, s } = parts;
  if (h > 23 || min > 59 || s > 60) return null;
  const ms = Date.UTC(year, MONTHS.indexOf(month.toLowerCase()), day, h, min, Math.min(s, 59));
  // 31 Feb is not a day: Date.UTC would roll it into March.
  return new Date(ms).getUTCDate() === day ? ms : null;
}

interface DateParts {
  year: number;
  month: string;
  day: number;
  h: number;
  min: number;
  s: number;
}

function dateParts(text: string, now: number): DateParts | null {
  const fix = IMF_FIXDATE.exec(text);
  if (fix)
    return {
      day: Number(fix[1]),
      month: fix[2] as string,
      year: Number(fix[3]),
      h: Number(fix[4]),
      min: Number(fix[5]),
      s: Number(fix[6]),
    };
  const old = RFC850.exec(text);
  if (old) {
    // A two-digit year more than 50 years in the future is in the past century (RFC 9110 §5.6.7).
    const thisYear = new Date(now).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(old[3]);
    if (year > thisYear + 50) year -= 100;
    return { day: Number(old[1]), month: old[2] as string, year, h: Number(old[4]), min: Number(old[5]), s: Number(old[6]) };
  }
  const asc = ASCTIME.exec(text);
  if (asc)
    return {
      month: asc[1] as string,
      day: Number(asc[2]),
      year: Number(asc[6]),
      h: Number(asc[3]),
      min: Number(asc[4]),
      s: Number(asc[5]),
    };
  return null;
}
