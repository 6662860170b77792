import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { seedDemoQuickReplies } from "../seed-demo.ts";

interface Reply {
  id: string;
  title: string;
  groupId: string | null;
  group: string | null;
  useCount: number;
  personal: boolean;
  keywords: string[];
}

describe.each(dbKinds)("quick replies (话术库) on %s", (kind) => {
  let t: TestApp;
  let owner: string;
  let manager: string;
  let agent: string;
  let agent2: string;
  let technician: string;
  beforeAll(async () => {
    // The owner's tenant is the demo tenant, so the seeded library is there too.
    t = await startTestApp(kind, { SIYU_DEMO: "1" });
    owner = await t.login();
    const staff: Array<[string, string]> = [
      ["manager", "qr-manager@example.com"],
      ["agent", "qr-agent@example.com"],
      ["agent", "qr-agent2@example.com"],
      ["technician", "qr-tech@example.com"],
    ];
    for (const [role, email] of staff) {
      const res = await t.call("POST", "/api/users", {
        token: owner,
        body: { email, password: "Staff-Passw0rd", name: role, roles: [role] },
      });
      expect(res.statusCode).toBe(201);
    }
    manager = await t.login("qr-manager@example.com", "Staff-Passw0rd");
    agent = await t.login("qr-agent@example.com", "Staff-Passw0rd");
    agent2 = await t.login("qr-agent2@example.com", "Staff-Passw0rd");
    technician = await t.login("qr-tech@example.com", "Staff-Passw0rd");
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (url: string, body: unknown, token = owner) => t.call("POST", url, { token, body });
  const get = (url: string, token = owner) => t.call("GET", url, { token });
  const q = (text: string) => encodeURIComponent(text);

  it("seeds the demo tenant once, however often it starts", async () => {
    const first = await get("/api/quick-replies?limit=500");
    expect(first.statusCode).toBe(200);
    const seeded = first.json().items as Reply[];
    expect(seeded.length).toBeGreaterThanOrEqual(8);
    expect(seeded.map((r) => r.group)).toEqual(expect.arrayContaining(["问候欢迎", "售后服务"]));
    await seedDemoQuickReplies(t.siyu.platform);
    await seedDemoQuickReplies(t.siyu.platform);
    const again = await get("/api/quick-replies?limit=500");
    expect(again.json().items).toHaveLength(seeded.length);
    const groups = await get("/api/quick-replies/groups");
    expect(groups.json().items.map((g: { name: string }) => g.name)).toEqual([
      "问候欢迎",
      "价格咨询",
      "安装预约",
      "售后服务",
    ]);
  });

  it("creates groups and replies with attachments; refuses bad input with 4xx", async () => {
    const g = await post("/api/quick-replies/groups", { name: "测试分组" });
    expect(g.statusCode).toBe(201);
    expect(g.json()).toMatchObject({ id: expect.stringMatching(/^qrg_/), name: "测试分组", replies: 0 });
    expect((await post("/api/quick-replies/groups", { name: "测试分组" })).json().error.code).toBe(
      "conflict",
    );

    const created = await post("/api/quick-replies", {
      title: "预约上门安装",
      content: "师傅明天下午两点上门安装，请保持电话畅通。",
      groupId: g.json().id,
      keywords: ["安装", "上门", "安装", " 师傅 "],
      attachments: [
        { type: "image", url: "https://example.com/a.png" },
        { type: "link", title: "安装须知", url: "https://example.com/guide" },
        { type: "miniprogram", title: "预约", appId: "wx1234567890abcdef", page: "pages/book" },
      ],
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id: expect.stringMatching(/^qr_/),
      group: "测试分组",
      keywords: ["安装", "上门", "师傅"],
      useCount: 0,
      personal: false,
    });
    expect(created.json().attachments).toHaveLength(3);

    const bad: unknown[] = [
      {},
      { title: "", content: "x" },
      { title: "x", content: "   " },
      { title: "x", content: "y", attachments: [{ type: "video", url: "https://example.com/v.mp4" }] },
      { title: "x", content: "y", attachments: [{ type: "image", url: "javascript:alert(1)" }] },
      {
        title: "x",
        content: "y",
        attachments: [{ type: "miniprogram", title: "t", appId: "nope", page: "p" }],
      },
      { title: "x", content: "y", keywords: Array.from({ length: 31 }, (_, i) => `k${i}`) },
      { title: "x", content: "y", sortOrder: 1.5 },
      { title: "x", content: "y", unknown: true },
      { title: "x".repeat(101), content: "y" },
    ];
    for (const body of bad) {
      const res = await post("/api/quick-replies", body);
      expect({ body, status: res.statusCode }).toEqual({ body, status: 400 });
      expect(res.json().error.code).toEqual(expect.any(String));
    }
    const malformed = await post("/api/quick-replies", '{"title": ');
    expect(malformed.statusCode).toBe(400);
    const unknownGroup = await post("/api/quick-replies", { title: "x", content: "y", groupId: "qrg_nope" });
    expect(unknownGroup.statusCode).toBe(404);
    expect((await get("/api/quick-replies/qr_00000000000000000000000000")).statusCode).toBe(404);
    expect((await get("/api/quick-replies?cursor=garbage")).statusCode).toBe(400);
    expect((await get("/api/quick-replies?limit=0")).statusCode).toBe(400);
    expect((await get("/api/quick-replies?scope=mine")).statusCode).toBe(400);
  });

  it("searches Chinese substrings of title, content and keywords; % and _ are literal", async () => {
    const g = (await post("/api/quick-replies/groups", { name: "搜索分组" })).json();
    const mk = (title: string, content: string, keywords: string[] = []) =>
      post("/api/quick-replies", { title, content, keywords, groupId: g.id });
    await mk("空调清洗服务", "深度清洗内机，去除异味", ["清洗"]);
    await mk("冰箱不制冷", "请先检查温控档位是否调到 3 档", ["制冷"]);
    await mk("发票开具", "电子发票会在签收后 24 小时内发送到您的邮箱", ["开票", "增值税"]);
    await mk("满减 100%", "全场满 1000 减 100", []);
    const search = async (text: string) =>
      ((await get(`/api/quick-replies?groupId=${g.id}&q=${q(text)}`)).json().items as Reply[]).map(
        (r) => r.title,
      );

    expect(await search("清洗")).toEqual(["空调清洗服务"]); // title and keyword
    expect(await search("温控档位")).toEqual(["冰箱不制冷"]); // content only
    expect(await search("增值")).toEqual(["发票开具"]); // part of a keyword
    expect(await search("发票")).toEqual(["发票开具"]);
    expect(await search("100%")).toEqual(["满减 100%"]);
    expect(await search("%")).toEqual(["满减 100%"]);
    expect(await search("_")).toEqual([]);
    expect(await search("洗衣机")).toEqual([]);
    // Across the whole library: the seeded 预约安装 and the reply created above.
    const all = (await get(`/api/quick-replies?q=${q("安装")}&limit=500`)).json().items as Reply[];
    expect(all.map((r) => r.title)).toEqual(expect.arrayContaining(["预约安装", "预约上门安装"]));
  });

  it("pages with a cursor in (sort order, id) order, with group filters", async () => {
    const g = (await post("/api/quick-replies/groups", { name: "分页分组" })).json();
    const titles = ["第一", "第二", "第三", "第四", "第五"];
    for (const [i, title] of titles.entries()) {
      const res = await post("/api/quick-replies", {
        title,
        content: `内容${i}`,
        groupId: g.id,
        sortOrder: i,
      });
      expect(res.statusCode).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/quick-replies?groupId=${g.id}&limit=2${cursor ? `&cursor=${q(cursor)}` : ""}`;
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: Reply[]; nextCursor: string | null };
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((r) => r.title));
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(titles);
    expect(pages).toBe(3);

    const ungrouped = await post("/api/quick-replies", { title: "未分组话术", content: "x" });
    const none = (await get("/api/quick-replies?groupId=none&limit=500")).json().items as Reply[];
    expect(none.map((r) => r.id)).toContain(ungrouped.json().id);
    expect(none.every((r) => r.groupId === null)).toBe(true);
  });

  it("agents read and use; managers edit; personal replies are their owner's alone", async () => {
    expect((await get("/api/quick-replies", agent)).statusCode).toBe(200);
    expect((await get("/api/quick-replies", technician)).statusCode).toBe(403);
    const tenantReply = { title: "店铺地址", content: "我们在人民路 88 号", keywords: ["地址"] };
    expect((await post("/api/quick-replies", tenantReply, agent)).statusCode).toBe(403);
    expect((await post("/api/quick-replies/groups", { name: "导购分组" }, agent)).statusCode).toBe(403);

    const shared = await post("/api/quick-replies", tenantReply, manager);
    expect(shared.statusCode).toBe(201);
    const id = shared.json().id as string;
    expect(
      (await t.call("PATCH", `/api/quick-replies/${id}`, { token: agent, body: { title: "改" } })).statusCode,
    ).toBe(403);
    expect((await t.call("DELETE", `/api/quick-replies/${id}`, { token: agent })).statusCode).toBe(403);
    const edited = await t.call("PATCH", `/api/quick-replies/${id}`, {
      token: manager,
      body: { title: "门店地址", keywords: ["地址", "在哪"] },
    });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({
      title: "门店地址",
      content: "我们在人民路 88 号",
      keywords: ["地址", "在哪"],
    });

    const mine = await post(
      "/api/quick-replies",
      { title: "我的话术", content: "我是小李", personal: true },
      agent,
    );
    expect(mine.statusCode).toBe(201);
    expect(mine.json()).toMatchObject({ personal: true });
    const mineId = mine.json().id as string;
    const listOf = async (token: string) =>
      ((await get("/api/quick-replies?limit=500", token)).json().items as Reply[]).map((r) => r.id);
    expect(await listOf(agent)).toContain(mineId);
    expect(await listOf(agent2)).not.toContain(mineId);
    expect(await listOf(owner)).not.toContain(mineId);
    expect((await get(`/api/quick-replies/${mineId}`, agent2)).statusCode).toBe(404);
    expect((await post(`/api/quick-replies/${mineId}/use`, {}, agent2)).statusCode).toBe(404);
    const personalOnly = (await get("/api/quick-replies?scope=personal", agent)).json().items as Reply[];
    expect(personalOnly.map((r) => r.id)).toEqual([mineId]);
    const renamed = await t.call("PATCH", `/api/quick-replies/${mineId}`, {
      token: agent,
      body: { title: "我的" },
    });
    expect(renamed.statusCode).toBe(200);
    expect((await t.call("DELETE", `/api/quick-replies/${mineId}`, { token: agent2 })).statusCode).toBe(404);
    expect((await t.call("DELETE", `/api/quick-replies/${mineId}`, { token: agent })).statusCode).toBe(200);
    expect((await get(`/api/quick-replies/${mineId}`, agent)).statusCode).toBe(404);
  });

  it("counts uses and writes the send on the customer's timeline", async () => {
    const reply = (
      await post("/api/quick-replies", { title: "售后电话", content: "售后热线 400-000-0000" })
    ).json();
    const customer = await post(
      "/api/customers",
      {
        name: "王女士",
        identities: [{ type: "wecom_external_userid", value: "wmQuickReplyTest001" }],
      },
      agent,
    );
    expect(customer.statusCode).toBe(201);
    const cid = customer.json().id as string;

    const plain = await post(`/api/quick-replies/${reply.id}/use`, {}, agent);
    expect(plain.statusCode).toBe(200);
    expect(plain.json().useCount).toBe(1);
    const withCustomer = await post(`/api/quick-replies/${reply.id}/use`, { customerId: cid }, agent);
    expect(withCustomer.json().useCount).toBe(2);
    expect(withCustomer.json().lastUsedAt).toEqual(expect.any(String));

    const timeline = await get(`/api/customers/${cid}/timeline?type=quick_reply.sent`, agent);
    expect(timeline.statusCode).toBe(200);
    expect(timeline.json().items).toHaveLength(1);
    expect(timeline.json().items[0].data).toMatchObject({ replyId: reply.id, title: "售后电话" });

    // A customer the caller cannot see is 404, and nothing is counted.
    const theirs = await post(
      "/api/customers",
      { name: "别人的客户", email: "other-qr@example.com" },
      agent2,
    );
    const hidden = await post(`/api/quick-replies/${reply.id}/use`, { customerId: theirs.json().id }, agent);
    expect(hidden.statusCode).toBe(404);
    expect(
      (await post(`/api/quick-replies/${reply.id}/use`, { customerId: "cus_nope" }, agent)).statusCode,
    ).toBe(404);
    expect((await post(`/api/quick-replies/${reply.id}/use`, { customerId: 5 }, agent)).statusCode).toBe(400);
    expect((await get(`/api/quick-replies/${reply.id}`, agent)).json().useCount).toBe(2);
  });

  it("suggests replies by the keywords in the customer's message, explaining the hits", async () => {
    const res = await get(
      `/api/quick-replies/suggest?text=${q("你好，请问这台空调多少钱？有优惠吗")}`,
      agent,
    );
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<Reply & { score: number; matched: string[] }>;
    expect(items[0]).toMatchObject({ title: "报价与优惠", score: 2 });
    expect(items[0]?.matched.sort()).toEqual(["优惠", "多少钱"].sort());
    expect(items.map((r) => r.title)).toContain("新客户欢迎语");
    expect(items.every((r, i) => i === 0 || r.score <= (items[i - 1]?.score ?? 0))).toBe(true);

    // Case does not matter; text that hits nothing suggests nothing.
    await post("/api/quick-replies", { title: "WiFi 连接", content: "长按配网键 5 秒", keywords: ["WIFI"] });
    const wifi = (await get(`/api/quick-replies/suggest?text=${q("wifi连不上")}`)).json().items as Reply[];
    expect(wifi.map((r) => r.title)).toEqual(["WiFi 连接"]);
    expect((await get(`/api/quick-replies/suggest?text=${q("zzz")}`)).json().items).toEqual([]);

    // Without text: the most used first.
    const top = (await get("/api/quick-replies/suggest?limit=3")).json().items as Reply[];
    expect(top).toHaveLength(3);
    expect(top[0]?.title).toBe("售后电话");
    expect((await get("/api/quick-replies/suggest?limit=21")).statusCode).toBe(400);
    expect((await get(`/api/quick-replies/suggest?text=${"长".repeat(2001)}`)).statusCode).toBe(400);
  });

  it("deleting a group keeps its replies, ungrouped", async () => {
    const g = (await post("/api/quick-replies/groups", { name: "将删除" })).json();
    const r = (await post("/api/quick-replies", { title: "留下", content: "x", groupId: g.id })).json();
    const renamed = await t.call("PATCH", `/api/quick-replies/groups/${g.id}`, {
      token: manager,
      body: { name: "将删除的组" },
    });
    expect(renamed.json()).toMatchObject({ name: "将删除的组", replies: 1 });
    const del = await t.call("DELETE", `/api/quick-replies/groups/${g.id}`, { token: manager });
    expect(del.json()).toEqual({ ok: true, replies: 1 });
    expect((await get(`/api/quick-replies/${r.id}`)).json()).toMatchObject({ groupId: null, group: null });
    expect((await t.call("DELETE", `/api/quick-replies/groups/${g.id}`, { token: manager })).statusCode).toBe(
      404,
    );
    // The name is free again.
    expect((await post("/api/quick-replies/groups", { name: "将删除的组" })).statusCode).toBe(201);
  });
});
