import type { LiveCodeStatsDto } from "@siyu/contracts";
import type { Scope } from "../../platform/db/index.ts";
import { badRequest } from "../../platform/errors.ts";
import { channelStats } from "./channel-stats.service.ts";
import { localTime, tenantZone } from "./local-time.ts";

/**
 * Channel statistics, counted from the rows themselves (adds, deletions, scans), per local day of the
 * tenant's zone. At SCRM volumes (thousands of adds a day per tenant) grouped counts over
 * (tenant, code, time) indexes answer in milliseconds; a daily rollup table can come later without
 * changing the API.
 *
 * Orders and revenue, later (SPEC §5): an add records `customer_id` (channel_adds) and the customer's
 * `source` is `live_code:<id>` when the code brought them. The commerce hub's orders carry
 * `customer_id`; revenue per code = sum of orders whose customer's first add (min added_at per
 * customer in channel_adds) came through the code, optionally only orders placed after that add and
 * within an attribution window. The commerce module will expose a per-customer order summary through
 * its public service; channels joins it by customer id — no module reads the other's tables.
 */
export interface StatsRange {
  from?: string | undefined;
  to?: string | undefined;
}

interface Counts {
  scans: number;
  adds: number;
  deletes: number;
  deletesWithin24h: number;
  netAdds: number;
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export async function liveCodeStats(scope: Scope, id: string, range: StatsRange): Promise<LiveCodeStatsDto> {
  // Scans, adds, deletes, net adds, spend: the channel-statistics model shared with OA QR codes.
  const {
    channelType: _type,
    channelId: _id,
    ...common
  } = await channelStats(scope, { type: "live_code", id }, range);
  const zone = common.timeZone;
  const inRange = (column: string) => `(${column} at time zone $2)::date between $3::date and $4::date`;
  const params = [id, zone, common.from, common.to];
  const [extra] = await scope.query<{
    expired: number;
    sent: number;
    failed: number;
    pending: number;
    skipped: number;
  }>(
    `select count(*) filter (where expired)::int as expired,
            count(*) filter (where welcome_status = 'sent')::int as sent,
            count(*) filter (where welcome_status in ('failed', 'unknown'))::int as failed,
            count(*) filter (where welcome_status = 'pending')::int as pending,
            count(*) filter (where welcome_status = 'none')::int as skipped
       from channel_adds where live_code_id = $1 and ${inRange("added_at")}`,
    params,
  );
  return {
    liveCodeId: id,
    ...common,
    expiredAdds: extra?.expired ?? 0,
    welcome: {
      sent: extra?.sent ?? 0,
      failed: extra?.failed ?? 0,
      pending: extra?.pending ?? 0,
      skipped: extra?.skipped ?? 0,
    },
  };
}

/** Totals per code over a range, plus the adds that came through no code ("no channel"). */
export async function channelSummary(
  scope: Scope,
  range: StatsRange,
): Promise<{
  from: string;
  to: string;
  items: Array<{ liveCodeId: string | null; name: string; adds: number; deletes: number; netAdds: number }>;
}> {
  const zone = await tenantZone(scope);
  const to = range.to ?? localTime(new Date(), zone).date;
  const from = range.from ?? addDays(to, -29);
  if (from > to) throw badRequest("from is after to");
  const rows = await scope.query<{
    live_code_id: string | null;
    name: string | null;
    adds: number;
    deletes: number;
  }>(
    `with ev as (
       select live_code_id, 1 as a, 0 as d from channel_adds
        where (added_at at time zone $1)::date between $2::date and $3::date
       union all
       select live_code_id, 0, 1 from channel_deletes
        where (deleted_at at time zone $1)::date between $2::date and $3::date)
     select ev.live_code_id, c.name, sum(ev.a)::int as adds, sum(ev.d)::int as deletes
       from ev left join live_codes c on c.id = ev.live_code_id
      group by ev.live_code_id, c.name
      order by 3 desc, 1`,
    [zone, from, to],
  );
  return {
    from,
    to,
    items: rows.map((r) => ({
      liveCodeId: r.live_code_id,
      name: r.live_code_id ? (r.name ?? "") : "no channel",
      adds: r.adds,
      deletes: r.deletes,
      netAdds: r.adds - r.deletes,
    })),
  };
}

const csvCell = (v: string | number) => {
  const s = String(v);
  // Spreadsheet formulas never start a cell (=, +, -, @), and quotes are doubled.
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v === "string" ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

/** The stats as CSV: one row per day, then one per staff member, then the totals. */
export function statsCsv(stats: LiveCodeStatsDto): string {
  const head = ["section", "key", "scans", "adds", "deletes", "deletes_within_24h", "net_adds"];
  const line = (section: string, key: string, c: Counts) =>
    [section, key, c.scans, c.adds, c.deletes, c.deletesWithin24h, c.netAdds].map(csvCell).join(",");
  return [
    head.join(","),
    ...stats.daily.map((d) => line("day", d.date, d)),
    ...stats.staff.map((s) => line("staff", s.userid, s)),
    line("total", `${stats.from}..${stats.to}`, stats),
    ["spend_fen", stats.spendFen, "cost_per_add_fen", stats.costPerAddFen ?? ""].map(csvCell).join(","),
  ].join("\r\n");
}
