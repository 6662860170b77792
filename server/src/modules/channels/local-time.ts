import type { Scope } from "../../platform/db/index.ts";

export const defaultTimeZone = "Asia/Shanghai";

export interface LocalTime {
  /** YYYY-MM-DD in the zone. */
  date: string;
  /** ISO weekday: 1 Monday … 7 Sunday. */
  weekday: number;
  /** Minutes since local midnight. */
  minutes: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();
const weekdayNumbers: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** Wall-clock date, weekday and minute of `at` in `zone`. */
export function localTime(at: Date, zone: string): LocalTime {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
    });
    formats.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: weekdayNumbers[parts.weekday ?? ""] ?? 1,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Whether `t` is inside [from, to) on one of `weekdays`; a window with to ≤ from spans midnight. */
export function inWindow(
  t: LocalTime,
  window: { weekdays?: number[] | undefined; from?: string | undefined; to?: string | undefined },
): boolean {
  if (!window.from || !window.to) return !window.weekdays || window.weekdays.includes(t.weekday);
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  if (from < to) {
    return (!window.weekdays || window.weekdays.includes(t.weekday)) && t.minutes >= from && t.minutes < to;
  }
  // Overnight: the late part belongs to the day it starts on, the early part to the day before.
  if (t.minutes >= from) return !window.weekdays || window.weekdays.includes(t.weekday);
  if (t.minutes < to) {
    const dayBefore = t.weekday === 1 ? 7 : t.weekday - 1;
    return !window.weekdays || window.weekdays.includes(dayBefore);
  }
  return false;
}

/** The tenant's zone (tenants.timezone), falling back to Asia/Shanghai when unset or unknown. */
export async function tenantZone(scope: Scope): Promise<string> {
  const [row] = await scope.query<{ timezone: string | null }>("select timezone from tenants where id = $1", [
    scope.tenantId,
  ]);
  return usableZone(row?.timezone);
}

/** Zones already checked (building an Intl.DateTimeFormat per add cost more than the add's SQL). */
const checkedZones = new Map<string, boolean>();

/** `zone` when the runtime knows it, else Asia/Shanghai. */
export function usableZone(zone: string | null | undefined): string {
  if (!zone) return defaultTimeZone;
  let ok = checkedZones.get(zone);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: zone });
      ok = true;
    } catch {
      ok = false;
    }
    checkedZones.set(zone, ok);
  }
  return ok ? zone : defaultTimeZone;
}
