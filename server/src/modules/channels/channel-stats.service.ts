import type { ChannelAccountFilter, ChannelOverviewDto, ChannelStatsDto, ChannelType } from "@siyu/contracts";
import type { Scope } from "../../platform/db/index.ts";
import { badRequest } from "../../platform/errors.ts";
import { connectedOaAppId } from "../official-account/index.ts";
import { localTime, tenantZone } from "./local-time.ts";

/**
 * One channel-statistics model for both engines (SPEC §3, §4). The views `channel_facts` and
 * `channel_spend` (migration 0031) give every WeCom live code and every Official Account QR code
 * the same rows — scan, add, delete facts with a time, a staff member where there is one, and the
 * 24-hour flag of a delete — so scans, adds, deletes (and within 24 h), net adds and cost per add
 * are counted here once, per local day of the tenant's zone, for either kind of channel.
 */
export interface ChannelRef {
  type: ChannelType;
  id: string;
}

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

const empty = (): Counts => ({ scans: 0, adds: 0, deletes: 0, deletesWithin24h: 0, netAdds: 0 });

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The range asked for, defaulting to the last 30 local days; at most 366 days. */
export async function resolveRange(
  scope: Scope,
  range: StatsRange,
): Promise<{ from: string; to: string; zone: string }> {
  const zone = await tenantZone(scope);
  const to = range.to ?? localTime(new Date(), zone).date;
  const from = range.from ?? addDays(to, -29);
  if (from > to) throw badRequest("from is after to");
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86400_000) + 1;
  if (days > 366) throw badRequest("at most 366 days at once");
  return { from, to, zone };
}

function bump(map: Map<string, Counts>, key: string): Counts {
  let c = map.get(key);
  if (!c) {
    c = empty();
    map.set(key, c);
  }
  return c;
}

function add(c: Counts, fact: string, n: number, within: number) {
  if (fact === "scan") c.scans += n;
  else if (fact === "add") c.adds += n;
  else if (fact === "delete") {
    c.deletes += n;
    c.deletesWithin24h += within;
  }
}

/** Spend of each period, pro rata to the days of it inside the range (fen). */
async function spendOf(
  scope: Scope,
  from: string,
  to: string,
  channel?: ChannelRef,
): Promise<Map<string, number>> {
  const rows = await scope.query<{
    channel_type: string;
    channel_id: string;
    amount_fen: string | number;
    overlap: number;
    days: number;
  }>(
    `select channel_type, channel_id, amount_fen,
            (least(period_end, $2::date) - greatest(period_start, $1::date) + 1)::int as overlap,
            (period_end - period_start + 1)::int as days
       from channel_spend
      where period_start <= $2::date and period_end >= $1::date
        and ($3::text is null or (channel_type = $3 and channel_id = $4))`,
    [from, to, channel?.type ?? null, channel?.id ?? null],
  );
  const out = new Map<string, number>();
  for (const s of rows) {
    const key = `${s.channel_type}:${s.channel_id}`;
    out.set(key, (out.get(key) ?? 0) + (Number(s.amount_fen) * Math.max(0, s.overlap)) / Math.max(1, s.days));
  }
  for (const [k, v] of out) out.set(k, Math.round(v));
  return out;
}

/** The statistics of one channel (either engine): totals, per day, per staff member. */
export async function channelStats(
  scope: Scope,
  channel: ChannelRef,
  range: StatsRange,
): Promise<ChannelStatsDto> {
  const { from, to, zone } = await resolveRange(scope, range);
  const rows = await scope.query<{
    day: string;
    staff: string | null;
    fact: string;
    n: number;
    within: number;
  }>(
    `select to_char((at at time zone $3)::date, 'YYYY-MM-DD') as day, staff, fact, count(*)::int as n,
            count(*) filter (where within_24h)::int as within
       from channel_facts
      where channel_type = $1 and channel_id = $2 and (at at time zone $3)::date between $4::date and $5::date
      group by 1, 2, 3`,
    [channel.type, channel.id, zone, from, to],
  );
  const daily = new Map<string, Counts>();
  for (let d = from; d <= to; d = addDays(d, 1)) daily.set(d, empty());
  const staff = new Map<string, Counts>();
  const total = empty();
  for (const r of rows) {
    const targets = [bump(daily, r.day), total];
    if (r.staff) targets.push(bump(staff, r.staff));
    for (const c of targets) add(c, r.fact, r.n, r.within);
  }
  for (const c of [...daily.values(), ...staff.values(), total]) c.netAdds = c.adds - c.deletes;
  const spendFen = (await spendOf(scope, from, to, channel)).get(`${channel.type}:${channel.id}`) ?? 0;
  return {
    channelType: channel.type,
    channelId: channel.id,
    from,
    to,
    timeZone: zone,
    ...total,
    spendFen,
    costPerAddFen: total.adds ? Math.round(spendFen / total.adds) : null,
    daily: [...daily.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([date, c]) => ({ date, ...c })),
    staff: [...staff.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([userid, c]) => ({ userid, ...c })),
  };
}

/**
 * Every channel of both engines over a range (totals, spend, cost per add), and both engines per day.
 *
 * OA codes are their account's (migration 0039). After the tenant switched accounts, the previous
 * account's codes stay in the overview with their history — a user's channel history must not vanish
 * with an account switch — but after the current channels and marked `otherAccount` with their
 * `appId`, as `/api/oa-qr-codes` marks them; `account` narrows the list (and the per-day series) to
 * the current channels or to the previous account's codes.
 */
export async function channelOverview(
  scope: Scope,
  range: StatsRange & { type?: ChannelType | undefined; account?: ChannelAccountFilter | undefined },
): Promise<ChannelOverviewDto> {
  const { from, to, zone } = await resolveRange(scope, range);
  const type = range.type ?? null;
  const account = range.account ?? "all";
  const current = await connectedOaAppId(scope);
  const channels = await scope.query<{
    channel_type: ChannelType;
    channel_id: string;
    name: string;
    deleted_at: Date | null;
    app_id: string | null;
    other_account: boolean;
  }>(
    `select * from (
       select channel_type, channel_id, name, deleted_at, app_id, created_at,
              coalesce(app_id <> $2, false) as other_account
         from channel_list where ($1::text is null or channel_type = $1)) l
      where $3 = 'all' or other_account = ($3 = 'previous')
      order by other_account, created_at desc, channel_id`,
    [type, current, account],
  );
  // The per-day series counts the channels listed (all of them unless the account filter narrows it).
  const listed = account === "all" ? null : new Set(channels.map((c) => `${c.channel_type}:${c.channel_id}`));
  const rows = await scope.query<{
    channel_type: ChannelType;
    channel_id: string;
    day: string;
    fact: string;
    n: number;
    within: number;
  }>(
    `select channel_type, channel_id, to_char((at at time zone $1)::date, 'YYYY-MM-DD') as day, fact,
            count(*)::int as n, count(*) filter (where within_24h)::int as within
       from channel_facts
      where (at at time zone $1)::date between $2::date and $3::date and ($4::text is null or channel_type = $4)
      group by 1, 2, 3, 4`,
    [zone, from, to, type],
  );
  const spend = await spendOf(scope, from, to);
  const per = new Map<string, Counts>();
  const daily = new Map<string, Counts>();
  for (let d = from; d <= to; d = addDays(d, 1))
    for (const t of type ? [type] : ["live_code", "oa_qr"]) daily.set(`${d}|${t}`, empty());
  for (const r of rows) {
    const key = `${r.channel_type}:${r.channel_id}`;
    if (listed && !listed.has(key)) continue;
    for (const c of [bump(per, key), bump(daily, `${r.day}|${r.channel_type}`)])
      add(c, r.fact, r.n, r.within);
  }
  for (const c of [...per.values(), ...daily.values()]) c.netAdds = c.adds - c.deletes;
  return {
    from,
    to,
    timeZone: zone,
    items: channels.map((ch) => {
      const key = `${ch.channel_type}:${ch.channel_id}`;
      const c = per.get(key) ?? empty();
      const spendFen = spend.get(key) ?? 0;
      return {
        channelType: ch.channel_type,
        channelId: ch.channel_id,
        name: ch.name,
        deleted: Boolean(ch.deleted_at),
        appId: ch.app_id,
        otherAccount: ch.other_account,
        ...c,
        spendFen,
        costPerAddFen: c.adds ? Math.round(spendFen / c.adds) : null,
      };
    }),
    daily: [...daily.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, c]) => {
        const [date, channelType] = key.split("|") as [string, ChannelType];
        return { date, channelType, ...c };
      }),
  };
}

const csvCell = (v: string | number) => {
  const s = String(v);
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v === "string" ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

/** One channel's stats as CSV (the live codes' layout): days, staff, totals, spend. */
export function channelStatsCsv(stats: ChannelStatsDto): string {
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

/** Every channel's totals as CSV (both engines). */
export function channelOverviewCsv(o: ChannelOverviewDto): string {
  const head = [
    "channel_type",
    "channel_id",
    "name",
    "scans",
    "adds",
    "deletes",
    "deletes_within_24h",
    "net_adds",
    "spend_fen",
    "cost_per_add_fen",
    // Appended, so readers of the earlier columns are unaffected.
    "app_id",
    "other_account",
  ];
  return [
    head.join(","),
    ...o.items.map((i) =>
      [
        i.channelType,
        i.channelId,
        i.name,
        i.scans,
        i.adds,
        i.deletes,
        i.deletesWithin24h,
        i.netAdds,
        i.spendFen,
        i.costPerAddFen ?? "",
        i.appId ?? "",
        i.otherAccount ? "true" : "false",
      ]
        .map(csvCell)
        .join(","),
    ),
  ].join("\r\n");
}
