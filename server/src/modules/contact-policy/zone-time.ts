/**
 * Wall-clock arithmetic in a tenant's time zone with nothing but Intl: caps count the tenant's local
 * days and quiet hours are local times, whatever zone the server or the database session runs in.
 */

const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formats.set(zone, f);
  }
  return f;
}

export interface ZonedTime {
  /** YYYY-MM-DD in the zone. */
  date: string;
  /** Minutes since local midnight (0–1439). */
  minutes: number;
}

function parts(at: Date, zone: string) {
  const p = Object.fromEntries(
    format(zone)
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  return {
    year: Number(p.year),
    month: Number(p.month),
    day: Number(p.day),
    hour: Number(p.hour) % 24,
    minute: Number(p.minute),
    second: Number(p.second),
  };
}

/** The local date and minute of `at` in `zone`. */
export function zonedTime(at: Date, zone: string): ZonedTime {
  const p = parts(at, zone);
  return {
    date: `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`,
    minutes: p.hour * 60 + p.minute,
  };
}

/** `date` (YYYY-MM-DD) plus `days` (may be negative). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The first day of `date`'s month. */
export const monthStart = (date: string) => `${date.slice(0, 8)}01`;

/** Milliseconds the zone's wall clock is ahead of UTC at `at`. */
function offsetMs(at: Date, zone: string): number {
  const p = parts(at, zone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(at.getTime() / 1000) * 1000;
}

/**
 * The instant whose wall clock in `zone` reads `date` at `minutes` after midnight. A wall time that a
 * daylight-saving jump skips maps to the instant after the jump.
 */
export function zonedToUtc(date: string, minutes: number, zone: string): Date {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d, 0, minutes);
  const first = offsetMs(new Date(wall), zone);
  let utc = wall - first;
  const second = offsetMs(new Date(utc), zone);
  if (second !== first) utc = wall - second;
  return new Date(utc);
}

/** A valid IANA zone name, else the default (Asia/Shanghai, SPEC §0). */
export function validZone(zone: string | null | undefined): string {
  if (!zone) return "Asia/Shanghai";
  try {
    format(zone);
    return zone;
  } catch {
    return "Asia/Shanghai";
  }
}

/**
 * When quiet hours [start, end) (local minutes; end ≤ start spans midnight) hold at `local`, the
 * instant they end; else null.
 */
export function quietUntil(
  local: ZonedTime,
  quiet: { start: number; end: number } | null,
  zone: string,
): Date | null {
  if (!quiet) return null;
  const { start, end } = quiet;
  const t = local.minutes;
  if (start < end) return t >= start && t < end ? zonedToUtc(local.date, end, zone) : null;
  if (t >= start) return zonedToUtc(addDays(local.date, 1), end, zone);
  if (t < end) return zonedToUtc(local.date, end, zone);
  return null;
}

export const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
export const toHhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
