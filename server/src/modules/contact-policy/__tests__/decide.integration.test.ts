import type { ChannelPolicy } from "@siyu/contracts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database, Scope } from "../../../platform/db/index.ts";
import { dbKinds, openTestDatabase } from "../../../testing/databases.ts";
import { decide, quietHoursEnd, record, reserve } from "../index.ts";

const T = "ten_cp_sh"; // Asia/Shanghai (UTC+8, no DST): the default zone
const NY = "ten_cp_ny"; // America/New_York

const none = { perDay: null, perWeek: null, perMonth: null, perCalendarMonth: null, quietHours: null };

async function setPolicy(
  db: Database,
  tenantId: string,
  p: Partial<ChannelPolicy> & Pick<ChannelPolicy, "channel">,
) {
  const c = { ...none, transactionalExempt: true, ...p };
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
  await db.tenant(tenantId, (s) =>
    s.query(
      `insert into contact_policy_channels (tenant_id, channel, per_day, per_week, per_month, per_calendar_month,
              quiet_start, quiet_end, transactional_exempt)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       on conflict (tenant_id, channel) do update set per_day = excluded.per_day, per_week = excluded.per_week,
         per_month = excluded.per_month, per_calendar_month = excluded.per_calendar_month,
         quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,
         transactional_exempt = excluded.transactional_exempt`,
      [
        tenantId,
        c.channel,
        c.perDay,
        c.perWeek,
        c.perMonth,
        c.perCalendarMonth,
        c.quietHours ? minutes(c.quietHours.start) : null,
        c.quietHours ? minutes(c.quietHours.end) : null,
        c.transactionalExempt,
      ],
    ),
  );
}

const at = (iso: string) => new Date(iso);
const outcome = (d: Awaited<ReturnType<typeof decide>>, id: string) => {
  const x = d.items.find((i) => i.customerId === id);
  return x?.outcome === "allow" ? "allow" : `${x?.outcome}:${x && "reason" in x ? x.reason : ""}`;
};

describe.each(dbKinds)("contact policy: decide / record / reserve (%s)", (kind) => {
  let db: Database;
  let drop: () => Promise<void>;
  const base = { tenantId: T, purpose: "marketing" as const };

  beforeAll(async () => {
    const fresh = await openTestDatabase(kind);
    db = fresh.db;
    drop = fresh.drop;
    await db.system(async (s) => {
      await s.query("insert into tenants (id, name) values ($1, 'SH')", [T]);
      await s.query("insert into tenants (id, name, timezone) values ($1, 'NY', 'America/New_York')", [NY]);
    });
  });
  afterAll(async () => {
    await drop?.();
  });
  beforeEach(async () => {
    await db.system(async (s) => {
      for (const table of [
        "contact_touches",
        "contact_opt_outs",
        "contact_policy_channels",
        "contact_denials_daily",
      ])
        await s.query(`delete from ${table}`);
    });
  });

  it("counts the tenant's local days: 23:30 and 00:30 in Shanghai are different days", async () => {
    await setPolicy(db, T, { channel: "wecom_private", perDay: 1 });
    // 23:30 on 10 March in Shanghai is 15:30 UTC; 00:30 on 11 March is 16:30 UTC — the same UTC day.
    await record(db, {
      ...base,
      customerIds: ["c1"],
      channel: "wecom_private",
      at: at("2025-03-10T15:30:00Z"),
      ref: "r1",
    });
    const sameNight = await decide(db, {
      ...base,
      customerIds: ["c1", "c2"],
      channel: "wecom_private",
      at: at("2025-03-10T15:50:00Z"),
    });
    expect(outcome(sameNight, "c1")).toBe("deny:cap_day");
    expect(outcome(sameNight, "c2")).toBe("allow");
    expect(sameNight.denied).toEqual({ cap_day: 1 });
    const nextDay = await decide(db, {
      ...base,
      customerIds: ["c1"],
      channel: "wecom_private",
      at: at("2025-03-10T16:30:00Z"),
    });
    expect(outcome(nextDay, "c1")).toBe("allow");
    // The other channel has its own count.
    const mass = await decide(db, {
      ...base,
      customerIds: ["c1"],
      channel: "oa_template",
      at: at("2025-03-10T15:50:00Z"),
    });
    expect(outcome(mass, "c1")).toBe("allow");
  });

  it("weekly (7 local days) and 30-day caps slide at local midnight", async () => {
    await setPolicy(db, T, { channel: "wecom_private", perWeek: 2, perMonth: 3 });
    // Local days 1 March (00:10 local = 28 Feb 16:10 UTC) and 7 March.
    await record(db, {
      ...base,
      customerIds: ["w"],
      channel: "wecom_private",
      at: at("2025-02-28T16:10:00Z"),
      ref: "a",
    });
    await record(db, {
      ...base,
      customerIds: ["w"],
      channel: "wecom_private",
      at: at("2025-03-07T04:00:00Z"),
      ref: "b",
    });
    // 7 March 23:59 local: 1–7 March is 7 days → 2 touches → capped.
    expect(
      outcome(
        await decide(db, {
          ...base,
          customerIds: ["w"],
          channel: "wecom_private",
          at: at("2025-03-07T15:59:00Z"),
        }),
        "w",
      ),
    ).toBe("deny:cap_week");
    // 8 March 00:01 local: 1 March has left the window.
    expect(
      outcome(
        await decide(db, {
          ...base,
          customerIds: ["w"],
          channel: "wecom_private",
          at: at("2025-03-07T16:01:00Z"),
        }),
        "w",
      ),
    ).toBe("allow");
    await record(db, {
      ...base,
      customerIds: ["w"],
      channel: "wecom_private",
      at: at("2025-03-20T04:00:00Z"),
      ref: "c",
    });
    // 30 March local: 1 March is day 30 counting back (30 days: 1–30 March) → 3 touches → month cap.
    expect(
      outcome(
        await decide(db, {
          ...base,
          customerIds: ["w"],
          channel: "wecom_private",
          at: at("2025-03-30T04:00:00Z"),
        }),
        "w",
      ),
    ).toBe("deny:cap_month");
    // 31 March 00:30 local (30 March 16:30 UTC): 1 March is out.
    expect(
      outcome(
        await decide(db, {
          ...base,
          customerIds: ["w"],
          channel: "wecom_private",
          at: at("2025-03-30T16:30:00Z"),
        }),
        "w",
      ),
    ).toBe("allow");
  });

  it("WeCom's mass-message limits by default: once a local day, 4 per natural month", async () => {
    const ch = { ...base, channel: "wecom_mass" as const };
    for (const [i, day] of ["01", "02", "03", "04"].entries())
      await record(db, { ...ch, customerIds: ["m"], at: at(`2025-03-${day}T02:00:00Z`), ref: `mass${i}` });
    expect(
      outcome(await decide(db, { ...ch, customerIds: ["m"], at: at("2025-03-04T05:00:00Z") }), "m"),
    ).toBe("deny:cap_day");
    expect(
      outcome(await decide(db, { ...ch, customerIds: ["m"], at: at("2025-03-31T15:59:00Z") }), "m"),
    ).toBe("deny:cap_calendar_month");
    // 1 April 00:00 local is 31 March 16:00 UTC: a new natural month.
    expect(
      outcome(await decide(db, { ...ch, customerIds: ["m"], at: at("2025-03-31T16:00:00Z") }), "m"),
    ).toBe("allow");
  });

  it("quiet hours spanning midnight defer to 09:00 local, in UTC", async () => {
    await setPolicy(db, T, { channel: "wecom_private", quietHours: { start: "21:00", end: "09:00" } });
    const ch = { ...base, channel: "wecom_private" as const, customerIds: ["q"] };
    // 22:00 on 10 March local → 09:00 on 11 March local = 01:00 UTC on 11 March.
    const late = await decide(db, { ...ch, at: at("2025-03-10T14:00:00Z") });
    expect(late.items[0]).toEqual({
      customerId: "q",
      outcome: "defer",
      reason: "quiet_hours",
      notBefore: at("2025-03-11T01:00:00Z"),
    });
    expect(late.notBefore).toEqual(at("2025-03-11T01:00:00Z"));
    // 02:00 on 11 March local (10 March 18:00 UTC) → 09:00 the same local day.
    const early = await decide(db, { ...ch, at: at("2025-03-10T18:00:00Z") });
    expect(early.items[0]).toMatchObject({ outcome: "defer", notBefore: at("2025-03-11T01:00:00Z") });
    // 09:00 sharp is open; 20:59 is open.
    expect(outcome(await decide(db, { ...ch, at: at("2025-03-11T01:00:00Z") }), "q")).toBe("allow");
    expect(outcome(await decide(db, { ...ch, at: at("2025-03-11T12:59:00Z") }), "q")).toBe("allow");
    expect(
      await quietHoursEnd(db, {
        tenantId: T,
        channel: "wecom_private",
        purpose: "marketing",
        at: at("2025-03-10T14:00:00Z"),
      }),
    ).toEqual(at("2025-03-11T01:00:00Z"));
    // Transactional touches are exempt.
    expect(
      outcome(await decide(db, { ...ch, purpose: "transactional", at: at("2025-03-10T14:00:00Z") }), "q"),
    ).toBe("allow");

    // New York after DST ends (2 November 2025, UTC−5): 23:00 local on 3 Nov → 09:00 on 4 Nov = 14:00 UTC.
    await setPolicy(db, NY, { channel: "wecom_private", quietHours: { start: "21:00", end: "09:00" } });
    const ny = await decide(db, {
      tenantId: NY,
      purpose: "marketing",
      channel: "wecom_private",
      customerIds: ["n"],
      at: at("2025-11-04T04:00:00Z"),
    });
    expect(ny.notBefore).toEqual(at("2025-11-04T14:00:00Z"));
  });

  it("a deferral counts the caps of the day it lands on; a cap that holds then denies", async () => {
    await setPolicy(db, T, {
      channel: "wecom_private",
      perDay: 1,
      perWeek: 1,
      quietHours: { start: "21:00", end: "09:00" },
    });
    await setPolicy(db, T, {
      channel: "oa_template",
      perDay: 1,
      quietHours: { start: "21:00", end: "09:00" },
    });
    await record(db, {
      ...base,
      customerIds: ["d"],
      channel: "wecom_private",
      at: at("2025-03-10T04:00:00Z"),
      ref: "x",
    });
    await record(db, {
      ...base,
      customerIds: ["d"],
      channel: "oa_template",
      at: at("2025-03-10T04:00:00Z"),
      ref: "x",
    });
    // 22:00 local: tomorrow's day cap is free but the 7-day one is not.
    expect(
      outcome(
        await decide(db, {
          ...base,
          customerIds: ["d"],
          channel: "wecom_private",
          at: at("2025-03-10T14:00:00Z"),
        }),
        "d",
      ),
    ).toBe("deny:cap_week");
    expect(
      outcome(
        await decide(db, {
          ...base,
          customerIds: ["d"],
          channel: "oa_template",
          at: at("2025-03-10T14:00:00Z"),
        }),
        "d",
      ),
    ).toBe("defer:quiet_hours");
  });

  it("opt-outs deny marketing on their channel or all; transactional touches pass when exempt", async () => {
    await db.tenant(T, async (s) => {
      await s.query(
        "insert into contact_opt_outs (tenant_id, customer_id, channel, source) values ($1, 'o1', 'wecom_mass', 'staff'), ($1, 'o2', 'all', 'keyword')",
        [T],
      );
    });
    const ids = ["o1", "o2", "o3"];
    const mass = await decide(db, { ...base, customerIds: ids, channel: "wecom_mass" });
    expect(ids.map((i) => outcome(mass, i))).toEqual(["deny:opted_out", "deny:opted_out", "allow"]);
    const oa = await decide(db, { ...base, customerIds: ids, channel: "oa_template" });
    expect(ids.map((i) => outcome(oa, i))).toEqual(["allow", "deny:opted_out", "allow"]);
    const bill = await decide(db, {
      ...base,
      purpose: "transactional",
      customerIds: ids,
      channel: "oa_template",
    });
    expect(bill.allowed).toEqual(ids);
    // A channel that does not exempt transactional touches checks them like marketing.
    await setPolicy(db, T, { channel: "oa_template", transactionalExempt: false });
    const strict = await decide(db, {
      ...base,
      purpose: "transactional",
      customerIds: ids,
      channel: "oa_template",
    });
    expect(ids.map((i) => outcome(strict, i))).toEqual(["allow", "deny:opted_out", "allow"]);
  });

  it("record is idempotent per ref; exempt transactional touches do not count toward caps", async () => {
    await setPolicy(db, T, { channel: "wecom_private", perDay: 2 });
    const r = {
      ...base,
      customerIds: ["i1", "i2", "i1"],
      channel: "wecom_private" as const,
      at: at("2025-03-10T04:00:00Z"),
      ref: "flow:1:node:send",
    };
    expect(await record(db, r)).toEqual({ recorded: 2 });
    expect(await record(db, r)).toEqual({ recorded: 0 });
    await record(db, { ...r, purpose: "transactional", ref: "bill:7" });
    await record(db, { ...r, purpose: "transactional", ref: "bill:8" });
    expect(outcome(await decide(db, { ...r, at: at("2025-03-10T05:00:00Z") }), "i1")).toBe("allow");
    await record(db, { ...r, ref: "flow:2" });
    expect(outcome(await decide(db, { ...r, at: at("2025-03-10T05:00:00Z") }), "i1")).toBe("deny:cap_day");
  });

  it("reserve decides and records at once; a retry under the same ref is allowed again and counted once", async () => {
    await setPolicy(db, T, { channel: "wecom_private", perDay: 1 });
    const r = {
      ...base,
      customerIds: ["v1", "v2"],
      channel: "wecom_private" as const,
      at: at("2025-03-10T04:00:00Z"),
      ref: "step-A",
    };
    expect((await reserve(db, r)).allowed).toEqual(["v1", "v2"]);
    expect((await reserve(db, r)).allowed).toEqual(["v1", "v2"]);
    const other = await reserve(db, { ...r, ref: "step-B" });
    expect(other.allowed).toEqual([]);
    expect(other.denied).toEqual({ cap_day: 2 });
    const [n] = await db.tenant(T, (s) =>
      s.query<{ n: number }>("select count(*)::int as n from contact_touches"),
    );
    expect(n?.n).toBe(2);
    const tally = await db.tenant(T, (s) =>
      s.query(
        "select to_char(local_day, 'YYYY-MM-DD') as day, channel, reason, n from contact_denials_daily",
      ),
    );
    expect(tally).toEqual([{ day: "2025-03-10", channel: "wecom_private", reason: "cap_day", n: 2 }]);
    // A scope of another tenant is refused, not silently used.
    await expect(db.tenant(NY, (s) => decide(s, { ...r }))).rejects.toThrow(/another tenant/);
  });

  it("concurrent reserves never pass a cap of 1", async () => {
    await setPolicy(db, T, { channel: "wecom_mass", perDay: 1 });
    const customers = Array.from({ length: 200 }, (_, i) => `cc${String(i).padStart(4, "0")}`);
    const when = at("2025-03-10T04:00:00Z");
    // Open every pooled connection first, so the reserves below really overlap.
    await Promise.all(Array.from({ length: 5 }, () => db.tenant(T, (s) => s.query("select pg_sleep(0.05)"))));
    // 12 senders at once, each over an overlapping, differently ordered slice.
    const runs = await Promise.all(
      Array.from({ length: 12 }, (_, k) => {
        const slice = customers.filter((_, i) => (i + k) % 3 !== 0);
        if (k % 2) slice.reverse();
        return reserve(db, {
          ...base,
          channel: "wecom_mass",
          customerIds: slice,
          at: when,
          ref: `send-${k}`,
        });
      }),
    );
    const allowedCount = new Map<string, number>();
    for (const r of runs) for (const id of r.allowed) allowedCount.set(id, (allowedCount.get(id) ?? 0) + 1);
    expect(Math.max(...allowedCount.values())).toBe(1);
    expect(allowedCount.size).toBe(customers.length);
    const [n] = await db.tenant(T, (s) =>
      s.query<{ n: number }>("select count(*)::int as n from contact_touches where channel = 'wecom_mass'"),
    );
    expect(n?.n).toBe(customers.length);
  });

  it("a reserve waits for a concurrent one holding the same customers, then sees its touches", async () => {
    await setPolicy(db, T, { channel: "wecom_private", perDay: 1 });
    const ids = ["h1", "h2", "h3"];
    const input = {
      ...base,
      channel: "wecom_private" as const,
      customerIds: ids,
      at: at("2025-03-10T04:00:00Z"),
    };
    let reservedA!: () => void;
    const aReserved = new Promise<void>((r) => {
      reservedA = r;
    });
    let releaseA!: () => void;
    const aHolds = new Promise<void>((r) => {
      releaseA = r;
    });
    // A reserves and keeps its transaction open; B starts while A is uncommitted.
    const a = db.tenant(T, async (s) => {
      const d = await reserve(s, { ...input, ref: "A" });
      reservedA();
      await aHolds;
      return d;
    });
    await aReserved;
    let bDone = false;
    const b = reserve(db, { ...input, customerIds: [...ids].reverse(), ref: "B" }).then((d) => {
      bDone = true;
      return d;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(bDone).toBe(false);
    releaseA();
    const [da, dbb] = await Promise.all([a, b]);
    expect(da.allowed).toEqual(ids);
    expect(dbb.allowed).toEqual([]);
    expect(dbb.denied).toEqual({ cap_day: 3 });
  });

  it("decides 10,000 customers in one call with a fixed number of queries", async () => {
    await setPolicy(db, T, {
      channel: "wecom_private",
      perDay: 1,
      perWeek: 3,
      quietHours: { start: "21:00", end: "09:00" },
    });
    const ids = Array.from({ length: 10_000 }, (_, i) => `big${i}`);
    await record(db, {
      ...base,
      customerIds: ids.slice(0, 2500),
      channel: "wecom_private",
      at: at("2025-03-10T02:00:00Z"),
      ref: "earlier",
    });
    await db.tenant(T, (s) =>
      s.query(
        "insert into contact_opt_outs (tenant_id, customer_id, channel, source) select $1, x, 'all', 'import' from unnest($2::text[]) x",
        [T, ids.slice(9000)],
      ),
    );
    let queries = 0;
    const d = await db.tenant(T, (s) => {
      const counting: Scope = {
        ...s,
        tenantId: s.tenantId,
        db: s.db,
        exec: s.exec.bind(s),
        onCommit: s.onCommit.bind(s),
        query: (text, params) => {
          queries++;
          return s.query(text, params);
        },
      };
      return decide(counting, {
        ...base,
        customerIds: ids,
        channel: "wecom_private",
        at: at("2025-03-10T04:00:00Z"),
      });
    });
    expect(queries).toBeLessThanOrEqual(3);
    expect(d.items).toHaveLength(10_000);
    expect(d.denied).toEqual({ cap_day: 2500, opted_out: 1000 });
    expect(d.allowed).toHaveLength(6500);
  });
});
