import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKinds } from "../../../testing/databases.ts";
import { WecomWorld, waitFor } from "../../../testing/wecom-world.ts";
import { reserve } from "../../contact-policy/index.ts";
import { runStep } from "../ops/action-steps.ts";

const token = "ActionsToken42";
const encodingAesKey = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut";
type Json = Record<string, unknown>;

describe.each(dbKinds)("WeCom actions against the sandbox over HTTP (%s)", (kind) => {
  const w = new WecomWorld(kind);
  const { sim, db, contactsOf } = w;
  let agent: string;

  const fault = async (api: string, errcode: number, times: number) =>
    expect((await sim("POST", `/corps/${w.corpId}/faults`, { api, errcode, times })).status).toBe(201);
  const timelineTypes = async (customerId: string) =>
    (await w.t.call("GET", `/api/customers/${customerId}/timeline?limit=100`, { token: w.owner }))
      .json()
      .items.map((e: { type: string }) => e.type) as string[];

  beforeAll(async () => {
    await w.open();
    const { t, owner } = w;
    const created = await t.call("POST", "/api/users", {
      token: owner,
      body: { email: "zhangsan@corp.example", password: "Agent-Passw0rd", name: "张三", roles: ["agent"] },
    });
    expect(created.statusCode).toBe(201);
    agent = await t.login("zhangsan@corp.example", "Agent-Passw0rd");
    const members = [
      {
        userid: "zhangsan",
        name: "张三",
        department: [1],
        email: "zhangsan@corp.example",
        customerContact: true,
      },
      ...["lisi", "wangwu", "sunqi"].map((u) => ({
        userid: u,
        name: u,
        department: [1],
        customerContact: true,
      })),
    ];
    const corpId = await w.connectCorp({ corpName: "动作企业", members, token, encodingAesKey });
    expect((await sim("POST", `/corps/${corpId}/seed`, { count: 40, tagsPerContact: 1 })).status).toBe(200);
    expect((await sim("POST", `/corps/${corpId}/seed`, { count: 110, userids: ["wangwu"] })).status).toBe(
      200,
    );
    await w.syncAll();
  }, 180_000);
  afterAll(() => w.close());

  it("remarks go to WeCom per staff relation, are stored, audited and on the timeline; agents only on their own", async () => {
    const { t, owner, corpId } = w;
    const [mine] = await contactsOf("zhangsan");
    const [theirs] = await contactsOf("lisi");
    if (!mine || !theirs) throw new Error("seed gave no contacts");
    const put = await t.call("PUT", `/api/wecom/contacts/${mine.external_userid}/remark`, {
      token: agent,
      body: { userid: "zhangsan", remark: "老客户王总", description: "喜欢绿茶", mobiles: ["13800138000"] },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({
      remark: "老客户王总",
      mobiles: ["13800138000"],
      customerId: mine.customer_id,
    });
    const inSim = await sim("GET", `/corps/${corpId}/contacts/${mine.external_userid}`);
    const follow = (inSim.json.follow_user as Json[]).find((f) => f.userid === "zhangsan");
    expect(follow).toMatchObject({ remark: "老客户王总", description: "喜欢绿茶" });
    const [stored] = await db<{ remark: string; remark_mobiles_enc: string }>(
      "select remark, remark_mobiles_enc from wecom_follows where external_userid = $1 and userid = 'zhangsan'",
      [mine.external_userid],
    );
    expect(stored?.remark).toBe("老客户王总");
    expect(stored?.remark_mobiles_enc).not.toContain("13800138000");
    expect(await timelineTypes(mine.customer_id)).toContain("wecom.remark_updated");
    const audit = (await t.call("GET", "/api/audit?limit=50", { token: owner })).json();
    expect(audit.items.map((a: { action: string }) => a.action)).toContain("wecom.remark_updated");

    // Another staff member's relation: forbidden for an agent; bad input, unknown contact.
    const other = await t.call("PUT", `/api/wecom/contacts/${theirs.external_userid}/remark`, {
      token: agent,
      body: { userid: "lisi", remark: "x" },
    });
    expect(other.statusCode).toBe(403);
    const tooLong = await t.call("PUT", `/api/wecom/contacts/${mine.external_userid}/remark`, {
      token: owner,
      body: { userid: "zhangsan", remark: "一二三四五六七八九十一二三四五六七八九十一" },
    });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error.code).toBeTruthy();
    const unknown = await t.call("PUT", "/api/wecom/contacts/wmUNKNOWN0001/remark", {
      token: owner,
      body: { userid: "zhangsan", remark: "x" },
    });
    expect(unknown.statusCode).toBe(404);
    // A permanent WeCom error answers 502 with WeCom's errcode and stores nothing.
    await fault("externalcontact/remark", 48002, 1);
    const refused = await t.call("PUT", `/api/wecom/contacts/${theirs.external_userid}/remark`, {
      token: owner,
      body: { userid: "lisi", remark: "不会保存" },
    });
    expect(refused.statusCode).toBe(502);
    expect(refused.json().error).toMatchObject({ code: "wecom_api_error", details: { errcode: 48002 } });
    const [unchanged] = await db<{ remark: string }>(
      "select remark from wecom_follows where external_userid = $1 and userid = 'lisi'",
      [theirs.external_userid],
    );
    expect(unchanged?.remark).not.toBe("不会保存");
  });

  it("a synced corp tag added in Siyu is marked in WeCom on each relation once, through a 45009", async () => {
    const { t, owner, tenantId, corpId } = w;
    const tags = (await t.call("GET", "/api/wecom/corp-tags", { token: owner })).json().items as Array<{
      id: string;
      name: string;
    }>;
    expect(tags.length).toBeGreaterThan(0);
    const tag = tags[0]!;
    const [candidate] = await db<{ external_userid: string; customer_id: string }>(
      `select c.external_userid, c.customer_id from wecom_contacts c join wecom_follows f on f.external_userid = c.external_userid
        where c.tenant_id = $2 and f.deleted_at is null and not ($1 = any(f.tag_ids)) and f.userid = 'lisi' limit 1`,
      [tag.id, tenantId],
    );
    if (!candidate) throw new Error("no customer without the tag");
    await fault("externalcontact/mark_tag", 45009, 1);
    const add = await t.call("POST", `/api/customers/${candidate.customer_id}/tags`, {
      token: owner,
      body: { tags: [tag.name] },
    });
    expect(add.statusCode, add.body).toBeLessThan(300);
    const mark = await waitFor("tag mark", async () => {
      const items = (
        await t.call("GET", `/api/wecom/tag-marks?customerId=${candidate.customer_id}`, { token: owner })
      ).json().items;
      return items[0]?.status === "done" ? items[0] : undefined;
    });
    expect(mark).toMatchObject({ op: "add", wecomTagId: tag.id });
    const marks = (await sim("GET", `/corps/${corpId}/tag-marks`)).json.tag_marks as Json[];
    expect(
      marks.filter(
        (m) => m.external_userid === candidate.external_userid && (m.add as string[]).includes(tag.id),
      ),
    ).toHaveLength(1);
    expect(await timelineTypes(candidate.customer_id)).toContain("wecom.tag_marked");
    // Removing it unmarks it.
    const del = await t.call(
      "DELETE",
      `/api/customers/${candidate.customer_id}/tags/${encodeURIComponent(tag.name)}`,
      {
        token: owner,
      },
    );
    expect(del.statusCode).toBeLessThan(300);
    await waitFor("tag unmark", async () => {
      const items = (
        await t.call("GET", `/api/wecom/tag-marks?customerId=${candidate.customer_id}`, { token: owner })
      ).json().items;
      return items.find((m: Json) => m.op === "remove" && m.status === "done");
    });
    const c = await sim("GET", `/corps/${corpId}/contacts/${candidate.external_userid}`);
    const tagsNow = (c.json.follow_user as Array<{ userid: string; tags: Array<{ tag_id: string }> }>)
      .find((f) => f.userid === "lisi")
      ?.tags.map((x) => x.tag_id);
    expect(tagsNow).not.toContain(tag.id);
  });

  it("a mass message goes per sender through a 45009 once, and results come back per customer", async () => {
    const { t, owner, tenantId, corpId } = w;
    const z = (await contactsOf("zhangsan")).slice(0, 3);
    const l = (await contactsOf("lisi")).slice(0, 2);
    const customerIds = [...z, ...l].map((c) => c.customer_id);
    await fault("externalcontact/add_msg_template", 45009, 1);
    const before = ((await sim("GET", `/corps/${corpId}/state`)).json.massMessages as Json[]).length;
    const created = await t.call("POST", "/api/wecom/mass-messages", {
      token: owner,
      body: {
        name: "双十一",
        text: "双十一大促，全场五折",
        attachments: [{ type: "link", title: "活动页", url: "https://shop.example.com/1111" }],
        target: { customerIds },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect(created.json().total).toBe(5);
    const sent = await waitFor("mass message sent", async () => {
      const m = (await t.call("GET", `/api/wecom/mass-messages/${id}`, { token: owner })).json();
      return m.status === "sent" ? m : undefined;
    });
    expect(sent.senders.map((s: Json) => s.sender).sort()).toEqual(["lisi", "zhangsan"]);
    expect(sent.counts).toEqual({ not_sent: 5 });
    // One WeCom task per sender, none repeated by the retry.
    const state = (await sim("GET", `/corps/${corpId}/state`)).json.massMessages as Json[];
    expect(state.length - before).toBe(2);

    // One customer deletes zhangsan before he confirms: that one fails as "not a friend".
    const gone = z[0]!;
    expect(
      (
        await sim("POST", `/corps/${corpId}/actions/customer-deletes-member`, {
          userid: "zhangsan",
          external_userid: gone.external_userid,
        })
      ).status,
    ).toBe(200);
    const msgidOf = (sender: string) => sent.senders.find((s: Json) => s.sender === sender).msgid as string;
    expect(
      (
        await sim("POST", `/corps/${corpId}/actions/confirm-mass-message`, {
          msgid: msgidOf("zhangsan"),
          userid: "zhangsan",
        })
      ).status,
    ).toBe(200);
    const refresh = await t.call("POST", `/api/wecom/mass-messages/${id}/refresh`, { token: owner });
    expect(refresh.statusCode).toBe(202);
    await waitFor("zhangsan's results", async () => {
      const m = (await t.call("GET", `/api/wecom/mass-messages/${id}`, { token: owner })).json();
      return m.counts.sent === 2 && m.counts.not_friend === 1 ? m : undefined;
    });
    expect(
      (
        await sim("POST", `/corps/${corpId}/actions/confirm-mass-message`, {
          msgid: msgidOf("lisi"),
          userid: "lisi",
        })
      ).status,
    ).toBe(200);
    await t.call("POST", `/api/wecom/mass-messages/${id}/refresh`, { token: owner });
    const done = await waitFor("mass message completed", async () => {
      const m = (await t.call("GET", `/api/wecom/mass-messages/${id}`, { token: owner })).json();
      return m.status === "completed" ? m : undefined;
    });
    expect(done.counts).toEqual({ sent: 4, not_friend: 1 });
    const notFriend = (
      await t.call("GET", `/api/wecom/mass-messages/${id}/recipients?status=not_friend`, { token: owner })
    ).json();
    expect(notFriend.items.map((r: Json) => r.customerId)).toEqual([gone.customer_id]);
    expect(await timelineTypes(z[1]!.customer_id)).toContain("wecom.mass_message");
    // A retried send job finds each sender's stored step and does not call WeCom again.
    let called = 0;
    const replay = await runStep(t.siyu.platform, tenantId, `mass:${id}:zhangsan`, async () => {
      called++;
      return { msgid: "never" };
    });
    expect(called).toBe(0);
    expect(replay).toMatchObject({ msgid: msgidOf("zhangsan") });
    const list = (await t.call("GET", "/api/wecom/mass-messages", { token: owner })).json();
    expect(list.items.map((m: Json) => m.id)).toContain(id);
  });

  it("a permanent WeCom error fails a mass message visibly; bad targets and agents are refused", async () => {
    const { t, owner } = w;
    // Not one the message above reached today: WeCom's once-a-day limit would block that one.
    const c = (await contactsOf("lisi"))[2];
    await fault("externalcontact/add_msg_template", 48002, 1);
    const created = await t.call("POST", "/api/wecom/mass-messages", {
      token: owner,
      body: { text: "会失败", target: { customerIds: [c!.customer_id] } },
    });
    expect(created.statusCode).toBe(201);
    const failed = await waitFor("mass message failed", async () => {
      const m = (
        await t.call("GET", `/api/wecom/mass-messages/${created.json().id}`, { token: owner })
      ).json();
      return m.status === "failed" ? m : undefined;
    });
    expect(failed.error).toContain("48002");
    expect(failed.counts).toEqual({ failed: 1 });

    const unknown = await t.call("POST", "/api/wecom/mass-messages", {
      token: owner,
      body: { text: "x", target: { customerIds: ["cus_does_not_exist"] } },
    });
    expect(unknown.statusCode).toBe(404);
    const empty = await t.call("POST", "/api/wecom/mass-messages", {
      token: owner,
      body: { text: "", target: { customerIds: [c!.customer_id] } },
    });
    expect(empty.statusCode).toBe(400);
    const byAgent = await t.call("POST", "/api/wecom/mass-messages", {
      token: agent,
      body: { text: "x", target: { customerIds: [c!.customer_id] } },
    });
    expect(byAgent.statusCode).toBe(403);
  });

  it("the contact policy filters a mass message: refused customers are kept with the reason; quiet hours defer it", async () => {
    const { t, owner, tenantId, corpId } = w;
    const [optedOut, messaged, fresh, night] = (await contactsOf("sunqi")).slice(0, 4);
    const put = await t.call("PUT", `/api/customers/${optedOut!.customer_id}/contact-preferences`, {
      token: owner,
      body: { optOuts: ["wecom_mass"] },
    });
    expect(put.statusCode).toBe(200);
    // Another sender (a flow step) already reached this one today: WeCom's once-a-day mass limit.
    const earlier = await reserve(t.siyu.platform.db, {
      tenantId,
      customerIds: [messaged!.customer_id],
      channel: "wecom_mass",
      purpose: "marketing",
      ref: "flow:elsewhere",
    });
    expect(earlier.allowed).toHaveLength(1);
    const created = await t.call("POST", "/api/wecom/mass-messages", {
      token: owner,
      body: {
        text: "会员日",
        target: { customerIds: [optedOut, messaged, fresh].map((c) => c!.customer_id) },
      },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const sent = await waitFor("filtered mass message sent", async () => {
      const m = (await t.call("GET", `/api/wecom/mass-messages/${id}`, { token: owner })).json();
      return m.status === "sent" ? m : undefined;
    });
    expect(sent.counts).toEqual({ blocked: 2, not_sent: 1 });
    const state = (await sim("GET", `/corps/${corpId}/state`)).json.massMessages as Json[];
    const task = state.find((m) => m.msgid === sent.senders[0].msgid) as Json;
    expect(JSON.stringify(task)).toContain(fresh!.external_userid);
    expect(JSON.stringify(task)).not.toContain(optedOut!.external_userid);
    const blocked = (
      await t.call("GET", `/api/wecom/mass-messages/${id}/recipients?status=blocked`, { token: owner })
    ).json();
    expect(Object.fromEntries(blocked.items.map((r: Json) => [r.customerId, r.policyReason]))).toEqual({
      [optedOut!.customer_id]: "opted_out",
      [messaged!.customer_id]: "cap_day",
    });

    // Everyone refused: nothing to create in WeCom, and the message is done rather than failed.
    const none = await t.call("POST", "/api/wecom/mass-messages", {
      token: owner,
      body: { text: "再来一次", target: { customerIds: [fresh!.customer_id] } },
    });
    const done = await waitFor("all-blocked mass message done", async () => {
      const m = (await t.call("GET", `/api/wecom/mass-messages/${none.json().id}`, { token: owner })).json();
      return m.status === "completed" ? m : undefined;
    });
    expect(done.counts).toEqual({ blocked: 1 });
    expect(done.senders.map((s: Json) => s.status)).toEqual(["skipped"]);

    // Quiet hours around now in the tenant's zone: the message waits, with the time it will go.
    const hhmm = (d: Date) =>
      new Intl.DateTimeFormat("en-GB", {
        timeZone: "Asia/Shanghai",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      }).format(d);
    const policy = (quietHours: { start: string; end: string } | null) => ({
      channels: [
        {
          channel: "wecom_mass",
          perDay: 1,
          perWeek: null,
          perMonth: null,
          perCalendarMonth: 4,
          quietHours,
          transactionalExempt: true,
        },
      ],
    });
    const start = hhmm(new Date(Date.now() - 3600_000));
    const end = hhmm(new Date(Date.now() + 3600_000));
    expect(
      (await t.call("PUT", "/api/settings/contact-policy", { token: owner, body: policy({ start, end }) }))
        .statusCode,
    ).toBe(200);
    const deferred = await t.call("POST", "/api/wecom/mass-messages", {
      token: owner,
      body: { text: "夜间", target: { customerIds: [night!.customer_id] } },
    });
    const waiting = await waitFor("mass message deferred", async () => {
      const m = (
        await t.call("GET", `/api/wecom/mass-messages/${deferred.json().id}`, { token: owner })
      ).json();
      return m.notBefore ? m : undefined;
    });
    expect(waiting.status).toBe("queued");
    const wait = new Date(waiting.notBefore).getTime() - Date.now();
    expect(wait).toBeGreaterThan(55 * 60_000);
    expect(wait).toBeLessThan(61 * 60_000);
    expect(
      (await t.call("PUT", "/api/settings/contact-policy", { token: owner, body: policy(null) })).statusCode,
    ).toBe(200);
  });

  it("a moments task is created once and polled until WeCom reports it done", async () => {
    const { t, owner, corpId } = w;
    const created = await t.call("POST", "/api/wecom/moments", {
      token: owner,
      body: { text: "新品上市", senders: ["zhangsan", "lisi"] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const done = await waitFor("moment completed", async () => {
      const m = (await t.call("GET", `/api/wecom/moments/${created.json().id}`, { token: owner })).json();
      return m.status === "completed" || m.status === "failed" ? m : undefined;
    });
    expect(done.status).toBe("completed");
    expect(done.momentId).toBeTruthy();
    expect(((await sim("GET", `/corps/${corpId}/state`)).json.moments as Json[]).length).toBe(1);
    const bad = await t.call("POST", "/api/wecom/moments", {
      token: owner,
      body: {
        text: "x",
        attachments: [
          { type: "video", mediaId: "m1" },
          { type: "image", mediaId: "m2" },
        ],
      },
    });
    expect(bad.statusCode).toBe(400);
  });

  // Before the transfer tests: they move the simulator clock past the callback replay window.
  it("a group chat is handed to a new owner", async () => {
    const { t, owner, corpId } = w;
    const [c] = await contactsOf("lisi");
    const group = await sim("POST", `/corps/${corpId}/actions/create-group`, {
      owner: "lisi",
      name: "VIP群",
      members: [c!.external_userid],
    });
    expect(group.status, JSON.stringify(group.json)).toBe(200);
    const chatId = group.json.chat_id as string;
    await sim("POST", `/corps/${corpId}/callbacks/flush`);
    await waitFor("group synced", async () => {
      const [g] = await db<{ chat_id: string }>("select chat_id from wecom_groups where chat_id = $1", [
        chatId,
      ]);
      return g;
    });
    const created = await t.call("POST", "/api/wecom/group-transfers", {
      token: owner,
      body: { kind: "onjob", chatIds: [chatId], newOwner: "zhangsan" },
    });
    expect(created.statusCode, created.body).toBe(201);
    const done = await waitFor("group transfer", async () => {
      const d = (await t.call("GET", `/api/wecom/transfers/${created.json().id}`, { token: owner })).json();
      return d.status === "completed" ? d : undefined;
    });
    expect(done.items).toMatchObject([{ subjectId: chatId, status: "done" }]);
    const groups = (await sim("GET", `/corps/${corpId}/state`)).json.groups as Json[];
    expect(groups.find((g) => g.chat_id === chatId)?.owner).toBe("zhangsan");
  });

  it("an on-job transfer of 110 customers is split into calls of 100, waits, and is done after 24 h", async () => {
    const { t, owner, corpId } = w;
    const wangwu = await contactsOf("wangwu");
    expect(wangwu.length).toBeGreaterThan(100);
    const picked = wangwu.slice(0, 110);
    await fault("externalcontact/transfer_customer", 45009, 1);
    const created = await t.call("POST", "/api/wecom/transfers", {
      token: owner,
      body: {
        kind: "onjob",
        handoverUserid: "wangwu",
        takeoverUserid: "lisi",
        customerIds: picked.map((c) => c.customer_id),
        message: "您好，后续由我为您服务",
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const chunks = await db<{ chunk: number; n: number }>(
      "select chunk, count(*)::int as n from wecom_transfer_items where transfer_id = $1 group by chunk order by chunk",
      [id],
    );
    expect(chunks).toEqual([
      { chunk: 0, n: 100 },
      { chunk: 1, n: 10 },
    ]);
    await waitFor("transfer waiting", async () => {
      const d = (await t.call("GET", `/api/wecom/transfers/${id}`, { token: owner })).json();
      return d.counts.waiting === 110 ? d : undefined;
    });
    const transfers = (await sim("GET", `/corps/${corpId}/state`)).json.transfers as Json[];
    expect(transfers.filter((x) => x.handover_userid === "wangwu")).toHaveLength(110);

    // The customer refuses: WeCom's transfer_fail callback settles that one.
    const refuser = picked[0]!;
    expect(
      (
        await sim("POST", `/corps/${corpId}/actions/refuse-transfer`, {
          external_userid: refuser.external_userid,
        })
      ).status,
    ).toBe(200);
    await sim("POST", `/corps/${corpId}/callbacks/flush`);
    await waitFor("refused by event", async () => {
      const d = (await t.call("GET", `/api/wecom/transfers/${id}`, { token: owner })).json();
      return d.items.find((i: Json) => i.subjectId === refuser.external_userid && i.status === "refused");
    });
    // The failure is on the refusing customer's timeline too.
    expect(await timelineTypes(refuser.customer_id)).toContain("wecom.transfer_failed");

    expect((await sim("POST", "/clock/advance", { hours: 25 })).status).toBe(200);
    await t.call("POST", `/api/wecom/transfers/${id}/refresh`, { token: owner });
    const done = await waitFor("transfer completed", async () => {
      const d = (await t.call("GET", `/api/wecom/transfers/${id}`, { token: owner })).json();
      return d.status === "completed" ? d : undefined;
    });
    expect(done.counts).toEqual({ done: 109, refused: 1 });
    const moved = picked[1]!;
    const types = await timelineTypes(moved.customer_id);
    expect(types).toEqual(expect.arrayContaining(["wecom.transfer_started", "wecom.transfer_result"]));
    const [follow] = await db<{ deleted_at: Date | null }>(
      "select deleted_at from wecom_follows where external_userid = $1 and userid = 'lisi'",
      [moved.external_userid],
    );
    expect(follow?.deleted_at).toBeNull();
    const audit = (await t.call("GET", "/api/audit?limit=100", { token: owner })).json();
    expect(audit.items.map((a: { action: string }) => a.action)).toContain("wecom.transfer_created");
  });

  it("resigned staff's waiting customers are listed and inherited", async () => {
    const { t, owner, corpId } = w;
    expect((await sim("POST", `/corps/${corpId}/members/sunqi/resign`)).status).toBe(200);
    const list = await waitFor("unassigned list", async () => {
      const r = await t.call("GET", "/api/wecom/transfers/unassigned", { token: owner });
      expect(r.statusCode, r.body).toBe(200);
      const items = r.json().items as Json[];
      return items.length ? items : undefined;
    });
    expect(list.every((i) => i.handoverUserid === "sunqi")).toBe(true);
    expect(list[0]?.customerId).toBeTruthy();
    const created = await t.call("POST", "/api/wecom/transfers", {
      token: owner,
      body: {
        kind: "resigned",
        handoverUserid: "sunqi",
        takeoverUserid: "zhangsan",
        externalUserids: list.map((i) => i.externalUserid),
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    await waitFor("resigned transfer waiting", async () => {
      const d = (await t.call("GET", `/api/wecom/transfers/${id}`, { token: owner })).json();
      return d.counts.waiting === list.length ? d : undefined;
    });
    await sim("POST", "/clock/advance", { hours: 25 });
    await t.call("POST", `/api/wecom/transfers/${id}/refresh`, { token: owner });
    const done = await waitFor("resigned transfer completed", async () => {
      const d = (await t.call("GET", `/api/wecom/transfers/${id}`, { token: owner })).json();
      return d.status === "completed" ? d : undefined;
    });
    expect(done.counts).toEqual({ done: list.length });
  });

  it("bad transfer input: unknown customer 404, another tenant's customer 404, agents 403", async () => {
    const { t, owner } = w;
    const [c] = await contactsOf("lisi");
    const base = { kind: "onjob", handoverUserid: "lisi", takeoverUserid: "zhangsan" };
    const unknown = await t.call("POST", "/api/wecom/transfers", {
      token: owner,
      body: { ...base, customerIds: ["cus_nobody"] },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe("not_found");
    const same = await t.call("POST", "/api/wecom/transfers", {
      token: owner,
      body: { ...base, takeoverUserid: "lisi", customerIds: [c!.customer_id] },
    });
    expect(same.statusCode).toBe(400);
    const byAgent = await t.call("POST", "/api/wecom/transfers", {
      token: agent,
      body: { ...base, customerIds: [c!.customer_id] },
    });
    expect(byAgent.statusCode).toBe(403);

    const res = await t.call("POST", "/api/tenants", {
      token: owner,
      body: { name: "Tenant B", admin: { email: "owner-b@example.com", password: "Owner-B-Passw0rd" } },
    });
    expect(res.statusCode).toBe(201);
    const tokenB = await t.login("owner-b@example.com", "Owner-B-Passw0rd");
    const fromB = await t.call("POST", "/api/wecom/transfers", {
      token: tokenB,
      body: { ...base, customerIds: [c!.customer_id] },
    });
    expect(fromB.statusCode).toBe(404);
    const remarkB = await t.call("PUT", `/api/wecom/contacts/${c!.external_userid}/remark`, {
      token: tokenB,
      body: { userid: "lisi", remark: "x" },
    });
    expect(remarkB.statusCode).toBe(404);
    const anyId = (await t.call("GET", "/api/wecom/transfers", { token: owner })).json().items[0].id;
    expect((await t.call("GET", `/api/wecom/transfers/${anyId}`, { token: tokenB })).statusCode).toBe(404);
    expect((await t.call("GET", "/api/wecom/mass-messages", { token: tokenB })).json().items).toEqual([]);
  });
});
