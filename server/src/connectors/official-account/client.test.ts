import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StandaloneOaSandbox, startOaSandbox } from "../../sandbox/official-account/index.ts";
import { createOaClient, type OaClient } from "./client.ts";
import { isOaApiError, isRecipientGone, OaApiError } from "./errors.ts";

let sim: StandaloneOaSandbox;
let client: OaClient;
let appId: string;

const sim$ = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${sim.url}/_sim${path}`, {
    method,
    ...(body !== undefined
      ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
      : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

async function failure(p: Promise<unknown>): Promise<OaApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OaApiError) return err;
    throw err;
  }
  throw new Error("expected a failure");
}

beforeAll(async () => {
  sim = await startOaSandbox({ templateFinishDelayMs: 10 });
  const account = sim.sandbox.createAccount({ name: "测试号" });
  appId = account.appId;
  client = createOaClient({
    apiBase: sim.url,
    appId,
    secret: account.secret,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
  });
});
afterAll(async () => {
  await sim?.close();
});

describe("Official Account client against the simulator", () => {
  it("pages user/get with next_openid over 25,000 followers and batchgets ≤100", async () => {
    const seeded = await sim$("POST", `/accounts/${appId}/followers/seed`, {
      count: 25_000,
      unionidShare: 0.5,
    });
    expect(seeded.status).toBe(201);
    const pages: number[] = [];
    const all: string[] = [];
    for await (const page of client.users.iterate()) {
      pages.push(page.openids.length);
      all.push(...page.openids);
      expect(page.total).toBe(25_000);
    }
    expect(pages).toEqual([10_000, 10_000, 5_000]);
    expect(new Set(all).size).toBe(25_000);
    const infos = await client.users.batchGet(all.slice(0, 100));
    expect(infos).toHaveLength(100);
    expect(infos[0]).toMatchObject({ subscribe: 1, openid: all[0] });
    expect(infos.filter((i) => i.unionid).length).toBeGreaterThan(20);
    await expect(client.users.batchGet(all.slice(0, 101))).rejects.toThrow(RangeError);
    const bad = await failure(client.users.info("o_not_a_follower"));
    expect(bad.errcode).toBe(40003);
    expect(isRecipientGone(bad)).toBe(true);
  });

  it("creates temporary and permanent QR codes within §6's limits and serves their image", async () => {
    const temp = await client.qrcode.create({
      expire_seconds: 9_999_999,
      action_name: "QR_STR_SCENE",
      action_info: { scene: { scene_str: "ch_spring" } },
    });
    expect(temp.expire_seconds).toBe(2_592_000);
    const perm = await client.qrcode.create({
      action_name: "QR_LIMIT_SCENE",
      action_info: { scene: { scene_id: 42 } },
    });
    expect(perm.expire_seconds).toBeUndefined();
    const res = await fetch(client.qrcode.showUrl(perm.ticket));
    expect(res.headers.get("content-type")).toBe("image/png");
    const tooBig = await failure(
      client.qrcode.create({ action_name: "QR_LIMIT_SCENE", action_info: { scene: { scene_id: 100_001 } } }),
    );
    expect(tooBig.errcode).toBe(40053);
  });

  it("sends template messages: msgid, 43004 for an unfollowed user, 40037 for an unknown template", async () => {
    const [openid, gone] = (await client.users.list()).data!.openid;
    const ok = await client.templates.send({
      touser: openid!,
      template_id: "tpl_service_progress",
      client_msg_id: "once-1",
      data: { thing1: { value: "空调清洗" } },
    });
    expect(ok.msgid).toBeGreaterThan(0);
    const again = await client.templates.send({
      touser: openid!,
      template_id: "tpl_service_progress",
      client_msg_id: "once-1",
      data: { thing1: { value: "空调清洗" } },
    });
    expect(again.msgid).toBe(ok.msgid);
    await sim$("POST", `/accounts/${appId}/unfollow`, { openid: gone });
    expect(
      (await failure(client.templates.send({ touser: gone!, template_id: "tpl_bill", data: {} }))).errcode,
    ).toBe(43004);
    expect(
      (await failure(client.templates.send({ touser: openid!, template_id: "nope", data: {} }))).errcode,
    ).toBe(40037);
  });

  it("tags and personalized menus: create, tag members, trymatch by tag, delete", async () => {
    const tag = await client.tags.create("VIP");
    const openid = (await client.users.list()).data!.openid[0]!;
    await client.tags.tagMembers({ tagid: tag.tag.id, openid_list: [openid] });
    expect((await client.tags.idsOf(openid)).tagid_list).toEqual([tag.tag.id]);
    expect((await failure(client.tags.create("VIP"))).errcode).toBe(45157);
    expect(
      (await failure(client.menu.addConditional({ button: [], matchrule: { tag_id: "1" } }))).errcode,
    ).toBe(65303);
    await client.menu.create({ button: [{ type: "click", name: "今日歌曲", key: "V1001" }] });
    const vip = await client.menu.addConditional({
      button: [{ type: "view", name: "VIP专区", url: "https://example.com/vip" }],
      matchrule: { tag_id: String(tag.tag.id) },
    });
    expect((await client.menu.tryMatch(openid)).button[0]?.name).toBe("VIP专区");
    await client.tags.untagMembers({ tagid: tag.tag.id, openid_list: [openid] });
    expect((await client.menu.tryMatch(openid)).button[0]?.name).toBe("今日歌曲");
    await client.menu.delConditional(vip.menuid);
    expect((await failure(client.menu.delConditional(vip.menuid))).errcode).toBe(65301);
    const tooLong = await failure(
      client.menu.create({ button: [{ type: "click", name: "一二三四五六", key: "k" }] }),
    );
    expect(tooLong.errcode).toBe(40018);
    await client.tags.delete(tag.tag.id);
    expect((await client.tags.get()).tags.map((t) => t.id)).toEqual([0, 1, 2]);
  });

  it("refetches the token on 42001/40001, retries 5xx, stops on the daily quota (45009)", async () => {
    sim.sandbox.expireTokens(appId);
    expect((await client.users.list()).total).toBeGreaterThan(0);
    await sim$("POST", `/accounts/${appId}/faults`, { api: "user/get", errcode: 40001 });
    expect((await client.users.list()).total).toBeGreaterThan(0);
    await sim$("POST", `/accounts/${appId}/faults`, { api: "user/get", httpStatus: 502, times: 2 });
    expect((await client.users.list()).total).toBeGreaterThan(0);
    await sim$("PUT", `/accounts/${appId}/quota`, { api: "user/info", limit: 0 });
    const quota = await failure(client.users.info("whatever"));
    expect(quota.errcode).toBe(45009);
    expect(quota.retryable).toBe(false);
    await client.clearQuota();
    await sim$("PUT", `/accounts/${appId}/quota`, { api: "user/info", limit: 1000 });
    expect(isOaApiError(await failure(client.users.info("whatever")))).toBe(true);
  });

  it("the classic token endpoint: a re-issue leaves the previous token valid 5 minutes", async () => {
    const account = sim.sandbox.account(appId)!;
    const first = sim.sandbox.issueToken(appId, account.secret).access_token;
    sim.sandbox.issueToken(appId, account.secret);
    expect(sim.sandbox.authenticate(first).appId).toBe(appId);
    sim.sandbox.advance(5 * 60_000 + 1000);
    expect(() => sim.sandbox.authenticate(first)).toThrow(/expired/);
    const classic = createOaClient({
      apiBase: sim.url,
      appId,
      secret: account.secret,
      tokenEndpoint: "token",
    });
    expect((await classic.users.list()).total).toBeGreaterThan(0);
  });
});
