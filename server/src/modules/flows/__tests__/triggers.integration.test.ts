import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { appendTimeline, upsertCustomers, type Writer } from "../../customers/index.ts";
import { segmentTriggerTenants, sweepSegmentTriggers } from "../engine/segment-triggers.ts";

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** trigger → wait a day → end: an instance stays visible (waiting) once started. */
const flowOf = (trigger: Record<string, unknown>, reentry: Record<string, unknown> = { mode: "once" }) => ({
  nodes: [
    { id: "t", type: "trigger", params: trigger },
    { id: "w", type: "wait", params: { duration: "P1D" } },
    { id: "e", type: "end", params: {} },
  ],
  edges: [
    { from: "t", to: "w" },
    { from: "w", to: "e" },
  ],
  settings: { reentry, variables: {} },
});

describe.each(dbKinds)("segment-entry, bulk tag and webhook triggers (%s)", (kind) => {
  let t: TestApp;
  let token: string;
  let tenantId: string;
  beforeAll(async () => {
    t = await startTestApp(kind, { LOG_LEVEL: process.env.FLOW_LOG ?? "silent" });
    token = await t.login();
    const me = (await call("GET", "/api/auth/me")).json();
    tenantId = me.user.tenantId;
  });
  afterAll(async () => {
    await t?.close();
  });

  const call = (method: string, url: string, body?: unknown, headers?: Record<string, string>) =>
    t.call(method, url, { token, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
  const db = () => t.siyu.platform.db;

  async function publishFlow(name: string, definition: unknown): Promise<string> {
    const created = await call("POST", "/api/flows", { name, definition });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const pub = await call("POST", `/api/flows/${id}/publish`);
    expect(pub.statusCode, pub.body).toBe(200);
    return id;
  }
  async function segment(name: string, expression: string): Promise<string> {
    const res = await call("POST", "/api/segments", { name, expression });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  }
  async function customer(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await call("POST", "/api/customers", { name, ...extra });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  }
  const instances = async (flowId: string, customerId?: string) =>
    (
      await db().query<{
        id: string;
        customer_id: string | null;
        trigger_event: { payload: unknown } | null;
      }>(
        `select id, customer_id, trigger_event from flow_instances where flow_id = $1
           and ($2::text is null or customer_id = $2) order by started_at, id`,
        [flowId, customerId ?? null],
      )
    ).map((r) => r);
  const memberRows = async (flowId: string, customerId?: string) =>
    (
      await db().query<{ n: number }>(
        `select count(*)::int as n from flow_segment_members where flow_id = $1
           and ($2::text is null or customer_id = $2)`,
        [flowId, customerId ?? null],
      )
    )[0]!.n;
  /** Waits until every event published so far has been handled by the flows' subscribers. */
  const settle = () =>
    eventually(
      async () => {
        await t.siyu.platform.events.dispatchPending();
        const [r] = await db().query<{ n: number }>(
          `select count(*)::int as n from outbox o, unnest(array['flows.segment-entry', 'flows.triggers']) as s(name)
            where (o.dispatched_at is null or s.name = any(o.delivered_to))
              and not exists (select 1 from processed_events p where p.subscriber = s.name and p.event_id = o.event_id)
              and (s.name = 'flows.segment-entry' or o.type in ('customer.tag_added', 'customers.imported', 'customers.upserted'))`,
        );
        return r!.n;
      },
      (n) => n === 0,
    );

  // First: the tenant has no segment-entry trigger yet.
  it("without segment-entry triggers a tenant's events make no segment work; publishing one starts it at once", async () => {
    const gate = segmentTriggerTenants(t.siyu.platform);
    const delivered = async () => {
      const [r] = await db().query<{ jobs: number; processed: number; members: number }>(
        `select (select count(*)::int from outbox where tenant_id = $1 and 'flows.segment-entry' = any(delivered_to)) as jobs,
                (select count(*)::int from processed_events where tenant_id = $1 and subscriber = 'flows.segment-entry') as processed,
                (select count(*)::int from flow_segment_members where tenant_id = $1) as members`,
        [tenantId],
      );
      return r!;
    };
    const seg = await segment("门控", 'tag("门控")');
    // Other triggers are not segment-entry triggers.
    await publishFlow("只有 webhook", flowOf({ event: "webhook" }));
    const early = await customer("发布前");
    expect((await call("POST", `/api/customers/${early}/tags`, { tags: ["门控"] })).statusCode).toBeLessThan(
      300,
    );
    await settle();
    const [{ n: events }] = (await db().query<{ n: number }>(
      "select count(*)::int as n from outbox where tenant_id = $1 and payload->>'customerId' = $2",
      [tenantId, early],
    )) as [{ n: number }];
    expect(events).toBeGreaterThan(0);
    // No delivery job, no transaction, no membership row: the dispatcher asked the cache and stopped.
    expect(await delivered()).toEqual({ jobs: 0, processed: 0, members: 0 });
    expect(gate.age(tenantId)).toBeLessThan(Number.POSITIVE_INFINITY);

    const flowId = await publishFlow("门控流程", flowOf({ event: "segment_entry", segmentId: seg }));
    // Forgotten on commit, so the next event is evaluated without waiting for the cache to expire.
    expect(gate.age(tenantId)).toBe(Number.POSITIVE_INFINITY);
    expect(await memberRows(flowId, early)).toBe(1); // seeded silently at publish
    const late = await customer("发布后");
    await call("POST", `/api/customers/${late}/tags`, { tags: ["门控"] });
    await eventually(
      async () => (await instances(flowId, late)).length,
      (n) => n === 1,
      10_000,
    );
    await settle();
    expect((await instances(flowId)).map((i) => i.customer_id)).toEqual([late]);
    const after = await delivered();
    expect(after.jobs).toBeGreaterThan(0);
    expect(after.processed).toBeGreaterThan(0);
  });

  it("segment entry starts once per entry: every_time → 2 after enter, leave, enter; once → 1", async () => {
    const seg = await segment("入群客户", 'tag("入群")');
    const every = await publishFlow(
      "每次进入",
      flowOf({ event: "segment_entry", segmentId: seg }, { mode: "every_time" }),
    );
    const once = await publishFlow("仅一次", flowOf({ event: "segment_entry", segmentId: seg }));
    const c = await customer("进群的人");

    expect((await call("POST", `/api/customers/${c}/tags`, { tags: ["入群"] })).statusCode).toBeLessThan(300);
    await eventually(
      async () => (await instances(every, c)).length + (await instances(once, c)).length,
      (n) => n === 2,
    );
    expect(await instances(every, c)).toHaveLength(1);
    expect(await instances(once, c)).toHaveLength(1);
    expect((await instances(every, c))[0]!.trigger_event).toMatchObject({
      type: "segment_entry",
      payload: { customerId: c, segmentId: seg },
    });

    // Another fact about a member (still in the segment) is no new entry.
    await call("POST", `/api/customers/${c}/tags`, { tags: ["别的标签"] });
    await settle();
    expect(await instances(every, c)).toHaveLength(1);

    // Leaving forgets the membership…
    await call("DELETE", `/api/customers/${c}/tags/${encodeURIComponent("入群")}`);
    await eventually(
      async () => (await memberRows(every, c)) + (await memberRows(once, c)),
      (n) => n === 0,
    );
    expect(await memberRows(every, c)).toBe(0);

    // …so entering again is a second entry: every_time starts again, once does not.
    await call("POST", `/api/customers/${c}/tags`, { tags: ["入群"] });
    await eventually(
      async () => (await instances(every, c)).length,
      (n) => n === 2,
    );
    await settle();
    expect(await instances(every, c)).toHaveLength(2);
    expect(await memberRows(once, c)).toBe(1);
    expect(await instances(once, c)).toHaveLength(1);
    // The sweep finds nothing new to do.
    expect(await sweepSegmentTriggers(t.siyu.platform, { t: tenantId, f: every })).toEqual({
      entered: 0,
      left: 0,
    });
  });

  it("publishing seeds the current members silently, unless includeExisting", async () => {
    const seg = await segment("老客户", 'tag("老客")');
    const old = [await customer("老客甲"), await customer("老客乙"), await customer("老客丙")];
    for (const id of old) await call("POST", `/api/customers/${id}/tags`, { tags: ["老客"] });
    await settle();

    const quiet = await publishFlow("只迎新", flowOf({ event: "segment_entry", segmentId: seg }));
    expect(await memberRows(quiet)).toBe(3);
    // Neither the sweep nor the members' later facts start them: they did not enter.
    expect(await sweepSegmentTriggers(t.siyu.platform, { t: tenantId, f: quiet })).toEqual({
      entered: 0,
      left: 0,
    });
    await call("POST", `/api/customers/${old[0]}/tags`, { tags: ["回访"] });
    await settle();
    expect(await instances(quiet)).toHaveLength(0);

    const all = await publishFlow(
      "含存量",
      flowOf({ event: "segment_entry", segmentId: seg, includeExisting: true }),
    );
    await eventually(
      async () => (await instances(all)).length,
      (n) => n >= 3,
    );
    expect((await instances(all)).map((i) => i.customer_id).sort()).toEqual([...old].sort());

    // A newcomer starts both.
    const fresh = await customer("新客");
    await call("POST", `/api/customers/${fresh}/tags`, { tags: ["老客"] });
    await eventually(
      async () => (await instances(quiet)).length + (await instances(all)).length,
      (n) => n === 5,
    );
    expect((await instances(quiet)).map((i) => i.customer_id)).toEqual([fresh]);
    expect(await instances(all)).toHaveLength(4);

    // Republishing an unchanged trigger keeps the membership (no one starts again).
    const flow = (await call("GET", `/api/flows/${quiet}`)).json();
    await call("PUT", `/api/flows/${quiet}`, { name: "只迎新 v2", definition: flow.definition });
    expect((await call("POST", `/api/flows/${quiet}/publish`)).json()).toEqual({ version: 2 });
    expect(await memberRows(quiet)).toBe(4);
  });

  it("the sweep catches a time-based segment (no order in 90 days)", async () => {
    const seg = await segment("沉睡会员", 'tag("会员") AND NOT has_event("order.paid", 90d)');
    const flowId = await publishFlow("唤醒", flowOf({ event: "segment_entry", segmentId: seg }));
    const c = await customer("会员甲", { tags: ["会员"] });
    await db().tenant(tenantId, (s) =>
      appendTimeline(s, t.siyu.platform.events, c, "order.paid", { amountFen: 9900 }),
    );
    await settle();
    // Tagged first, then an order: may have entered for a moment; what counts is the state now.
    const before = (await instances(flowId, c)).length;
    expect(await memberRows(flowId, c)).toBe(0);

    // Time passes (the order is now 91 days old): no event says so, only the sweep sees it.
    await db().query(
      "update customer_events set at = now() - interval '91 days' where customer_id = $1 and type = 'order.paid'",
      [c],
    );
    await settle();
    expect(await instances(flowId, c)).toHaveLength(before);
    const swept = await sweepSegmentTriggers(t.siyu.platform, { t: tenantId, f: flowId });
    expect(swept.entered).toBe(1);
    expect(await memberRows(flowId, c)).toBe(1);
    expect((await instances(flowId, c)).length).toBe(before + 1);
  });

  it("bulk writes start tag triggers for every customer tagged: an import of 500 and a batch sync of 500", async () => {
    const imported = await publishFlow("导入打标", flowOf({ event: "customer.tag_added", tag: "批量" }));
    const synced = await publishFlow("同步打标", flowOf({ event: "customer.tag_added", tag: "同步" }));
    const other = await publishFlow("别的标签", flowOf({ event: "customer.tag_added", tag: "不相干" }));

    const rows = Array.from({ length: 500 }, (_, i) => `批量${i},139${String(10_000_000 + i)},批量`);
    const up = await t.app.inject({
      method: "POST",
      url: "/api/imports",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
      payload: `name,phone,tags\n${rows.join("\n")}\n`,
    });
    expect(up.statusCode, up.body).toBe(201);
    const importId = up.json().id as string;
    await call("PUT", `/api/imports/${importId}`, {
      mapping: { name: "name", phone: "phone", tags: "tags" },
    });
    expect((await call("POST", `/api/imports/${importId}/start`)).statusCode).toBe(202);
    const done = await eventually(
      async () => (await call("GET", `/api/imports/${importId}`)).json(),
      (v) => v.status === "completed" || v.status === "failed",
    );
    expect(done).toMatchObject({ status: "completed", created: 500 });
    await eventually(
      async () => (await instances(imported)).length,
      (n) => n >= 500,
    );
    const started = await instances(imported);
    expect(started).toHaveLength(500);
    expect(new Set(started.map((i) => i.customer_id)).size).toBe(500);
    expect(started[0]!.trigger_event).toMatchObject({
      type: "customer.tag_added",
      payload: { tag: "批量", via: "customers.imported" },
    });

    // The same people tagged again by a bulk sync (one customers.upserted event).
    const writer: Writer = { platform: t.siyu.platform, actor: {}, cause: "sync" };
    await db().tenant(tenantId, (s) =>
      upsertCustomers(
        s,
        writer,
        Array.from({ length: 500 }, (_, i) => ({ phone: `139${String(10_000_000 + i)}`, tags: ["同步"] })),
        { publish: "batch" },
      ),
    );
    await eventually(
      async () => (await instances(synced)).length,
      (n) => n >= 500,
    );
    await settle();
    expect(await instances(synced)).toHaveLength(500);
    expect(await instances(imported)).toHaveLength(500);
    expect(await instances(other)).toHaveLength(0);
  }, 180_000);

  describe("webhook trigger", () => {
    let flowId: string;
    let url: string;
    const hook = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: "POST",
        url: path,
        headers: { "content-type": "application/json", ...headers },
        payload: typeof body === "string" ? body : JSON.stringify(body),
      });

    beforeAll(async () => {
      flowId = await publishFlow("外部系统", flowOf({ event: "webhook" }, { mode: "every_time" }));
      const list = await call("GET", `/api/flows/${flowId}/webhooks`);
      expect(list.statusCode, list.body).toBe(200);
      const [item] = list.json().items;
      expect(item).toMatchObject({ nodeId: "t" });
      expect(item.url).toMatch(/\/hooks\/flows\/fwh_[A-Za-z0-9_-]{43}$/);
      url = new URL(item.url).pathname;
    });

    it("starts an instance with the body as its event: no customer, by id, by phone identity", async () => {
      const anon = await hook(url, { orderNo: "A-1", amount: 5000 });
      expect(anon.statusCode, anon.body).toBe(202);
      const [anonId] = anon.json().instanceIds;
      const [row] = await db().query<{ customer_id: string | null; trigger_event: unknown }>(
        "select customer_id, trigger_event from flow_instances where id = $1",
        [anonId],
      );
      expect(row).toEqual({
        customer_id: null,
        trigger_event: { type: "webhook", payload: { orderNo: "A-1", amount: 5000 } },
      });

      const c = await customer("网钩客户", { phone: "13900001111" });
      const byId = await hook(url, { customerId: c });
      expect(byId.statusCode).toBe(202);
      const byPhone = await hook(url, { identity: { type: "phone", value: "+86 139 0000 1111" }, n: 1 });
      expect(byPhone.statusCode, byPhone.body).toBe(202);
      const mine = await instances(flowId, c);
      expect(mine.map((i) => i.id)).toEqual([...byId.json().instanceIds, ...byPhone.json().instanceIds]);
      const detail = await call("GET", `/api/flow-instances/${byPhone.json().instanceIds[0]}`);
      expect(detail.json()).toMatchObject({ customerId: c, currentNodes: ["w"] });
    });

    it("an Idempotency-Key never starts twice and answers the same instance", async () => {
      const first = await hook(url, { ref: 1 }, { "idempotency-key": "order-42" });
      expect(first.statusCode).toBe(202);
      const before = (await instances(flowId)).length;
      const again = await hook(url, { ref: 2 }, { "idempotency-key": "order-42" });
      expect(again.statusCode).toBe(202);
      expect(again.json()).toEqual(first.json());
      expect(first.json().instanceIds).toHaveLength(1);
      expect(await instances(flowId)).toHaveLength(before);
      const other = await hook(url, { ref: 3 }, { "idempotency-key": "order-43" });
      expect(other.json().instanceIds[0]).not.toBe(first.json().instanceIds[0]);
    });

    it("answers every bad input in the JSON error shape", async () => {
      const code = (res: { statusCode: number; json(): { error: { code: string } } }) => [
        res.statusCode,
        res.json().error.code,
      ];
      const count = (await instances(flowId)).length;
      expect(code(await hook(`/hooks/flows/fwh_${"x".repeat(43)}`, {}))).toEqual([404, "not_found"]);
      expect(code(await hook("/hooks/flows/nonsense", {}))).toEqual([404, "not_found"]);
      expect(code(await hook(url, "{not json"))).toEqual([400, "invalid_json"]);
      expect(code(await hook(url, [1, 2]))).toEqual([400, "validation_failed"]);
      expect(code(await hook(url, { customerId: 7 }))).toEqual([400, "validation_failed"]);
      expect(code(await hook(url, { identity: { type: "fax", value: "1" } }))).toEqual([
        400,
        "validation_failed",
      ]);
      expect(code(await hook(url, { identity: { type: "phone", value: "12" } }))).toEqual([
        400,
        "validation_failed",
      ]);
      expect(code(await hook(url, { big: "x".repeat(70_000) }))).toEqual([413, "payload_too_large"]);
      expect(code(await hook(url, { customerId: "cus_nobody" }))).toEqual([422, "unknown_customer"]);
      expect(code(await hook(url, { identity: { type: "phone", value: "13900009999" } }))).toEqual([
        422,
        "unknown_customer",
      ]);
      expect(code(await hook(url, {}, { "idempotency-key": "k".repeat(300) }))).toEqual([
        400,
        "validation_failed",
      ]);
      const text = await t.app.inject({
        method: "POST",
        url,
        headers: { "content-type": "text/plain" },
        payload: "hi",
      });
      // Not a JSON object (the text parser hands over a string): refused by the body schema.
      expect(code(text)).toEqual([400, "validation_failed"]);
      expect(await instances(flowId)).toHaveLength(count);
    });

    it("regenerating replaces the token; an archived flow answers 409", async () => {
      const regen = await call("POST", `/api/flows/${flowId}/webhooks/t/regenerate`);
      expect(regen.statusCode, regen.body).toBe(200);
      const next = new URL(regen.json().url).pathname;
      expect(next).not.toBe(url);
      expect((await hook(url, {})).statusCode).toBe(404);
      expect((await hook(next, {})).statusCode).toBe(202);
      expect((await call("POST", `/api/flows/${flowId}/webhooks/nope/regenerate`)).statusCode).toBe(404);

      expect((await call("DELETE", `/api/flows/${flowId}`)).statusCode).toBe(200);
      const gone = await hook(next, {});
      expect([gone.statusCode, gone.json().error.code]).toEqual([409, "invalid_state"]);
    });
  });
});
