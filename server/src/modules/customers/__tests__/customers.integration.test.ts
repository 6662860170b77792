import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";

describe.each(dbKinds)("customers (CONTRACT.md) on %s", (kind) => {
  let t: TestApp;
  let owner: string;
  let agent: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    owner = await t.login();
    const res = await t.call("POST", "/api/users", {
      token: owner,
      body: { email: "agent@example.com", password: "Agent-Passw0rd", name: "导购", roles: ["agent"] },
    });
    expect(res.statusCode).toBe(201);
    agent = await t.login("agent@example.com", "Agent-Passw0rd");
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = (body: unknown, token = owner) => t.call("POST", "/api/customers", { token, body });

  it("POST creates (201) and the same phone in another form returns the same customer (200)", async () => {
    const first = await create({
      name: "张三",
      phone: "13812341234",
      email: "Zhang.San@Example.com",
      tags: ["VIP", "上海"],
    });
    expect(first.statusCode).toBe(201);
    const c = first.json();
    expect(c).toMatchObject({
      id: expect.stringMatching(/^cus_/),
      name: "张三",
      phone: "13812341234",
      email: "zhang.san@example.com",
      attributes: {},
    });
    expect(c.tags.map((x: { name: string }) => x.name).sort()).toEqual(["VIP", "上海"]);
    expect(c.identities).toEqual(
      expect.arrayContaining([
        { type: "phone", value: "13812341234" },
        { type: "email", value: "zhang.san@example.com" },
      ]),
    );
    const again = await create({ name: "张三丰", phone: "+86 138-1234-1234", attributes: { city: "上海" } });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(c.id);
    expect(again.json().name).toBe("张三丰");
    expect(again.json().attributes).toEqual({ city: "上海" });
    const byEmail = await create({ name: "x", email: "ZHANG.SAN@example.com" });
    expect(byEmail.statusCode).toBe(200);
    expect(byEmail.json().id).toBe(c.id);
  });

  it("stores the phone encrypted with a blind index, never in clear", async () => {
    const rows = await t.siyu.platform.db.query<{ phone_enc: string; phone_bidx: string }>(
      "select phone_enc, phone_bidx from customers where phone_enc is not null",
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.phone_enc).toMatch(/^enc:v1:/);
      expect(r.phone_enc).not.toContain("1381234");
      expect(r.phone_bidx).toMatch(/^[0-9a-f]{64}$/);
    }
    const ids = await t.siyu.platform.db.query<{ value: string }>(
      "select value from customer_identities where type = 'phone'",
    );
    for (const i of ids) expect(i.value).not.toContain("1381234");
  });

  it("an agent sees phones masked (138****1234); owner sees them in full", async () => {
    const c = (await create({ name: "李四", phone: "13912345678" })).json();
    const asAgent = await t.call("GET", `/api/customers/${c.id}`, { token: agent });
    expect(asAgent.statusCode).toBe(200);
    expect(asAgent.json().phone).toBe("139****5678");
    expect(asAgent.json().identities).toContainEqual({ type: "phone", value: "139****5678" });
    expect(asAgent.body).not.toContain("13912345678");
    const list = await t.call("GET", "/api/customers?q=13912345678", { token: agent });
    expect(list.json().items[0].phone).toBe("139****5678");
    expect((await t.call("GET", `/api/customers/${c.id}`, { token: owner })).json().phone).toBe(
      "13912345678",
    );
  });

  it("lists with tag (AND), q over name, phone in any form, email and identity values, and cursor paging", async () => {
    const a = (
      await create({
        name: "王五",
        phone: "13700001111",
        tags: ["A", "B"],
        identities: [{ type: "wecom_external_userid", value: "wmABC123" }],
      })
    ).json();
    const b = (await create({ name: "王六", email: "w6@corp.cn", tags: ["A"] })).json();
    const tagged = (await t.call("GET", "/api/customers?tag=A&tag=B", { token: owner })).json();
    expect(tagged.items.map((c: { id: string }) => c.id)).toEqual([a.id]);
    const onlyA = (await t.call("GET", "/api/customers?tag=A", { token: owner })).json();
    expect(onlyA.items.map((c: { id: string }) => c.id)).toEqual([b.id, a.id]);
    expect((await t.call("GET", "/api/customers?tag=nope", { token: owner })).json().items).toEqual([]);
    for (const q of ["王", "137 0000 1111", "+86 13700001111", "wmABC123"]) {
      const res = (await t.call("GET", `/api/customers?q=${encodeURIComponent(q)}`, { token: owner })).json();
      expect(
        res.items.map((c: { id: string }) => c.id),
        q,
      ).toContain(a.id);
    }
    expect((await t.call("GET", "/api/customers?q=W6%40corp.cn", { token: owner })).json().items[0].id).toBe(
      b.id,
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.call("GET", `/api/customers?limit=2${cursor ? `&cursor=${cursor}` : ""}`, {
        token: owner,
      });
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = res.json();
      seen.push(...page.items.map((c: { id: string }) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(4);
  });

  it("adds and removes tags; every change is on the timeline, newest first, with its cause", async () => {
    const c = (await create({ name: "赵七" })).json();
    const added = await t.call("POST", `/api/customers/${c.id}/tags`, {
      token: owner,
      body: { tags: ["高意向", "VIP"] },
    });
    expect(added.statusCode).toBe(200);
    expect(
      added
        .json()
        .tags.map((x: { name: string }) => x.name)
        .sort(),
    ).toEqual(["VIP", "高意向"]);
    const removed = await t.call("DELETE", `/api/customers/${c.id}/tags/${encodeURIComponent("高意向")}`, {
      token: owner,
    });
    expect(removed.statusCode).toBe(200);
    expect(removed.json().tags.map((x: { name: string }) => x.name)).toEqual(["VIP"]);
    const timeline = (await t.call("GET", `/api/customers/${c.id}/timeline`, { token: owner })).json();
    expect(timeline.items.map((e: { type: string }) => e.type)).toEqual([
      "customer.tag_removed",
      "customer.tag_added",
      "customer.tag_added",
      "customer.created",
    ]);
    expect(timeline.items[0]).toMatchObject({
      id: expect.any(String),
      at: expect.any(String),
      data: { tag: "高意向", cause: "manual" },
    });
    const onlyAdds = (
      await t.call("GET", `/api/customers/${c.id}/timeline?type=customer.tag_added`, { token: owner })
    ).json();
    expect(onlyAdds.items).toHaveLength(2);
  });

  it("rejects bad input with 400 and the error shape", async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: "x", phone: "12345" }, "phone"],
      [{ name: "x", phone: "138-1234-12345" }, "phone"],
      [{ name: "x", email: "not-an-email" }, "e-mail"],
      [{ name: "x", attributes: { "Bad Key": 1 } }, "schema"],
      [{ name: "x", attributes: { age: { nested: true } } }, "schema"],
      [{ name: 42 }, "schema"],
      [{ name: "x", unknownField: 1 }, "schema"],
      [{ name: "x", tags: [""] }, "schema"],
    ];
    for (const [body] of cases) {
      const res = await create(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe("validation_failed");
    }
    expect((await t.call("GET", "/api/customers/cus_nope", { token: owner })).statusCode).toBe(404);
    expect((await t.call("GET", "/api/customers?limit=0", { token: owner })).statusCode).toBe(400);
  });

  it("attributes are checked against standard and custom fields by type", async () => {
    const unknown = await create({ name: "x", attributes: { shoe_size: 42 } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toContain("attributes.shoe_size");
    const wrongType = await create({ name: "x", attributes: { age: "thirty" } });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().error.details).toEqual([
      { field: "attributes.age", message: "expected a number" },
    ]);
    expect((await create({ name: "x", attributes: { birthday: "2026-02-30x" } })).statusCode).toBe(400);
    const field = await t.call("POST", "/api/custom-fields", {
      token: owner,
      body: { key: "shoe_size", label: "鞋码", type: "select", options: ["38", "40", "42"] },
    });
    expect(field.statusCode).toBe(201);
    expect((await create({ name: "x", attributes: { shoe_size: "44" } })).statusCode).toBe(400);
    const ok = await create({ name: "鞋", attributes: { shoe_size: "42", age: 31, birthday: "1995-05-01" } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().attributes).toEqual({ shoe_size: "42", age: 31, birthday: "1995-05-01" });
    const renamed = await t.call("PATCH", `/api/custom-fields/${field.json().id}`, {
      token: owner,
      body: { label: "尺码" },
    });
    expect(renamed.json()).toMatchObject({ key: "shoe_size", label: "尺码" });
    expect(
      (
        await t.call("POST", "/api/custom-fields", {
          token: agent,
          body: { key: "x", label: "x", type: "text" },
        })
      ).statusCode,
    ).toBe(403);
  });

  it("concurrent creates with one phone make one customer", async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        create({ name: `并发${i}`, phone: `136 0000 ${String(2000).padStart(4, "0")}` }),
      ),
    );
    const ids = new Set(results.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
  });

  it("an identity shared by two profiles merges them; the merge can be undone", async () => {
    const a = (await create({ name: "甲", phone: "13500000001", tags: ["甲"] })).json();
    const b = (
      await create({
        name: "乙",
        email: "yi@example.com",
        tags: ["乙"],
        identities: [{ type: "unionid", value: "U-1" }],
      })
    ).json();
    const both = await create({ name: "", phone: "13500000001", email: "yi@example.com" });
    expect(both.statusCode).toBe(200);
    expect(both.json().id).toBe(a.id);
    expect(
      both
        .json()
        .tags.map((x: { name: string }) => x.name)
        .sort(),
    ).toEqual(["乙", "甲"]);
    expect(
      both
        .json()
        .identities.map((i: { type: string }) => i.type)
        .sort(),
    ).toEqual(["email", "phone", "unionid"]);
    expect((await t.call("GET", `/api/customers/${b.id}`, { token: owner })).statusCode).toBe(404);
    const merges = (await t.call("GET", `/api/merges?customerId=${a.id}`, { token: owner })).json();
    expect(merges.items[0]).toMatchObject({ targetId: a.id, sourceId: b.id, undoneAt: null });
    const undo = await t.call("POST", `/api/merges/${merges.items[0].id}/undo`, { token: owner });
    expect(undo.statusCode).toBe(200);
    const back = (await t.call("GET", `/api/customers/${b.id}`, { token: owner })).json();
    expect(back.identities.map((i: { type: string }) => i.type).sort()).toEqual(["email", "unionid"]);
    expect(back.tags.map((x: { name: string }) => x.name)).toEqual(["乙"]);
    const a2 = (await t.call("GET", `/api/customers/${a.id}`, { token: owner })).json();
    expect(a2.tags.map((x: { name: string }) => x.name)).toEqual(["甲"]);
    expect(
      (await t.call("POST", `/api/merges/${merges.items[0].id}/undo`, { token: owner })).statusCode,
    ).toBe(409);
  });

  it("merging keeps the newer profile's attributes, or both by the tenant's rule; the other value is on the timeline", async () => {
    const merge = async () => {
      const older = (
        await create({ name: "旧档", email: `old${Date.now()}@a.cn`, attributes: { city: "杭州", age: 30 } })
      ).json();
      await new Promise((r) => setTimeout(r, 5));
      const newer = (
        await create({ name: "新档", email: `new${Date.now()}@a.cn`, attributes: { city: "宁波" } })
      ).json();
      const res = await t.call("POST", `/api/customers/${older.id}/merge`, {
        token: owner,
        body: { sourceId: newer.id },
      });
      expect(res.statusCode).toBe(200);
      const merged = (
        await t.call("GET", `/api/customers/${older.id}/timeline?type=customer.merged`, { token: owner })
      ).json();
      return { attributes: res.json().attributes, event: merged.items[0].data };
    };
    const newest = await merge();
    expect(newest.attributes).toEqual({ city: "宁波", age: 30 });
    expect(newest.event).toMatchObject({
      rule: "newest",
      conflicts: { city: { kept: "宁波", other: "杭州" } },
    });
    const set = await t.call("PUT", "/api/settings/customers", {
      token: owner,
      body: { mergeAttributes: "keep_both" },
    });
    expect(set.statusCode).toBe(200);
    const both = await merge();
    expect(both.attributes).toEqual({ city: "杭州", age: 30 });
    expect(both.event).toMatchObject({
      rule: "keep_both",
      conflicts: { city: { kept: "杭州", other: "宁波" } },
    });
    await t.call("PUT", "/api/settings/customers", { token: owner, body: { mergeAttributes: "newest" } });
  });

  it("concurrent merges of the same customers: one wins, the other is refused", async () => {
    const a = (await create({ name: "合并A", email: "ma@example.com" })).json();
    const b = (await create({ name: "合并B", email: "mb@example.com" })).json();
    const [r1, r2] = await Promise.all([
      t.call("POST", `/api/customers/${a.id}/merge`, { token: owner, body: { sourceId: b.id } }),
      t.call("POST", `/api/customers/${b.id}/merge`, { token: owner, body: { sourceId: a.id } }),
    ]);
    const codes = [r1.statusCode, r2.statusCode].sort();
    expect(codes[0]).toBe(200);
    // The loser finds its target already merged away (404) or its source taken (409).
    expect([404, 409]).toContain(codes[1]);
    const visible = await Promise.all(
      [a.id, b.id].map(
        async (id) => (await t.call("GET", `/api/customers/${id}`, { token: owner })).statusCode,
      ),
    );
    expect(visible.sort()).toEqual([200, 404]);
    const merges = await t.siyu.platform.db.query(
      "select 1 from customer_merges where $1 in (target_id, source_id) and undone_at is null",
      [a.id],
    );
    expect(merges).toHaveLength(1);
  });

  it("weaker matches (same name and city) go to the review queue; accepting merges them", async () => {
    const x = (await create({ name: "孙八", attributes: { city: "成都" } })).json();
    const y = (await create({ name: "孙八", attributes: { city: "成都" } })).json();
    expect(y.id).not.toBe(x.id);
    const queue = (await t.call("GET", "/api/merge-candidates", { token: owner })).json();
    const pair = queue.items.find((c: { customers: Array<{ id: string }> }) =>
      c.customers.some((cc) => cc.id === y.id),
    );
    expect(pair).toMatchObject({ reason: "same name and city", status: "open" });
    const accepted = await t.call("POST", `/api/merge-candidates/${pair.id}/accept`, { token: owner });
    expect(accepted.statusCode).toBe(200);
    expect((await t.call("GET", `/api/customers/${y.id}`, { token: owner })).statusCode).toBe(404);
    const stats = (await t.call("GET", "/api/customers/stats", { token: owner })).json();
    expect(stats.mergedProfiles).toBeGreaterThanOrEqual(1);
    expect(stats.unificationRate).toBeGreaterThan(0);
    expect(stats.unificationRate).toBeLessThanOrEqual(1);
  });

  it("exports everything about a person, then erases them", async () => {
    const c = (await create({ name: "周九", phone: "13600009999", tags: ["x"] })).json();
    const exp = await t.call("GET", `/api/customers/${c.id}/export`, { token: owner });
    expect(exp.statusCode).toBe(200);
    expect(exp.json().profile).toMatchObject({ name: "周九", phone: "13600009999" });
    expect(exp.json().timeline.length).toBeGreaterThanOrEqual(2);
    expect((await t.call("GET", `/api/customers/${c.id}/export`, { token: agent })).statusCode).toBe(403);
    const erased = await t.call("POST", `/api/customers/${c.id}/erase`, { token: owner });
    expect(erased.statusCode).toBe(200);
    expect((await t.call("GET", `/api/customers/${c.id}`, { token: owner })).statusCode).toBe(404);
    const [row] = await t.siyu.platform.db.query<{
      name: string;
      phone_enc: string | null;
      erased_at: Date | null;
    }>("select name, phone_enc, erased_at from customers where id = $1", [c.id]);
    expect(row).toMatchObject({ name: "", phone_enc: null });
    expect(row?.erased_at).toBeInstanceOf(Date);
    const reused = await create({ name: "新人", phone: "13600009999" });
    expect(reused.statusCode).toBe(201);
    const audit = await t.siyu.platform.db.query<{ action: string }>(
      "select action from audit_log where target_id = $1 order by id",
      [c.id],
    );
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(["customer.personal_data_exported", "customer.erased"]),
    );
  });
});
