import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StandaloneWecomSandbox, startWecomSandbox } from "../../../sandbox/wecom/index.ts";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";

const token = "ViewsToken42";
const encodingAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The console's read views (routes/wecom-views.routes.ts) over data that arrived the real way: the
// simulator's encrypted callbacks, processed by the event jobs.
describe.each(dbKinds)("WeCom console views (%s)", (kind) => {
  let t: TestApp;
  let sb: StandaloneWecomSandbox;
  let owner: string;
  let corpId: string;
  let externalUserid: string;
  let chatId: string;

  const sim = async (path: string, body?: unknown) => {
    const res = await fetch(`${sb.url}/_sim${path}`, {
      method: body === undefined ? "GET" : "POST",
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
        : {}),
    });
    return (await res.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    sb = await startWecomSandbox({ callbackRetryDelayMs: 20 });
    t = await startTestApp(kind);
    const appUrl = await t.app.listen({ port: 0, host: "127.0.0.1" });
    owner = await t.login();
    const tenantId = (await t.call("GET", "/api/auth/me", { token: owner })).json().user.tenantId;
    const corp = await sim("/corps", {
      corpName: "视图测试",
      callback: { url: `${appUrl}/callbacks/wecom/${tenantId}`, token, encodingAesKey },
    });
    corpId = corp.corpId as string;
    const put = await t.call("PUT", "/api/settings/wecom", {
      token: owner,
      body: {
        corpId,
        agentId: String(corp.agentId),
        secret: corp.appSecret,
        contactSecret: corp.contactSecret,
        callbackToken: token,
        encodingAesKey,
        apiBase: sb.url,
      },
    });
    expect(put.statusCode, put.body).toBe(200);
    const added = await sim(`/corps/${corpId}/actions/add-contact`, {
      userid: "zhangsan",
      customer: { name: "视图客户" },
      add_way: 1,
      state: "shop42",
    });
    externalUserid = added.external_userid as string;
    await sim(`/corps/${corpId}/actions/edit-contact`, {
      userid: "zhangsan",
      external_userid: externalUserid,
      remark: "老客户",
    });
    const group = await sim(`/corps/${corpId}/actions/create-group`, {
      owner: "zhangsan",
      name: "视图群",
      members: ["lisi", externalUserid],
    });
    chatId = group.chat_id as string;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await sb?.close();
  });

  it("finds an external contact by its WeCom id once its callback is processed, with follow facts", async () => {
    const contact = await waitFor("contact with remark", async () => {
      const res = await t.call("GET", `/api/wecom/contacts/${externalUserid}`, { token: owner });
      if (res.statusCode !== 200) return undefined;
      const body = res.json();
      return body.follows[0]?.remark === "老客户" ? body : undefined;
    });
    expect(contact).toMatchObject({ externalUserid, name: "视图客户" });
    expect(contact.follows).toEqual([
      expect.objectContaining({
        userid: "zhangsan",
        remark: "老客户",
        state: "shop42",
        addWay: 1,
        endedAt: null,
      }),
    ]);
    const customer = await t.call("GET", `/api/customers/${contact.customerId}`, { token: owner });
    expect(customer.statusCode).toBe(200);

    const facts = await t.call("GET", `/api/wecom/customers/${contact.customerId}`, { token: owner });
    expect(facts.statusCode).toBe(200);
    expect(facts.json().contacts).toEqual([
      expect.objectContaining({ externalUserid, customerId: contact.customerId }),
    ]);
  });

  it("shows an ended relation after the customer deletes the staff member", async () => {
    await waitFor("contact", async () => {
      const res = await t.call("GET", `/api/wecom/contacts/${externalUserid}`, { token: owner });
      return res.statusCode === 200;
    });
    await sim(`/corps/${corpId}/actions/customer-deletes-member`, {
      userid: "zhangsan",
      external_userid: externalUserid,
    });
    const follow = await waitFor("ended follow", async () => {
      const body = (await t.call("GET", `/api/wecom/contacts/${externalUserid}`, { token: owner })).json();
      return body.follows[0]?.endedAt ? body.follows[0] : undefined;
    });
    expect(follow.endedBy).toBe("customer_deleted");
  });

  it("lists a group's members with names and the customer of each external member", async () => {
    const group = await waitFor("group", async () => {
      const res = await t.call("GET", `/api/wecom/groups/${chatId}`, { token: owner });
      if (res.statusCode !== 200) return undefined;
      const body = res.json();
      return body.members.length === 3 ? body : undefined;
    });
    expect(group).toMatchObject({ chatId, name: "视图群", ownerUserid: "zhangsan", dismissed: false });
    const external = group.members.find((m: { type: number }) => m.type === 2);
    expect(external).toMatchObject({ memberId: externalUserid });
    expect(external.customerId).toMatch(/\S/);
    expect(
      group.members
        .filter((m: { type: number }) => m.type === 1)
        .map((m: { memberId: string }) => m.memberId)
        .sort(),
    ).toEqual(["lisi", "zhangsan"]);
  });

  it("answers 404 for unknown ids and 400 for malformed ones, never another tenant's data", async () => {
    expect((await t.call("GET", "/api/wecom/contacts/wmUnknown", { token: owner })).statusCode).toBe(404);
    expect((await t.call("GET", "/api/wecom/groups/wrUnknown", { token: owner })).statusCode).toBe(404);
    expect((await t.call("GET", "/api/wecom/customers/cus_nope", { token: owner })).statusCode).toBe(404);
    const bad = await t.call("GET", "/api/wecom/contacts/a%20b", { token: owner });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBeTruthy();
    expect((await t.call("GET", `/api/wecom/groups/${chatId}`)).statusCode).toBe(401);
  });

  it("a half-added contact (免验证添加, not yet accepted) becomes a customer with its own timeline entry", async () => {
    const added = await sim(`/corps/${corpId}/actions/add-contact`, {
      userid: "lisi",
      customer: { name: "半添加客户" },
      half: true,
    });
    const ext = added.external_userid as string;
    const contact = await waitFor("half-added contact", async () => {
      const res = await t.call("GET", `/api/wecom/contacts/${ext}`, { token: owner });
      return res.statusCode === 200 ? (res.json() as { customerId: string; name: string }) : undefined;
    });
    expect(contact).toMatchObject({
      name: "半添加客户",
      follows: [expect.objectContaining({ userid: "lisi" })],
    });
    const timeline = (
      await t.call("GET", `/api/customers/${contact.customerId}/timeline?limit=50`, { token: owner })
    ).json().items as Array<{ type: string }>;
    expect(timeline.map((e) => e.type).filter((x) => x.startsWith("wecom."))).toEqual([
      "wecom.contact_half_added",
    ]);
  });

  it("a customer leaving a staff member alerts that member's direct leader (直属上级), at their login", async () => {
    // The simulator's 张三 reports to 王五; both get a Siyu login (linked by e-mail at the org sync).
    for (const who of ["wangwu", "lisi"]) {
      const res = await t.call("POST", "/api/users", {
        token: owner,
        body: { email: `${who}@example.com`, password: "Agent-Passw0rd", name: who, roles: ["agent"] },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const run = await t.call("POST", "/api/wecom/sync", { token: owner, body: { kind: "org" } });
    expect(run.statusCode).toBe(202);
    await waitFor("org sync", async () => {
      const runs = (await t.call("GET", "/api/wecom/sync", { token: owner })).json();
      return (
        runs.items.find((r: { id: string; status: string }) => r.id === run.json().id)?.status === "completed"
      );
    });
    const added = await sim(`/corps/${corpId}/actions/add-contact`, {
      userid: "zhangsan",
      customer: { name: "要走的客户" },
    });
    const ext = added.external_userid as string;
    await waitFor("contact", async () => {
      return (await t.call("GET", `/api/wecom/contacts/${ext}`, { token: owner })).statusCode === 200;
    });
    await sim(`/corps/${corpId}/actions/customer-deletes-member`, {
      userid: "zhangsan",
      external_userid: ext,
    });

    const manager = await t.login("wangwu@example.com", "Agent-Passw0rd");
    const alert = await waitFor("churn alert at the manager", async () => {
      const items = (await t.call("GET", "/api/wecom/alerts", { token: manager })).json().items;
      return items.find((a: { data: { externalUserid?: string } }) => a.data.externalUserid === ext);
    });
    expect(alert).toMatchObject({
      kind: "churn",
      recipientUserids: ["wangwu"],
      data: { staffUserid: "zhangsan" },
    });
    // Another agent is not addressed and sees none of it.
    const other = await t.login("lisi@example.com", "Agent-Passw0rd");
    expect((await t.call("GET", "/api/wecom/alerts", { token: other })).json().items).toEqual([]);
  });
});
