import { durationMs, isoDurationRe } from "@siyu/contracts";

export type DurationUnit = "S" | "M" | "H" | "D" | "W";
export const durationUnits: DurationUnit[] = ["M", "H", "D", "W", "S"];
const unitMs: Record<DurationUnit, number> = {
  S: 1000,
  M: 60_000,
  H: 3_600_000,
  D: 86_400_000,
  W: 604_800_000,
};

/** `PT10M` → {amount: 10, unit: "M"}; a mixed duration becomes the largest unit that divides it. */
export function parseDuration(iso: string | undefined): { amount: number | null; unit: DurationUnit } {
  if (!iso || !isoDurationRe.test(iso)) return { amount: null, unit: "D" };
  const ms = durationMs(iso);
  for (const unit of ["W", "D", "H", "M", "S"] as DurationUnit[]) {
    if (ms > 0 && ms % unitMs[unit] === 0) return { amount: ms / unitMs[unit], unit };
  }
  return { amount: Math.round(ms / 1000), unit: "S" };
}

/** {amount: 10, unit: "M"} → `PT10M` (time units after T, days and weeks before). */
export function formatDuration(amount: number, unit: DurationUnit): string {
  const n = Math.max(0, Math.round(amount));
  return unit === "D" || unit === "W" ? `P${n}${unit}` : `PT${n}${unit}`;
}

/** Milliseconds → "3 分 20 秒"-style short text via the given unit labels. */
export function shortDuration(ms: number | null | undefined, labels: Record<"d" | "h" | "m" | "s", string>) {
  if (ms === null || ms === undefined) return "—";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}${labels.s}`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}${labels.m}`;
  const h = Math.round((m / 60) * 10) / 10;
  if (h < 48) return `${h}${labels.h}`;
  return `${Math.round((h / 24) * 10) / 10}${labels.d}`;
}
