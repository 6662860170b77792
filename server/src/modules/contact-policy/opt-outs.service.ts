import {
  type ContactPreferencesDto,
  type ContactPreferencesUpdate,
  contactChannels,
  type OptOutScope,
  type OptOutSource,
} from "@siyu/contracts";
import type { Actor, AuditLog } from "../../platform/audit/audit.ts";
import type { Scope } from "../../platform/db/index.ts";
import type { EventBus } from "../../platform/events/index.ts";
import { recordCustomerEvents } from "../customers/index.ts";
import { loadPolicy } from "./policy.service.ts";
import { addDays, zonedTime } from "./zone-time.ts";

/** Timeline / domain event types. */
export const optedOutEvent = "contact.opted_out";
export const optedInEvent = "contact.opted_in";

export interface OptOutInput {
  customerIds: readonly string[];
  /** One channel, or `all` marketing. */
  channel: OptOutScope;
  source: OptOutSource;
  note?: string | null;
  /** The user who did it (staff), if any. */
  userId?: string | null;
}

/**
 * Records opt-outs (bulk: imports, keyword replies, staff). A customer already opted out of that
 * scope keeps the original row (its first source and time); each new one gets a timeline entry and
 * a `contact.opted_out` domain event in the same transaction. Returns the customers newly opted out.
 */
export async function optOut(scope: Scope, events: EventBus, input: OptOutInput): Promise<string[]> {
  const ids = [...new Set(input.customerIds)];
  if (!ids.length) return [];
  const inserted = await scope.query<{ customer_id: string }>(
    `insert into contact_opt_outs (tenant_id, customer_id, channel, source, note, created_by)
     select $1, x, $3, $4, $5, $6 from unnest($2::text[]) x
     on conflict do nothing returning customer_id`,
    [scope.tenantId, ids, input.channel, input.source, input.note ?? null, input.userId ?? null],
  );
  const newIds = inserted.map((r) => r.customer_id);
  await recordCustomerEvents(
    scope,
    events,
    newIds.map((customerId) => ({
      customerId,
      type: optedOutEvent,
      data: { channel: input.channel, source: input.source, ...(input.note ? { note: input.note } : {}) },
    })),
    { publish: true },
  );
  return newIds;
}

/** Takes opt-outs back (the customer agreed again). Returns the customers whose opt-out was removed. */
export async function optIn(
  scope: Scope,
  events: EventBus,
  input: Omit<OptOutInput, "note"> & { note?: string | null },
): Promise<string[]> {
  const ids = [...new Set(input.customerIds)];
  if (!ids.length) return [];
  const removed = await scope.query<{ customer_id: string }>(
    "delete from contact_opt_outs where customer_id = any($1::text[]) and channel = $2 returning customer_id",
    [ids, input.channel],
  );
  await recordCustomerEvents(
    scope,
    events,
    removed.map((r) => ({
      customerId: r.customer_id,
      type: optedInEvent,
      data: { channel: input.channel, source: input.source, ...(input.note ? { note: input.note } : {}) },
    })),
    { publish: true },
  );
  return removed.map((r) => r.customer_id);
}

/** Whole messages that mean "stop sending me marketing" (compared after NFKC, trim, lower case). */
export const optOutKeywords = ["td", "退订", "unsubscribe", "取消订阅"];

/** The keyword `text` is, if it is one: the whole message, ignoring case, width and end punctuation. */
export function optOutKeyword(text: string): string | null {
  const t = text
    .normalize("NFKC")
    .trim()
    .replace(/^[\s"'“”‘’「」【】()（）]+|[\s"'“”‘’「」【】()（）.。!！~～]+$/gu, "")
    .toLowerCase();
  return optOutKeywords.includes(t) ? t : null;
}

/**
 * For inbound-message handlers (WeCom chat, OA message): when the customer's message is an opt-out
 * keyword (TD, 退订, unsubscribe, 取消订阅 — the whole message), opt them out of `channel` (default all
 * marketing) with source `keyword`. Returns whether it was one.
 */
export async function optOutFromKeyword(
  scope: Scope,
  events: EventBus,
  input: { customerId: string; text: string; channel?: OptOutScope; via?: string },
): Promise<{ matched: boolean; optedOut: boolean }> {
  const keyword = optOutKeyword(input.text);
  if (!keyword) return { matched: false, optedOut: false };
  const done = await optOut(scope, events, {
    customerIds: [input.customerId],
    channel: input.channel ?? "all",
    source: "keyword",
    note: input.via ? `${input.via}: ${keyword}` : keyword,
  });
  return { matched: true, optedOut: done.length > 0 };
}

/** A customer's opt-outs and counted touches per channel (today, 7 and 30 local days). */
export async function getPreferences(scope: Scope, customerId: string): Promise<ContactPreferencesDto> {
  const optOuts = await scope.query<{
    channel: OptOutScope;
    source: OptOutSource;
    note: string | null;
    created_by: string | null;
    created_at: Date;
  }>(
    "select channel, source, note, created_by, created_at from contact_opt_outs where customer_id = $1 order by channel",
    [customerId],
  );
  const { zone } = await loadPolicy(scope, "wecom_private");
  const today = zonedTime(new Date(), zone).date;
  const counts = await scope.query<{ channel: string; day: number; week: number; month: number }>(
    `select channel, count(*) filter (where local_day = $2::date)::int as day,
            count(*) filter (where local_day >= $3::date)::int as week, count(*)::int as month
       from contact_touches where customer_id = $1 and counted and local_day between $4::date and $2::date
      group by channel`,
    [customerId, today, addDays(today, -6), addDays(today, -29)],
  );
  const byChannel = new Map(counts.map((c) => [c.channel, c]));
  return {
    customerId,
    optOuts: optOuts.map((o) => ({
      channel: o.channel,
      source: o.source,
      note: o.note,
      createdBy: o.created_by,
      at: o.created_at.toISOString(),
    })),
    touches: contactChannels.map((channel) => {
      const c = byChannel.get(channel);
      return { channel, day: c?.day ?? 0, week: c?.week ?? 0, month: c?.month ?? 0 };
    }),
  };
}

/** Staff set the full set of opt-outs: new ones are recorded (source staff), missing ones removed. */
export async function setPreferences(
  scope: Scope,
  deps: { events: EventBus; audit: AuditLog },
  actor: Actor & { userId?: string | null },
  customerId: string,
  input: ContactPreferencesUpdate,
): Promise<ContactPreferencesDto> {
  const current = new Set(
    (
      await scope.query<{ channel: OptOutScope }>(
        "select channel from contact_opt_outs where customer_id = $1",
        [customerId],
      )
    ).map((r) => r.channel),
  );
  const wanted = new Set(input.optOuts);
  const added = [...wanted].filter((c) => !current.has(c));
  const removed = [...current].filter((c) => !wanted.has(c));
  const who = { source: "staff" as const, userId: actor.userId ?? null, note: input.note ?? null };
  for (const channel of added)
    await optOut(scope, deps.events, { customerIds: [customerId], channel, ...who });
  for (const channel of removed)
    await optIn(scope, deps.events, { customerIds: [customerId], channel, ...who });
  if (added.length || removed.length) {
    await deps.audit.record(scope, actor, {
      action: "contact.preferences_changed",
      targetType: "customer",
      targetId: customerId,
      data: { optedOut: added, optedIn: removed, ...(input.note ? { note: input.note } : {}) },
    });
  }
  return getPreferences(scope, customerId);
}
