import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { optOutFromKeyword, optOutKeyword, reserve } from "../index.ts";

type Json = Record<string, unknown>;

describe.each(dbKinds)("contact policy over HTTP (%s)", (kind) => {
  let t: TestApp;
  let owner: string;
  let agent: string;
  let tenantId: string;
  let customerId: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    owner = await t.login();
    tenantId = (await t.call("GET", "/api/auth/me", { token: owner })).json().user.tenantId;
    const created = await t.call("POST", "/api/users", {
      token: owner,
      body: { email: "agent@cp.example", password: "Agent-Passw0rd", name: "坐席", roles: ["agent"] },
    });
    expect(created.statusCode).toBe(201);
    agent = await t.login("agent@cp.example", "Agent-Passw0rd");
    const c = await t.call("POST", "/api/customers", {
      token: owner,
      body: { name: "王女士", phone: "13800138000" },
    });
    customerId = c.json().id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it("settings: defaults carry WeCom's mass-message limits; a save is validated, kept and audited", async () => {
    const got = await t.call("GET", "/api/settings/contact-policy", { token: owner });
    expect(got.statusCode).toBe(200);
    expect(got.json().timezone).toBe("Asia/Shanghai");
    const mass = got.json().channels.find((c: Json) => c.channel === "wecom_mass");
    expect(mass).toMatchObject({
      perDay: 1,
      perCalendarMonth: 4,
      quietHours: null,
      transactionalExempt: true,
    });
    const body = {
      channels: [
        {
          channel: "wecom_private",
          perDay: 2,
          perWeek: 5,
          perMonth: null,
          perCalendarMonth: null,
          quietHours: { start: "21:00", end: "09:00" },
          transactionalExempt: true,
        },
      ],
    };
    const put = await t.call("PUT", "/api/settings/contact-policy", { token: owner, body });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().channels.find((c: Json) => c.channel === "wecom_private")).toEqual(body.channels[0]);
    // Other channels are untouched.
    expect(put.json().channels.find((c: Json) => c.channel === "wecom_mass")).toEqual(mass);
    const bad = [
      { channels: [{ ...body.channels[0], quietHours: { start: "25:00", end: "09:00" } }] },
      { channels: [{ ...body.channels[0], perDay: -1 }] },
      { channels: [{ ...body.channels[0], channel: "fax" }] },
      { channels: [body.channels[0], body.channels[0]] },
      { channels: [] },
    ];
    for (const b of bad) {
      const res = await t.call("PUT", "/api/settings/contact-policy", { token: owner, body: b });
      expect(res.statusCode, JSON.stringify(b)).toBe(400);
      expect(res.json().error.code).toBeTypeOf("string");
    }
    expect((await t.call("PUT", "/api/settings/contact-policy", { token: agent, body })).statusCode).toBe(
      403,
    );
    const audit = await t.siyu.platform.db.tenant(tenantId, (s) =>
      s.query("select action from audit_log where action = 'contact_policy.updated'"),
    );
    expect(audit).toHaveLength(1);
  });

  it("opt-outs on the 360 view: set, listed, on the timeline, and taken back", async () => {
    const empty = await t.call("GET", `/api/customers/${customerId}/contact-preferences`, { token: owner });
    expect(empty.statusCode).toBe(200);
    expect(empty.json().optOuts).toEqual([]);
    const put = await t.call("PUT", `/api/customers/${customerId}/contact-preferences`, {
      token: owner,
      body: { optOuts: ["wecom_mass", "sms"], note: "电话里要求" },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().optOuts.map((o: Json) => [o.channel, o.source])).toEqual([
      ["sms", "staff"],
      ["wecom_mass", "staff"],
    ]);
    const check = await t.call("POST", "/api/contact-policy/decide", {
      token: owner,
      body: { customerIds: [customerId], channel: "wecom_mass" },
    });
    expect(check.statusCode).toBe(200);
    expect(check.json().items[0]).toMatchObject({ outcome: "deny", reason: "opted_out" });
    const back = await t.call("PUT", `/api/customers/${customerId}/contact-preferences`, {
      token: owner,
      body: { optOuts: ["sms"] },
    });
    expect(back.json().optOuts.map((o: Json) => o.channel)).toEqual(["sms"]);
    const timeline = (
      await t.call("GET", `/api/customers/${customerId}/timeline?type=contact.*`, { token: owner })
    )
      .json()
      .items.map((e: Json) => [e.type, (e.data as Json).channel]);
    expect(timeline[0]).toEqual(["contact.opted_in", "wecom_mass"]);
    expect(timeline.slice(1)).toEqual(
      expect.arrayContaining([
        ["contact.opted_out", "sms"],
        ["contact.opted_out", "wecom_mass"],
      ]),
    );
    expect(timeline).toHaveLength(3);
    // Bad input and unknown customers.
    expect(
      (
        await t.call("PUT", `/api/customers/${customerId}/contact-preferences`, {
          token: owner,
          body: { optOuts: ["fax"] },
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await t.call("PUT", `/api/customers/${customerId}/contact-preferences`, {
          token: owner,
          body: "{nope",
        })
      ).statusCode,
    ).toBe(400);
    const missing = await t.call("GET", "/api/customers/cus_00000000000000000000000000/contact-preferences", {
      token: owner,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe("not_found");
  });

  it("a customer's TD / 退订 / unsubscribe opts them out of all marketing; other words do not", async () => {
    expect(
      ["TD", " td ", "ＴＤ", "退订", "退订。", "Unsubscribe!", "取消订阅"].map(
        (x) => optOutKeyword(x) !== null,
      ),
    ).toEqual([true, true, true, true, true, true, true]);
    expect(["我不想退订", "TDD", "", "stop please"].map((x) => optOutKeyword(x))).toEqual([
      null,
      null,
      null,
      null,
    ]);
    const c = (await t.call("POST", "/api/customers", { token: owner, body: { name: "李先生" } })).json()
      .id as string;
    const { platform } = t.siyu;
    const ignored = await platform.db.tenant(tenantId, (s) =>
      optOutFromKeyword(s, platform.events, { customerId: c, text: "你好" }),
    );
    expect(ignored).toEqual({ matched: false, optedOut: false });
    const first = await platform.db.tenant(tenantId, (s) =>
      optOutFromKeyword(s, platform.events, { customerId: c, text: "退订", via: "wecom" }),
    );
    expect(first).toEqual({ matched: true, optedOut: true });
    const again = await platform.db.tenant(tenantId, (s) =>
      optOutFromKeyword(s, platform.events, { customerId: c, text: "TD" }),
    );
    expect(again).toEqual({ matched: true, optedOut: false });
    const prefs = (await t.call("GET", `/api/customers/${c}/contact-preferences`, { token: owner })).json();
    expect(prefs.optOuts).toEqual([
      expect.objectContaining({ channel: "all", source: "keyword", note: "wecom: 退订" }),
    ]);
    const d = await reserve(platform.db, {
      tenantId,
      customerIds: [c],
      channel: "oa_template",
      purpose: "marketing",
      ref: "oa:promo:1",
    });
    expect(d.denied).toEqual({ opted_out: 1 });
  });

  it("stats: touches per channel per local day and refusals by reason", async () => {
    const { platform } = t.siyu;
    const c2 = (await t.call("POST", "/api/customers", { token: owner, body: { name: "赵" } })).json()
      .id as string;
    await reserve(platform.db, {
      tenantId,
      customerIds: [c2],
      channel: "wecom_mass",
      purpose: "marketing",
      ref: "m1",
    });
    await reserve(platform.db, {
      tenantId,
      customerIds: [c2],
      channel: "wecom_mass",
      purpose: "marketing",
      ref: "m2",
    });
    const stats = await t.call("GET", "/api/contact-policy/stats?days=7", { token: owner });
    expect(stats.statusCode).toBe(200);
    const body = stats.json();
    expect(body.days).toHaveLength(7);
    const mass = body.touches.find((x: Json) => x.channel === "wecom_mass");
    expect(mass.counts.at(-1)).toBe(1);
    expect(body.denied).toEqual(
      expect.arrayContaining([
        { reason: "cap_day", n: 1 },
        { reason: "opted_out", n: 1 },
      ]),
    );
    expect(body.optedOut).toBe(2);
    expect((await t.call("GET", "/api/contact-policy/stats?days=0", { token: owner })).statusCode).toBe(400);
  });
});
