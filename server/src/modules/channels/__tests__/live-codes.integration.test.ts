import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WxMsgCrypt } from "../../../connectors/shared/wx-msg-crypt.ts";
import { buildWxXml } from "../../../connectors/shared/xml.ts";
import type { JobQueue } from "../../../platform/jobs/index.ts";
import { type StandaloneWecomSandbox, startWecomSandbox } from "../../../sandbox/wecom/index.ts";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { connectSandboxCorp, simCall, waitFor } from "../../../testing/wecom-world.ts";
import { contactHooks } from "../../wecom/index.ts";
import { sendWelcomeJob } from "../jobs/send-welcome.job.ts";
import { localTime } from "../local-time.ts";

const token = "LiveCodesToken7";
const encodingAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
type Json = Record<string, unknown>;

const hhmm = (minutes: number) => {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
};

describe.each(dbKinds)("channel live codes against the WeCom simulator over HTTP (%s)", (kind) => {
  let t: TestApp;
  let sb: StandaloneWecomSandbox;
  let owner: string;
  let tenantId: string;
  let corpId: string;
  let code: Json;
  let firstExt: string;
  let appUrl: string;

  /** A callback as WeCom's servers would send it (for events the simulator has no action for). */
  const wecomCallback = async (fields: Record<string, string>) => {
    const crypt = new WxMsgCrypt({ token, encodingAesKey, receiveId: corpId });
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = String(Math.floor(Math.random() * 1e9));
    const encrypt = crypt.encrypt(
      buildWxXml({ ToUserName: corpId, FromUserName: "sys", MsgType: "event", CreateTime: ts, ...fields }),
    );
    const res = await fetch(
      `${appUrl}/callbacks/wecom/${tenantId}?msg_signature=${crypt.sign(ts, nonce, encrypt)}&timestamp=${ts}&nonce=${nonce}`,
      {
        method: "POST",
        body: `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`,
      },
    );
    expect(res.status).toBe(200);
  };

  const sim = (method: string, path: string, body?: unknown) => simCall(sb.url, method, path, body);
  const db = <T>(sql: string, params: unknown[] = []) => t.siyu.platform.db.query<T>(sql, params);
  const welcomesTo = async (ext: string) =>
    ((await sim("GET", `/corps/${corpId}/welcome-messages`)).json.welcome_messages as Json[]).filter(
      (w) => w.external_userid === ext,
    );
  const addRow = (ext: string) =>
    db<{
      live_code_id: string | null;
      welcome_status: string;
      welcome_errcode: number | null;
      welcome_variant: string | null;
      welcome_latency_ms: number | null;
      customer_id: string | null;
      remark_status: string;
    }>("select * from channel_adds where external_userid = $1 and tenant_id = $2", [ext, tenantId]);
  const wayOf = async (configId: string) =>
    ((await sim("GET", `/corps/${corpId}/state`)).json.contactWays as Json[]).find(
      (w) => w.config_id === configId,
    );
  const scan = async (state: string, body: Json = {}) => {
    const res = await sim("POST", `/corps/${corpId}/actions/scan`, { state, ...body });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    return res.json as { external_userid: string; userid: string };
  };
  const create = (body: unknown) => t.call("POST", "/api/live-codes", { token: owner, body });

  beforeAll(async () => {
    sb = await startWecomSandbox({ callbackRetryDelayMs: 20 });
    t = await startTestApp(kind);
    appUrl = await t.app.listen({ port: 0, host: "127.0.0.1" });
    owner = await t.login();
    tenantId = (await t.call("GET", "/api/auth/me", { token: owner })).json().user.tenantId;
    const tz = await t.call("PUT", "/api/settings/tenant", {
      token: owner,
      body: { timezone: "America/New_York" },
    });
    expect(tz.statusCode, tz.body).toBe(200);
    corpId = await connectSandboxCorp({
      t,
      owner,
      tenantId,
      simUrl: sb.url,
      appUrl,
      corpName: "活码企业",
      members: [
        ...["zhangsan", "lisi", "wangwu"].map((u) => ({
          userid: u,
          name: u,
          department: [1],
          customerContact: true,
        })),
        { userid: "zhaoliu", name: "赵六", department: [1], customerContact: false },
      ],
      token,
      encodingAesKey,
    });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await sb?.close();
  });

  it("refuses bad input with 4xx and a staff member without customer contact as WeCom reports it", async () => {
    for (const body of [
      {},
      { name: "x", staffUserIds: [] },
      { name: "x", staffUserIds: ["bad user!"] },
      { name: "", staffUserIds: ["zhangsan"] },
      { name: "x", staffUserIds: ["zhangsan"], welcome: {} },
      { name: "x", staffUserIds: ["zhangsan"], welcome: { variants: [{ from: "09:00", text: "hi" }] } },
      { name: "x", staffUserIds: ["zhangsan"], state: "mine" },
      { name: "x", staffUserIds: ["zhangsan"], staffOptions: { lisi: { weight: 2 } } },
      {
        name: "x",
        staffUserIds: ["zhangsan"],
        validFrom: "2026-12-02T00:00:00Z",
        validUntil: "2026-12-01T00:00:00Z",
      },
    ]) {
      const res = await create(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe("validation_failed");
    }
    const bad = await t.call("POST", "/api/live-codes", { token: owner, body: "{not json" });
    expect(bad.statusCode).toBe(400);

    const noPermission = await create({ name: "无权限", staffUserIds: ["zhangsan", "zhaoliu"] });
    expect(noPermission.statusCode).toBe(422);
    expect(noPermission.json().error).toMatchObject({ code: "wecom_rejected", details: { errcode: 610004 } });
    const unknown = await create({ name: "无此人", staffUserIds: ["nobody"] });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.details.errcode).toBe(40003);
    // Nothing half-made: no row, and WeCom holds no way for them.
    expect((await t.call("GET", "/api/live-codes", { token: owner })).json().items).toEqual([]);
    expect(((await sim("GET", `/corps/${corpId}/state`)).json.contactWays as Json[]).length).toBe(0);
  });

  it("creates the contact way in WeCom with a short state, whatever the name", async () => {
    const ny = localTime(new Date(), "America/New_York").minutes;
    const shanghai = localTime(new Date(), "Asia/Shanghai").minutes;
    const res = await create({
      name: "双十一海报 🎉 第一批渠道（线下门店）",
      staffUserIds: ["zhangsan", "lisi"],
      tags: ["渠道A", "高意向"],
      remarkTemplate: "{{channel}}-{{nickname}}",
      welcome: {
        text: "默认欢迎语",
        attachments: [{ type: "link", title: "新人礼包", url: "https://example.com/gift" }],
        variants: [
          // Matches now in Shanghai, not in New York (12–13 h apart): must not be chosen.
          { name: "shanghai-now", from: hhmm(shanghai - 60), to: hhmm(shanghai + 60), text: "上海时段" },
          {
            name: "tenant-now",
            from: hhmm(ny - 120),
            to: hhmm(ny + 120),
            text: "你好 {{nickname}}，欢迎来到活码",
          },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    code = res.json();
    expect(code).toMatchObject({
      status: "active",
      strategy: "round_robin",
      activeUserIds: ["zhangsan", "lisi"],
    });
    expect(typeof code.id).toBe("string");
    expect((code.state as string).length).toBeLessThanOrEqual(30);
    expect(code.state).toMatch(/^[A-Za-z0-9_]+$/);
    expect(code.configId).toBeTruthy();
    expect(code.qrUrl).toMatch(/^https:\/\//);
    const way = await wayOf(code.configId as string);
    expect(way).toMatchObject({ state: code.state, user: ["zhangsan", "lisi"], type: 2, scene: 2 });
    // The tags became WeCom corp tags.
    const groups = (await sim("GET", `/corps/${corpId}/state`)).json.tagGroups as Array<{ tag: Json[] }>;
    const names = groups.flatMap((g) => g.tag.map((x) => x.name));
    expect(names).toEqual(expect.arrayContaining(["渠道A", "高意向"]));
    const got = await t.call("GET", `/api/live-codes/${code.id}`, { token: owner });
    expect(got.statusCode).toBe(200);
    expect(got.json().state).toBe(code.state);
    const single = await create({ name: "单人码", staffUserIds: ["wangwu"] });
    expect(single.statusCode).toBe(201);
    expect(await wayOf(single.json().configId)).toMatchObject({ type: 1, user: ["wangwu"] });
  });

  it("a scan gets the welcome (tenant-zone variant, nickname), tags in WeCom and Siyu, remark, source and the add", async () => {
    const added = await scan(code.state as string, { customer: { name: "李雷" } });
    firstExt = added.external_userid;
    const [welcome] = await waitFor("welcome message", async () => {
      const w = await welcomesTo(firstExt);
      return w.length ? w : undefined;
    });
    expect(welcome?.text).toEqual({ content: "你好 李雷，欢迎来到活码" });
    expect(welcome?.attachments).toEqual([]);
    const [row] = await waitFor("add applied", async () => {
      const r = await addRow(firstExt);
      return r[0]?.customer_id && r[0].remark_status === "done" ? r : undefined;
    });
    expect(row).toMatchObject({
      live_code_id: code.id,
      welcome_status: "sent",
      welcome_variant: "tenant-now",
    });
    expect(row?.welcome_latency_ms).toBeLessThan(20_000);
    const customerId = row?.customer_id as string;
    const customer = (await t.call("GET", `/api/customers/${customerId}`, { token: owner })).json();
    expect(customer.source).toBe(`live_code:${code.id}`);
    expect(customer.tags.map((x: { name: string } | string) => (typeof x === "string" ? x : x.name))).toEqual(
      expect.arrayContaining(["渠道A", "高意向"]),
    );
    // Marked in WeCom on the relation, and the remark from the template (cut to 20 characters).
    const groups = (await sim("GET", `/corps/${corpId}/state`)).json.tagGroups as Array<{ tag: Json[] }>;
    const tagId = new Map(groups.flatMap((g) => g.tag.map((x) => [x.name as string, x.id as string])));
    const follow = await waitFor("tags marked in WeCom", async () => {
      const c = await sim("GET", `/corps/${corpId}/contacts/${firstExt}`);
      const f = (c.json.follow_user as Json[]).find((x) => x.userid === added.userid);
      const tags = (f?.tags as string[]) ?? [];
      return tags.includes(tagId.get("渠道A") as string) && tags.includes(tagId.get("高意向") as string)
        ? f
        : undefined;
    });
    expect(follow.remark).toBe([...`${code.name}-李雷`].slice(0, 20).join(""));
    const timeline = (
      await t.call("GET", `/api/customers/${customerId}/timeline?limit=100`, { token: owner })
    ).json();
    expect(timeline.items.map((e: { type: string }) => e.type)).toContain("channel.live_code_added");
    const stats = (await t.call("GET", `/api/live-codes/${code.id}/stats`, { token: owner })).json();
    expect(stats).toMatchObject({ adds: 1, deletes: 0, netAdds: 1, welcome: { sent: 1, failed: 0 } });
    expect(stats.staff).toEqual([expect.objectContaining({ userid: added.userid, adds: 1 })]);
  });

  it("the same callback delivered three times sends one welcome and counts one add", async () => {
    expect((await sim("PUT", `/corps/${corpId}/faults/callbacks`, { duplicates: 2 })).status).toBe(200);
    try {
      const added = await scan(code.state as string, { customer: { name: "韩梅梅" } });
      await waitFor("welcome", async () => (await welcomesTo(added.external_userid)).length > 0);
      await sim("POST", `/corps/${corpId}/callbacks/flush`);
      await waitFor("applied", async () => (await addRow(added.external_userid))[0]?.customer_id);
      await new Promise((r) => setTimeout(r, 500));
      expect(await welcomesTo(added.external_userid)).toHaveLength(1);
      expect(await addRow(added.external_userid)).toHaveLength(1);
    } finally {
      await sim("PUT", `/corps/${corpId}/faults/callbacks`, { duplicates: 0 });
    }
  });

  it("nothing acknowledged is lost: a welcome job lost between commit and send is made again by the inbox job, once", async () => {
    const jobs = t.siyu.platform.jobs as JobQueue;
    const sendMany = jobs.sendMany.bind(jobs);
    let dropped = 0;
    // A crash right after the callback's commit: its welcome job never reaches the queue.
    jobs.sendMany = async (list) => {
      if (!dropped && list.some((j) => j.name === sendWelcomeJob)) {
        dropped++;
        return sendMany(list.filter((j) => j.name !== sendWelcomeJob));
      }
      return sendMany(list);
    };
    try {
      const added = await scan(code.state as string, { customer: { name: "丢任务" } });
      await waitFor(
        "welcome sent by the repair",
        async () => (await welcomesTo(added.external_userid)).length,
      );
      expect(dropped).toBe(1);
      const [row] = await waitFor("sent", async () => {
        const r = await addRow(added.external_userid);
        return r[0]?.welcome_status === "sent" && r[0].customer_id ? r : undefined;
      });
      expect(row?.welcome_latency_ms).toBeLessThan(20_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(await welcomesTo(added.external_userid)).toHaveLength(1);
    } finally {
      jobs.sendMany = sendMany;
    }
  });

  it("a failing callback-time hook is rolled back to its savepoint; the inbox job records the add and welcomes once", async () => {
    const hooks = contactHooks(t.siyu.platform).onStored;
    const failing = async () => {
      throw new Error("injected onStored failure");
    };
    hooks.push(failing);
    try {
      const added = await scan(code.state as string, { customer: { name: "钩子失败" } });
      await waitFor("welcome", async () => (await welcomesTo(added.external_userid)).length);
      const rows = await waitFor("applied", async () => {
        const r = await addRow(added.external_userid);
        return r[0]?.customer_id && r[0].welcome_status === "sent" ? r : undefined;
      });
      expect(rows).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 500));
      expect(await welcomesTo(added.external_userid)).toHaveLength(1);
    } finally {
      hooks.splice(hooks.indexOf(failing), 1);
    }
  });

  it("WeCom refusing the welcome (41050) is recorded, visible and not retried; a busy WeCom is retried", async () => {
    expect(
      (
        await sim("POST", `/corps/${corpId}/faults`, {
          api: "externalcontact/send_welcome_msg",
          errcode: 41050,
          times: 1,
        })
      ).status,
    ).toBe(201);
    const refused = await scan(code.state as string);
    const [row] = await waitFor("welcome failure recorded", async () => {
      const r = await addRow(refused.external_userid);
      return r[0]?.welcome_status === "failed" ? r : undefined;
    });
    expect(row?.welcome_errcode).toBe(41050);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await addRow(refused.external_userid))[0]?.welcome_status).toBe("failed");
    expect(await welcomesTo(refused.external_userid)).toHaveLength(0);
    const adds = (await t.call("GET", `/api/live-codes/${code.id}/adds`, { token: owner })).json();
    const listed = adds.items.find((a: Json) => a.externalUserid === refused.external_userid);
    expect(listed).toMatchObject({ welcomeStatus: "failed", welcomeErrcode: 41050 });
    expect(listed.welcomeError).toContain("41050");

    expect(
      (
        await sim("POST", `/corps/${corpId}/faults`, {
          api: "externalcontact/send_welcome_msg",
          errcode: -1,
          times: 1,
        })
      ).status,
    ).toBe(201);
    const busy = await scan(code.state as string);
    await waitFor("welcome after a busy answer", async () => (await welcomesTo(busy.external_userid)).length);
    await waitFor("sent", async () => (await addRow(busy.external_userid))[0]?.welcome_status === "sent");
  });

  it("an expired welcome code (simulator clock past 20 s) is refused by WeCom and recorded", async () => {
    // Delay the welcome call by 1.5 s and move the clock 25 s meanwhile: WeCom sees a dead code.
    expect(
      (
        await sim("POST", `/corps/${corpId}/faults`, {
          api: "externalcontact/send_welcome_msg",
          delayMs: 1500,
          times: 1,
        })
      ).status,
    ).toBe(201);
    const late = await scan(code.state as string);
    await new Promise((r) => setTimeout(r, 300));
    expect((await sim("POST", "/clock/advance", { seconds: 25 })).status).toBe(200);
    const [row] = await waitFor("expired code recorded", async () => {
      const r = await addRow(late.external_userid);
      return r[0]?.welcome_status === "failed" ? r : undefined;
    });
    expect(row?.welcome_errcode).toBe(41050);
  });

  it("a half add confirmed later (add_half then add_external_contact) is one add with one welcome", async () => {
    const half = await scan(code.state as string, { half: true, customer: { name: "半加" } });
    await waitFor("half add welcomed", async () => (await welcomesTo(half.external_userid)).length);
    await waitFor("half applied", async () => (await addRow(half.external_userid))[0]?.customer_id);
    const before = (await t.call("GET", `/api/live-codes/${code.id}/stats`, { token: owner })).json().adds;
    await wecomCallback({
      Event: "change_external_contact",
      ChangeType: "add_external_contact",
      UserID: half.userid,
      ExternalUserID: half.external_userid,
      State: code.state as string,
    });
    const rows = await waitFor("confirmed", async () => {
      const r = await addRow(half.external_userid);
      return r[0] && (r[0] as unknown as Json).kind === "add" ? r : undefined;
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.welcome_status).toBe("sent");
    expect(await welcomesTo(half.external_userid)).toHaveLength(1);
    expect((await t.call("GET", `/api/live-codes/${code.id}/stats`, { token: owner })).json().adds).toBe(
      before,
    );
  });

  it("an unknown state still makes the customer and counts as no channel", async () => {
    const res = await sim("POST", `/corps/${corpId}/actions/add-contact`, {
      userid: "wangwu",
      state: "poster-2025",
      customer: { name: "陌生渠道" },
    });
    expect(res.status).toBe(200);
    const ext = res.json.external_userid as string;
    const [row] = await waitFor("customer", async () => {
      const r = await addRow(ext);
      return r[0]?.customer_id ? r : undefined;
    });
    expect(row).toMatchObject({ live_code_id: null, welcome_status: "none" });
    const customer = (await t.call("GET", `/api/customers/${row?.customer_id}`, { token: owner })).json();
    expect(customer.source).toBe("wecom");
    const summary = (await t.call("GET", "/api/live-codes/summary", { token: owner })).json();
    expect(summary.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ liveCodeId: null, name: "no channel", adds: 1 })]),
    );
  });

  it("deletions are counted to the add's code, also within 24 h", async () => {
    const [first] = await addRow(firstExt);
    const follow = (await sim("GET", `/corps/${corpId}/contacts/${firstExt}`)).json.follow_user as Json[];
    const res = await sim("POST", `/corps/${corpId}/actions/customer-deletes-member`, {
      userid: follow[0]?.userid,
      external_userid: firstExt,
    });
    expect(res.status).toBe(200);
    const stats = await waitFor("deletion counted", async () => {
      const s = (await t.call("GET", `/api/live-codes/${code.id}/stats`, { token: owner })).json();
      return s.deletes === 1 ? s : undefined;
    });
    expect(first?.live_code_id).toBe(code.id);
    expect(stats).toMatchObject({ deletes: 1, deletesWithin24h: 1, netAdds: stats.adds - 1 });
  });

  it("the landing link records scans with UTM parameters and shows the QR; the PNG and CSV download", async () => {
    const landingPath = new URL(code.landingUrl as string).pathname;
    expect(landingPath).toMatch(/^\/l\/[0-9a-z]{10}$/);
    const page = await t.call("GET", `${landingPath}?utm_source=wechat&utm_campaign=1111&evil=<script>`, {
      headers: {
        "user-agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0",
        referer: "https://mp.weixin.qq.com/",
      },
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.body).toContain(code.qrUrl as string);
    expect(page.body).not.toContain("<script>");
    expect((await t.call("GET", "/l/zzzzzzzzzz")).statusCode).toBe(404);
    expect((await t.call("GET", "/l/..%2F..%2Fetc")).statusCode).toBe(404);
    const scans = (await t.call("GET", `/api/live-codes/${code.id}/scans`, { token: owner })).json();
    expect(scans.items).toHaveLength(1);
    expect(scans.items[0]).toMatchObject({
      userAgent: "Mozilla/5.0 (iPhone) MicroMessenger/8.0",
      referer: "https://mp.weixin.qq.com/",
      params: { utm_source: "wechat", utm_campaign: "1111" },
    });
    const png = await t.call("GET", `/api/live-codes/${code.id}/qr.png?size=256`, { token: owner });
    expect(png.statusCode).toBe(200);
    expect(png.headers["content-type"]).toBe("image/png");
    expect(png.rawPayload.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");

    const today = localTime(new Date(), "America/New_York").date;
    const spend = await t.call("POST", `/api/live-codes/${code.id}/spend`, {
      token: owner,
      body: { periodStart: today, periodEnd: today, amountFen: 12_345, note: "朋友圈广告" },
    });
    expect(spend.statusCode, spend.body).toBe(201);
    const badSpend = await t.call("POST", `/api/live-codes/${code.id}/spend`, {
      token: owner,
      body: { periodStart: today, periodEnd: "2020-01-01", amountFen: -1 },
    });
    expect(badSpend.statusCode).toBe(400);
    const stats = (await t.call("GET", `/api/live-codes/${code.id}/stats`, { token: owner })).json();
    expect(stats.scans).toBe(1);
    expect(stats.timeZone).toBe("America/New_York");
    expect(stats.spendFen).toBe(12_345);
    expect(stats.costPerAddFen).toBe(Math.round(12_345 / stats.adds));
    const day = stats.daily.find((d: Json) => d.date === today);
    expect(day).toMatchObject({ scans: 1, adds: stats.adds, deletes: 1 });
    const csv = await t.call("GET", `/api/live-codes/${code.id}/stats.csv`, { token: owner });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toContain("text/csv");
    const lines = csv.body
      .replace(/^\uFEFF/, "")
      .trim()
      .split("\r\n");
    expect(lines[0]).toBe("section,key,scans,adds,deletes,deletes_within_24h,net_adds");
    expect(lines).toContain(`day,${today},1,${stats.adds},1,1,${stats.adds - 1}`);
    expect(lines.at(-1)).toBe(`spend_fen,12345,cost_per_add_fen,${stats.costPerAddFen}`);
    const badRange = await t.call("GET", `/api/live-codes/${code.id}/stats?from=2026-02-01&to=2026-01-01`, {
      token: owner,
    });
    expect(badRange.statusCode).toBe(400);
  });

  it("editing updates the contact way in WeCom; refused members answer 422", async () => {
    const patched = await t.call("PATCH", `/api/live-codes/${code.id}`, {
      token: owner,
      body: { staffUserIds: ["zhangsan", "wangwu"], name: "改名后的渠道" },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ name: "改名后的渠道", activeUserIds: ["zhangsan", "wangwu"] });
    expect(await wayOf(code.configId as string)).toMatchObject({ user: ["zhangsan", "wangwu"] });
    const refused = await t.call("PATCH", `/api/live-codes/${code.id}`, {
      token: owner,
      body: { staffUserIds: ["zhaoliu"] },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.details.errcode).toBe(610004);
    expect((await t.call("GET", `/api/live-codes/${code.id}`, { token: owner })).json().staffUserIds).toEqual(
      ["zhangsan", "wangwu"],
    );
    const bad = await t.call("PATCH", `/api/live-codes/${code.id}`, { token: owner, body: { dailyCap: 0 } });
    expect(bad.statusCode).toBe(400);
  });

  it("a member reaching the daily cap leaves the contact way; backup staff take over", async () => {
    const res = await create({
      name: "限量码",
      staffUserIds: ["lisi"],
      backupUserIds: ["wangwu"],
      dailyCap: 1,
    });
    expect(res.statusCode, res.body).toBe(201);
    const capped = res.json();
    expect(await wayOf(capped.configId)).toMatchObject({ type: 2, user: ["lisi"] });
    const added = await scan(capped.state);
    expect(added.userid).toBe("lisi");
    await waitFor("capped member replaced by the backup", async () => {
      const way = await wayOf(capped.configId);
      return JSON.stringify(way?.user) === JSON.stringify(["wangwu"]);
    });
    // Siyu records the new members after WeCom accepted them.
    await waitFor("the code's members recorded", async () => {
      const code = (await t.call("GET", `/api/live-codes/${capped.id}`, { token: owner })).json();
      return JSON.stringify(code.activeUserIds) === JSON.stringify(["wangwu"]);
    });
  });

  it("a deleted code's way is gone from WeCom; its state still counts to it, marked deleted", async () => {
    const res = await create({ name: "将删除", staffUserIds: ["zhangsan"], welcome: { text: "hi" } });
    const gone = res.json();
    const del = await t.call("DELETE", `/api/live-codes/${gone.id}`, { token: owner });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toMatchObject({ status: "deleted" });
    expect(await wayOf(gone.configId)).toBeUndefined();
    // A customer who kept the old state (e.g. an acquisition link) still arrives with it.
    const add = await sim("POST", `/corps/${corpId}/actions/add-contact`, {
      userid: "zhangsan",
      state: gone.state,
    });
    const ext = add.json.external_userid as string;
    const [row] = await waitFor("counted", async () => {
      const r = await addRow(ext);
      return r[0]?.customer_id ? r : undefined;
    });
    expect(row).toMatchObject({ live_code_id: gone.id, welcome_status: "none" });
    const stats = (await t.call("GET", `/api/live-codes/${gone.id}/stats`, { token: owner })).json();
    expect(stats.adds).toBe(1);
    const list = (await t.call("GET", "/api/live-codes", { token: owner })).json();
    expect(list.items.map((c: Json) => c.id)).not.toContain(gone.id);
    const all = (await t.call("GET", "/api/live-codes?includeDeleted=true", { token: owner })).json();
    expect(all.items.find((c: Json) => c.id === gone.id)).toMatchObject({ status: "deleted", adds: 1 });
    expect((await t.call("DELETE", `/api/live-codes/${gone.id}`, { token: owner })).statusCode).toBe(200);
    expect(
      (await t.call("PATCH", `/api/live-codes/${gone.id}`, { token: owner, body: { name: "x" } })).statusCode,
    ).toBe(409);
    expect((await t.call("GET", "/api/live-codes/lc_nope", { token: owner })).statusCode).toBe(404);
  });
});
