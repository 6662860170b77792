import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StandaloneWecomSandbox, startWecomSandbox } from "../../../sandbox/wecom/index.ts";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { connectSandboxCorp, simCall, waitFor } from "../../../testing/wecom-world.ts";
import { applyContacts, type ContactItem } from "../ops/apply-contact.ts";

const token = "SandboxToken42";
const encodingAesKey = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut";

describe.each(dbKinds)("WeCom sync and callbacks against the sandbox (%s)", (kind) => {
  let t: TestApp;
  let sb: StandaloneWecomSandbox;
  let owner: string;
  let tenantId: string;
  let corpId: string;
  let agentUserId: string;
  let appUrl: string;

  const sim = (method: string, path: string, body?: unknown) => simCall(sb.url, method, path, body);

  beforeAll(async () => {
    sb = await startWecomSandbox({ callbackRetryDelayMs: 20 });
    t = await startTestApp(kind);
    appUrl = await t.app.listen({ port: 0, host: "127.0.0.1" });
    owner = await t.login();
    tenantId = (await t.call("GET", "/api/auth/me", { token: owner })).json().user.tenantId;
    const agent = await t.call("POST", "/api/users", {
      token: owner,
      body: { email: "zhangsan@corp.example", password: "Agent-Passw0rd", name: "张三", roles: ["agent"] },
    });
    expect(agent.statusCode).toBe(201);
    agentUserId = agent.json().id;
    const members = [
      {
        userid: "zhangsan",
        name: "张三",
        department: [1],
        email: "zhangsan@corp.example",
        customerContact: true,
      },
      ...["lisi", "wangwu", "zhaoliu", "sunqi"].map((u) => ({
        userid: u,
        name: u,
        department: [1],
        customerContact: true,
      })),
    ];
    corpId = await connectSandboxCorp({
      t,
      owner,
      tenantId,
      simUrl: sb.url,
      appUrl,
      corpName: "测试企业",
      members: members,
      token,
      encodingAesKey,
    });
    const seeded = await sim("POST", `/corps/${corpId}/seed`, { count: 500, tagsPerContact: 2 });
    expect(seeded.status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await sb?.close();
  });

  it("a full sync pages ~500 contacts over 5 staff and survives a WeCom error mid-sync", async () => {
    // Group listing (the last step) fails three times: the client's own retries give up, the run's
    // job is retried and resumes at that step instead of starting over.
    const fault = await sim("POST", `/corps/${corpId}/faults`, {
      api: "externalcontact/groupchat/list",
      times: 3,
      errcode: -1,
    });
    expect(fault.status).toBe(201);
    const started = await t.call("POST", "/api/wecom/sync", { token: owner, body: { kind: "all" } });
    expect(started.statusCode).toBe(202);
    const runId = started.json().id as string;
    const run = await waitFor(
      "sync run",
      async () => {
        const list = (await t.call("GET", "/api/wecom/sync", { token: owner })).json();
        const r = list.items.find((x: { id: string }) => x.id === runId);
        return r && (r.status === "completed" || r.status === "failed") ? r : undefined;
      },
      120_000,
    );
    expect(run.status).toBe("completed");
    expect(run.attempts).toBe(2);
    expect(run.progress).toMatchObject({
      staff: 5,
      followUsers: 5,
      relations: 500,
      contacts: 500,
      customersCreated: 500,
    });
    // 500 relations at 100 per page over 5 members: at least 5 pages, each applied once.
    expect(run.progress.contactPages).toBeGreaterThanOrEqual(5);
    expect(run.progress.tags).toBe(6);

    const staff = (await t.call("GET", "/api/wecom/staff", { token: owner })).json();
    expect(staff.items).toHaveLength(5);
    const zhangsan = staff.items.find((s: { userid: string }) => s.userid === "zhangsan");
    expect(zhangsan).toMatchObject({ userId: agentUserId, hasContactPermission: true, contacts: 100 });

    const customers = await t.siyu.platform.db.query<{ n: number }>(
      "select count(*)::int as n from customer_identities where type = 'wecom_external_userid'",
    );
    expect(customers[0]?.n).toBe(500);
    // zhangsan's customers belong to the linked login: the agent sees exactly those.
    const agentToken = await t.login("zhangsan@corp.example", "Agent-Passw0rd");
    const mine = await t.call("GET", "/api/customers?limit=500", { token: agentToken });
    expect(
      mine.json().items.filter((c: { ownerUserIds: string[] }) => c.ownerUserIds.includes(agentUserId)),
    ).toHaveLength(100);
  }, 150_000);

  it("a second full contacts sync changes nothing: no row, fact or event", async () => {
    const count = async () =>
      (
        await t.siyu.platform.db.query<{
          events: number;
          outbox: number;
          customers: number;
          follows: string;
        }>(
          `select (select count(*)::int from customer_events) as events, (select count(*)::int from outbox) as outbox,
                  (select count(*)::int from customers) as customers,
                  (select max(updated_at)::text from wecom_follows) as follows`,
        )
      )[0];
    const before = await count();
    const started = await t.call("POST", "/api/wecom/sync", { token: owner, body: { kind: "contacts" } });
    const runId = started.json().id as string;
    const run = await waitFor("second sync", async () => {
      const list = (await t.call("GET", "/api/wecom/sync", { token: owner })).json();
      const r = list.items.find((x: { id: string }) => x.id === runId);
      return r?.status === "completed" || r?.status === "failed" ? r : undefined;
    });
    expect(run.status).toBe("completed");
    expect(run.progress).toMatchObject({ relations: 500, contacts: 500 });
    expect(run.progress.customersCreated ?? 0).toBe(0);
    expect(await count()).toEqual(before);
  }, 120_000);

  it("a page applied set-based: one contact under two staff, a unionid shared by two contacts, tags both ways", async () => {
    const { platform } = t.siyu;
    const page = (tags: string[]): ContactItem[] => [
      {
        contact: { external_userid: "wm_page_a", name: "页客户", type: 1, unionid: "u_page" },
        follows: [
          {
            userid: "zhangsan",
            createtime: 1700000000,
            tags: tags.map((n) => ({ tag_id: `et_${n}`, tag_name: n, type: 1 })),
          },
        ],
      },
      {
        contact: { external_userid: "wm_page_a", name: "页客户", type: 1, unionid: "u_page" },
        follows: [{ userid: "lisi", createtime: 1700000001 }],
      },
      // Another external id of the same WeChat user.
      { contact: { external_userid: "wm_page_b", name: "", type: 1, unionid: "u_page" }, follows: [] },
      { contact: { external_userid: "wm_page_c", name: "别人", type: 1 }, follows: [] },
    ];
    const apply = (items: ContactItem[]) =>
      platform.db.tenant(tenantId, (s) => applyContacts(s, platform, { corpId, items }));
    const first = await apply(page(["页标签1", "页标签2"]));
    expect(first.map((r) => r.externalUserid)).toEqual(["wm_page_a", "wm_page_b", "wm_page_c"]);
    expect(first[0]!.customerId).toBe(first[1]!.customerId);
    expect(first.map((r) => r.created)).toEqual([true, false, true]);
    const id = first[0]!.customerId;
    const show = async () => (await t.call("GET", `/api/customers/${id}`, { token: owner })).json();
    const c = await show();
    expect(c.name).toBe("页客户");
    expect(c.ownerUserIds).toEqual([agentUserId]);
    expect(c.tags.map((x: { name: string }) => x.name).sort()).toEqual(["页标签1", "页标签2"]);
    const follows = await t.siyu.platform.db.query<{ userid: string }>(
      "select userid from wecom_follows where external_userid = 'wm_page_a' order by userid",
    );
    expect(follows.map((f) => f.userid)).toEqual(["lisi", "zhangsan"]);
    const contacts = await t.siyu.platform.db.query<{ external_userid: string; customer_id: string }>(
      "select external_userid, customer_id from wecom_contacts where external_userid like 'wm_page_%' order by 1",
    );
    expect(contacts.map((r) => r.customer_id)).toEqual([id, id, first[2]!.customerId]);

    const facts = () =>
      t.siyu.platform.db.query<{ type: string; data: Record<string, unknown> }>(
        "select type, data from customer_events where customer_id = $1 order by id",
        [id],
      );
    const before = await facts();
    await apply(page(["页标签1", "页标签2"]));
    expect(await facts()).toEqual(before);

    // A tag taken off in WeCom is taken off in Siyu (cause sync: not sent back).
    await apply(page(["页标签1"]));
    expect((await show()).tags.map((x: { name: string }) => x.name)).toEqual(["页标签1"]);
    const added = (await facts()).slice(before.length);
    expect(added.map((f) => [f.type, f.data.tag, f.data.cause])).toEqual([
      ["customer.tag_removed", "页标签2", "sync"],
    ]);
  });

  it("a customer scanning a contact way arrives by encrypted callback and becomes a customer owned by the staff's login", async () => {
    const scan = await sim("POST", `/corps/${corpId}/actions/add-contact`, {
      state: "ch_test",
      userid: "zhangsan",
      customer: { name: "扫码客户", unionid: "union-scan-0001" },
    });
    expect(scan.status, JSON.stringify(scan.json)).toBe(200);
    const ext = scan.json.external_userid as string;
    await sim("POST", `/corps/${corpId}/callbacks/flush`);
    const customerId = await waitFor("customer from callback", async () => {
      const rows = await t.siyu.platform.db.query<{ customer_id: string }>(
        "select c.customer_id from wecom_contacts c join wecom_event_tasks t on t.status = 'done' where c.external_userid = $1 limit 1",
        [ext],
      );
      return rows[0]?.customer_id;
    });
    const c = (await t.call("GET", `/api/customers/${customerId}`, { token: owner })).json();
    expect(c.name).toBe("扫码客户");
    expect(c.ownerUserIds).toEqual([agentUserId]);
    expect(c.identities).toEqual(
      expect.arrayContaining([
        { type: "wecom_external_userid", value: ext, scope: corpId },
        { type: "unionid", value: "union-scan-0001" },
      ]),
    );
    const timeline = (
      await t.call("GET", `/api/customers/${customerId}/timeline?limit=50`, { token: owner })
    ).json();
    expect(timeline.items.filter((e: { type: string }) => e.type === "wecom.contact_added")).toHaveLength(1);
  });

  it("another tenant's callback URL with this corp's secrets touches nothing here", async () => {
    const res = await t.call("POST", "/api/tenants", {
      token: owner,
      body: { name: "Tenant B", admin: { email: "owner-b@example.com", password: "Owner-B-Passw0rd" } },
    });
    expect(res.statusCode).toBe(201);
    const tokenB = await t.login("owner-b@example.com", "Owner-B-Passw0rd");
    const tenantB = (await t.call("GET", "/api/auth/me", { token: tokenB })).json().user.tenantId as string;
    // B is not configured: A's corp pointed at B's URL is refused, and B sees none of A's WeCom data.
    await sim("PATCH", `/corps/${corpId}`, {
      callback: { url: `${appUrl}/callbacks/wecom/${tenantB}`, token, encodingAesKey },
    });
    const before = await t.siyu.platform.db.query<{ n: number }>("select count(*)::int as n from inbox");
    await sim("POST", `/corps/${corpId}/actions/scan`, {
      state: "ch_b",
      userid: "lisi",
      customer: { name: "B客户" },
    });
    await sim("POST", `/corps/${corpId}/callbacks/flush`);
    const after = await t.siyu.platform.db.query<{ n: number }>("select count(*)::int as n from inbox");
    expect(after[0]?.n).toBe(before[0]?.n);
    for (const path of [
      "/api/wecom/staff",
      "/api/wecom/groups",
      "/api/wecom/sync",
      "/api/wecom/events",
      "/api/wecom/alerts",
    ]) {
      const r = await t.call("GET", path, { token: tokenB });
      expect(r.statusCode, path).toBe(200);
      expect(r.json().items, path).toEqual([]);
    }
    const settingsB = (await t.call("GET", "/api/settings/wecom", { token: tokenB })).json();
    expect(settingsB.configured).toBe(false);
    await sim("PATCH", `/corps/${corpId}`, {
      callback: { url: `${appUrl}/callbacks/wecom/${tenantId}`, token, encodingAesKey },
    });
  });
});
