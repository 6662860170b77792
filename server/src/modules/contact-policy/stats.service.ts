import { type ContactChannel, type ContactStatsDto, contactChannels } from "@siyu/contracts";
import type { Scope } from "../../platform/db/index.ts";
import { loadPolicy } from "./policy.service.ts";
import { addDays, zonedTime } from "./zone-time.ts";

/** Touches per channel per local day and refusals by reason over the last `days` local days. */
export async function contactStats(scope: Scope, days: number): Promise<ContactStatsDto> {
  const { zone } = await loadPolicy(scope, "wecom_private");
  const today = zonedTime(new Date(), zone).date;
  const from = addDays(today, -(days - 1));
  const dayList = Array.from({ length: days }, (_, i) => addDays(from, i));
  const touches = await scope.query<{ local_day: string; channel: ContactChannel; n: number }>(
    `select to_char(local_day, 'YYYY-MM-DD') as local_day, channel, count(*)::int as n from contact_touches
      where tenant_id = $1 and local_day between $2::date and $3::date group by 1, 2`,
    [scope.tenantId, from, today],
  );
  const denied = await scope.query<{ reason: string; n: number }>(
    `select reason, sum(n)::int as n from contact_denials_daily
      where local_day between $1::date and $2::date group by 1 order by 2 desc, 1`,
    [from, today],
  );
  const [opted] = await scope.query<{ n: number }>(
    "select count(distinct customer_id)::int as n from contact_opt_outs",
  );
  const index = new Map(dayList.map((d, i) => [d, i]));
  const series = new Map<ContactChannel, number[]>(contactChannels.map((c) => [c, dayList.map(() => 0)]));
  for (const t of touches) {
    const i = index.get(t.local_day);
    const s = series.get(t.channel);
    if (i !== undefined && s) s[i] = t.n;
  }
  return {
    timezone: zone,
    days: dayList,
    touches: contactChannels.map((channel) => ({ channel, counts: series.get(channel) ?? [] })),
    denied,
    optedOut: opted?.n ?? 0,
  };
}
