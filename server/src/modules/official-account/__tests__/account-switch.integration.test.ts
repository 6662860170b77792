import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKinds } from "../../../testing/databases.ts";
import { OaWorld, type TestOaAccount } from "../../../testing/oa-world.ts";
import { waitFor } from "../../../testing/wecom-world.ts";

type Json = Record<string, unknown>;

/**
 * A tenant connects Official Account A, builds its tag map, menus, QR codes, tracked links and
 * template sends, then connects account B (a second simulator account) and later A again: B starts
 * clean where A's ids would mean nothing to it, A's history stays A's, and A's state comes back.
 */
describe.each(dbKinds)("Official Account: switching accounts (%s)", (kind) => {
  const w = new OaWorld(kind, {
    account: { token: "TokenOfA1" },
    settle: { queues: ["realtime", "outbound"] },
  });
  const { osim, acct, db, api, settle, follow, menus, reconnect } = w;
  let a: TestOaAccount;
  let b: TestOaAccount;

  const customerOf = (appId: string, openid: string) => w.customerOf(openid, appId);
  const simAccount = (account: TestOaAccount) => w.simAccount(account.appId);
  const conditionalIds = async (account: TestOaAccount) =>
    ((await simAccount(account)).conditionalMenus as Array<{ menuid: string }>).map((m) => String(m.menuid));
  const byTag = (list: Json[], tag: string | null) => list.find((m) => m.tag === tag && !m.removal)!;
  const qrCodes = async () => (await api("GET", "/api/oa-qr-codes")).json().items as Json[];

  beforeAll(async () => {
    await w.open();
    a = w.account;
  }, 180_000);
  afterAll(() => w.close(), 120_000);

  // What account A had before the switch, compared after it.
  const seen: {
    vipTagId?: number;
    menuids?: Record<string, string>;
    codeId?: string;
    vipCustomer?: string;
    token?: string;
    articleId?: string;
    batchId?: string;
  } = {};
  const shared = "oSharedOpenid0001";

  it("account A: tag map, published menus, a QR code with follows, a follower's tracked link, a template send", async () => {
    // A VIP follower (a fixed openid string, which B will also have for someone else) and the tag map.
    const vip = await follow({ openid: shared, unionid: "uVipOfA" });
    seen.vipCustomer = await customerOf(a.appId, vip.openid);
    expect(
      (await api("POST", `/api/customers/${seen.vipCustomer}/tags`, { tags: ["VIP"] })).statusCode,
    ).toBeLessThan(300);
    await settle();
    const mapped = await api("POST", "/api/official-account/tag-map", { tag: "VIP" });
    expect(mapped.statusCode, mapped.body).toBe(200);
    expect(mapped.json()).toMatchObject({ tag: "VIP", members: 1 });
    seen.vipTagId = mapped.json().oaTagId as number;
    expect((await api("POST", "/api/official-account/tag-map", { tag: "Gold" })).statusCode).toBe(200);

    for (const [name, tag, key] of [
      ["默认菜单", null, "MEMBER"],
      ["VIP 菜单", "VIP", "VIP_LINE"],
      ["Gold 菜单", "Gold", "GOLD_LINE"],
    ] as const) {
      const m = await api("POST", "/api/official-account/menus", {
        name,
        tag,
        buttons: [{ type: "click", name: key, key }],
      });
      expect(m.statusCode, m.body).toBe(201);
    }
    const published = await api("POST", "/api/official-account/menus/publish");
    expect(published.statusCode, published.body).toBe(200);
    const items = published.json().items as Json[];
    expect(items.map((m) => m.status)).toEqual(["published", "published", "published"]);
    seen.menuids = Object.fromEntries(
      items.filter((m) => m.tag).map((m) => [m.tag as string, String(m.menuid)]),
    );
    expect((await conditionalIds(a)).sort()).toEqual(Object.values(seen.menuids).sort());

    // A QR code whose welcome is an article: a follow through it is counted and gets a tracked link.
    const article = await api("POST", "/api/content/articles", {
      title: "门店活动",
      url: "https://example.com/store",
    });
    seen.articleId = article.json().id as string;
    const code = await api("POST", "/api/oa-qr-codes", {
      name: "A 的门店码",
      scene: "store_poster",
      welcome: { type: "article", articleId: seen.articleId },
    });
    expect(code.statusCode, code.body).toBe(201);
    expect(code.json()).toMatchObject({ appId: a.appId, otherAccount: false });
    seen.codeId = code.json().id as string;
    const fan = await follow({ openid: "oFanOfA0001", scene: "store_poster" });
    expect(fan.delivery.reply).toMatchObject({ MsgType: "news" });
    const [token] = await db().query<{ token: string; app_id: string; customer_id: string | null }>(
      "select token, app_id, customer_id from content_recipients where openid = 'oFanOfA0001'",
    );
    expect(token).toMatchObject({ app_id: a.appId, customer_id: null });
    seen.token = token!.token;
    expect((await api("GET", `/api/oa-qr-codes/${seen.codeId}/stats`)).json()).toMatchObject({ adds: 1 });

    // A's template, and a send to the VIP follower through it.
    await osim("POST", acct("/templates"), {
      template_id: "tpl_of_a",
      title: "A 的通知",
      content: "{{thing1.DATA}}",
    });
    const synced = await api("POST", "/api/official-account/templates/sync");
    expect((synced.json().items as Json[]).map((x) => x.templateId)).toContain("tpl_of_a");
    const sent = await api("POST", "/api/official-account/template-sends", {
      templateId: "tpl_of_a",
      customerIds: [seen.vipCustomer],
      data: { thing1: "你好" },
      purpose: "transactional",
    });
    expect(sent.statusCode, sent.body).toBe(202);
    expect(sent.json()).toMatchObject({ appId: a.appId, total: 1 });
    seen.batchId = sent.json().id as string;
    await waitFor("A's send sent", async () => {
      const rows = (await api("GET", `/api/official-account/template-sends?batchId=${seen.batchId}`)).json()
        .items as Json[];
      return rows[0]?.status === "sent" || rows[0]?.status === "success";
    });
  });

  it("account B starts clean: no tag map or templates, menus are drafts, A's QR code is A's (read-only)", async () => {
    const { t } = w;
    b = await w.connectAccount({
      mode: "safe",
      token: "TokenOfB1",
      encodingAesKey: "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut",
    });
    expect(b.appId).not.toBe(a.appId);

    expect((await api("GET", "/api/official-account/tag-map")).json().items).toEqual([]);
    const list = await menus();
    expect(list.map((m) => [m.tag, m.status, m.menuid, m.oaTagId])).toEqual([
      [null, "draft", null, null],
      ["Gold", "draft", null, null],
      ["VIP", "draft", null, null],
    ]);
    // Nothing was taken down from A: its menus are still live there.
    expect((await conditionalIds(a)).sort()).toEqual(Object.values(seen.menuids!).sort());
    expect((await api("GET", "/api/official-account/templates")).json().items).toEqual([]);
    const refused = await api("POST", "/api/official-account/template-sends", {
      templateId: "tpl_of_a",
      customerIds: [seen.vipCustomer],
      data: { thing1: "x" },
    });
    expect(refused.statusCode).toBe(400);
    // A's batch is history, attributed to A.
    const batches = (await api("GET", "/api/official-account/template-batches")).json().items as Json[];
    expect(batches.find((x) => x.id === seen.batchId)).toMatchObject({ appId: a.appId, total: 1 });

    // A's code: listed as A's, with its statistics; not editable while B is connected.
    const codeOfA = (await qrCodes()).find((c) => c.id === seen.codeId)!;
    expect(codeOfA).toMatchObject({ appId: a.appId, otherAccount: true, adds: 1 });
    expect((await api("PATCH", `/api/oa-qr-codes/${seen.codeId}`, { name: "改名" })).statusCode).toBe(409);
    expect((await api("DELETE", `/api/oa-qr-codes/${seen.codeId}`)).statusCode).toBe(409);
    expect((await api("GET", `/api/oa-qr-codes/${seen.codeId}`)).json()).toMatchObject({
      otherAccount: true,
    });

    // B's own code may use the same scene; a follow through it counts for B's code only, and the
    // same openid string in B is someone else.
    const codeOfB = await api("POST", "/api/oa-qr-codes", { name: "B 的门店码", scene: "store_poster" });
    expect(codeOfB.statusCode, codeOfB.body).toBe(201);
    expect(codeOfB.json()).toMatchObject({ appId: b.appId, otherAccount: false });
    const other = await follow({ openid: shared, scene: "store_poster" });
    // A's code's welcome is not B's.
    expect(other.delivery.reply ?? null).toBeNull();
    expect((await api("GET", `/api/oa-qr-codes/${codeOfB.json().id}/stats`)).json()).toMatchObject({
      adds: 1,
    });
    expect((await api("GET", `/api/oa-qr-codes/${seen.codeId}/stats`)).json()).toMatchObject({ adds: 1 });
    const [events] = await db().query<{ n: number }>(
      "select count(*)::int as n from oa_qr_events where qr_code_id = $1",
      [seen.codeId],
    );
    expect(events?.n).toBe(1);
    const bCustomer = await customerOf(b.appId, shared);
    expect(bCustomer).toBeTruthy();
    expect(bCustomer).not.toBe(seen.vipCustomer);

    // A's follower's tracked link still finds A's follower, whichever account is connected.
    const click = await t.call(
      "GET",
      `/c/${(await api("GET", "/api/content/articles")).json().items[0].code}?u=${seen.token}`,
    );
    expect(click.statusCode).toBe(302);
    const fanOfA = await customerOf(a.appId, "oFanOfA0001");
    await waitFor("the click on A's follower", async () => {
      const items = (await api("GET", `/api/customers/${fanOfA}/timeline?limit=100`)).json().items as Json[];
      return items.some((i) => i.type === "content.clicked");
    });

    // B's tag map gets B's own OA tag; publishing sends B its menus (Gold is not mapped for B: it fails alone).
    const mappedB = await api("POST", "/api/official-account/tag-map", { tag: "VIP" });
    expect(mappedB.statusCode, mappedB.body).toBe(200);
    expect(((await simAccount(b)).tags as Array<{ name: string }>).map((x) => x.name)).toContain("VIP");
    const publishedB = await api("POST", "/api/official-account/menus/publish");
    expect(publishedB.statusCode, publishedB.body).toBe(200);
    const itemsB = publishedB.json().items as Json[];
    expect(byTag(itemsB, "VIP").status).toBe("published");
    expect(byTag(itemsB, "Gold").status).toBe("failed");
    expect(await conditionalIds(b)).toEqual([String(byTag(itemsB, "VIP").menuid)]);
    // A's menus were not touched by B's publish.
    expect((await conditionalIds(a)).sort()).toEqual(Object.values(seen.menuids!).sort());

    // Gold is deleted in Siyu while B is connected: B never had it, so nothing is called now.
    const gold = byTag(itemsB, "Gold");
    expect((await api("DELETE", `/api/official-account/menus/${gold.id}`)).statusCode).toBe(204);
    expect((await menus()).some((m) => m.id === gold.id)).toBe(false);
  });

  it("the channel overview lists A's codes after B's, marked as A's, with a filter for either", async () => {
    const { t, owner } = w;
    const codeOfB = (await qrCodes()).find((c) => c.appId === b.appId)!;
    const overview = async (query = "") => {
      const r = await api("GET", `/api/channels${query}`);
      expect(r.statusCode, r.body).toBe(200);
      return r.json() as { items: Json[]; daily: Array<Json & { adds: number }> };
    };
    const adds = (o: { daily: Array<Json & { adds: number }> }) =>
      o.daily.filter((d) => d.channelType === "oa_qr").reduce((n, d) => n + d.adds, 0);

    // Default: every channel (A's history stays visible), the connected account's first.
    const all = await overview();
    const ofA = all.items.find((i) => i.channelId === seen.codeId);
    expect(ofA).toMatchObject({ channelType: "oa_qr", appId: a.appId, otherAccount: true, adds: 1 });
    expect(all.items.find((i) => i.channelId === codeOfB.id)).toMatchObject({
      appId: b.appId,
      otherAccount: false,
      adds: 1,
    });
    const flags = all.items.map((i) => i.otherAccount);
    expect(flags).toEqual([...flags].sort((x, y) => Number(x) - Number(y)));
    expect(adds(all)).toBe(2);

    // Only the current channels, or only the previous account's codes (list and per-day series alike).
    const current = await overview("?account=current");
    expect(current.items.map((i) => i.channelId)).toContain(codeOfB.id);
    expect(current.items.every((i) => i.otherAccount === false)).toBe(true);
    expect(adds(current)).toBe(1);
    const previous = await overview("?account=previous&type=oa_qr");
    expect(previous.items.map((i) => i.channelId)).toEqual([seen.codeId]);
    expect(adds(previous)).toBe(1);
    expect((await api("GET", "/api/channels?account=other")).statusCode).toBe(400);

    // The CSV carries the account in two appended columns.
    const csv = await t.call("GET", "/api/channels.csv", { token: owner });
    expect(csv.statusCode).toBe(200);
    const lines = csv.body
      .replace(/^\uFEFF/, "")
      .trim()
      .split("\r\n");
    expect(lines[0]).toMatch(/,spend_fen,cost_per_add_fen,app_id,other_account$/);
    expect(lines.find((l) => l.startsWith(`oa_qr,${seen.codeId},`))).toMatch(new RegExp(`,${a.appId},true$`));
  });

  it("an event received for A but processed after the switch to B is set aside, not applied to B", async () => {
    const { t, tenantId } = w;
    expect(w.account.appId).toBe(b.appId);
    const [before] = await db().query<{ original_id: string | null }>("select original_id from oa_settings");
    // As the callback route stores it while A is connected; its job runs once B is.
    const stored = await t.siyu.platform.inbox.receive(tenantId, {
      platform: "official-account",
      eventKey: "late-a-subscribe-1",
      kind: "event.subscribe",
      payload: {
        ToUserName: "gh_lateaccounta",
        FromUserName: "oLateFollowerOfA",
        CreateTime: String(Math.floor(Date.now() / 1000)),
        MsgType: "event",
        Event: "subscribe",
        SiyuReceivedForAppId: a.appId,
      },
    });
    await settle();
    const [task] = await db().query<{ status: string; error: string | null; app_id: string }>(
      "select status, error, app_id from oa_event_tasks where inbox_id = $1",
      [stored.id],
    );
    expect(task).toMatchObject({ status: "ignored", app_id: a.appId });
    expect(task?.error).toContain(a.appId);
    // No follower under either account, and B's original id is not overwritten by A's.
    const followers = await db().query("select 1 from oa_followers where openid = 'oLateFollowerOfA'");
    expect(followers).toHaveLength(0);
    const [after] = await db().query<{ original_id: string | null }>("select original_id from oa_settings");
    expect(after?.original_id).toBe(before?.original_id);
    // The events list shows it with the reason.
    const events = (await api("GET", "/api/official-account/events?limit=50")).json().items as Json[];
    expect(events.find((e) => e.inboxId === stored.id)).toMatchObject({
      status: "ignored",
      error: expect.stringContaining(a.appId),
    });
  });

  it("back to A: A's tag map, menus and QR code are A's again; the menu deleted meanwhile leaves A", async () => {
    await reconnect(a);
    const map = (await api("GET", "/api/official-account/tag-map")).json().items as Json[];
    expect(map.map((m) => [m.tag, m.oaTagId])).toEqual([
      ["Gold", expect.any(Number)],
      ["VIP", seen.vipTagId],
    ]);
    // Menus: the state A had, with A's menuids (published by B in between, unedited).
    const list = await menus();
    expect(byTag(list, null).status).toBe("published");
    expect(byTag(list, "VIP")).toMatchObject({
      status: "published",
      menuid: seen.menuids!.VIP,
      oaTagId: seen.vipTagId,
    });
    // Gold, deleted in Siyu while B was connected, is removed from A now (A still showed it).
    await waitFor(
      "Gold removed from A",
      async () => !(await conditionalIds(a)).includes(seen.menuids!.Gold!),
    );
    expect(await conditionalIds(a)).toEqual([seen.menuids!.VIP]);
    // B's published menu stays B's: its state is parked until B comes back.
    expect(await conditionalIds(b)).toHaveLength(1);

    const codes = await qrCodes();
    expect(codes.find((c) => c.id === seen.codeId)).toMatchObject({ appId: a.appId, otherAccount: false });
    expect(codes.find((c) => c.appId === b.appId)).toMatchObject({ otherAccount: true });
    // The overview turns with the account: B's code is the previous one now.
    const previous = (await api("GET", "/api/channels?account=previous")).json().items as Json[];
    expect(previous.map((i) => [i.appId, i.otherAccount])).toEqual([[b.appId, true]]);
    expect((await api("PATCH", `/api/oa-qr-codes/${seen.codeId}`, { name: "A 的门店码 2" })).statusCode).toBe(
      200,
    );
    expect(
      ((await api("GET", "/api/official-account/templates")).json().items as Json[]).map((x) => x.templateId),
    ).toContain("tpl_of_a");

    // An A follow through the scene counts for A's code again, not B's.
    await follow({ openid: "oFanOfA0002", scene: "store_poster" });
    expect((await api("GET", `/api/oa-qr-codes/${seen.codeId}/stats`)).json()).toMatchObject({ adds: 2 });
  });

  it("back to B: B's published menu comes back with B's menuid", async () => {
    const vipOfB = (await conditionalIds(b))[0];
    await reconnect(b);
    const list = await menus();
    expect(byTag(list, "VIP")).toMatchObject({ status: "published", menuid: vipOfB });
    expect(
      ((await api("GET", "/api/official-account/tag-map")).json().items as Json[]).map((m) => m.tag),
    ).toEqual(["VIP"]);
  });
});
