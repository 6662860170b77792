import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOaClient } from "../../../connectors/official-account/index.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { OaWorld, signedOaMessage } from "../../../testing/oa-world.ts";
import { waitFor } from "../../../testing/wecom-world.ts";

type Json = Record<string, unknown>;

describe.each(dbKinds)("Official Account engine against the simulators (%s)", (kind) => {
  const w = new OaWorld(kind, { wecom: true });
  const { osim, acct, db, settle, follow, customer, addWecomContact } = w;
  let secret: string;

  const follower = async (openid: string) =>
    (
      await db().query<{
        customer_id: string;
        subscribed: boolean;
        unionid: string | null;
        qr_scene: string | null;
      }>("select customer_id, subscribed, unionid, qr_scene from oa_followers where openid = $1", [openid])
    )[0];
  const timeline = async (id: string) => (await w.timeline(id)).map((i) => i.type);
  const wecomCustomerOf = async (unionid: string) =>
    (
      await db().query<{ customer_id: string }>("select customer_id from wecom_contacts where unionid = $1", [
        unionid,
      ])
    )[0]?.customer_id;

  beforeAll(async () => {
    await w.open();
    secret = w.oa.sandbox.account(w.account.appId)!.secret;
    const verified = await osim("POST", acct("/verify-url"));
    expect(verified.json.ok).toBe(true);
  }, 60_000);
  afterAll(() => w.close());

  it("a follow via a parametric QR scene: customer with oa_openid and unionid, scene on the timeline", async () => {
    const { t, account } = w;
    const r = await follow({ scene: "ch_spring", unionid: "uFollowOnly1" });
    const openid = r.openid as string;
    expect((r.delivery as Json).state).toBe("delivered");
    const f = await follower(openid);
    expect(f).toMatchObject({ subscribed: true, unionid: "uFollowOnly1", qr_scene: "ch_spring" });
    const c = await customer(f!.customer_id);
    expect(c.identities).toEqual(
      expect.arrayContaining([
        { type: "oa_openid", value: openid, scope: account.appId },
        { type: "unionid", value: "uFollowOnly1" },
      ]),
    );
    const events = await t.siyu.platform.db.query<{ data: Json }>(
      "select data from customer_events where customer_id = $1 and type = 'oa.subscribed'",
      [f!.customer_id],
    );
    expect(events[0]?.data).toMatchObject({ openid, scene: "ch_spring" });
    // The domain event is in the outbox under the same name.
    const [outbox] = await db().query<{ n: number }>(
      "select count(*)::int as n from outbox where type = 'oa.subscribed'",
    );
    expect(outbox?.n).toBeGreaterThanOrEqual(1);
  });

  it("WeCom first, then the OA follow with the same unionid: one customer", async () => {
    await addWecomContact("uShared1", "王女士");
    const wecomCustomer = await wecomCustomerOf("uShared1");
    expect(wecomCustomer).toBeTruthy();
    const r = await follow({ unionid: "uShared1" });
    const f = await follower(r.openid as string);
    expect(f?.customer_id).toBe(wecomCustomer);
    const types = (await customer(f!.customer_id)).identities.map((i: Json) => i.type).sort();
    expect(types).toEqual(["oa_openid", "unionid", "wecom_external_userid"]);
    expect(await timeline(f!.customer_id)).toEqual(
      expect.arrayContaining(["wecom.contact_added", "oa.subscribed"]),
    );
  });

  it("OA first, then the WeCom add with the same unionid: one customer", async () => {
    const r = await follow({ unionid: "uShared2" });
    const f = await follower(r.openid as string);
    await addWecomContact("uShared2", "李先生");
    expect(await wecomCustomerOf("uShared2")).toBe(f?.customer_id);
  });

  it("unionid after openid: first seen without one, a later sync's batchget brings it and merges with WeCom", async () => {
    const { t, owner } = w;
    await addWecomContact("uLate1", "赵女士");
    const wecomCustomer = await wecomCustomerOf("uLate1");
    const r = await follow({});
    const openid = r.openid as string;
    const before = await follower(openid);
    expect(before?.unionid).toBeNull();
    expect(before?.customer_id).not.toBe(wecomCustomer);
    // The account gets bound to the Open Platform: user/info now returns the unionid.
    expect((await osim("PATCH", acct(`/followers/${openid}`), { unionid: "uLate1" })).status).toBe(200);
    const started = await t.call("POST", "/api/official-account/sync", { token: owner, body: {} });
    expect(started.statusCode).toBe(202);
    const runId = started.json().id;
    await waitFor("sync", async () => {
      const run = (await t.call("GET", `/api/official-account/sync/${runId}`, { token: owner })).json();
      return run.status === "completed" ? run : null;
    });
    const after = await follower(openid);
    expect(after?.unionid).toBe("uLate1");
    const list = (await t.call("GET", `/api/customers?q=${openid}`, { token: owner })).json().items as Json[];
    expect(list).toHaveLength(1);
    const merged = await customer(list[0]!.id as string);
    expect(merged.identities.map((i: Json) => i.type).sort()).toEqual([
      "oa_openid",
      "unionid",
      "wecom_external_userid",
    ]);
    expect([before!.customer_id, wecomCustomer]).toContain(merged.id);
  });

  it("no false merges: no unionid on either side, or different unionids, stay apart", async () => {
    await addWecomContact(undefined, "无联合");
    await addWecomContact("uWecomOnly", "只在企微");
    const a = await follow({});
    const b = await follow({ unionid: "uOaOnly" });
    const fa = await follower(a.openid as string);
    const fb = await follower(b.openid as string);
    const ids = (await customer(fa!.customer_id)).identities.map((i: Json) => i.type);
    expect(ids).toEqual(["oa_openid"]);
    expect((await customer(fb!.customer_id)).identities.map((i: Json) => i.type).sort()).toEqual([
      "oa_openid",
      "unionid",
    ]);
    expect(await wecomCustomerOf("uWecomOnly")).not.toBe(fb?.customer_id);
  });

  it("SCAN, CLICK, VIEW, a text message with a keyword auto-reply (encrypted, accepted by WeChat), unfollow", async () => {
    const { t, owner } = w;
    const r = await follow({ unionid: "uActive1" });
    const openid = r.openid as string;
    const created = await t.call("POST", "/api/official-account/auto-replies", {
      token: owner,
      body: { keyword: "营业时间", reply: { type: "text", content: "每天 10:00–22:00 <欢迎> ]]> 光临" } },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(
      (
        await t.call("POST", "/api/official-account/auto-replies", {
          token: owner,
          body: { keyword: "营业时间", reply: { type: "text", content: "dup" } },
        })
      ).statusCode,
    ).toBe(409);
    const scan = await osim("POST", `${acct("/follow")}?wait=1`, { openid, scene: "ch_autumn" });
    expect(scan.json.event).toBe("SCAN");
    await osim("POST", `${acct("/click")}?wait=1`, { openid, key: "MEMBER_CENTER" });
    await osim("POST", `${acct("/view")}?wait=1`, { openid, url: "https://example.com/stores" });
    const msg = await osim("POST", `${acct("/message")}?wait=1`, { openid, content: " 营业时间 " });
    const delivery = msg.json.delivery as Json;
    expect(delivery.replyError).toBeUndefined();
    expect((delivery.attempts as Json[])[0]?.outcome).toBe("reply");
    expect((delivery.reply as Json).Content).toBe("每天 10:00–22:00 <欢迎> ]]> 光临");
    const other = await osim("POST", `${acct("/message")}?wait=1`, { openid, content: "随便问问" });
    expect(((other.json.delivery as Json).attempts as Json[])[0]?.outcome).toBe("success");
    await osim("POST", `${acct("/unfollow")}?wait=1`, { openid });
    await settle();
    const f = await follower(openid);
    expect(f?.subscribed).toBe(false);
    expect((await t.call("GET", `/api/customers/${f!.customer_id}`, { token: owner })).statusCode).toBe(200);
    const types = await timeline(f!.customer_id);
    for (const type of [
      "oa.subscribed",
      "oa.scanned",
      "oa.menu_clicked",
      "oa.menu_viewed",
      "oa.message_received",
      "oa.unsubscribed",
    ])
      expect(types).toContain(type);
    const followers = (
      await t.call("GET", "/api/official-account/followers?subscribed=false", { token: owner })
    ).json().items as Json[];
    expect(followers.map((x) => x.openid)).toContain(openid);
  });

  it("template send result (TEMPLATESENDJOBFINISH) lands on the timeline; unknown events are stored as ignored", async () => {
    const { t, oa, owner, tenantId, account } = w;
    const r = await follow({});
    const openid = r.openid as string;
    const client = createOaClient({ apiBase: oa.url, appId: account.appId, secret });
    const sent = await client.templates.send({
      touser: openid,
      template_id: "tpl_service_progress",
      data: { thing1: { value: "空调清洗" } },
    });
    await waitFor("template result", async () => {
      await oa.sandbox.callbacks.flush(account.appId);
      const [row] = await db().query<{ n: number }>(
        "select count(*)::int as n from customer_events where type = 'oa.template_send_finished' and data->>'msgId' = $1",
        [String(sent.msgid)],
      );
      return row?.n === 1;
    });
    const m = signedOaMessage(account, {
      FromUserName: openid,
      MsgType: "event",
      Event: "MASSSENDJOBFINISH",
      MsgID: "1",
    });
    const res = await t.call("POST", `/callbacks/official-account/${tenantId}?${m.query}`, {
      headers: { "content-type": "text/xml" },
      body: m.body,
    });
    expect(res.statusCode, res.body).toBe(200);
    await settle();
    const tasks = (
      await t.call("GET", "/api/official-account/events?status=ignored", { token: owner })
    ).json().items as Json[];
    expect(tasks.map((x) => x.kind)).toContain("event.MASSSENDJOBFINISH");
  });

  it("replays and duplicates: an old timestamp is refused; duplicate deliveries are one event", async () => {
    const { t, tenantId, account } = w;
    const old = signedOaMessage(
      account,
      { FromUserName: "oReplay1", MsgType: "text", Content: "hi", MsgId: "99" },
      { timestamp: String(Math.floor(Date.now() / 1000) - 3600) },
    );
    const refused = await t.call("POST", `/callbacks/official-account/${tenantId}?${old.query}`, {
      headers: { "content-type": "text/xml" },
      body: old.body,
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toMatch(/replay/);
    await osim("PUT", acct("/faults/callbacks"), { duplicates: 2 });
    const r = await follow({ unionid: "uDup1" });
    await osim("PUT", acct("/faults/callbacks"), { duplicates: 0 });
    expect(((r.delivery as Json).attempts as Json[]).length).toBe(3);
    const f = await follower(r.openid as string);
    const [n] = await db().query<{ n: number }>(
      "select count(*)::int as n from customer_events where customer_id = $1 and type = 'oa.subscribed'",
      [f!.customer_id],
    );
    expect(n?.n).toBe(1);
  });

  it("a full follower sync resumes after failures mid-run and applies every follower once", async () => {
    const { t, oa, owner, account } = w;
    await osim("POST", acct("/followers/seed"), { count: 3000, unionidShare: 0.5 });
    await osim("POST", acct("/faults"), { api: "user/info/batchget", delayMs: 150, times: null });
    const started = await t.call("POST", "/api/official-account/sync", { token: owner, body: {} });
    const runId = started.json().id;
    await waitFor("first batches", async () => {
      const run = (await t.call("GET", `/api/official-account/sync/${runId}`, { token: owner })).json();
      return (run.progress.applied ?? 0) >= 500;
    });
    await osim("DELETE", acct("/faults"));
    // A refusal the client does not retry (48001) fails the job's attempt: the retry resumes at the checkpoint.
    await osim("POST", acct("/faults"), { api: "user/info/batchget", errcode: 48001, times: 2 });
    const run = await waitFor(
      "sync",
      async () => {
        const r = (await t.call("GET", `/api/official-account/sync/${runId}`, { token: owner })).json();
        return r.status === "completed" || r.status === "failed" ? r : null;
      },
      120_000,
    );
    expect(run.status).toBe("completed");
    expect(run.attempts).toBeGreaterThanOrEqual(2);
    const subscribed = oa.sandbox.account(account.appId)!.subscribedCount();
    expect(run.progress.total).toBe(subscribed);
    expect(run.progress.applied).toBe(subscribed);
    const [n] = await db().query<{ n: number }>(
      "select count(*)::int as n from oa_followers where subscribed",
    );
    expect(n?.n).toBe(subscribed);
    const stats = (await t.call("GET", "/api/official-account/followers/stats", { token: owner })).json();
    expect(stats.subscribed).toBe(subscribed);
    expect(stats.linkedToWecom).toBeGreaterThanOrEqual(3);
  }, 180_000);
});
