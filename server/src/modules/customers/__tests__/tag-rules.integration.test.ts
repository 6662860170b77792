import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { upsertCustomers } from "../index.ts";

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(dbKinds)("tag rules and segments through the API (%s)", (kind) => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    token = await t.login();
  });
  afterAll(async () => {
    await t?.close();
  });

  const tagsOf = async (id: string) =>
    ((await t.call("GET", `/api/customers/${id}`, { token })).json().tags as Array<{ name: string }>)
      .map((x) => x.name)
      .sort();

  it('a bulk write with publish "batch" (a sync page) runs the rules over the customers it changed', async () => {
    const rule = await t.call("POST", "/api/tag-rules", {
      token,
      body: { name: "批量", tag: "批量规则", expression: 'tag("批量来源")' },
    });
    expect(rule.statusCode).toBe(201);
    const { platform } = t.siyu;
    const [tenant] = await platform.db.query<{ id: string }>(
      "select id from tenants order by created_at limit 1",
    );
    const [r] = await platform.db.tenant(tenant!.id, (s) =>
      upsertCustomers(
        s,
        { platform, actor: {}, cause: "sync" },
        [{ name: "批量客户", identities: [{ type: "unionid", value: "u_rules_batch" }], tags: ["批量来源"] }],
        { publish: "batch" },
      ),
    );
    expect(
      await eventually(
        () => tagsOf(r!.id),
        (v) => v.includes("批量规则"),
      ),
    ).toEqual(["批量来源", "批量规则"]);
    await t.call("DELETE", `/api/tag-rules/${rule.json().id}`, { token });
  });

  it("a rule tags existing matches when saved, then follows later changes both ways, with its cause", async () => {
    const sh = (
      await t.call("POST", "/api/customers", {
        token,
        body: { name: "沪VIP", tags: ["VIP"], attributes: { city: "上海" } },
      })
    ).json();
    const bj = (
      await t.call("POST", "/api/customers", {
        token,
        body: { name: "京VIP", tags: ["VIP"], attributes: { city: "北京" } },
      })
    ).json();
    const rule = await t.call("POST", "/api/tag-rules", {
      token,
      body: { name: "上海 VIP", tag: "上海VIP", expression: 'tag("VIP") AND attr.city = "上海"' },
    });
    expect(rule.statusCode).toBe(201);
    expect(rule.json()).toMatchObject({
      tag: "上海VIP",
      enabled: true,
      expression: expect.stringContaining("上海"),
    });
    expect(
      await eventually(
        () => tagsOf(sh.id),
        (v) => v.includes("上海VIP"),
      ),
    ).toEqual(["VIP", "上海VIP"]);
    expect(await tagsOf(bj.id)).toEqual(["VIP"]);

    // A change that makes the condition true adds the tag (event-driven) ...
    await t.call("PATCH", `/api/customers/${bj.id}`, { token, body: { attributes: { city: "上海" } } });
    expect(
      await eventually(
        () => tagsOf(bj.id),
        (v) => v.includes("上海VIP"),
      ),
    ).toEqual(["VIP", "上海VIP"]);
    // ... and one that makes it false removes it.
    await t.call("DELETE", `/api/customers/${bj.id}/tags/VIP`, { token });
    expect(
      await eventually(
        () => tagsOf(bj.id),
        (v) => !v.includes("上海VIP"),
      ),
    ).toEqual([]);

    const timeline = (
      await t.call("GET", `/api/customers/${bj.id}/timeline?type=customer.tag_removed`, { token })
    ).json();
    const byRule = timeline.items.find((e: { data: { cause: string } }) => e.data.cause === "rule");
    expect(byRule.data).toMatchObject({ tag: "上海VIP", ruleId: rule.json().id });
  });

  it("rules also apply to customers arriving through a CSV import", async () => {
    const up = await t.app.inject({
      method: "POST",
      url: "/api/imports",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
      payload: "姓名,手机,标签,城市\n导入沪,13700002222,VIP,上海\n导入京,13700003333,VIP,北京\n",
    });
    expect(up.statusCode).toBe(201);
    const id = up.json().id;
    const mapping = { 姓名: "name", 手机: "phone", 标签: "tags", 城市: "attr.city" };
    expect((await t.call("PUT", `/api/imports/${id}`, { token, body: { mapping } })).statusCode).toBe(200);
    expect((await t.call("POST", `/api/imports/${id}/start`, { token })).statusCode).toBe(202);
    const find = async (q: string) =>
      (await t.call("GET", `/api/customers?q=${q}`, { token })).json().items[0];
    const sh = await eventually(
      () => find("13700002222"),
      (c) => Boolean(c?.tags.some((x: { name: string }) => x.name === "上海VIP")),
    );
    expect(sh.tags.map((x: { name: string }) => x.name).sort()).toEqual(["VIP", "上海VIP"]);
    const bj = await find("13700003333");
    expect(bj.tags.map((x: { name: string }) => x.name)).toEqual(["VIP"]);
  });

  it("a rule never removes a tag a person added by hand", async () => {
    const c = (
      await t.call("POST", "/api/customers", { token, body: { name: "手动", tags: ["上海VIP"] } })
    ).json();
    const rules = (await t.call("GET", "/api/tag-rules", { token })).json();
    const run = await t.call("POST", `/api/tag-rules/${rules.items[0].id}/run`, { token });
    expect(run.statusCode).toBe(200);
    expect(await tagsOf(c.id)).toEqual(["上海VIP"]);
  });

  it("rules with a malformed expression are refused with the position", async () => {
    const res = await t.call("POST", "/api/tag-rules", {
      token,
      body: { name: "x", tag: "x", expression: 'tag("VIP") AND (' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("invalid_expression");
    expect(res.json().error.details.position).toEqual(expect.any(Number));
  });

  it("renaming a tag keeps segments and rules meaning the same customers", async () => {
    const c = (
      await t.call("POST", "/api/customers", { token, body: { name: "改名", tags: ["老名字"] } })
    ).json();
    const seg = (
      await t.call("POST", "/api/segments", {
        token,
        body: { name: "改名前", expression: 'tag("老名字")', kind: "dynamic" },
      })
    ).json();
    const tag = c.tags[0];
    const renamed = await t.call("PATCH", `/api/tags/${tag.id}`, { token, body: { name: "新名字" } });
    expect(renamed.statusCode).toBe(200);
    const after = (await t.call("GET", `/api/segments/${seg.id}`, { token })).json();
    expect(after.expression).toBe('tag("新名字")');
    const members = (await t.call("GET", `/api/customers?segment=${seg.id}`, { token })).json();
    expect(members.items.map((m: { id: string }) => m.id)).toEqual([c.id]);
  });

  it("the customer list filters by segment", async () => {
    const seg = await t.call("POST", "/api/segments", {
      token,
      body: { name: "上海客户", expression: 'attr.city = "上海"', kind: "dynamic" },
    });
    expect(seg.statusCode).toBe(201);
    const list = (await t.call("GET", `/api/customers?segment=${seg.json().id}`, { token })).json();
    expect(list.items.map((c: { name: string }) => c.name).sort()).toEqual(["京VIP", "导入沪", "沪VIP"]);
  });
});
