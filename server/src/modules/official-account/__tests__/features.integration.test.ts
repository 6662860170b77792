import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WxMsgCrypt } from "../../../connectors/shared/wx-msg-crypt.ts";
import { parseWxXml } from "../../../connectors/shared/xml.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { OaWorld, signedOaMessage } from "../../../testing/oa-world.ts";
import { waitFor } from "../../../testing/wecom-world.ts";

type Json = Record<string, unknown>;

/**
 * The feature half of the Official Account engine against both simulators over real HTTP: QR codes as
 * channels (attribution, tags, the statistics shared with live codes), passive replies in safe mode,
 * tracked links, template sends (failures recorded once, never resent), menus by tag, cross-engine
 * rules, and retried callbacks.
 */
describe.each(dbKinds)("Official Account features (%s)", (kind) => {
  // settle(): also the delivery jobs of the events (subscribers) and the sends they start.
  const w = new OaWorld(kind, { wecom: true, settle: { queues: ["realtime", "automation", "outbound"] } });
  const { osim, acct, db, api, settle, follow, timeline, addWecomContact } = w;
  const follower = async (openid: string) =>
    (
      await db().query<{ customer_id: string; subscribed: boolean }>(
        "select customer_id, subscribed from oa_followers where openid = $1",
        [openid],
      )
    )[0];

  // Generous: a fresh PostgreSQL database, migrations and two simulators on a shared 2-core machine.
  beforeAll(() => w.open(), 180_000);
  afterAll(() => w.close(), 120_000);

  it("QR codes: created through qrcode/create (temporary and permanent), bad input is 4xx", async () => {
    const temp = await api("POST", "/api/oa-qr-codes", {
      name: "春季地推",
      scene: "spring_2026",
      expireSeconds: 86400,
      tags: ["地推"],
    });
    expect(temp.statusCode, temp.body).toBe(201);
    expect(temp.json()).toMatchObject({ scene: "spring_2026", permanent: false, expireSeconds: 86400 });
    expect(temp.json().ticket).toBeTruthy();
    const perm = await api("POST", "/api/oa-qr-codes", { name: "门店海报", permanent: true });
    expect(perm.statusCode, perm.body).toBe(201);
    expect(perm.json()).toMatchObject({ permanent: true, expiresAt: null });
    const codes = (await osim("GET", acct("/qrcodes"))).json.items as Json[];
    expect(codes.map((c) => c.scene_str)).toEqual(expect.arrayContaining(["spring_2026", perm.json().scene]));
    expect(codes.find((c) => c.scene_str === "spring_2026")?.action_name).toBe("QR_STR_SCENE");
    // Same scene again: 409; a permanent code with an expiry, a too-long expiry, junk: 400.
    expect((await api("POST", "/api/oa-qr-codes", { name: "x", scene: "spring_2026" })).statusCode).toBe(409);
    for (const body of [
      { name: "x", permanent: true, expireSeconds: 60 },
      { name: "x", expireSeconds: 2_592_001 },
      { name: "", scene: "a b" },
    ]) {
      const bad = await api("POST", "/api/oa-qr-codes", body);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBeTruthy();
    }
    const png = await api("GET", `/api/oa-qr-codes/${temp.json().id}/qr.png`);
    expect(png.statusCode).toBe(200);
    expect(png.headers["content-type"]).toBe("image/png");
    expect((await api("GET", "/api/oa-qr-codes/oqr_nope")).statusCode).toBe(404);
  });

  it("a follow and a SCAN with the scene attribute the follower, tag them, and count in the shared stats", async () => {
    const code = (await api("GET", "/api/oa-qr-codes"))
      .json()
      .items.find((c: Json) => c.scene === "spring_2026");
    const r = await follow({ scene: "spring_2026", unionid: "uQr1" });
    const openid = r.openid as string;
    const f = await follower(openid);
    await waitFor("attribution", async () => {
      await settle();
      const c = (await api("GET", `/api/customers/${f!.customer_id}`)).json();
      return c.source === `oa_qr:${code.id}` && c.tags.some((x: Json) => x.name === "地推");
    });
    // The same follower scans again (SCAN): a scan, not a second add.
    const scan = await osim("POST", `${acct("/follow")}?wait=1`, { openid, scene: "spring_2026" });
    expect(scan.json.event).toBe("SCAN");
    await settle();
    const types = (await timeline(f!.customer_id)).map((i) => i.type);
    expect(types).toEqual(expect.arrayContaining(["channel.oa_qr_followed", "channel.oa_qr_scanned"]));
    // Unfollow within 24 h: a delete of the code, within 24 h.
    await osim("POST", `${acct("/unfollow")}?wait=1`, { openid });
    await settle();
    const stats = await waitFor("stats", async () => {
      await settle();
      const s = (await api("GET", `/api/oa-qr-codes/${code.id}/stats`)).json();
      return s.deletes === 1 ? s : null;
    });
    expect(stats).toMatchObject({
      channelType: "oa_qr",
      channelId: code.id,
      scans: 2,
      adds: 1,
      deletes: 1,
      deletesWithin24h: 1,
      netAdds: 0,
      staff: [],
    });
    const today = stats.daily.find((d: Json) => (d.adds as number) > 0);
    expect(today).toMatchObject({ scans: 2, adds: 1, deletes: 1, netAdds: 0 });
    // Spend → cost per add.
    expect(
      (
        await api("POST", `/api/oa-qr-codes/${code.id}/spend`, {
          periodStart: stats.from,
          periodEnd: stats.to,
          amountFen: 5000,
        })
      ).statusCode,
    ).toBe(201);
    const withSpend = (await api("GET", `/api/oa-qr-codes/${code.id}/stats`)).json();
    expect(withSpend).toMatchObject({ spendFen: 5000, costPerAddFen: 5000 });
    const csv = await api("GET", `/api/oa-qr-codes/${code.id}/stats.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain("section,key,scans,adds,deletes,deletes_within_24h,net_adds");
    expect(csv.body).toMatch(/total,[^,]+,2,1,1,1,0/);
  });

  it("one statistics model: a WeCom live code and an OA QR code answer the same shape, listed together", async () => {
    const live = await api("POST", "/api/live-codes", { name: "企微活码", staffUserIds: ["zhangsan"] });
    expect(live.statusCode, live.body).toBe(201);
    const liveId = live.json().id as string;
    const oaCode = (await api("GET", "/api/oa-qr-codes"))
      .json()
      .items.find((c: Json) => c.scene === "spring_2026") as Json;
    const a = (await api("GET", `/api/channels/live_code/${liveId}/stats`)).json();
    const b = (await api("GET", `/api/channels/oa_qr/${oaCode.id}/stats`)).json();
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    expect(Object.keys(a.daily[0]).sort()).toEqual(Object.keys(b.daily[0]).sort());
    // The live code's own stats are the same model plus its welcome figures.
    const own = (await api("GET", `/api/live-codes/${liveId}/stats`)).json();
    for (const k of [
      "scans",
      "adds",
      "deletes",
      "deletesWithin24h",
      "netAdds",
      "spendFen",
      "costPerAddFen",
      "daily",
    ])
      expect(own[k]).toEqual(a[k]);
    const overview = (await api("GET", "/api/channels")).json();
    const kinds = new Set(overview.items.map((i: Json) => i.channelType));
    expect(kinds).toEqual(new Set(["live_code", "oa_qr"]));
    expect(overview.items.find((i: Json) => i.channelId === oaCode.id)).toMatchObject({
      adds: 1,
      deletes: 1,
      appId: oaCode.appId,
      otherAccount: false,
    });
    // Live codes have no Official Account; they are always current.
    expect(overview.items.find((i: Json) => i.channelId === liveId)).toMatchObject({
      appId: null,
      otherAccount: false,
    });
    const csv = await api("GET", "/api/channels.csv");
    expect(csv.body).toContain("live_code");
    expect(csv.body).toContain("oa_qr");
    expect((await api("GET", "/api/channels/oa_qr/nope/stats")).statusCode).toBe(404);
    expect((await api("GET", "/api/channels/bogus/x/stats")).statusCode).toBe(400);
  });

  it("retried callbacks: duplicate deliveries of a scene follow count once", async () => {
    const code = (await api("POST", "/api/oa-qr-codes", { name: "重复投递", scene: "dup_scene" })).json();
    await osim("PUT", acct("/faults/callbacks"), { duplicates: 2 });
    const r = await follow({ scene: "dup_scene" });
    await osim("PUT", acct("/faults/callbacks"), { duplicates: 0 });
    expect(((r.delivery as Json).attempts as Json[]).length).toBe(3);
    await settle();
    const s = (await api("GET", `/api/oa-qr-codes/${code.id}/stats`)).json();
    expect(s).toMatchObject({ scans: 1, adds: 1 });
  });

  it("passive replies in safe mode: a code's welcome article (tracked link), encrypted and accepted", async () => {
    const { t, tenantId, account } = w;
    const article = await api("POST", "/api/content/articles", {
      title: "会员权益说明",
      summary: "新会员专享",
      url: "https://example.com/vip",
      coverUrl: "https://example.com/vip.png",
    });
    expect(article.statusCode, article.body).toBe(201);
    const articleId = article.json().id as string;
    const code = await api("POST", "/api/oa-qr-codes", {
      name: "会员码",
      scene: "vip_welcome",
      welcome: { type: "article", articleId },
    });
    expect(code.statusCode, code.body).toBe(201);
    const r = await osim("POST", `${acct("/follow")}?wait=1`, { scene: "vip_welcome", unionid: "uWelcome1" });
    const delivery = r.json.delivery as Json;
    expect(delivery.replyError).toBeUndefined();
    expect((delivery.attempts as Json[])[0]?.outcome).toBe("reply");
    expect(delivery.reply).toMatchObject({ MsgType: "news", ArticleCount: "1" });
    await settle();

    // The same reply, read off the wire: signed and encrypted as WeChat expects (safe mode).
    const m = signedOaMessage(account, {
      FromUserName: "oWireCheck1",
      MsgType: "event",
      Event: "subscribe",
      EventKey: "qrscene_vip_welcome",
    });
    const res = await t.call("POST", `/callbacks/official-account/${tenantId}?${m.query}`, {
      headers: { "content-type": "text/xml" },
      body: m.body,
    });
    expect(res.statusCode).toBe(200);
    const envelope = parseWxXml(res.body);
    expect(envelope.Encrypt).toBeTruthy();
    const crypt = new WxMsgCrypt({
      token: account.token,
      encodingAesKey: account.encodingAesKey,
      receiveId: account.appId,
    });
    expect(crypt.sign(String(envelope.TimeStamp), String(envelope.Nonce), String(envelope.Encrypt))).toBe(
      envelope.MsgSignature,
    );
    const opened = crypt.decrypt(String(envelope.Encrypt));
    expect(opened.receiveId).toBe(account.appId);
    const plain = parseWxXml(opened.message);
    expect(plain.MsgType).toBe("news");
    expect(plain.ToUserName).toBe("oWireCheck1");
    const item = (plain.Articles as Json).item as Json;
    expect(item.Title).toBe("会员权益说明");
    const tracked = String(item.Url);
    expect(tracked).toMatch(/\/c\/[0-9a-z]{8}\?u=[0-9a-z]{16}$/);
    await settle();

    // A click on the tracked link: 302 to the article, an engagement event on the follower's profile.
    const path = new URL(tracked);
    const click = await t.call("GET", `${path.pathname}${path.search}`);
    expect(click.statusCode).toBe(302);
    expect(click.headers.location).toBe("https://example.com/vip");
    const f = await follower("oWireCheck1");
    await waitFor("click on the timeline", async () =>
      (await timeline(f!.customer_id)).some(
        (i) => i.type === "content.clicked" && (i.data as Json).articleId === articleId,
      ),
    );
    // Unknown token and no token: counted as anonymous clicks; a bad code is 404.
    expect((await t.call("GET", `${path.pathname}?u=zzzzzzzzzzzzzzzz`)).statusCode).toBe(302);
    expect((await t.call("GET", path.pathname)).statusCode).toBe(302);
    expect((await t.call("GET", "/c/00000000")).statusCode).toBe(404);
    const listed = (await api("GET", "/api/content/articles"))
      .json()
      .items.find((a: Json) => a.id === articleId);
    expect(listed).toMatchObject({ clicks: 3, anonymousClicks: 2 });
  });

  it("welcome on follow and keyword auto-replies answer in the callback", async () => {
    expect(
      (await api("PUT", "/api/official-account/welcome", { reply: { type: "text", content: "欢迎关注！" } }))
        .statusCode,
    ).toBe(200);
    const r = await osim("POST", `${acct("/follow")}?wait=1`, {});
    expect(((r.json.delivery as Json).reply as Json).Content).toBe("欢迎关注！");
    await api("POST", "/api/official-account/auto-replies", {
      keyword: "价格",
      match: "contains",
      reply: { type: "text", content: "价格请看菜单" },
    });
    const msg = await osim("POST", `${acct("/message")}?wait=1`, {
      openid: r.json.openid,
      content: "请问价格多少",
    });
    expect(((msg.json.delivery as Json).reply as Json).Content).toBe("价格请看菜单");
    expect((await api("PUT", "/api/official-account/welcome", { reply: { type: "bogus" } })).statusCode).toBe(
      400,
    );
    await api("PUT", "/api/official-account/welcome", { reply: null });
    await settle();
  });

  it("template messages: results on the timeline; 43004 and user block recorded once, never resent", async () => {
    const { t, oa, tenantId, account } = w;
    await osim("POST", acct("/templates"), {
      template_id: "tpl_progress",
      title: "服务进度通知",
      content: "{{thing1.DATA}}\n进度：{{phrase2.DATA}}",
    });
    const synced = await api("POST", "/api/official-account/templates/sync");
    expect(synced.statusCode, synced.body).toBe(200);
    expect(synced.json().items.find((x: Json) => x.templateId === "tpl_progress")?.keys).toEqual([
      "thing1",
      "phrase2",
    ]);
    const ok = await follow({ unionid: "uTplOk" });
    const blocked = await follow({ unionid: "uTplBlock" });
    const gone = await follow({ unionid: "uTplGone" });
    await osim("PATCH", acct(`/followers/${blocked.openid}`), { blocksTemplates: true });
    // Siyu still thinks `gone` follows; WeChat answers 43004.
    oa.sandbox.account(account.appId)!.followers.get(gone.openid as string)!.subscribe = 0;
    const customers = await Promise.all(
      [ok, blocked, gone].map(async (x) => (await follower(x.openid as string))!.customer_id),
    );
    const before = ((await osim("GET", acct("/template-sends"))).json.items as Json[]).length;
    const sent = await api("POST", "/api/official-account/template-sends", {
      templateId: "tpl_progress",
      customerIds: customers,
      data: { thing1: "{{name}}的空调清洗", phrase2: "已派单" },
    });
    expect(sent.statusCode, sent.body).toBe(202);
    const batchId = sent.json().id as string;
    const rows = await waitFor("template results", async () => {
      await oa.sandbox.callbacks.flush(account.appId);
      await settle();
      const r = (await api("GET", `/api/official-account/template-sends?batchId=${batchId}`)).json()
        .items as Json[];
      return r.length === 3 && r.every((x) => x.status !== "sending" && x.status !== "sent") ? r : null;
    });
    const by = (openid: unknown) => rows.find((x) => x.openid === openid);
    expect(by(ok.openid)?.status).toBe("success");
    expect(by(blocked.openid)?.status).toBe("failed_user_block");
    expect(by(gone.openid)).toMatchObject({ status: "rejected" });
    expect(by(gone.openid)?.error).toMatch(/43004/);
    const after = ((await osim("GET", acct("/template-sends"))).json.items as Json[]).length;
    expect(after - before).toBe(2); // 43004 was refused, not recorded as a send
    // The job runs again (a retry after a crash): nothing is resent.
    await t.siyu.platform.jobs.send(
      "official-account.template-send",
      { tenantId, batchId },
      { key: `${batchId}:again` },
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(((await osim("GET", acct("/template-sends"))).json.items as Json[]).length).toBe(after);
    const [steps] = await db().query<{ n: number }>(
      "select count(*)::int as n from oa_action_steps where step_key like 'tpl:%'",
    );
    expect(steps?.n).toBeGreaterThanOrEqual(3);
    // On the timelines: the send and its fate.
    const okTimeline = (await timeline(customers[0] as string)).map((i) => i.type);
    expect(okTimeline).toEqual(expect.arrayContaining(["oa.template_sent", "oa.template_send_finished"]));
    const goneEvents = await timeline(customers[2] as string);
    expect(goneEvents.find((i) => i.type === "oa.template_sent")?.data).toMatchObject({
      status: "rejected",
      errcode: 43004,
    });
    // Bad input: unknown template, no audience.
    expect(
      (
        await api("POST", "/api/official-account/template-sends", {
          templateId: "nope",
          customerIds: customers,
          data: {},
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (await api("POST", "/api/official-account/template-sends", { templateId: "tpl_progress", data: {} }))
        .statusCode,
    ).toBe(400);
  });

  it("menus by tag: VIP followers are tagged in the OA and match the VIP menu; CLICK lands on the timeline", async () => {
    const { oa, account } = w;
    const vip = await follow({ unionid: "uVip1" });
    const plain = await follow({ unionid: "uPlain1" });
    const vipCustomer = (await follower(vip.openid as string))!.customer_id;
    await api("POST", `/api/customers/${vipCustomer}/tags`, { tags: ["VIP"] });
    const main = await api("POST", "/api/official-account/menus", {
      name: "默认菜单",
      tag: null,
      buttons: [
        { type: "click", name: "会员中心", key: "MEMBER" },
        { name: "服务", sub_button: [{ type: "view", name: "门店", url: "https://example.com/stores" }] },
      ],
    });
    expect(main.statusCode, main.body).toBe(201);
    const vipMenu = await api("POST", "/api/official-account/menus", {
      name: "VIP 菜单",
      tag: "VIP",
      buttons: [{ type: "click", name: "VIP专线", key: "VIP_LINE" }],
    });
    expect(vipMenu.statusCode, vipMenu.body).toBe(201);
    expect(
      (
        await api("POST", "/api/official-account/menus", {
          name: "bad",
          tag: "X",
          buttons: [{ type: "click", name: "这个名字超过十六个字节了吧" }],
        })
      ).statusCode,
    ).toBe(400);
    const mapped = await api("POST", "/api/official-account/tag-map", { tag: "VIP" });
    expect(mapped.statusCode, mapped.body).toBe(200);
    expect(mapped.json().members).toBe(1);
    const published = await api("POST", "/api/official-account/menus/publish");
    expect(published.statusCode, published.body).toBe(200);
    expect(published.json().items.every((m: Json) => m.status === "published")).toBe(true);
    const client = (await import("../../../connectors/official-account/index.ts")).createOaClient({
      apiBase: oa.url,
      appId: account.appId,
      secret: oa.sandbox.account(account.appId)!.secret,
    });
    const vipSees = await client.menu.tryMatch(vip.openid as string);
    expect(JSON.stringify(vipSees.button)).toContain("VIP_LINE");
    const plainSees = await client.menu.tryMatch(plain.openid as string);
    expect(JSON.stringify(plainSees.button)).toContain("MEMBER");
    await osim("POST", `${acct("/click")}?wait=1`, { openid: vip.openid, key: "VIP_LINE" });
    await settle();
    expect((await timeline(vipCustomer)).find((i) => i.type === "oa.menu_clicked")?.data).toMatchObject({
      key: "VIP_LINE",
    });
  });

  it("cross-engine rules: an OA question from a WeCom contact is a follow-up for the owner; a tag sends an article", async () => {
    const rule = await api("POST", "/api/engagement/rules", {
      kind: "oa_message_followup",
      name: "公众号咨询转企微跟进",
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const customerId = await addWecomContact("uCross1", "陈先生");
    const f = await follow({ unionid: "uCross1" });
    expect((await follower(f.openid as string))!.customer_id).toBe(customerId);
    await osim("PUT", acct("/faults/callbacks"), { duplicates: 1 });
    await osim("POST", `${acct("/message")}?wait=1`, { openid: f.openid, content: "空调漏水怎么办" });
    await osim("PUT", acct("/faults/callbacks"), { duplicates: 0 });
    const tasks = await waitFor("follow-up", async () => {
      await settle();
      const items = (await api("GET", `/api/follow-ups?customerId=${customerId}&status=open`)).json()
        .items as Json[];
      return items.length ? items : null;
    });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ ownerUserid: "zhangsan", source: "oa_message" });
    expect(String(tasks[0]!.title)).toContain("空调漏水");
    // The follow-up is a task of the one task inbox (zhangsan has no Siyu login: admins take it).
    const inbox = (await api("GET", "/api/tasks?status=open")).json().items as Json[];
    expect(inbox.find((x) => x.id === tasks[0]!.id)).toMatchObject({
      type: "task",
      customerId,
      assigneeRoles: ["admin"],
      source: "oa_message",
      staffUserid: "zhangsan",
      flowInstanceId: null,
    });
    const [taskRow] = await db().query<{ source: string; staff_userid: string }>(
      "select source, staff_userid from tasks where id = $1",
      [tasks[0]!.id],
    );
    expect(taskRow).toMatchObject({ source: "oa_message", staff_userid: "zhangsan" });
    // A follower who is no WeCom contact: no task.
    const lone = await follow({});
    await osim("POST", `${acct("/message")}?wait=1`, { openid: lone.openid, content: "在吗" });
    await settle();
    const loneCustomer = (await follower(lone.openid as string))!.customer_id;
    expect((await api("GET", `/api/follow-ups?customerId=${loneCustomer}`)).json().items).toHaveLength(0);
    // Both engines on one timeline.
    const types = (await timeline(customerId)).map((i) => i.type);
    expect(types).toEqual(
      expect.arrayContaining([
        "wecom.contact_added",
        "oa.subscribed",
        "oa.message_received",
        "engagement.follow_up_created",
      ]),
    );
    expect((await api("POST", `/api/follow-ups/${tasks[0]!.id}/complete`)).statusCode).toBe(200);
    expect((await api("GET", `/api/tasks/${tasks[0]!.id}`)).json()).toMatchObject({
      status: "completed",
      outcome: "done",
    });
    expect(
      (await api("GET", `/api/follow-ups?customerId=${customerId}&status=open`)).json().items,
    ).toHaveLength(0);
    expect((await api("POST", "/api/follow-ups/tsk_nope/complete")).statusCode).toBe(404);

    // tag → article by template message.
    const article = (
      await api("POST", "/api/content/articles", { title: "空调保养指南", url: "https://example.com/ac" })
    ).json();
    const tagRule = await api("POST", "/api/engagement/rules", {
      kind: "tag_sends_article",
      name: "保养标签推文章",
      tag: "空调保养",
      articleId: article.id,
      templateId: "tpl_progress",
      data: { thing1: "{{title}}", phrase2: "请查收" },
    });
    expect(tagRule.statusCode, tagRule.body).toBe(201);
    expect(
      (await api("POST", "/api/engagement/rules", { kind: "tag_sends_article", name: "x", tag: "y" }))
        .statusCode,
    ).toBe(400);
    await api("POST", `/api/customers/${customerId}/tags`, { tags: ["空调保养"] });
    const sends = await waitFor("rule send", async () => {
      await settle();
      const items = (await api("GET", `/api/official-account/template-sends?customerId=${customerId}`)).json()
        .items as Json[];
      return items.length ? items : null;
    });
    expect(sends).toHaveLength(1);
    const simSends = (await osim("GET", acct("/template-sends"))).json.items as Json[];
    const wire = simSends.find((s) => s.touser === f.openid) as Json;
    expect(String(wire.url)).toMatch(/\/c\/[0-9a-z]{8}\?u=[0-9a-z]{16}$/);
    expect(JSON.stringify(wire.data)).toContain("空调保养指南");
    expect((await timeline(customerId)).map((i) => i.type)).toContain("engagement.article_sent");
  });

  // Last: its system-busy errors open the account's circuit breaker (30 s), which later calls would wait out.
  it("a send that keeps failing (system busy) ends failed_system after its last attempt, not retried forever", async () => {
    const { t, tenantId } = w;
    const f = await follow({ unionid: "uTplBusy" });
    const customerId = (await follower(f.openid as string))!.customer_id;
    const before = ((await osim("GET", acct("/template-sends"))).json.items as Json[]).length;
    expect(
      (await osim("POST", acct("/faults"), { api: "message/template/send", errcode: -1, times: null }))
        .status,
    ).toBe(201);
    const sent = await api("POST", "/api/official-account/template-sends", {
      templateId: "tpl_progress",
      customerIds: [customerId],
      data: { thing1: "检测", phrase2: "排队中" },
    });
    expect(sent.statusCode, sent.body).toBe(202);
    const batchId = sent.json().id as string;
    // The batch's job as its last attempt (a job whose attempts are used up).
    await t.siyu.platform.jobs.send(
      "official-account.template-send",
      { tenantId, batchId, attempts: 1 },
      { key: `${batchId}:last`, attempts: 1 },
    );
    const row = await waitFor("failed_system", async () => {
      const r = (await api("GET", `/api/official-account/template-sends?batchId=${batchId}`)).json()
        .items as Json[];
      return r[0]?.status === "failed_system" ? r[0] : null;
    });
    expect(row.error).toBeTruthy();
    expect(((await osim("GET", acct("/template-sends"))).json.items as Json[]).length).toBe(before);
    // The batch's own (first) job is still retrying against the fault: let its in-flight call fail first.
    await new Promise((r) => setTimeout(r, 3000));
    await osim("DELETE", acct("/faults"));
    await waitFor("timeline", async () =>
      (await timeline(customerId)).some(
        (i) => i.type === "oa.template_sent" && (i.data as Json).status === "failed_system",
      ),
    );
    const batches = (await api("GET", "/api/official-account/template-batches")).json().items as Json[];
    expect(batches.find((b) => b.id === batchId)?.status).toBe("done");
  });
});
