/**
 * Calendar checks for dates users type. `Date.parse` rolls 30 February over into March and takes
 * year 0, which PostgreSQL refuses (a 500 deep in a query); these say no at the door instead.
 */

const dateTime =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?\s*(Z|[+-](\d{2})(?::?(\d{2}))?)?)?$/i;

/** A real day of the proleptic Gregorian calendar, years 1–9999. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

/** `YYYY-MM-DD`, optionally with a time `HH:MM[:SS[.ffffff]]` and an offset (`Z`, `+08`, `+08:00`). */
export function isDateOrDateTime(value: string): boolean {
  const m = dateTime.exec(value);
  if (!m) return false;
  if (!isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59)) return false;
  if (m[8] !== undefined && (Number(m[8]) > 15 || Number(m[9] ?? 0) > 59)) return false;
  return true;
}

/** A bare `YYYY-MM-DD` that is a real day. */
export function isDateOnly(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && isDateOrDateTime(value);
}
