import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKinds } from "../../../testing/databases.ts";
import { OaWorld } from "../../../testing/oa-world.ts";
import { waitFor } from "../../../testing/wecom-world.ts";
import { removeOaMenuJob } from "../jobs/menu-removal.job.ts";

type Json = Record<string, unknown>;

/**
 * Follow-ups of the Official Account engine against the simulator: the identity link on the 360
 * timeline names the openid and its account; a menu deleted in Siyu leaves WeChat through a stored
 * step; followers are per account, so reconnecting another appid confuses no one.
 */
describe.each(dbKinds)("Official Account: identity links, menu removal, a second account (%s)", (kind) => {
  const w = new OaWorld(kind);
  const { osim, acct, db, api, settle, timeline, menus } = w;
  const follow = async (body: Json) => (await w.follow(body)).openid;
  const followers = (openid: string) =>
    db().query<{ app_id: string; customer_id: string; unionid: string | null; subscribed: boolean }>(
      "select app_id, customer_id, unionid, subscribed from oa_followers where openid = $1 order by created_at",
      [openid],
    );
  const simMenus = async () => {
    const a = await w.simAccount();
    return { menu: a.menu as unknown[] | null, conditional: a.conditionalMenus as Array<{ menuid: string }> };
  };

  beforeAll(() => w.open(), 180_000);
  afterAll(() => w.close(), 120_000);

  it("the identity link on the timeline names the openid and the account (appid); older bare facts are filled", async () => {
    const { tenantId, account } = w;
    const openid = await follow({});
    const [f] = await followers(openid);
    const added = (await timeline(f!.customer_id)).filter((e) => e.type === "customer.identity_added");
    expect(added.map((e) => e.data)).toEqual([
      { type: "oa_openid", value: openid, scope: account.appId, cause: "sync" },
    ]);
    // The profile shows the same link (unmasked, as the other platform ids).
    const customer = (await api("GET", `/api/customers/${f!.customer_id}`)).json();
    expect(customer.identities).toContainEqual({ type: "oa_openid", value: openid, scope: account.appId });

    // A fact written before facts named the identity: filled from the customer's one oa_openid.
    await db().tenant(tenantId, (s) =>
      s.query(
        "insert into customer_events (tenant_id, customer_id, type, data) values ($1, $2, 'customer.identity_added', $3)",
        [tenantId, f!.customer_id, JSON.stringify({ type: "oa_openid", cause: "sync" })],
      ),
    );
    const filled = (await timeline(f!.customer_id)).filter((e) => e.type === "customer.identity_added");
    expect(filled.map((e) => e.data)).toEqual([
      { type: "oa_openid", value: openid, scope: account.appId, cause: "sync" },
      { type: "oa_openid", value: openid, scope: account.appId, cause: "sync" },
    ]);
    // Contact details are never repeated on the timeline: an e-mail added later names only its type.
    const updated = await api("POST", "/api/customers", {
      name: "",
      email: "fan@example.com",
      identities: [{ type: "oa_openid", value: openid, scope: account.appId }],
    });
    expect(updated.statusCode, updated.body).toBeLessThan(300);
    expect(updated.json().id).toBe(f!.customer_id);
    const email = (await timeline(f!.customer_id)).find(
      (e) => e.type === "customer.identity_added" && e.data.type === "email",
    );
    expect(email?.data).toEqual({ type: "email", cause: "manual" });
  });

  it("a conditional menu deleted in Siyu is removed from WeChat once (menu/delconditional with its menuid)", async () => {
    const { t, tenantId, account } = w;
    await w.createMenus(["VIP", "Gold", "Silver"]);
    // A draft never published: deleting it calls nothing.
    const draft = await api("POST", "/api/official-account/menus", {
      name: "草稿",
      tag: "Draft",
      buttons: [{ type: "click", name: "草稿", key: "DRAFT" }],
    });
    const published = await api("POST", "/api/official-account/menus/publish");
    expect(published.statusCode, published.body).toBe(200);
    const byTag = (tag: string) => (published.json().items as Json[]).find((m) => m.tag === tag)!;
    const vip = byTag("VIP");
    expect(vip.status).toBe("published");
    expect((await simMenus()).conditional.map((m) => m.menuid)).toContain(vip.menuid);

    expect((await api("DELETE", `/api/official-account/menus/${vip.id}`)).statusCode).toBe(204);
    await waitFor(
      "VIP menu removed from WeChat",
      async () => !(await simMenus()).conditional.some((m) => m.menuid === vip.menuid),
    );
    await waitFor("removal recorded", async () => !(await menus()).some((m) => m.id === vip.id));
    const [row] = await db().query<{ removal: string; error: string | null }>(
      "select removal, error from oa_menus where id = $1",
      [vip.id],
    );
    expect(row).toEqual({ removal: "removed", error: null });
    const [step] = await db().query<{ result: Json }>(
      "select result from oa_action_steps where step_key = $1",
      [`menu-remove:${vip.id}:${vip.menuid}@${account.appId}`],
    );
    expect(step?.result).toEqual({ ok: true });
    // The job again (a retry after a crash) replays the step: WeChat is not called twice.
    const calls = async () =>
      ((await osim("GET", acct(""))).json.quotaUsed as Record<string, number>)["menu/delconditional"] ?? 0;
    const callsBefore = await calls();
    await db().tenant(tenantId, (s) =>
      s.query("update oa_menus set removal = 'pending' where id = $1", [vip.id]),
    );
    await t.siyu.platform.jobs.send(removeOaMenuJob, { tenantId, menuId: vip.id }, { key: "vip-again" });
    await waitFor("replayed", async () => {
      const [r] = await db().query<{ removal: string }>("select removal from oa_menus where id = $1", [
        vip.id,
      ]);
      return r?.removal === "removed";
    });
    expect(await calls()).toBe(callsBefore);

    const draftId = draft.json().id as string;
    expect((await api("DELETE", `/api/official-account/menus/${draftId}`)).statusCode).toBe(204);
    const [d] = await db().query<{ removal: string | null }>("select removal from oa_menus where id = $1", [
      draftId,
    ]);
    expect(d?.removal).toBeNull();
    expect((await menus()).some((m) => m.id === draftId)).toBe(false);
  });

  it("WeChat's refusal is recorded and shown once, not retried", async () => {
    const { account } = w;
    const list = await menus();
    const gold = list.find((m) => m.tag === "Gold")!;
    // 48001 (API not authorized): final, an operator must act.
    expect(
      (await osim("POST", acct("/faults"), { api: "menu/delconditional", errcode: 48001, times: null }))
        .status,
    ).toBe(201);
    expect((await api("DELETE", `/api/official-account/menus/${gold.id}`)).statusCode).toBe(204);
    const shown = await waitFor("failed removal shown", async () =>
      (await menus()).find((m) => m.id === gold.id && m.removal === "failed"),
    );
    expect(String(shown.error)).toContain("48001");
    expect((await simMenus()).conditional.map((m) => m.menuid)).toContain(gold.menuid);
    const [step] = await db().query<{ result: Json }>(
      "select result from oa_action_steps where step_key = $1",
      [`menu-remove:${gold.id}:${gold.menuid}@${account.appId}`],
    );
    expect(step?.result).toMatchObject({ ok: false, errcode: 48001 });

    await osim("DELETE", acct("/faults"));
  });

  it("deleting the default menu calls menu/delete; the conditional menus WeChat dropped with it go back to draft", async () => {
    const extra = await api("POST", "/api/official-account/menus", {
      name: "Bronze 菜单",
      tag: "Bronze",
      buttons: [{ type: "click", name: "铜牌", key: "BRONZE" }],
    });
    expect(extra.statusCode).toBe(201);
    expect((await api("POST", "/api/official-account/tag-map", { tag: "Bronze" })).statusCode).toBe(200);
    expect((await api("POST", "/api/official-account/menus/publish")).statusCode).toBe(200);
    const before = await simMenus();
    expect(before.menu).not.toBeNull();
    expect(before.conditional.length).toBeGreaterThan(0);
    const main = (await menus()).find((m) => m.tag === null && !m.removal)!;
    expect((await api("DELETE", `/api/official-account/menus/${main.id}`)).statusCode).toBe(204);
    await waitFor("default menu removed from WeChat", async () => (await simMenus()).menu === null);
    expect((await simMenus()).conditional).toEqual([]);
    const bronze = await waitFor("Bronze back to draft", async () =>
      (await menus()).find((m) => m.tag === "Bronze" && m.status === "draft"),
    );
    expect(bronze.menuid).toBeNull();
    const audit = await db().query<{ data: Json }>(
      "select data from audit_log where action = 'official_account.menu_deleted' and target_id = $1",
      [main.id],
    );
    expect(audit[0]?.data).toMatchObject({ removeFromWechat: true });
  });

  it("another account (appid): the same openid string is another follower; the old one stays with its account", async () => {
    let account = w.account;
    const shared = "oSameOpenidString0001";
    await follow({ openid: shared, unionid: "uOldAccountPerson" });
    const [old] = await followers(shared);
    expect(old).toMatchObject({ app_id: account.appId, unionid: "uOldAccountPerson", subscribed: true });

    const first = account;
    account = await w.connectAccount({
      mode: "safe",
      token: "OaToken456",
      encodingAesKey: "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut",
    });
    expect(account.appId).not.toBe(first.appId);
    // Someone else, who happens to have the same openid string in the new account, and no unionid.
    await follow({ openid: shared });
    const rows = await followers(shared);
    expect(rows.map((r) => r.app_id)).toEqual([first.appId, account.appId]);
    const [a, b] = rows;
    expect(b!.customer_id).not.toBe(a!.customer_id);
    // The old follower's unionid is not lent to the new one, and the old row is untouched.
    expect(b!.unionid).toBeNull();
    expect(a).toEqual(old);
    const newCustomer = (await api("GET", `/api/customers/${b!.customer_id}`)).json();
    expect(newCustomer.identities).toEqual([{ type: "oa_openid", value: shared, scope: account.appId }]);
    const oldCustomer = (await api("GET", `/api/customers/${a!.customer_id}`)).json();
    expect(oldCustomer.identities).toEqual(
      expect.arrayContaining([
        { type: "oa_openid", value: shared, scope: first.appId },
        { type: "unionid", value: "uOldAccountPerson" },
      ]),
    );

    // Later events of that openid are the new account's follower's; the old one is left alone.
    expect(
      (await osim("POST", `${acct("/message")}?wait=1`, { openid: shared, content: "你好" })).status,
    ).toBe(200);
    await osim("POST", `${acct("/unfollow")}?wait=1`, { openid: shared });
    await settle();
    expect((await timeline(b!.customer_id)).map((e) => e.type)).toEqual(
      expect.arrayContaining(["oa.message_received", "oa.unsubscribed"]),
    );
    expect((await timeline(a!.customer_id)).map((e) => e.type)).not.toContain("oa.message_received");
    const after = await followers(shared);
    expect(after.map((r) => [r.app_id, r.subscribed])).toEqual([
      [first.appId, true],
      [account.appId, false],
    ]);
    // The follower list and stats are the connected account's.
    const listed = (await api("GET", `/api/official-account/followers?q=${shared}`)).json().items as Json[];
    expect(listed.map((f) => f.customerId)).toEqual([b!.customer_id]);
    const stats = (await api("GET", "/api/official-account/followers/stats")).json();
    expect(stats.followers).toBe(1);

    // Back to the first account: its follower is found again, with its own customer.
    await w.reconnect(first);
    account = first;
    expect(
      (await osim("POST", `${acct("/message")}?wait=1`, { openid: shared, content: "我回来了" })).status,
    ).toBe(200);
    await settle();
    expect(
      (await timeline(a!.customer_id)).some(
        (e) => e.type === "oa.message_received" && e.data.content === "我回来了",
      ),
    ).toBe(true);
    expect((await timeline(b!.customer_id)).some((e) => e.data.content === "我回来了")).toBe(false);
  });

  // Last: a removal that keeps failing trips the client's circuit breaker for this account.
  it("a removal that keeps failing (system busy) shows its last error, then ends failed after its last attempt", async () => {
    const { t, tenantId, account } = w;
    const main = await api("POST", "/api/official-account/menus", {
      name: "新默认菜单",
      tag: null,
      buttons: [{ type: "click", name: "会员中心", key: "MEMBER2" }],
    });
    expect(main.statusCode, main.body).toBe(201);
    expect((await api("POST", "/api/official-account/menus/publish")).statusCode).toBe(200);
    const silver = (await menus()).find((m) => m.tag === "Silver" && !m.removal)!;
    expect(silver.status).toBe("published");
    // System busy on every call: retried with backoff; the last attempt records the failure.
    await osim("DELETE", acct("/faults"));
    expect(
      (await osim("POST", acct("/faults"), { api: "menu/delconditional", errcode: -1, times: null })).status,
    ).toBe(201);
    expect((await api("DELETE", `/api/official-account/menus/${silver.id}`)).statusCode).toBe(204);
    await waitFor("the last error is visible while it retries", async () =>
      (await menus()).find((m) => m.id === silver.id && m.removal === "pending" && m.error),
    );
    await t.siyu.platform.jobs.send(
      removeOaMenuJob,
      { tenantId, menuId: silver.id, attempts: 1 },
      { key: `${silver.id}:last`, attempts: 1 },
    );
    const failed = await waitFor("busy removal ends failed", async () =>
      (await menus()).find((m) => m.id === silver.id && m.removal === "failed"),
    );
    expect(String(failed.error)).toMatch(/-1|busy|system|circuit/i);
    expect(
      (
        await db().query("select 1 from oa_action_steps where step_key = $1", [
          `menu-remove:${silver.id}:${silver.menuid}@${account.appId}`,
        ])
      ).length,
    ).toBe(0);
    await osim("DELETE", acct("/faults"));
  });
});
