import type { ContactChannel, ContactPurpose, DeferReason, DenyReason } from "@siyu/contracts";
import type { Database, Scope } from "../../../platform/db/index.ts";
import { badRequest } from "../../../platform/errors.ts";
import { type EffectivePolicy, loadPolicy } from "../policy.service.ts";
import { addDays, monthStart, quietUntil, zonedTime } from "../zone-time.ts";

export interface CheckInput {
  /** Must be the scope's tenant (when a scope is given); opens the transaction when a Database is. */
  tenantId: string;
  customerIds: readonly string[];
  channel: ContactChannel;
  purpose: ContactPurpose;
  /** When the touch would go out; default now. */
  at?: Date;
}

export interface TouchInput extends CheckInput {
  /**
   * The caller's step key (a flow node run, a mass message id): one touch per customer per ref, so a
   * retried step never counts twice, and re-reserving under the same ref is not refused by its own touch.
   */
  ref: string;
}

export type ContactDecision =
  | { customerId: string; outcome: "allow" }
  | { customerId: string; outcome: "defer"; reason: DeferReason; notBefore: Date }
  | { customerId: string; outcome: "deny"; reason: DenyReason };

export interface ContactDecisions {
  /** One per distinct customer id, in the order given. */
  items: ContactDecision[];
  allowed: string[];
  /** Customers refused, by reason. */
  denied: Partial<Record<DenyReason, number>>;
  deferred: number;
  /** Set when quiet hours hold at `at`: the UTC instant they end. */
  notBefore: Date | null;
}

/** A transaction of the tenant, or the database to open one on. */
export type ScopeOrDb = Scope | Database;

const isDatabase = (x: ScopeOrDb): x is Database => typeof (x as Database).tenant === "function";

export function inScope<T>(target: ScopeOrDb, tenantId: string, fn: (s: Scope) => Promise<T>): Promise<T> {
  if (isDatabase(target)) return target.tenant(tenantId, fn);
  if (target.tenantId !== tenantId) throw new Error("contact-policy: scope of another tenant");
  return fn(target);
}

const maxIds = 200_000;

function distinctIds(ids: readonly string[]): string[] {
  if (ids.length > maxIds) throw badRequest(`at most ${maxIds} customers per check`);
  return [...new Set(ids)];
}

interface Context {
  ids: string[];
  policy: EffectivePolicy;
  zone: string;
  at: Date;
  /** The local day a touch at `at` falls on. */
  day: string;
  exempt: boolean;
  notBefore: Date | null;
  /** The local day caps are counted for: the day quiet hours end on when deferred. */
  capDay: string;
}

async function context(s: Scope, input: CheckInput): Promise<Context> {
  const ids = distinctIds(input.customerIds);
  const at = input.at ?? new Date();
  if (Number.isNaN(at.getTime())) throw badRequest("invalid time");
  const { zone, policy } = await loadPolicy(s, input.channel);
  const local = zonedTime(at, zone);
  const exempt = input.purpose === "transactional" && policy.transactionalExempt;
  const notBefore = exempt ? null : quietUntil(local, policy.quiet, zone);
  return {
    ids,
    policy,
    zone,
    at,
    day: local.date,
    exempt,
    notBefore,
    capDay: notBefore ? zonedTime(notBefore, zone).date : local.date,
  };
}

const hasCaps = (p: EffectivePolicy) =>
  p.perDay !== null || p.perWeek !== null || p.perMonth !== null || p.perCalendarMonth !== null;

/**
 * The set-based check: one query for opt-outs and one for the counted touches in the cap windows,
 * whatever the number of customers. `ref` leaves out touches recorded under that ref (a retry is not
 * refused by its own reservation).
 */
async function evaluate(s: Scope, c: Context, ref: string | null): Promise<ContactDecisions> {
  const result: ContactDecisions = { items: [], allowed: [], denied: {}, deferred: 0, notBefore: null };
  if (c.ids.length === 0) return result;
  if (c.exempt) {
    result.items = c.ids.map((customerId) => ({ customerId, outcome: "allow" as const }));
    result.allowed = [...c.ids];
    return result;
  }
  const optedOut = new Set(
    (
      await s.query<{ customer_id: string }>(
        `select distinct customer_id from contact_opt_outs
          where customer_id = any($1::text[]) and channel = any($2::text[])`,
        [c.ids, ["all", c.policy.channel]],
      )
    ).map((r) => r.customer_id),
  );
  const counts = new Map<string, { day: number; week: number; month: number; cal: number }>();
  if (hasCaps(c.policy)) {
    const week = addDays(c.capDay, -6);
    const month = addDays(c.capDay, -29);
    const cal = monthStart(c.capDay);
    const [from] = [cal, month].sort() as [string, string];
    const rows = await s.query<{
      customer_id: string;
      day: number;
      week: number;
      month: number;
      cal: number;
    }>(
      `select customer_id,
              count(*) filter (where local_day = $3::date)::int as day,
              count(*) filter (where local_day >= $4::date)::int as week,
              count(*) filter (where local_day >= $5::date)::int as month,
              count(*) filter (where local_day >= $6::date)::int as cal
         from contact_touches
        where tenant_id = $8 and channel = $1 and customer_id = any($2::text[]) and counted
          and local_day between $7::date and $3::date and ($9::text is null or ref <> $9)
        group by customer_id`,
      [c.policy.channel, c.ids, c.capDay, week, month, cal, from, s.tenantId, ref],
    );
    for (const r of rows) counts.set(r.customer_id, r);
  }
  const p = c.policy;
  for (const customerId of c.ids) {
    let reason: DenyReason | null = null;
    if (optedOut.has(customerId)) reason = "opted_out";
    else {
      const n = counts.get(customerId);
      if (n) {
        if (p.perDay !== null && n.day >= p.perDay) reason = "cap_day";
        else if (p.perWeek !== null && n.week >= p.perWeek) reason = "cap_week";
        else if (p.perMonth !== null && n.month >= p.perMonth) reason = "cap_month";
        else if (p.perCalendarMonth !== null && n.cal >= p.perCalendarMonth) reason = "cap_calendar_month";
      } else if (p.perDay === 0) reason = "cap_day";
      else if (p.perWeek === 0) reason = "cap_week";
      else if (p.perMonth === 0) reason = "cap_month";
      else if (p.perCalendarMonth === 0) reason = "cap_calendar_month";
    }
    if (reason) {
      result.items.push({ customerId, outcome: "deny", reason });
      result.denied[reason] = (result.denied[reason] ?? 0) + 1;
    } else if (c.notBefore) {
      result.items.push({ customerId, outcome: "defer", reason: "quiet_hours", notBefore: c.notBefore });
      result.deferred++;
    } else {
      result.items.push({ customerId, outcome: "allow" });
      result.allowed.push(customerId);
    }
  }
  if (result.deferred) result.notBefore = c.notBefore;
  return result;
}

/**
 * Whether each customer may be touched on `channel` at `at`, without recording anything (dry runs,
 * previews). `deny` (opted_out | cap_day | cap_week | cap_month | cap_calendar_month) is final for
 * that instant; `defer` means quiet hours hold and `notBefore` (UTC) is when they end — the caps are
 * then counted for the day the deferral lands on. Transactional touches on a channel that exempts
 * them are always allowed. Set-based: three queries for any number of customers.
 */
export function decide(target: ScopeOrDb, input: CheckInput): Promise<ContactDecisions> {
  return inScope(target, input.tenantId, async (s) => evaluate(s, await context(s, input), null));
}

async function insertTouches(s: Scope, c: Context, ids: string[], ref: string, purpose: ContactPurpose) {
  if (!ids.length) return 0;
  const counted = purpose === "marketing" || !c.policy.transactionalExempt;
  const rows = await s.query<{ customer_id: string }>(
    `insert into contact_touches (tenant_id, channel, customer_id, ref, purpose, counted, at, local_day)
     select $1, $2, x, $4, $5, $6, $7, $8::date from unnest($3::text[]) x
     on conflict do nothing returning customer_id`,
    [s.tenantId, c.policy.channel, ids, ref, purpose, counted, c.at, c.day],
  );
  return rows.length;
}

/**
 * Counts a touch of each customer (those actually sent), idempotent per (channel, customer, ref): a
 * retried step records nothing new. Returns how many were new. Use it after sending when the caller
 * decided with decide(); prefer reserve(), which decides and records atomically.
 */
export function record(target: ScopeOrDb, input: TouchInput): Promise<{ recorded: number }> {
  if (!input.ref) throw badRequest("ref is required");
  return inScope(target, input.tenantId, async (s) => {
    const c = await context(s, input);
    return { recorded: await insertTouches(s, c, c.ids, input.ref, input.purpose) };
  });
}

/**
 * decide() and record() of the allowed customers as one atomic step: the (channel, customer) lock
 * rows are taken in id order first, so two concurrent reserves for the same customer run one after
 * the other and cannot both pass a cap. Refusals are tallied per day and reason for the dashboard.
 * Idempotent per `ref`: a retry allows again the customers its first run recorded (unless they
 * opted out meanwhile) and records nothing twice. Run it in the transaction that commits the send
 * decision (e.g. inside the flow step), so a rollback releases the reservation.
 */
export function reserve(target: ScopeOrDb, input: TouchInput): Promise<ContactDecisions> {
  if (!input.ref) throw badRequest("ref is required");
  return inScope(target, input.tenantId, async (s) => {
    const c = await context(s, input);
    if (!c.exempt && hasCaps(c.policy) && c.ids.length) {
      const sorted = [...c.ids].sort();
      await s.query(
        `insert into contact_touch_locks (tenant_id, channel, customer_id)
         select $1, $2, x from unnest($3::text[]) x on conflict do nothing`,
        [s.tenantId, c.policy.channel, sorted],
      );
      await s.query(
        `select 1 from contact_touch_locks where tenant_id = $1 and channel = $2 and customer_id = any($3::text[])
          order by customer_id collate "C" for update`,
        [s.tenantId, c.policy.channel, sorted],
      );
    }
    const decisions = await evaluate(s, c, input.ref);
    await insertTouches(s, c, decisions.allowed, input.ref, input.purpose);
    const reasons = Object.entries(decisions.denied).sort(([a], [b]) => a.localeCompare(b));
    if (reasons.length) {
      await s.query(
        `insert into contact_denials_daily (tenant_id, local_day, channel, reason, n)
         select $1, $2::date, $3, r, n from unnest($4::text[], $5::int[]) as x(r, n)
         on conflict (tenant_id, local_day, channel, reason) do update set n = contact_denials_daily.n + excluded.n`,
        [s.tenantId, c.day, c.policy.channel, reasons.map(([r]) => r), reasons.map(([, n]) => n)],
      );
    }
    return decisions;
  });
}

/**
 * When quiet hours of `channel` hold at `at` (default now) for a touch of `purpose`, the UTC instant
 * they end; else null. For callers that send one thing to many (a mass message, a flow's batch) and
 * want to wait as a whole before reserving.
 */
export function quietHoursEnd(
  target: ScopeOrDb,
  input: Omit<CheckInput, "customerIds">,
): Promise<Date | null> {
  return inScope(
    target,
    input.tenantId,
    async (s) => (await context(s, { ...input, customerIds: [] })).notBefore,
  );
}
