import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WxMsgCrypt } from "../../../connectors/shared/wx-msg-crypt.ts";
import { parseWxXml, xmlText } from "../../../connectors/shared/xml.ts";
import {
  type Booted,
  bootSandbox,
  callbackToken,
  corpWithToken,
  encodingAesKey,
  startReceiver,
} from "./helpers.ts";

/** Opens a delivered request as Siyu's callback route would: raw query, signature, decryption. */
function open(crypt: WxMsgCrypt, url: string, body: string) {
  const query = new URL(url, "http://x").search.slice(1);
  const params = Object.fromEntries(
    query.split("&").map((kv) => {
      const [k, v] = kv.split("=");
      return [k!, decodeURIComponent(v ?? "")];
    }),
  );
  const envelope = parseWxXml(body);
  const encrypt = xmlText(envelope, "Encrypt")!;
  const opened = crypt.open(params.msg_signature!, params.timestamp!, params.nonce!, encrypt);
  return { envelope, params, opened, event: parseWxXml(opened.message) };
}

describe("WeCom simulator callbacks", () => {
  let b: Booted;
  beforeAll(async () => {
    b = await bootSandbox();
  });
  afterAll(async () => {
    await b.close();
  });

  async function corpWithCallback(answer?: Parameters<typeof startReceiver>[0]) {
    const receiver = await startReceiver(answer);
    const c = await corpWithToken(b, {
      callback: { url: receiver.url, token: callbackToken, encodingAesKey },
    });
    const crypt = new WxMsgCrypt({ token: callbackToken, encodingAesKey, receiveId: c.corp.corpId });
    const flush = () => b.sim("POST", `/corps/${c.corp.corpId}/callbacks/flush`);
    return { ...c, receiver, crypt, flush };
  }

  it("a scan sends add_external_contact with State and WelcomeCode, encrypted for the corp", async () => {
    const { corp, api, receiver, crypt, flush } = await corpWithCallback();
    const way = await api("externalcontact/add_contact_way", {
      type: 1,
      scene: 2,
      user: ["zhangsan"],
      state: "lc_01",
    });
    const scan = await b.sim("POST", `/corps/${corp.corpId}/actions/scan`, { config_id: way.json.config_id });
    expect(scan.status).toBe(200);
    await flush();
    expect(receiver.received).toHaveLength(1);
    const req = receiver.received[0]!;
    expect(req.method).toBe("POST");
    const { envelope, opened, event } = open(crypt, req.url, req.body);
    expect(xmlText(envelope, "ToUserName")).toBe(corp.corpId);
    expect(xmlText(envelope, "AgentID")).toBe("1000002");
    expect(opened.receiveId).toBe(corp.corpId);
    expect(opened.random).toHaveLength(16);
    expect(event).toEqual({
      ToUserName: corp.corpId,
      FromUserName: "sys",
      CreateTime: expect.stringMatching(/^\d{10}$/),
      MsgType: "event",
      Event: "change_external_contact",
      ChangeType: "add_external_contact",
      UserID: "zhangsan",
      ExternalUserID: scan.json.external_userid,
      State: "lc_01",
      WelcomeCode: scan.json.welcome_code,
    });
    expect(opened.message).toMatch(/^<xml><ToUserName><!\[CDATA\[/);
    expect(opened.message).toContain("<CreateTime>");
    // The event's welcome code works once, inside 20 s.
    const sent = await api("externalcontact/send_welcome_msg", {
      welcome_code: xmlText(event, "WelcomeCode"),
      text: { content: "你好" },
    });
    expect(sent.json.errcode).toBe(0);
    const deliveries = await b.sim("GET", `/corps/${corp.corpId}/callbacks`);
    expect(deliveries.json.deliveries).toEqual([
      expect.objectContaining({
        state: "delivered",
        attempts: [expect.objectContaining({ status: 200, latencyMs: expect.any(Number) })],
      }),
    ]);
    await receiver.close();
  });

  it("emits the §4 events for client-side actions and none for API changes", async () => {
    const { corp, api, receiver, crypt, flush } = await corpWithCallback();
    await b.sim("POST", `/corps/${corp.corpId}/seed`, { count: 2, userids: ["lisi"] });
    const [a, c] = (await api("externalcontact/list?userid=lisi")).json.external_userid as string[];
    // API-originated changes: no callbacks at all.
    const tag = await api("externalcontact/add_corp_tag", { group_name: "来源", tag: [{ name: "展会" }] });
    const tagId = (tag.json.tag_group as { tag: Array<{ id: string }> }).tag[0]!.id;
    await api("externalcontact/mark_tag", { userid: "lisi", external_userid: a, add_tag: [tagId] });
    await api("externalcontact/remark", { userid: "lisi", external_userid: a, remark: "老客户" });
    await api("externalcontact/add_contact_way", { type: 1, scene: 2, user: ["lisi"] });
    await flush();
    expect(receiver.received).toHaveLength(0);

    const act = (path: string, body: unknown) => b.sim("POST", `/corps/${corp.corpId}/actions/${path}`, body);
    await act("edit-contact", { userid: "lisi", external_userid: a, remark: "VIP", add_tags: [tagId] });
    await act("customer-deletes-member", { userid: "lisi", external_userid: a });
    await act("member-deletes-customer", { userid: "lisi", external_userid: c });
    await act("add-contact", { userid: "wangwu", customer: { external_userid: a } });
    const group = await act("create-group", { owner: "wangwu", members: [a] });
    const chatId = group.json.chat_id as string;
    await act("join-group", { chat_id: chatId, ids: [c], join_scene: 2 });
    await act("leave-group", { chat_id: chatId, ids: [c], quit_scene: 1 });
    await act("dismiss-group", { chat_id: chatId });
    const created = await act("create-tags", { group_name: "兴趣", tags: ["咖啡"] });
    await act("rename-tag", { id: created.json.group_id, name: "爱好" });
    await act("shuffle-tags", { group_id: created.json.group_id });
    await act("delete-tag", { id: created.json.group_id });
    await flush();

    const events = receiver.received.map((r) => open(crypt, r.url, r.body).event);
    const kinds = events.map((e) => `${xmlText(e, "Event")}/${xmlText(e, "ChangeType")}`);
    expect(kinds.sort()).toEqual(
      [
        "change_external_contact/edit_external_contact",
        "change_external_contact/del_follow_user",
        "change_external_contact/del_external_contact",
        "change_external_contact/add_external_contact",
        "change_external_chat/create",
        "change_external_chat/update",
        "change_external_chat/update",
        "change_external_chat/dismiss",
        "change_external_tag/create",
        "change_external_tag/update",
        "change_external_tag/shuffle",
        "change_external_tag/delete",
      ].sort(),
    );
    const join = events.find((e) => xmlText(e, "UpdateDetail") === "add_member")!;
    expect(join).toMatchObject({
      ChatId: chatId,
      JoinScene: "1",
      MemChangeCnt: "1",
      MemChangeList: { Item: [c] },
    });
    expect(xmlText(join, "LastMemVer")).toMatch(/^[0-9a-f]{32}$/);
    expect(xmlText(join, "CurMemVer")).not.toBe(xmlText(join, "LastMemVer"));
    const leave = events.find((e) => xmlText(e, "UpdateDetail") === "del_member")!;
    expect(leave).toMatchObject({ QuitScene: "1", LastMemVer: xmlText(join, "CurMemVer") });
    const direct = events.find((e) => xmlText(e, "ChangeType") === "add_external_contact")!;
    expect(direct.State).toBeUndefined();
    expect(xmlText(direct, "WelcomeCode")).toBeTruthy();
    const tagCreate = events.find(
      (e) => xmlText(e, "Event") === "change_external_tag" && xmlText(e, "ChangeType") === "create",
    )!;
    expect(tagCreate).toMatchObject({ Id: created.json.group_id, TagType: "tag_group" });
    await receiver.close();
  });

  it("retries a failing receiver up to 3 times and records every attempt", async () => {
    const { corp, receiver, flush } = await corpWithCallback((_req, _body, n) => (n < 3 ? 500 : 200));
    await b.sim("POST", `/corps/${corp.corpId}/actions/add-contact`, { userid: "zhangsan" });
    await flush();
    expect(receiver.received).toHaveLength(3);
    const d = (await b.sim("GET", `/corps/${corp.corpId}/callbacks`)).json.deliveries as Array<{
      state: string;
      attempts: Array<{ status: number }>;
    }>;
    expect(d[0]!.state).toBe("delivered");
    expect(d[0]!.attempts.map((x) => x.status)).toEqual([500, 500, 200]);
    await receiver.close();

    const dead = await corpWithCallback(() => 503);
    await b.sim("POST", `/corps/${dead.corp.corpId}/actions/add-contact`, { userid: "zhangsan" });
    await dead.flush();
    expect(dead.receiver.received).toHaveLength(4);
    const failed = (await b.sim("GET", `/corps/${dead.corp.corpId}/callbacks`)).json.deliveries as Array<{
      state: string;
    }>;
    expect(failed[0]!.state).toBe("failed");
    await dead.receiver.close();
  });

  it("times out a slow receiver and retries", async () => {
    const slow = await bootSandbox({ callbackTimeoutMs: 200 });
    try {
      const receiver = await startReceiver(async (_req, _body, n) => {
        if (n === 1) await new Promise((r) => setTimeout(r, 400));
        return 200;
      });
      const created = await slow.sim("POST", "/corps", {
        callback: { url: receiver.url, token: callbackToken, encodingAesKey },
      });
      const corpId = created.json.corpId as string;
      await slow.sim("POST", `/corps/${corpId}/actions/add-contact`, { userid: "lisi" });
      await slow.sim("POST", `/corps/${corpId}/callbacks/flush`);
      const d = (await slow.sim("GET", `/corps/${corpId}/callbacks`)).json.deliveries as Array<{
        state: string;
        attempts: Array<{ status: number | null; error?: string }>;
      }>;
      expect(d[0]!.attempts[0]).toMatchObject({ status: null, error: "timeout" });
      expect(d[0]!.state).toBe("delivered");
      await receiver.close();
    } finally {
      await slow.close();
    }
  });

  it("duplicates and reorders deliveries on demand", async () => {
    const { corp, receiver, crypt, flush } = await corpWithCallback();
    await b.sim("PUT", `/corps/${corp.corpId}/faults/callbacks`, { duplicates: 1, reorderWindow: 3 });
    const added: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await b.sim("POST", `/corps/${corp.corpId}/actions/add-contact`, { userid: "zhangsan" });
      added.push(r.json.external_userid as string);
    }
    await flush();
    expect(receiver.received).toHaveLength(6);
    const order = receiver.received.map((r) => xmlText(open(crypt, r.url, r.body).event, "ExternalUserID"));
    // Each event twice (a duplicate is the identical request), the three released newest first.
    expect(new Set(order)).toEqual(new Set(added));
    expect(order.filter((x) => x === added[0])).toHaveLength(2);
    const firsts = [...new Set(order)];
    expect(firsts).toEqual([...added].reverse());
    await receiver.close();
  });

  it("verifies the callback URL with a percent-encoded echostr containing +", async () => {
    const { corp, receiver, crypt } = await corpWithCallback();
    const result = await b.sim("POST", `/corps/${corp.corpId}/callbacks/verify`);
    // The tiny receiver answers an empty body: verification fails, but the request is what WeCom sends.
    expect(result.json.ok).toBe(false);
    const req = receiver.received[0]!;
    expect(req.method).toBe("GET");
    expect(result.json.echostr).toContain("+");
    expect(req.url).toContain("%2B");
    expect(req.url).not.toMatch(/echostr=[^&]*\+/);
    const raw = new URL(req.url, "http://x").search.slice(1);
    const params = Object.fromEntries(
      raw.split("&").map((kv) => kv.split("=").map((x) => decodeURIComponent(x))),
    );
    const opened = crypt.open(params.msg_signature, params.timestamp, params.nonce, params.echostr);
    expect(opened.message).toBe(result.json.expected);
    await receiver.close();

    // A receiver that decrypts and echoes passes.
    const echo = await startReceiver();
    const server = (await import("node:http")).createServer((rq, rs) => {
      const q = new URL(rq.url ?? "", "http://x").search.slice(1);
      const p = Object.fromEntries(q.split("&").map((kv) => kv.split("=").map((x) => decodeURIComponent(x))));
      const c = new WxMsgCrypt({ token: callbackToken, encodingAesKey, receiveId: corp.corpId });
      rs.writeHead(200, { "content-type": "text/plain" });
      rs.end(c.open(p.msg_signature, p.timestamp, p.nonce, p.echostr).message);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    await b.sim("PATCH", `/corps/${corp.corpId}`, {
      callback: { url: `http://127.0.0.1:${port}/callbacks/wecom/t1`, token: callbackToken, encodingAesKey },
    });
    const ok = await b.sim("POST", `/corps/${corp.corpId}/callbacks/verify`);
    expect(ok.json).toMatchObject({ ok: true, status: 200 });
    await new Promise<void>((r) => server.close(() => r()));
    await echo.close();
  });

  it("reports transfer_fail when the customer refuses, and DELETE_BY_TRANSFER when a transfer completes", async () => {
    const { corp, api, receiver, crypt, flush } = await corpWithCallback();
    await b.sim("POST", `/corps/${corp.corpId}/seed`, { count: 2, userids: ["zhangsan"] });
    const [x, y] = (await api("externalcontact/list?userid=zhangsan")).json.external_userid as string[];
    await api("externalcontact/transfer_customer", {
      handover_userid: "zhangsan",
      takeover_userid: "lisi",
      external_userid: [x, y],
    });
    await b.sim("POST", `/corps/${corp.corpId}/actions/refuse-transfer`, { external_userid: x });
    await b.sim("POST", "/clock/advance", { hours: 25 });
    await flush();
    const events = receiver.received.map((r) => open(crypt, r.url, r.body).event);
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          ChangeType: "transfer_fail",
          UserID: "lisi",
          ExternalUserID: x,
          FailReason: "customer_refused",
        }),
        expect.objectContaining({
          ChangeType: "del_external_contact",
          UserID: "zhangsan",
          ExternalUserID: y,
          Source: "DELETE_BY_TRANSFER",
        }),
      ]),
    );
    await receiver.close();
  });
});
