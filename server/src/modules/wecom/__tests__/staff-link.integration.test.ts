import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKinds } from "../../../testing/databases.ts";
import { addSimContact, WecomWorld, waitFor } from "../../../testing/wecom-world.ts";

const token = "StaffLinkToken42";
const encodingAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const password = "Agent-Passw0rd!";

interface Staff {
  userid: string;
  userId: string | null;
  userLink: "email" | "manual" | null;
}

// The user ↔ WeCom member map (PUT /api/wecom/staff/:userid/user): e-mail links made by org sync,
// links set and cleared by an admin that later syncs keep, one login per member, audit rows, and
// flow tasks that name the WeCom member of their login.
describe.each(dbKinds)("WeCom user ↔ member map (%s)", (kind) => {
  const w = new WecomWorld(kind);
  const users: Record<"zhang" | "li" | "wang", string> = { zhang: "", li: "", wang: "" };
  let agent: string;
  let customerId: string;

  const staff = async (): Promise<Map<string, Staff>> => {
    const res = await w.api("GET", "/api/wecom/staff?limit=100");
    expect(res.statusCode, res.body).toBe(200);
    return new Map((res.json().items as Staff[]).map((s) => [s.userid, s]));
  };
  const link = (userid: string, userId: string | null, as = w.owner) =>
    w.t.call("PUT", `/api/wecom/staff/${userid}/user`, { token: as, body: { userId } });
  const syncOrg = async () => {
    const started = await w.api("POST", "/api/wecom/sync", { kind: "org" });
    expect(started.statusCode).toBe(202);
    const id = started.json().id as string;
    const run = await waitFor("org sync", async () => {
      const r = (await w.api("GET", "/api/wecom/sync")).json().items.find((x: { id: string }) => x.id === id);
      return r && (r.status === "completed" || r.status === "failed") ? r : undefined;
    });
    expect(run.status, JSON.stringify(run)).toBe("completed");
  };
  const auditOf = async (userid: string) => {
    const res = await w.api("GET", `/api/audit?targetType=wecom_staff&targetId=${userid}&limit=50`);
    expect(res.statusCode).toBe(200);
    return (res.json().items as Array<{ action: string; data: Record<string, unknown> }>).reverse();
  };
  const ownersOf = async (id: string) => (await w.api("GET", `/api/customers/${id}`)).json().ownerUserIds;

  beforeAll(async () => {
    await w.open();
    for (const [key, email, roles] of [
      ["zhang", "zhang@corp.test", ["agent"]],
      ["li", "li@corp.test", ["agent"]],
      ["wang", "wang@corp.test", ["agent"]],
    ] as const) {
      const res = await w.api("POST", "/api/users", { email, password, name: key, roles });
      expect(res.statusCode, res.body).toBe(201);
      users[key] = res.json().id;
    }
    agent = await w.t.login("li@corp.test", password);
    await w.connectCorp({
      corpName: "映射测试",
      members: [
        { userid: "zhangsan", name: "张三", email: "zhang@corp.test", customerContact: true },
        // No login has this address: only an admin can link lisi.
        { userid: "lisi", name: "李四", email: "lisi.wecom@corp.test", customerContact: true },
        { userid: "wangwu", name: "王五", email: "wang@corp.test", customerContact: true },
      ],
      token,
      encodingAesKey,
    });
    await syncOrg();
    const added = await addSimContact({
      db: w.t.siyu.platform.db,
      sandbox: w.sb,
      corpId: w.corpId,
      userid: "lisi",
      customer: { name: "李四的客户" },
    });
    customerId = added.customerId as string;
  }, 180_000);
  afterAll(async () => {
    await w.close();
  });

  it("links by e-mail in the org sync and says so", async () => {
    const s = await staff();
    expect(s.get("zhangsan")).toMatchObject({ userId: users.zhang, userLink: "email" });
    expect(s.get("wangwu")).toMatchObject({ userId: users.wang, userLink: "email" });
    expect(s.get("lisi")).toMatchObject({ userId: null, userLink: null });
    // lisi is not linked: the customer lisi brought has no owner login yet.
    expect(await ownersOf(customerId)).toEqual([]);
  });

  it("refuses non-admins, unknown members and users, and a login linked elsewhere", async () => {
    const denied = await link("lisi", users.li, agent);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe("forbidden");

    const noMember = await link("nobody", users.li);
    expect(noMember.statusCode).toBe(404);
    expect(noMember.json().error).toMatchObject({ code: "not_found" });

    const noUser = await link("lisi", "usr_nope");
    expect(noUser.statusCode).toBe(422);
    expect(noUser.json().error).toMatchObject({ code: "unknown_user", details: { userId: "usr_nope" } });

    // A login of another tenant is no login of this one.
    const other = await w.api("POST", "/api/tenants", {
      name: "别的租户",
      admin: { email: "admin@other.test", password: "Other-Passw0rd!" },
    });
    expect(other.statusCode, other.body).toBe(201);
    const otherAdmin = await w.t.call("POST", "/api/auth/login", {
      body: { email: "admin@other.test", password: "Other-Passw0rd!" },
    });
    const foreign = await link("lisi", otherAdmin.json().user.id);
    expect(foreign.statusCode).toBe(422);
    expect(foreign.json().error.code).toBe("unknown_user");

    const taken = await link("lisi", users.wang);
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error).toMatchObject({
      code: "staff_link_conflict",
      details: { userId: users.wang, linkedUserid: "wangwu" },
    });

    const bad = await w.api("PUT", "/api/wecom/staff/lisi/user", { userId: 42 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe("validation_failed");

    // Nothing changed, nothing audited.
    expect((await staff()).get("lisi")).toMatchObject({ userId: null, userLink: null });
    expect(await auditOf("lisi")).toEqual([]);
  });

  it("links, relinks and unlinks by hand, with an audit row for each change, re-owning the member's customers", async () => {
    const linked = await link("lisi", users.li);
    expect(linked.statusCode, linked.body).toBe(200);
    expect(linked.json()).toMatchObject({
      userid: "lisi",
      userId: users.li,
      userLink: "manual",
      contacts: 1,
    });
    expect(await ownersOf(customerId)).toEqual([users.li]);

    // The same link again is no change: no second audit row.
    expect((await link("lisi", users.li)).statusCode).toBe(200);

    // zhangsan's e-mail link is cleared by hand, which frees zhang's login for lisi.
    const unlinked = await link("zhangsan", null);
    expect(unlinked.statusCode).toBe(200);
    expect(unlinked.json()).toMatchObject({ userId: null, userLink: "manual" });

    const relinked = await link("lisi", users.zhang);
    expect(relinked.statusCode, relinked.body).toBe(200);
    expect(relinked.json()).toMatchObject({ userId: users.zhang, userLink: "manual" });
    expect(await ownersOf(customerId)).toEqual([users.zhang]);

    expect(await auditOf("lisi")).toEqual([
      expect.objectContaining({
        action: "wecom.staff_linked",
        data: { userId: users.li, previousUserId: null, previousLink: null },
      }),
      expect.objectContaining({
        action: "wecom.staff_linked",
        data: { userId: users.zhang, previousUserId: users.li, previousLink: "manual" },
      }),
    ]);
    expect(await auditOf("zhangsan")).toEqual([
      expect.objectContaining({
        action: "wecom.staff_unlinked",
        data: { userId: null, previousUserId: users.zhang, previousLink: "email" },
      }),
    ]);
    expect((await w.api("GET", "/api/audit/verify")).json()).toMatchObject({ ok: true });
  });

  it("keeps manual links and unlinks through the next org sync, and never gives one login two members", async () => {
    // New members: one whose e-mail is that of a login linked by hand to lisi, one with a free login's.
    for (const m of [
      { userid: "zhaoliu", name: "赵六", email: "zhang@corp.test", customerContact: true },
      { userid: "sunqi", name: "孙七", email: "li@corp.test", customerContact: true },
    ]) {
      const r = await w.sim("POST", `/corps/${w.corpId}/members`, m);
      expect(r.status, JSON.stringify(r.json)).toBe(201);
    }
    await syncOrg();
    const s = await staff();
    expect(s.get("lisi")).toMatchObject({ userId: users.zhang, userLink: "manual" });
    // Unlinked by hand: its e-mail still matches zhang's login, and it stays unlinked.
    expect(s.get("zhangsan")).toMatchObject({ userId: null, userLink: "manual" });
    expect(s.get("wangwu")).toMatchObject({ userId: users.wang, userLink: "email" });
    expect(s.get("zhaoliu")).toMatchObject({ userId: null, userLink: null });
    expect(s.get("sunqi")).toMatchObject({ userId: users.li, userLink: "email" });
    const [dupes] = await w.db<{ n: number }>(
      `select count(*)::int as n from (select user_id from wecom_staff where tenant_id = $1 and user_id is not null
         group by user_id having count(*) > 1) d`,
      [w.tenantId],
    );
    expect(dupes?.n).toBe(0);
  });

  it("gives flow tasks the WeCom member of their login, and owner tasks the owner staff's login", async () => {
    const definition = {
      nodes: [
        { id: "t", type: "trigger", params: { event: "customer.tag_added", tag: "回访" } },
        {
          id: "c",
          type: "action",
          params: { action: "task.create", title: "负责人回访", assignee: { owner: true } },
        },
        { id: "k", type: "task", params: { title: "王五跟进", assignee: { userId: users.wang } } },
        { id: "e", type: "end", params: {} },
      ],
      edges: [
        { from: "t", to: "c" },
        { from: "c", to: "k" },
        { from: "k", to: "e" },
      ],
    };
    const flow = await w.api("POST", "/api/flows", { name: "回访", definition });
    expect(flow.statusCode, flow.body).toBe(201);
    const published = await w.api("POST", `/api/flows/${flow.json().id}/publish`);
    expect(published.statusCode, published.body).toBe(200);
    expect(
      (await w.api("POST", `/api/customers/${customerId}/tags`, { tags: ["回访"] })).statusCode,
    ).toBeLessThan(300);
    const tasks = await waitFor("both flow tasks", async () => {
      const res = await w.api("GET", `/api/tasks?scope=all&customerId=${customerId}&limit=50`);
      const items = res.json().items as Array<{
        title: string;
        assigneeUserIds: string[];
        staffUserid: string | null;
      }>;
      return items.length >= 2 ? items : undefined;
    });
    // Owner rule: lisi follows the customer and is linked (by hand) to zhang's login.
    expect(tasks.find((x) => x.title === "负责人回访")).toMatchObject({
      assigneeUserIds: [users.zhang],
      staffUserid: "lisi",
    });
    // A task for a login names the member linked to it (by e-mail here).
    expect(tasks.find((x) => x.title === "王五跟进")).toMatchObject({
      assigneeUserIds: [users.wang],
      staffUserid: "wangwu",
    });
  });

  it("an escalated flow task names the WeCom member of its new login", async () => {
    // Links now: wang ↔ wangwu (e-mail), li ↔ sunqi (e-mail, since the last org sync).
    const definition = {
      nodes: [
        { id: "t", type: "trigger", params: { event: "customer.tag_added", tag: "升级" } },
        {
          id: "k",
          type: "task",
          params: {
            title: "王五处理",
            assignee: { userId: users.wang },
            escalation: { after: "PT1S", to: { userId: users.li } },
          },
        },
        { id: "e", type: "end", params: {} },
      ],
      edges: [
        { from: "t", to: "k" },
        { from: "k", to: "e" },
      ],
    };
    const flow = await w.api("POST", "/api/flows", { name: "升级", definition });
    expect(flow.statusCode, flow.body).toBe(201);
    expect((await w.api("POST", `/api/flows/${flow.json().id}/publish`)).statusCode).toBe(200);
    expect(
      (await w.api("POST", `/api/customers/${customerId}/tags`, { tags: ["升级"] })).statusCode,
    ).toBeLessThan(300);
    const escalated = await waitFor("escalated task", async () => {
      const res = await w.api("GET", `/api/tasks?scope=all&customerId=${customerId}&limit=50`);
      return (
        res.json().items as Array<{
          title: string;
          escalated: boolean;
          assigneeUserIds: string[];
          staffUserid: string | null;
        }>
      ).find((x) => x.title === "王五处理" && x.escalated);
    });
    expect(escalated).toMatchObject({ assigneeUserIds: [users.li], staffUserid: "sunqi" });
  });

  it("a disabled or deleted login loses its member link, audited, and the member's customers lose it as owner", async () => {
    expect((await staff()).get("lisi")).toMatchObject({ userId: users.zhang, userLink: "manual" });
    expect(await ownersOf(customerId)).toEqual([users.zhang]);

    const disabled = await w.api("PATCH", `/api/users/${users.wang}`, { status: "disabled" });
    expect(disabled.statusCode, disabled.body).toBe(200);
    const deleted = await w.api("DELETE", `/api/users/${users.zhang}`);
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect((await w.api("GET", `/api/users/${users.zhang}`)).statusCode).toBe(404);

    const s = await waitFor("links cleared", async () => {
      const now = await staff();
      return now.get("wangwu")?.userId === null && now.get("lisi")?.userId === null ? now : undefined;
    });
    // An e-mail link goes back to never-linked; a link made by hand stays an admin's to make again.
    expect(s.get("wangwu")).toMatchObject({ userId: null, userLink: null });
    expect(s.get("lisi")).toMatchObject({ userId: null, userLink: "manual" });
    expect(s.get("sunqi")).toMatchObject({ userId: users.li, userLink: "email" });
    expect((await auditOf("wangwu")).at(-1)).toMatchObject({
      action: "wecom.staff_unlinked",
      data: { userId: null, previousUserId: users.wang, previousLink: "email", reason: "user_disabled" },
    });
    expect((await auditOf("lisi")).at(-1)).toMatchObject({
      action: "wecom.staff_unlinked",
      data: { userId: null, previousUserId: users.zhang, previousLink: "manual", reason: "user_deleted" },
    });
    expect(await ownersOf(customerId)).toEqual([]);
    // A disabled login is not linked again by e-mail while it is disabled.
    await syncOrg();
    expect((await staff()).get("wangwu")).toMatchObject({ userId: null, userLink: null });
    expect((await w.api("GET", "/api/audit/verify")).json()).toMatchObject({ ok: true });
  });
});
