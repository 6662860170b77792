import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StandaloneWecomSandbox, startWecomSandbox } from "../../../sandbox/wecom/index.ts";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { connectSandboxCorp, simCall, waitFor } from "../../../testing/wecom-world.ts";

type Json = Record<string, unknown>;

describe.each(dbKinds)(
  "group live codes and by-region live codes against the WeCom simulator (%s)",
  (kind) => {
    let t: TestApp;
    let sb: StandaloneWecomSandbox;
    let owner: string;
    let corpId: string;
    let chatA: string;
    let chatB: string;
    let code: Json;

    const sim = (method: string, path: string, body?: unknown) => simCall(sb.url, method, path, body);
    const act = async (action: string, body: Json) => {
      const res = await sim("POST", `/corps/${corpId}/actions/${action}`, body);
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      return res.json as Json;
    };
    const get = async (path: string) => (await t.call("GET", path, { token: owner })).json();
    const landing = async (url: string) => {
      const res = await t.call("GET", new URL(url).pathname + new URL(url).search, {
        headers: { "user-agent": "Mozilla/5.0 MicroMessenger" },
      });
      expect(res.statusCode).toBe(200);
      return res.body;
    };
    const contact = async (userid: string, name: string) =>
      (await act("add-contact", { userid, customer: { name } })).external_userid as string;

    beforeAll(async () => {
      sb = await startWecomSandbox({ callbackRetryDelayMs: 20 });
      t = await startTestApp(kind);
      const appUrl = await t.app.listen({ port: 0, host: "127.0.0.1" });
      owner = await t.login();
      const tenantId = (await t.call("GET", "/api/auth/me", { token: owner })).json().user.tenantId;
      corpId = await connectSandboxCorp({
        t,
        owner,
        tenantId,
        simUrl: sb.url,
        appUrl,
        corpName: "群活码企业",
        members: ["zhangsan", "lisi", "wangwu"].map((u) => ({
          userid: u,
          name: u,
          department: [1],
          customerContact: true,
        })),
        token: "GroupCodesToken1",
        encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
      });
      chatA = (await act("create-group", { owner: "zhangsan", name: "福利一群" })).chat_id as string;
      chatB = (await act("create-group", { owner: "lisi", name: "福利二群" })).chat_id as string;
      await waitFor("groups synced from their create events", async () => {
        const groups = (await get("/api/wecom/groups")).items as Json[];
        return groups.length >= 2 ? groups : undefined;
      });
    }, 120_000);
    afterAll(async () => {
      await t?.close();
      await sb?.close();
    });

    it("refuses bad input with 400 and the error shape", async () => {
      for (const body of [
        {},
        { name: "x", chats: [] },
        { name: "x", chats: [{ chatId: chatA }, { chatId: chatA }] },
        { name: "x", chats: [{ chatId: chatA, capacity: 0 }] },
        { name: "x", chats: [{ chatId: chatA, qrImageUrl: "javascript:alert(1)" }] },
        { name: "x", chats: [{ chatId: "wrNotSynced" }] },
        { name: "", chats: [{ chatId: chatA }] },
      ]) {
        const res = await t.call("POST", "/api/group-live-codes", { token: owner, body });
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        expect(res.json().error.code).toBe("validation_failed");
      }
      expect((await t.call("GET", "/api/group-live-codes/lcg_nope", { token: owner })).statusCode).toBe(404);
    });

    it("shows the first group, rotates to the next when a member-change event fills it, alerts when all are full", async () => {
      const res = await t.call("POST", "/api/group-live-codes", {
        token: owner,
        body: {
          name: "福利群活码",
          chats: [
            { chatId: chatA, capacity: 2, qrImageUrl: "https://example.com/qr-a.png" },
            { chatId: chatB, capacity: 2, qrImageUrl: "https://example.com/qr-b.png" },
          ],
          fullMessage: "今日群已满，明天再来",
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      code = res.json();
      expect(code).toMatchObject({ status: "active", currentChatId: chatA, scans: 0, joins: 0 });
      expect((code.chats as Json[])[0]).toMatchObject({
        chatId: chatA,
        name: "福利一群",
        memberCount: 1,
        capacity: 2,
      });
      let page = await landing(code.landingUrl as string);
      expect(page).toContain("https://example.com/qr-a.png");
      expect(page).toContain("福利一群");

      // A customer joins group A in WeCom: the member-change event makes it full (2 of 2).
      const first = await contact("zhangsan", "入群一");
      await act("join-group", { chat_id: chatA, ids: [first], join_scene: 3 });
      const moved = await waitFor("rotated to group B", async () => {
        const c = await get(`/api/group-live-codes/${code.id}`);
        return c.currentChatId === chatB ? c : undefined;
      });
      expect(moved.chats[0]).toMatchObject({ memberCount: 2, full: true, joins: 1 });
      page = await landing(code.landingUrl as string);
      expect(page).toContain("https://example.com/qr-b.png");
      expect(page).not.toContain("qr-a.png");

      // Group B fills up too: the page says so, and the owner gets one alert.
      const second = await contact("lisi", "入群二");
      await act("join-group", { chat_id: chatB, ids: [second], join_scene: 3 });
      const full = await waitFor("all full", async () => {
        const c = await get(`/api/group-live-codes/${code.id}`);
        // The status follows the member counts at once; the all-full mark comes with the alert, a moment later.
        return c.status === "full" && c.allFullAt ? c : undefined;
      });
      expect(full.currentChatId).toBeNull();
      expect(full.allFullAt).toBeTruthy();
      page = await landing(code.landingUrl as string);
      expect(page).toContain("今日群已满，明天再来");
      expect(page).not.toContain("<img");
      const alerts = (await get("/api/group-live-codes/alerts")).items as Json[];
      expect(alerts.filter((a) => a.groupCodeId === code.id)).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ kind: "group_code_full", data: { name: "福利群活码" } });

      const stats = await get(`/api/group-live-codes/${code.id}/stats`);
      expect(stats).toMatchObject({ scans: 3, joins: 2 });
      expect(stats.chats).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ chatId: chatA, scans: 1, joins: 1 }),
          expect.objectContaining({ chatId: chatB, scans: 1, joins: 1 }),
        ]),
      );

      // Someone leaves group A: it has room again, the code shows it, and the next fill alerts again.
      await act("leave-group", { chat_id: chatA, ids: [first] });
      const reopened = await waitFor("room again", async () => {
        const c = await get(`/api/group-live-codes/${code.id}`);
        return c.currentChatId === chatA ? c : undefined;
      });
      expect(reopened).toMatchObject({ status: "active", allFullAt: null });
      const png = await t.call("GET", `/api/group-live-codes/${code.id}/qr.png`, { token: owner });
      expect(png.headers["content-type"]).toBe("image/png");
    });

    it("edits the groups and deletes the code (its link answers 410)", async () => {
      const patched = await t.call("PATCH", `/api/group-live-codes/${code.id}`, {
        token: owner,
        body: { chats: [{ chatId: chatB, capacity: 10 }] },
      });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json()).toMatchObject({
        currentChatId: chatB,
        chats: [{ chatId: chatB, capacity: 10 }],
      });
      const list = (await get("/api/group-live-codes")).items as Json[];
      expect(list.map((c) => c.id)).toContain(code.id);
      expect(
        (await t.call("DELETE", `/api/group-live-codes/${code.id}`, { token: owner })).json().status,
      ).toBe("deleted");
      const gone = await t.call("GET", new URL(code.landingUrl as string).pathname);
      expect(gone.statusCode).toBe(410);
    });

    it("by region: the landing link's region picks a contact way of the members serving it", async () => {
      const res = await t.call("POST", "/api/live-codes", {
        token: owner,
        body: {
          name: "按地区分配",
          strategy: "by_region",
          staffUserIds: ["zhangsan", "lisi", "wangwu"],
          staffOptions: { zhangsan: { regions: ["广东"] }, lisi: { regions: ["上海"] } },
          welcome: { text: "欢迎" },
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      const lc = res.json();
      const qrOf = (html: string) => /<img src="([^"]+)"/.exec(html)?.[1];
      expect(qrOf(await landing(lc.landingUrl))).toBe(lc.qrUrl);
      expect(qrOf(await landing(`${lc.landingUrl}?region=${encodeURIComponent("北京")}`))).toBe(lc.qrUrl);
      const gd = qrOf(await landing(`${lc.landingUrl}?region=${encodeURIComponent("广东省深圳市")}`));
      expect(gd).toBeTruthy();
      expect(gd).not.toBe(lc.qrUrl);
      // The same region again: the same way (made once).
      expect(qrOf(await landing(`${lc.landingUrl}?region=${encodeURIComponent("广东")}`))).toBe(gd);
      const ways = (await sim("GET", `/corps/${corpId}/state`)).json.contactWays as Json[];
      const regional = ways.find((w) => w.qr_code === gd);
      expect(regional).toMatchObject({ state: lc.state, user: ["zhangsan"] });
      // A customer scanning the regional way reaches zhangsan, and the add counts to the code.
      const added = await act("scan", { config_id: regional?.config_id, customer: { name: "深圳客户" } });
      expect(added.userid).toBe("zhangsan");
      await waitFor("add counted", async () => (await get(`/api/live-codes/${lc.id}/stats`)).adds === 1);
      const scans = (await get(`/api/live-codes/${lc.id}/scans`)).items as Json[];
      expect(scans.map((s) => (s.params as Json).region)).toEqual(
        expect.arrayContaining(["北京", "广东省深圳市", "广东"]),
      );
      // Deleting the code deletes the regional way in WeCom too.
      await t.call("DELETE", `/api/live-codes/${lc.id}`, { token: owner });
      const after = (await sim("GET", `/corps/${corpId}/state`)).json.contactWays as Json[];
      expect(after.find((w) => w.config_id === regional?.config_id)).toBeUndefined();
    });
  },
);
