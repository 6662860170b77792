import type { AllocationStrategy, StaffOption } from "@siyu/contracts";
import { inWindow, type LocalTime } from "./local-time.ts";

export interface AllocationInput {
  strategy: AllocationStrategy;
  staff: string[];
  backup: string[];
  dailyCap: number | null;
  options: Record<string, StaffOption>;
  /** Adds each member got through this code today (tenant zone). */
  addsToday: Record<string, number>;
  now: LocalTime;
  /** by_region: the scan's region (landing link parameter); absent, or matching nobody → round robin. */
  region?: string | null | undefined;
}

const normalRegion = (r: string) =>
  r
    .trim()
    .toLowerCase()
    .replace(/(省|市|自治区|特别行政区|地区|盟|自治州)$/u, "");

/**
 * Whether a scan from `region` is for a member serving `regions`: either names the other (`广东省广州市`
 * is served by `广州` and by `广东`; `广东` by a member of `广东省`), ignoring case and a trailing 省/市.
 */
export function regionMatches(region: string, regions: readonly string[] | undefined): boolean {
  const scan = normalRegion(region);
  if (!scan || !regions?.length) return false;
  return regions.some((r) => {
    const mine = normalRegion(r);
    return Boolean(mine) && (scan.includes(mine) || mine.includes(scan));
  });
}

/**
 * Who the contact way should hold now. WeCom, not Siyu, picks the member a customer reaches: with a
 * multi-member way it rotates among the way's members. So Siyu steers by editing the way's member
 * list (update_contact_way) after adds and on a schedule:
 *
 * - eligible = pool members under their daily cap (own `dailyCap` or the code's) and, for
 *   `working_hours`, on duty now; when nobody is eligible, the backup members under their caps;
 *   when nobody is left at all, the whole pool (a way may not be empty, and a customer who scans must
 *   reach someone — the cap is then exceeded and visible in the stats);
 * - round_robin / working_hours: all eligible members (WeCom rotates among them);
 * - least_loaded: the eligible members with the fewest adds today;
 * - weighted: the eligible members with the lowest adds/weight, so adds follow the weights over a day;
 * - by_region: for a scan with a region (landing link), the eligible members serving it (each region
 *   has its own contact way, shown by the landing page); without one, or when nobody serves it, all
 *   eligible members (round robin).
 *
 * A cap is therefore enforced after the add that reaches it: adds already on their way (a scan in the
 * second before the update) still land, so a member can end a day slightly over the cap.
 */
export function allocate(input: AllocationInput): string[] {
  const capOf = (u: string) => input.options[u]?.dailyCap ?? input.dailyCap ?? null;
  const underCap = (u: string) => {
    const cap = capOf(u);
    return cap === null || (input.addsToday[u] ?? 0) < cap;
  };
  const onDuty = (u: string) => {
    if (input.strategy !== "working_hours") return true;
    const hours = input.options[u]?.hours;
    if (!hours?.length) return true;
    return hours.some((h) => inWindow(input.now, h));
  };
  let eligible = input.staff.filter((u) => underCap(u) && onDuty(u));
  if (!eligible.length) eligible = input.backup.filter((u) => underCap(u));
  if (!eligible.length) return [...input.staff];
  const load = (u: string) => input.addsToday[u] ?? 0;
  switch (input.strategy) {
    case "by_region": {
      const region = input.region;
      if (!region) return eligible;
      const serving = eligible.filter((u) => regionMatches(region, input.options[u]?.regions));
      return serving.length ? serving : eligible;
    }
    case "least_loaded": {
      const min = Math.min(...eligible.map(load));
      return eligible.filter((u) => load(u) === min);
    }
    case "weighted": {
      const ratio = (u: string) => load(u) / (input.options[u]?.weight ?? 1);
      const min = Math.min(...eligible.map(ratio));
      return eligible.filter((u) => ratio(u) === min);
    }
    default:
      return eligible;
  }
}

export function sameMembers(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join("\u0000") === [...b].sort().join("\u0000");
}
