import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Booted, bootSandbox, corpWithToken } from "./helpers.ts";

describe("WeCom simulator over HTTP: tokens, paging, validation, faults", () => {
  let b: Booted;
  beforeAll(async () => {
    b = await bootSandbox();
  });
  afterAll(async () => {
    await b.close();
  });

  it("issues one token per (corpid, secret), valid 7200 s of the simulator clock", async () => {
    const { corp } = await corpWithToken(b);
    const get = (q: string) => b.call("GET", `/cgi-bin/gettoken?${q}`);
    expect((await get("")).json.errcode).toBe(41002);
    expect((await get("corpid=wwnope")).json.errcode).toBe(40013);
    expect((await get(`corpid=${corp.corpId}`)).json.errcode).toBe(41004);
    expect((await get(`corpid=${corp.corpId}&corpsecret=wrong`)).json.errcode).toBe(40001);
    const a1 = await get(`corpid=${corp.corpId}&corpsecret=${corp.appSecret}`);
    expect(a1.status).toBe(200);
    expect(a1.json).toMatchObject({ errcode: 0, errmsg: "ok", expires_in: 7200 });
    const a2 = await get(`corpid=${corp.corpId}&corpsecret=${corp.appSecret}`);
    expect(a2.json.access_token).toBe(a1.json.access_token);
    const c1 = await get(`corpid=${corp.corpId}&corpsecret=${corp.contactSecret}`);
    expect(c1.json.access_token).not.toBe(a1.json.access_token);
    // Both secrets reach the external-contact APIs.
    for (const t of [a1.json.access_token, c1.json.access_token]) {
      const r = await b.call("GET", `/cgi-bin/externalcontact/get_follow_user_list?access_token=${t}`);
      expect(r.json).toMatchObject({ errcode: 0, follow_user: ["zhangsan", "lisi", "wangwu"] });
    }
    const list = (t: string) => b.call("GET", `/cgi-bin/externalcontact/get_follow_user_list${t}`);
    expect((await list("")).json.errcode).toBe(41001);
    expect((await list("?access_token=forged")).json.errcode).toBe(40014);
    expect((await list("?access_token=forged")).status).toBe(200);
    await b.sim("POST", "/clock/advance", { seconds: 7200 });
    expect((await list(`?access_token=${a1.json.access_token}`)).json.errcode).toBe(42001);
    const fresh = await get(`corpid=${corp.corpId}&corpsecret=${corp.appSecret}`);
    expect(fresh.json.access_token).not.toBe(a1.json.access_token);
    expect((await list(`?access_token=${fresh.json.access_token}`)).json.errcode).toBe(0);
  });

  it("pages batch/get_by_user with opaque cursors and rejects out-of-range limits", async () => {
    const { corp, api } = await corpWithToken(b);
    expect(
      (
        await b.sim("POST", `/corps/${corp.corpId}/seed`, {
          count: 250,
          userids: ["zhangsan", "lisi"],
          tagsPerContact: 2,
        })
      ).status,
    ).toBe(200);
    for (const limit of [0, 101, -1]) {
      const r = await api("externalcontact/batch/get_by_user", { userid_list: ["zhangsan"], limit });
      expect(r.json.errcode).toBe(40058);
    }
    const tooMany = Array.from({ length: 101 }, (_, i) => `u${i}`);
    expect((await api("externalcontact/batch/get_by_user", { userid_list: tooMany })).json.errcode).toBe(
      40032,
    );
    expect((await api("externalcontact/batch/get_by_user", { userid_list: ["ghost"] })).json.errcode).toBe(
      40003,
    );
    expect((await api("externalcontact/batch/get_by_user", { userid_list: ["zhaoliu"] })).json.errcode).toBe(
      84074,
    );
    expect(
      (
        await api("externalcontact/batch/get_by_user", {
          userid_list: ["zhangsan"],
          cursor: "bm90LWEtY3Vyc29y",
        })
      ).json.errcode,
    ).toBe(50100);

    const seen = new Set<string>();
    let cursor = "";
    let pages = 0;
    do {
      const r = await api("externalcontact/batch/get_by_user", {
        userid_list: ["zhangsan", "lisi"],
        limit: 100,
        cursor,
      });
      expect(r.json.errcode).toBe(0);
      const list = r.json.external_contact_list as Array<{
        external_contact: { external_userid: string };
        follow_info: { tag_id: string[] };
      }>;
      expect(list.length).toBeLessThanOrEqual(100);
      for (const item of list) {
        expect(item.external_contact.external_userid).toMatch(/^wm[A-Za-z0-9]{30}$/);
        expect(item.follow_info.tag_id).toHaveLength(2);
        seen.add(item.external_contact.external_userid);
      }
      cursor = r.json.next_cursor as string;
      pages++;
    } while (cursor);
    expect(seen.size).toBe(250);
    expect(pages).toBe(3);
    // A cursor of one API is refused by another.
    const first = await api("externalcontact/batch/get_by_user", { userid_list: ["zhangsan"], limit: 1 });
    const r = await api("externalcontact/groupchat/list", { limit: 10, cursor: first.json.next_cursor });
    expect(r.json.errcode).toBe(50100);

    const one = [...seen][0]!;
    const got = await api(`externalcontact/get?external_userid=${one}`);
    expect(got.json.errcode).toBe(0);
    expect(
      (got.json.follow_user as Array<{ tags: Array<{ group_name: string }> }>)[0]!.tags[0]!.group_name,
    ).toBe("客户等级");
    expect((await api("externalcontact/get?external_userid=wmnobody")).json.errcode).toBe(40096);
    expect((await api("externalcontact/groupchat/list", {})).json.errcode).toBe(40058);
    expect((await api("externalcontact/groupchat/list", { limit: 1001 })).json.errcode).toBe(40058);
    expect((await api("externalcontact/groupchat/list", { limit: 1000 })).json.errcode).toBe(0);
    expect(
      (await api("externalcontact/remark", { userid: "wangwu", external_userid: one, remark: "x" })).json
        .errcode,
    ).toBe(84061);
    expect((await api("externalcontact/batch/get_by_user", "{not json")).json.errcode).toBe(47001);
  });

  it("pages externalcontact/get follow_user by 500 with a cursor", async () => {
    const members = Array.from({ length: 501 }, (_, i) => ({ userid: `m${i}` }));
    const { corp, api } = await corpWithToken(b, { members });
    const first = await b.sim("POST", `/corps/${corp.corpId}/actions/add-contact`, { userid: "m0" });
    const ext = first.json.external_userid as string;
    for (let i = 1; i < 501; i++) {
      await b.sim("POST", `/corps/${corp.corpId}/actions/add-contact`, {
        userid: `m${i}`,
        customer: { external_userid: ext },
      });
    }
    const p1 = await api(`externalcontact/get?external_userid=${ext}`);
    expect(p1.json.follow_user).toHaveLength(500);
    const p2 = await api(`externalcontact/get?external_userid=${ext}&cursor=${p1.json.next_cursor}`);
    expect(p2.json.follow_user).toEqual([expect.objectContaining({ userid: "m500" })]);
    expect(p2.json.next_cursor).toBeUndefined();
  });

  it("validates contact ways like WeCom", async () => {
    const { api } = await corpWithToken(b);
    const add = (body: Record<string, unknown>) => api("externalcontact/add_contact_way", body);
    expect((await add({ scene: 2, user: ["zhangsan"] })).json.errcode).toBe(41037);
    expect((await add({ type: 1, user: ["zhangsan"] })).json.errcode).toBe(41038);
    expect((await add({ type: 3, scene: 2, user: ["zhangsan"] })).json.errcode).toBe(41039);
    expect((await add({ type: 1, scene: 2, user: ["zhangsan"], state: "x".repeat(31) })).json.errcode).toBe(
      40058,
    );
    expect((await add({ type: 1, scene: 2, user: ["zhangsan", "lisi"] })).json.errcode).toBe(40058);
    expect((await add({ type: 1, scene: 2, user: ["ghost"] })).json.errcode).toBe(40003);
    expect((await add({ type: 1, scene: 2, user: ["zhaoliu"] })).json.errcode).toBe(610004);
    const ok = await add({ type: 1, scene: 2, user: ["zhangsan"], state: "渠道A".padEnd(30, "x") });
    expect(ok.json.errcode).toBe(0);
    expect(ok.json.config_id).toMatch(/^[0-9a-f]{32}$/);
    expect(ok.json.qr_code).toMatch(/^https:\/\//);
    const got = await api("externalcontact/get_contact_way", { config_id: ok.json.config_id });
    expect(got.json.contact_way).toMatchObject({ type: 1, scene: 2, user: ["zhangsan"], skip_verify: true });
    expect((await api("externalcontact/get_contact_way", {})).json.errcode).toBe(41043);
    expect((await api("externalcontact/get_contact_way", { config_id: "nope" })).json.errcode).toBe(41044);
    const multi = await add({ type: 2, scene: 2, user: ["zhangsan", "lisi"], party: [1] });
    expect(multi.json.errcode).toBe(0);
    const upd = await api("externalcontact/update_contact_way", {
      config_id: multi.json.config_id,
      state: "s2",
      user: ["lisi"],
    });
    expect(upd.json.errcode).toBe(0);
    const list = await api("externalcontact/list_contact_way", { limit: 1 });
    expect(list.json.contact_way).toHaveLength(1);
    expect(typeof list.json.next_cursor).toBe("string");
    expect((await api("externalcontact/list_contact_way", { limit: 1001 })).json.errcode).toBe(40058);
    expect(
      (await api("externalcontact/del_contact_way", { config_id: multi.json.config_id })).json.errcode,
    ).toBe(0);
    expect(
      (await api("externalcontact/get_contact_way", { config_id: multi.json.config_id })).json.errcode,
    ).toBe(41044);
  });

  it("welcome codes live 20 s and are single-use; deliveries are recorded", async () => {
    const { corp, api } = await corpWithToken(b);
    const way = await api("externalcontact/add_contact_way", {
      type: 1,
      scene: 2,
      user: ["lisi"],
      state: "spring",
    });
    const scan = async () =>
      (await b.sim("POST", `/corps/${corp.corpId}/actions/scan`, { state: "spring" })).json;
    const first = await scan();
    expect(first).toMatchObject({ userid: "lisi" });
    const send = (code: unknown) =>
      api("externalcontact/send_welcome_msg", { welcome_code: code, text: { content: "欢迎！" } });
    expect((await api("externalcontact/send_welcome_msg", { text: { content: "x" } })).json.errcode).toBe(
      41049,
    );
    expect((await send(first.welcome_code)).json.errcode).toBe(0);
    expect((await send(first.welcome_code)).json.errcode).toBe(41050);
    const second = await b.sim("POST", `/corps/${corp.corpId}/actions/scan`, {
      config_id: way.json.config_id,
    });
    await b.sim("POST", "/clock/advance", { seconds: 21 });
    expect((await send(second.json.welcome_code)).json.errcode).toBe(41050);
    const delivered = await b.sim("GET", `/corps/${corp.corpId}/welcome-messages`);
    expect(delivered.json.welcome_messages).toEqual([
      expect.objectContaining({
        userid: "lisi",
        external_userid: first.external_userid,
        text: { content: "欢迎！" },
      }),
    ]);
    const f = await api(`externalcontact/get?external_userid=${first.external_userid}`);
    expect((f.json.follow_user as Array<{ state: string; add_way: number }>)[0]).toMatchObject({
      state: "spring",
      add_way: 1,
    });
  });

  it("injects errcodes, HTTP errors, delays, token expiry and rate limits per corp", async () => {
    const { corp, api, token } = await corpWithToken(b);
    const path = "externalcontact/get_follow_user_list";
    expect(
      (await b.sim("POST", `/corps/${corp.corpId}/faults`, { api: path, times: 2, errcode: 45009 })).status,
    ).toBe(201);
    expect((await api(path)).json.errcode).toBe(45009);
    expect((await api(path)).json.errcode).toBe(45009);
    expect((await api(path)).json.errcode).toBe(0);
    await b.sim("POST", `/corps/${corp.corpId}/faults`, { api: "*", errcode: -1 });
    expect((await api("externalcontact/list?userid=zhangsan")).json.errcode).toBe(-1);
    expect((await api("externalcontact/list?userid=zhangsan")).json.errcode).toBe(0);
    await b.sim("POST", `/corps/${corp.corpId}/faults`, { api: path, httpStatus: 502 });
    expect((await api(path)).status).toBe(502);
    await b.sim("POST", `/corps/${corp.corpId}/faults`, { api: path, delayMs: 300 });
    const t0 = Date.now();
    expect((await api(path)).json.errcode).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await b.sim("POST", `/corps/${corp.corpId}/faults`, { api: "gettoken", errcode: 40014 });
    const tok = await b.call("GET", `/cgi-bin/gettoken?corpid=${corp.corpId}&corpsecret=${corp.appSecret}`);
    expect(tok.json.errcode).toBe(40014);

    expect((await b.sim("POST", `/corps/${corp.corpId}/faults/expire-tokens`)).json.expired).toBe(1);
    expect((await b.call("GET", `/cgi-bin/${path}?access_token=${token}`)).json.errcode).toBe(42001);
    const again = await b.call("GET", `/cgi-bin/gettoken?corpid=${corp.corpId}&corpsecret=${corp.appSecret}`);
    expect(again.json.access_token).not.toBe(token);

    await b.sim("PUT", `/corps/${corp.corpId}/faults/rate-limits`, { perApi: { "user/get": 3 } });
    const fresh = again.json.access_token as string;
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push(
        (await b.call("GET", `/cgi-bin/user/get?userid=zhangsan&access_token=${fresh}`)).json
          .errcode as number,
      );
    }
    expect(codes).toEqual([0, 0, 0, 45009, 45009]);
    await b.sim("POST", "/clock/advance", { seconds: 60 });
    expect(
      (await b.call("GET", `/cgi-bin/user/get?userid=zhangsan&access_token=${fresh}`)).json.errcode,
    ).toBe(0);
  });

  it("lists contacts newest first on request, and gives members their direct leaders", async () => {
    const { corp, api } = await corpWithToken(b, {
      members: [
        { userid: "boss", name: "店长" },
        { userid: "seller", name: "导购", directLeader: ["boss"] },
      ],
    });
    const added: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await b.sim("POST", `/corps/${corp.corpId}/actions/add-contact`, { userid: "seller" });
      added.push(r.json.external_userid as string);
    }
    const newest = await b.sim("GET", `/corps/${corp.corpId}/contacts?order=desc&limit=2`);
    const ids = (newest.json.contacts as Array<{ external_userid: string }>).map((c) => c.external_userid);
    expect(ids).toEqual([added[2], added[1]]);
    expect((await b.sim("GET", `/corps/${corp.corpId}/contacts?order=sideways`)).status).toBe(400);
    expect((await api("user/get?userid=seller")).json.direct_leader).toEqual(["boss"]);
    expect((await api("user/get?userid=boss")).json.direct_leader).toEqual([]);
  });

  it("answers bad sim input with 4xx JSON errors", async () => {
    const r1 = await b.sim("POST", "/corps", {
      callback: { url: "not a url", token: "t", encodingAesKey: "short" },
    });
    expect(r1.status).toBe(400);
    expect(r1.json).toMatchObject({ error: { code: "validation_failed" } });
    expect((await b.sim("POST", "/corps", "{oops")).json).toMatchObject({ error: { code: "invalid_json" } });
    expect((await b.sim("GET", "/corps/nope")).status).toBe(404);
    const { corp } = await corpWithToken(b);
    expect((await b.sim("POST", `/corps/${corp.corpId}/actions/scan`, {})).status).toBe(400);
    expect((await b.sim("POST", `/corps/${corp.corpId}/actions/scan`, { state: "none" })).status).toBe(404);
    expect((await b.sim("POST", `/corps/${corp.corpId}/faults`, { api: "x" })).status).toBe(400);
    expect((await b.sim("POST", `/corps/${corp.corpId}/seed`, { count: 0 })).status).toBe(400);
    expect((await b.sim("POST", "/clock/advance", { ms: -5 })).status).toBe(400);
  });

  it("runs transfers as a state machine on the simulator clock", async () => {
    const { corp, api } = await corpWithToken(b);
    await b.sim("POST", `/corps/${corp.corpId}/seed`, { count: 3, userids: ["zhangsan"] });
    const ids = (await api("externalcontact/list?userid=zhangsan")).json.external_userid as string[];
    const t = await api("externalcontact/transfer_customer", {
      handover_userid: "zhangsan",
      takeover_userid: "lisi",
      external_userid: [...ids, "wmunknown"],
    });
    expect(t.json.customer).toEqual([
      { external_userid: ids[0], errcode: 0 },
      { external_userid: ids[1], errcode: 0 },
      { external_userid: ids[2], errcode: 0 },
      { external_userid: "wmunknown", errcode: 40096 },
    ]);
    const again = await api("externalcontact/transfer_customer", {
      handover_userid: "zhangsan",
      takeover_userid: "lisi",
      external_userid: [ids[0]],
    });
    expect((again.json.customer as Array<{ errcode: number }>)[0]!.errcode).toBe(40129);
    expect(
      (
        await api("externalcontact/transfer_customer", {
          handover_userid: "lisi",
          takeover_userid: "lisi",
          external_userid: [ids[0]],
        })
      ).json.errcode,
    ).toBe(40130);
    expect(
      (
        await api("externalcontact/resigned/transfer_customer", {
          handover_userid: "zhangsan",
          takeover_userid: "lisi",
          external_userid: [ids[0]],
        })
      ).json.errcode,
    ).toBe(40097);
    await b.sim("POST", `/corps/${corp.corpId}/actions/refuse-transfer`, { external_userid: ids[2] });
    const result = () =>
      api("externalcontact/transfer_result", { handover_userid: "zhangsan", takeover_userid: "lisi" });
    expect((await result()).json.customer).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ external_userid: ids[0], status: 2 }),
        expect.objectContaining({ external_userid: ids[2], status: 3 }),
      ]),
    );
    await b.sim("POST", "/clock/advance", { hours: 24 });
    const doneRes = await result();
    expect(doneRes.json.errcode, JSON.stringify(doneRes.json)).toBe(0);
    const done = doneRes.json.customer as Array<{
      external_userid: string;
      status: number;
      takeover_time?: number;
    }>;
    expect(done.find((c) => c.external_userid === ids[0])).toMatchObject({
      status: 1,
      takeover_time: expect.any(Number),
    });
    expect(done.find((c) => c.external_userid === ids[2])).toMatchObject({ status: 3 });
    expect((await api("externalcontact/list?userid=lisi")).json.external_userid).toEqual(
      expect.arrayContaining([ids[0], ids[1]]),
    );
    expect((await api("externalcontact/list?userid=zhangsan")).json.external_userid).toEqual([ids[2]]);

    // Resigned: customers show up unassigned, then are transferred.
    await b.sim("POST", `/corps/${corp.corpId}/members/zhangsan/resign`);
    const un = await api("externalcontact/get_unassigned_list", { page_size: 10 });
    expect(un.json).toMatchObject({
      errcode: 0,
      is_last: true,
      info: [expect.objectContaining({ handover_userid: "zhangsan", external_userid: ids[2] })],
    });
    expect((await api("externalcontact/get_unassigned_list", { page_size: 1001 })).json.errcode).toBe(40058);
    const rt = await api("externalcontact/resigned/transfer_customer", {
      handover_userid: "zhangsan",
      takeover_userid: "wangwu",
      external_userid: [ids[2]],
    });
    expect(rt.json.customer).toEqual([{ external_userid: ids[2], errcode: 0 }]);
  });

  it("creates mass-message tasks that members confirm through the sim API", async () => {
    const { corp, api } = await corpWithToken(b);
    await b.sim("POST", `/corps/${corp.corpId}/seed`, { count: 4, userids: ["zhangsan", "lisi"] });
    const z = (await api("externalcontact/list?userid=zhangsan")).json.external_userid as string[];
    const created = await api("externalcontact/add_msg_template", {
      external_userid: [...z, "wmghost"],
      text: { content: "双十一活动" },
    });
    expect(created.json).toMatchObject({ errcode: 0, fail_list: ["wmghost"] });
    const msgid = created.json.msgid as string;
    expect(
      (
        await api("externalcontact/add_msg_template", {
          external_userid: ["wmghost"],
          text: { content: "x" },
        })
      ).json.errcode,
    ).toBe(41048);
    const now = Math.floor(Date.now() / 1000) + 10 * 86400;
    const list = await api("externalcontact/get_groupmsg_list_v2", {
      chat_type: "single",
      start_time: now - 20 * 86400,
      end_time: now,
    });
    expect((list.json.group_msg_list as Array<{ msgid: string }>).map((m) => m.msgid)).toContain(msgid);
    expect(
      (
        await api("externalcontact/get_groupmsg_list_v2", {
          chat_type: "single",
          start_time: 0,
          end_time: now,
        })
      ).json.errcode,
    ).toBe(40058);
    expect((await api("externalcontact/get_groupmsg_task", { msgid })).json.task_list).toEqual([
      { userid: "zhangsan", status: 0 },
    ]);
    expect((await api("externalcontact/get_groupmsg_task", { msgid, limit: 1001 })).json.errcode).toBe(40058);
    await b.sim("POST", `/corps/${corp.corpId}/actions/customer-deletes-member`, {
      userid: "zhangsan",
      external_userid: z[0],
    });
    const confirm = await b.sim("POST", `/corps/${corp.corpId}/actions/confirm-mass-message`, {
      msgid,
      userid: "zhangsan",
    });
    expect(confirm.json).toEqual({ sent: 1, not_friend: 1, over_cap: 0 });
    const res = await api("externalcontact/get_groupmsg_send_result", { msgid, userid: "zhangsan" });
    expect((res.json.send_list as Array<{ status: number }>).map((s) => s.status).sort()).toEqual([1, 2]);
    expect((await api("externalcontact/get_groupmsg_task", { msgid: "nope" })).json.errcode).toBe(41047);
  });

  it("manages corp tags with the 10k cap and marks tags", async () => {
    const { corp, api } = await corpWithToken(b, { settings: { tagCap: 3 } });
    const added = await api("externalcontact/add_corp_tag", {
      group_name: "等级",
      tag: [{ name: "金" }, { name: "银" }],
    });
    expect(added.json.errcode).toBe(0);
    const group = added.json.tag_group as { group_id: string; tag: Array<{ id: string }> };
    expect(group.group_id).toMatch(/^et[A-Za-z0-9]{30}$/);
    expect(
      (await api("externalcontact/add_corp_tag", { group_id: group.group_id, tag: [{ name: "金" }] })).json
        .errcode,
    ).toBe(40071);
    expect(
      (
        await api("externalcontact/add_corp_tag", {
          group_id: group.group_id,
          tag: [{ name: "铜" }, { name: "铁" }],
        })
      ).json.errcode,
    ).toBe(40126);
    expect(
      (await api("externalcontact/add_corp_tag", { group_name: "x", tag: [{ name: "" }] })).json.errcode,
    ).toBe(40072);
    await b.sim("POST", `/corps/${corp.corpId}/seed`, { count: 1, userids: ["zhangsan"] });
    const [ext] = (await api("externalcontact/list?userid=zhangsan")).json.external_userid as string[];
    const tagId = group.tag[0]!.id;
    expect(
      (
        await api("externalcontact/mark_tag", {
          userid: "zhangsan",
          external_userid: ext,
          add_tag: [tagId],
          remove_tag: [tagId],
        })
      ).json.errcode,
    ).toBe(40058);
    expect(
      (
        await api("externalcontact/mark_tag", {
          userid: "zhangsan",
          external_userid: ext,
          add_tag: ["etnope"],
        })
      ).json.errcode,
    ).toBe(40068);
    expect(
      (await api("externalcontact/mark_tag", { userid: "zhangsan", external_userid: ext, add_tag: [tagId] }))
        .json.errcode,
    ).toBe(0);
    const marks = await b.sim("GET", `/corps/${corp.corpId}/tag-marks`);
    expect(marks.json.tag_marks).toEqual([
      expect.objectContaining({ external_userid: ext, add: [tagId], via: "api" }),
    ]);
    expect((await api("externalcontact/get_corp_tag_list", { tag_id: [tagId] })).json.tag_group).toEqual([
      expect.objectContaining({ group_id: group.group_id, tag: [expect.objectContaining({ id: tagId })] }),
    ]);
    expect((await api("externalcontact/del_corp_tag", { group_id: [group.group_id] })).json.errcode).toBe(0);
    expect((await api("externalcontact/get_corp_tag_list", {})).json.tag_group).toEqual([]);
  });

  it("runs moment tasks and group chats", async () => {
    const { corp, api } = await corpWithToken(b);
    const bad = await api("externalcontact/add_moment_task", {
      attachments: [
        { msgtype: "video", video: { media_id: "m" } },
        { msgtype: "image", image: { media_id: "i" } },
      ],
    });
    expect(bad.json.errcode).toBe(40058);
    const job = await api("externalcontact/add_moment_task", {
      text: { content: "新品上市" },
      visible_range: { sender_list: { user_list: ["zhangsan", "ghost"] } },
    });
    expect(job.json.errcode).toBe(0);
    await b.sim("POST", "/clock/advance", { seconds: 2 });
    const r = await api(`externalcontact/get_moment_task_result?jobid=${job.json.jobid}`);
    expect(r.json).toMatchObject({
      status: 3,
      type: "add_moment_task",
      result: { invalid_sender_list: { user_list: ["ghost"] } },
    });
    expect((await api("externalcontact/get_moment_task_result?jobid=nope")).json.errcode).toBe(40088);

    await b.sim("POST", `/corps/${corp.corpId}/seed`, { count: 2, userids: ["zhangsan"] });
    const exts = (await api("externalcontact/list?userid=zhangsan")).json.external_userid as string[];
    const g = await b.sim("POST", `/corps/${corp.corpId}/actions/create-group`, {
      owner: "zhangsan",
      members: [exts[0]],
    });
    const chatId = g.json.chat_id as string;
    expect(chatId).toMatch(/^wr[A-Za-z0-9]{30}$/);
    const before = (await api("externalcontact/groupchat/get", { chat_id: chatId })).json.group_chat as {
      member_version: string;
    };
    await b.sim("POST", `/corps/${corp.corpId}/actions/join-group`, {
      chat_id: chatId,
      ids: [exts[1]],
      join_scene: 3,
    });
    const after = (await api("externalcontact/groupchat/get", { chat_id: chatId, need_name: 1 })).json
      .group_chat as {
      member_version: string;
      member_list: Array<{ userid: string; join_scene: number; name?: string }>;
    };
    expect(after.member_version).not.toBe(before.member_version);
    expect(after.member_list.find((m) => m.userid === exts[1])).toMatchObject({
      join_scene: 3,
      name: expect.any(String),
    });
    const listed = await api("externalcontact/groupchat/list", {
      limit: 10,
      owner_filter: { userid_list: ["zhangsan"] },
    });
    expect(listed.json.group_chat_list).toEqual([{ chat_id: chatId, status: 0 }]);
    const tr = await api("externalcontact/groupchat/transfer", { chat_id_list: [chatId], new_owner: "lisi" });
    expect(tr.json.failed_chat_list).toEqual([expect.objectContaining({ chat_id: chatId, errcode: 90500 })]);
    const on = await api("externalcontact/groupchat/onjob_transfer", {
      chat_id_list: [chatId],
      new_owner: "lisi",
    });
    expect(on.json.failed_chat_list).toEqual([]);
    expect((await api("externalcontact/groupchat/get", { chat_id: "wrnope" })).json.errcode).toBe(40050);
  });
});
