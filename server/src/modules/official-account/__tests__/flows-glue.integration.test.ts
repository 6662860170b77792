import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKinds } from "../../../testing/databases.ts";
import { OaWorld } from "../../../testing/oa-world.ts";
import { waitFor } from "../../../testing/wecom-world.ts";

type Json = Record<string, unknown>;

/**
 * The Official Account engine wired to the process engine and the marketing guardrails, against the
 * OA simulator over real HTTP: opt-out keywords from followers, template sends through the contact
 * policy, the `oa.send_template` flow action (once, and its blocked branch), and OA events as flow
 * triggers.
 */
describe.each(dbKinds)("Official Account ↔ flows and contact policy (%s)", (kind) => {
  const w = new OaWorld(kind, { settle: { queues: ["realtime", "automation", "outbound"] } });
  const { osim, acct, db, api, settle, follow, simSendsTo } = w;
  const say = async (openid: string, content: string) => {
    const r = await osim("POST", `${acct("/message")}?wait=1`, { openid, content });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    await settle();
  };
  const publish = async (name: string, definition: unknown) => {
    const created = await api("POST", "/api/flows", { name, definition });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const published = await api("POST", `/api/flows/${id}/publish`);
    expect(published.statusCode, published.body).toBe(200);
    return id;
  };
  const instances = async (flowId: string, customerId: string) =>
    (await api("GET", `/api/flows/${flowId}/instances?customerId=${customerId}`)).json().items as Json[];

  beforeAll(async () => {
    await w.open();
    await w.syncTemplate({
      template_id: "tpl_glue",
      title: "活动通知",
      content: "{{thing1.DATA}}\n时间：{{time2.DATA}}",
    });
  }, 180_000);
  afterAll(() => w.close(), 120_000);

  it("an opt-out keyword from a follower opts them out; a tag send reserves and blocks them with the reason", async () => {
    const { oa, account } = w;
    const keep = await follow({ unionid: "uGlueKeep" });
    const quit = await follow({ unionid: "uGlueQuit" });
    await say(keep.openid, "TD 是什么意思"); // not the whole message: no opt-out
    await say(quit.openid, "退订");
    const prefs = async (id: string) =>
      (await api("GET", `/api/customers/${id}/contact-preferences`)).json() as {
        optOuts: Array<{ channel: string; source: string }>;
        touches: Array<{ channel: string; day: number }>;
      };
    expect((await prefs(quit.customerId)).optOuts).toEqual([
      expect.objectContaining({ channel: "oa_template", source: "keyword" }),
    ]);
    expect((await prefs(keep.customerId)).optOuts).toEqual([]);
    // The message is still a message on the timeline.
    const types = (await api("GET", `/api/customers/${quit.customerId}/timeline?limit=50`))
      .json()
      .items.map((i: Json) => i.type);
    expect(types).toEqual(expect.arrayContaining(["oa.message_received", "contact.opted_out"]));

    for (const c of [keep, quit])
      await api("POST", `/api/customers/${c.customerId}/tags`, { tags: ["活动名单"] });
    const sent = await api("POST", "/api/official-account/template-sends", {
      templateId: "tpl_glue",
      tag: "活动名单",
      data: { thing1: "{{name}}，春季活动", time2: "明天" },
    });
    expect(sent.statusCode, sent.body).toBe(202);
    expect(sent.json()).toMatchObject({ total: 2, counts: { sending: 1, blocked: 1 } });
    const batchId = sent.json().id as string;
    const rows = await waitFor("sends", async () => {
      await oa.sandbox.callbacks.flush(account.appId);
      await settle();
      const r = (await api("GET", `/api/official-account/template-sends?batchId=${batchId}`)).json()
        .items as Json[];
      return r.every((x) => x.status !== "sending") ? r : null;
    });
    expect(rows.find((r) => r.customerId === quit.customerId)).toMatchObject({
      status: "blocked",
      error: "contact policy: opted_out",
    });
    expect(rows.find((r) => r.customerId === keep.customerId)?.status).toMatch(/^(sent|success)$/);
    expect(await simSendsTo(quit.openid)).toHaveLength(0);
    expect(await simSendsTo(keep.openid)).toHaveLength(1);
    // Counted once for the one who got it.
    expect((await prefs(keep.customerId)).touches.find((x) => x.channel === "oa_template")?.day).toBe(1);
    // A bad purpose is a 400 with the error shape.
    const bad = await api("POST", "/api/official-account/template-sends", {
      templateId: "tpl_glue",
      tag: "活动名单",
      data: {},
      purpose: "spam",
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBeTruthy();
  });

  it("flow action oa.send_template sends once through the simulator; an opted-out customer takes the blocked branch", async () => {
    const { t, oa, tenantId, account } = w;
    const flowId = await publish("公众号模板消息", {
      nodes: [
        { id: "t", type: "trigger", params: { event: "customer.tag_added", tag: "模板流" } },
        {
          id: "send",
          type: "action",
          params: {
            action: "oa.send_template",
            templateId: "tpl_glue",
            data: { thing1: "{{name}}，您好", time2: "今天" },
          },
        },
        { id: "mark", type: "action", params: { action: "customer.add_tag", tag: "模板被拦截" } },
        { id: "e", type: "end", params: {} },
      ],
      edges: [
        { from: "t", to: "send" },
        { from: "send", to: "e" },
        { from: "send", to: "mark", when: "blocked" },
        { from: "mark", to: "e" },
      ],
    });
    const ok = await follow({ unionid: "uFlowOk" });
    const out = await follow({ unionid: "uFlowOut" });
    await say(out.openid, "unsubscribe");
    for (const c of [ok, out]) await api("POST", `/api/customers/${c.customerId}/tags`, { tags: ["模板流"] });
    const done = async (customerId: string) =>
      waitFor("instance", async () => {
        await oa.sandbox.callbacks.flush(account.appId);
        await settle();
        const [i] = await instances(flowId, customerId);
        return i?.status === "completed" ? i : null;
      });
    const okInst = await done(ok.customerId);
    const outInst = await done(out.customerId);

    const wire = await simSendsTo(ok.openid);
    expect(wire).toHaveLength(1);
    expect(JSON.stringify(wire[0]!.data)).toContain("今天");
    expect(await simSendsTo(out.openid)).toHaveLength(0);
    const detail = (await api("GET", `/api/flow-instances/${okInst.id}`)).json();
    expect(detail.history.map((h: Json) => h.nodeId)).toEqual(["t", "send", "e"]);
    const batchId = detail.history[1].result.batchId as string;
    expect(batchId).toMatch(/^otb_/);
    // The send job again (a retry after a crash): nothing is resent.
    await t.siyu.platform.jobs.send(
      "official-account.template-send",
      { tenantId, batchId },
      { key: `${batchId}:again` },
    );
    await settle();
    expect(await simSendsTo(ok.openid)).toHaveLength(1);
    // One touch counted for the step (the engine's and the send's reservations share the ref).
    const [touches] = await db().query<{ n: number }>(
      "select count(*)::int as n from contact_touches where customer_id = $1 and channel = 'oa_template' and counted",
      [ok.customerId],
    );
    expect(touches?.n).toBe(1);

    const outDetail = (await api("GET", `/api/flow-instances/${outInst.id}`)).json();
    expect(outDetail.history.map((h: Json) => h.nodeId)).toEqual(["t", "send", "mark", "e"]);
    expect(outDetail.history[1].result).toMatchObject({
      blocked: { channel: "oa_template", reason: "opted_out" },
    });
    const tags = (await api("GET", `/api/customers/${out.customerId}`)).json().tags.map((x: Json) => x.name);
    expect(tags).toContain("模板被拦截");
    // Bad params are refused at publish (4xx, the error shape).
    const bad = await api("POST", "/api/flows", {
      name: "坏参数",
      definition: {
        nodes: [
          { id: "t", type: "trigger", params: { event: "manual" } },
          { id: "s", type: "action", params: { action: "oa.send_template", purpose: "spam" } },
          { id: "e", type: "end", params: {} },
        ],
        edges: [
          { from: "t", to: "s" },
          { from: "s", to: "e" },
        ],
      },
    });
    const pub = bad.statusCode === 201 ? await api("POST", `/api/flows/${bad.json().id}/publish`) : bad;
    expect(pub.statusCode).toBeGreaterThanOrEqual(400);
    expect(pub.statusCode).toBeLessThan(500);
    expect(pub.json().error.code).toBeTruthy();
  });

  it("OA events are flow triggers: a follow via a scene QR starts an instance for the merged customer", async () => {
    const catalog = (await api("GET", "/api/flow-node-types")).json();
    expect(catalog.triggerEvents).toEqual(
      expect.arrayContaining([
        "oa.subscribed",
        "oa.scanned",
        "oa.message_received",
        "oa.menu_clicked",
        "content.clicked",
        "channel.live_code_added",
        "channel.oa_qr_followed",
      ]),
    );
    expect(catalog.actions.map((a: Json) => a.action)).toContain("oa.send_template");
    const flowId = await publish("扫码关注欢迎旅程", {
      nodes: [
        { id: "t", type: "trigger", params: { event: "oa.subscribed", scene: "glue_scene" } },
        { id: "tag", type: "action", params: { action: "customer.add_tag", tag: "扫码关注" } },
        { id: "e", type: "end", params: {} },
      ],
      edges: [
        { from: "t", to: "tag" },
        { from: "tag", to: "e" },
      ],
    });
    const kwFlow = await publish("关键词旅程", {
      nodes: [
        { id: "t", type: "trigger", params: { event: "oa.message_received", keyword: "报价" } },
        { id: "tag", type: "action", params: { action: "customer.add_tag", tag: "询价" } },
        { id: "e", type: "end", params: {} },
      ],
      edges: [
        { from: "t", to: "tag" },
        { from: "tag", to: "e" },
      ],
    });
    // The person is already a customer known by unionid (say from WeCom): the follow lands on them.
    const known = await api("POST", "/api/customers", {
      name: "王女士",
      identities: [{ type: "unionid", value: "uGlueScene" }],
    });
    expect(known.statusCode, known.body).toBe(201);
    const scanned = await follow({ scene: "glue_scene", unionid: "uGlueScene" });
    expect(scanned.customerId).toBe(known.json().id);
    const other = await follow({ scene: "other_scene", unionid: "uGlueOther" });
    const started = await waitFor("instance", async () => {
      await settle();
      const [i] = await instances(flowId, scanned.customerId);
      return i?.status === "completed" ? i : null;
    });
    expect(started).toMatchObject({ customerId: scanned.customerId });
    expect(await instances(flowId, other.customerId)).toHaveLength(0);
    const tags = (await api("GET", `/api/customers/${scanned.customerId}`))
      .json()
      .tags.map((x: Json) => x.name);
    expect(tags).toContain("扫码关注");

    await say(other.openid, "请问报价多少");
    await say(scanned.openid, "你好");
    await waitFor("keyword instance", async () => {
      await settle();
      return (await instances(kwFlow, other.customerId))[0]?.status === "completed";
    });
    expect(await instances(kwFlow, scanned.customerId)).toHaveLength(0);
  });
});
