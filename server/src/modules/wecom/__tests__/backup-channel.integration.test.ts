import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StandaloneWecomSandbox, startWecomSandbox } from "../../../sandbox/wecom/index.ts";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { waitFor } from "../../../testing/wecom-world.ts";
import { reconcileAllTenants } from "../jobs/reconcile.job.ts";

const token = "BackupChannelToken7";
const encodingAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

type Json = Record<string, unknown>;

/**
 * The backup channel (SPEC §2) and the repairs callbacks alone would miss: reconciliation, full-sync
 * closing, group member versions, WeCom tag renames. Callbacks are "lost" by removing the corp's
 * callback URL in the simulator while a client-side action happens.
 */
describe.each(dbKinds)("WeCom backup channel against the sandbox (%s)", (kind) => {
  let t: TestApp;
  let sb: StandaloneWecomSandbox;
  let owner: string;
  let tenantId: string;
  let corpId: string;
  let appUrl: string;

  const sim = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sb.url}/_sim${path}`, {
      method,
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
        : {}),
    });
    const json = (await res.json()) as Json;
    expect(res.status, `${path} ${JSON.stringify(json)}`).toBeLessThan(300);
    return json;
  };
  const q = <T>(sql: string, params: unknown[] = []) => t.siyu.platform.db.query<T & Json>(sql, params);
  const callbacksOff = () => sim("PATCH", `/corps/${corpId}`, { callback: null });
  const callbacksOn = () =>
    sim("PATCH", `/corps/${corpId}`, {
      callback: { url: `${appUrl}/callbacks/wecom/${tenantId}`, token, encodingAesKey },
    });
  const flush = () => sim("POST", `/corps/${corpId}/callbacks/flush`);
  /** Waits until every delivered callback left the inbox and its task is done. */
  const eventsSettled = () =>
    waitFor("event tasks done", async () => {
      const [r] = await q<{ n: number }>(
        `select (select count(*) from inbox where processed_at is null)
              + (select count(*) from wecom_event_tasks where status = 'pending') as n`,
      );
      return Number(r?.n) === 0;
    });
  const runSync = async (kind: string) => {
    const started = await t.call("POST", "/api/wecom/sync", { token: owner, body: { kind } });
    expect(started.statusCode, started.body).toBe(202);
    return waitForRun(started.json().id as string);
  };
  const waitForRun = (runId: string) =>
    waitFor(
      `sync run ${runId}`,
      async () => {
        const list = (await t.call("GET", "/api/wecom/sync?limit=100", { token: owner })).json();
        const r = list.items.find((x: { id: string }) => x.id === runId);
        return r && (r.status === "completed" || r.status === "failed") ? (r as Json) : undefined;
      },
      90_000,
    );
  const follow = async (ext: string, userid: string) =>
    (
      await q<{ deleted_at: Date | null; ended_by: string | null }>(
        "select deleted_at, ended_by from wecom_follows where external_userid = $1 and userid = $2",
        [ext, userid],
      )
    )[0];
  const contactsOf = async (userid: string) =>
    (
      await q<{ external_userid: string }>(
        "select external_userid from wecom_follows where userid = $1 and deleted_at is null order by external_userid",
        [userid],
      )
    ).map((r) => r.external_userid);
  const timelineOf = async (ext: string) => {
    const [c] = await q<{ customer_id: string }>(
      "select customer_id from wecom_contacts where external_userid = $1",
      [ext],
    );
    const res = await t.call("GET", `/api/customers/${c?.customer_id}/timeline?limit=100`, { token: owner });
    return res.json().items as Array<{ type: string; data: Json }>;
  };

  beforeAll(async () => {
    sb = await startWecomSandbox({ callbackRetryDelayMs: 20 });
    t = await startTestApp(kind);
    appUrl = await t.app.listen({ port: 0, host: "127.0.0.1" });
    owner = await t.login();
    tenantId = (await t.call("GET", "/api/auth/me", { token: owner })).json().user.tenantId;
    const corp = await sim("POST", "/corps", {
      corpName: "备份通道企业",
      members: ["zhangsan", "lisi", "wangwu"].map((u) => ({
        userid: u,
        name: u,
        department: [1],
        customerContact: true,
      })),
      callback: { url: `${appUrl}/callbacks/wecom/${tenantId}`, token, encodingAesKey },
    });
    corpId = corp.corpId as string;
    const put = await t.call("PUT", "/api/settings/wecom", {
      token: owner,
      body: {
        corpId,
        agentId: String(corp.agentId),
        secret: corp.appSecret,
        contactSecret: corp.contactSecret,
        callbackToken: token,
        encodingAesKey,
        apiBase: sb.url,
      },
    });
    expect(put.statusCode, put.body).toBe(200);
    await sim("POST", `/corps/${corpId}/seed`, { count: 30, tagsPerContact: 1 });
    const run = await runSync("all");
    expect(run).toMatchObject({ status: "completed", progress: { relations: 30, relationsClosed: 0 } });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await sb?.close();
  });

  it("reconcile adds a contact whose add callback was lost, and repairs a lost edit", async () => {
    await callbacksOff();
    const added = await sim("POST", `/corps/${corpId}/actions/add-contact`, {
      userid: "lisi",
      customer: { name: "漏报客户", unionid: "union-missed-0001" },
    });
    const ext = added.external_userid as string;
    const edited = (await contactsOf("wangwu"))[0] as string;
    await sim("POST", `/corps/${corpId}/actions/edit-contact`, {
      userid: "wangwu",
      external_userid: edited,
      remark: "补录备注",
    });
    await callbacksOn();
    expect(await q("select 1 from wecom_contacts where external_userid = $1", [ext])).toHaveLength(0);

    const run = await runSync("reconcile");
    expect(run).toMatchObject({
      kind: "reconcile",
      status: "completed",
      progress: { relations: 31, relationsRepaired: 2, relationsClosed: 0, customersCreated: 1 },
    });
    const [c] = await q<{ customer_id: string; name: string }>(
      "select customer_id, name from wecom_contacts where external_userid = $1",
      [ext],
    );
    expect(c?.name).toBe("漏报客户");
    const customer = (await t.call("GET", `/api/customers/${c?.customer_id}`, { token: owner })).json();
    expect(customer.identities).toEqual(
      expect.arrayContaining([{ type: "wecom_external_userid", value: ext, scope: corpId }]),
    );
    const [f] = await q<{ remark: string }>(
      "select remark from wecom_follows where external_userid = $1 and userid = 'wangwu'",
      [edited],
    );
    expect(f?.remark).toBe("补录备注");

    // Nothing differs any more: a second reconciliation writes nothing.
    const again = await runSync("reconcile");
    expect(again.progress).toMatchObject({ relations: 31, relationsRepaired: 0, relationsClosed: 0 });
  }, 120_000);

  it("reconcile closes a relation deleted in WeCom without a callback, with a timeline entry", async () => {
    const ext = (await contactsOf("zhangsan"))[0] as string;
    await callbacksOff();
    await sim("POST", `/corps/${corpId}/actions/member-deletes-customer`, {
      userid: "zhangsan",
      external_userid: ext,
    });
    await callbacksOn();
    expect((await follow(ext, "zhangsan"))?.deleted_at).toBeNull();

    const run = await runSync("reconcile");
    expect(run.progress).toMatchObject({ relations: 30, relationsRepaired: 0, relationsClosed: 1 });
    expect(await follow(ext, "zhangsan")).toMatchObject({ ended_by: "reconciliation" });
    expect((await follow(ext, "zhangsan"))?.deleted_at).not.toBeNull();
    const ended = (await timelineOf(ext)).filter((e) => e.type === "wecom.relation_ended");
    expect(ended).toHaveLength(1);
    expect(ended[0]?.data).toMatchObject({
      wecomUserid: "zhangsan",
      foundBy: "reconciliation",
      summary: "relation ended (found by reconciliation)",
    });
    // The customer adds the member again, this time with its callback: the relation reopens.
    await sim("POST", `/corps/${corpId}/actions/add-contact`, {
      userid: "zhangsan",
      customer: { external_userid: ext },
    });
    await flush();
    await eventsSettled();
    expect(await follow(ext, "zhangsan")).toMatchObject({ deleted_at: null, ended_by: null });
  }, 120_000);

  it("a full contacts sync likewise closes relations it no longer sees", async () => {
    const ext = (await contactsOf("lisi"))[0] as string;
    await callbacksOff();
    await sim("POST", `/corps/${corpId}/actions/customer-deletes-member`, {
      userid: "lisi",
      external_userid: ext,
    });
    await callbacksOn();
    const run = await runSync("contacts");
    expect(run.progress).toMatchObject({ relationsClosed: 1 });
    expect(await follow(ext, "lisi")).toMatchObject({ ended_by: "reconciliation" });
  }, 120_000);

  it("the hourly job starts one reconciliation per configured tenant, not while a run is active", async () => {
    const started = await reconcileAllTenants(t.siyu.platform);
    expect(started).toEqual([tenantId]);
    expect(await reconcileAllTenants(t.siyu.platform)).toEqual([]);
    const [run] = await q<{ id: string }>(
      "select id from wecom_sync_runs where kind = 'reconcile' order by created_at desc limit 1",
    );
    expect(await waitForRun(run?.id as string)).toMatchObject({ status: "completed" });
  }, 120_000);

  it("a group update whose LastMemVer differs from the stored version rebuilds the member list", async () => {
    const [a, b, c, d] = await contactsOf("wangwu");
    const created = await sim("POST", `/corps/${corpId}/actions/create-group`, {
      owner: "wangwu",
      name: "版本测试群",
      members: [a, b],
    });
    const chatId = created.chat_id as string;
    await flush();
    await eventsSettled();
    const stored = async () =>
      (
        await q<{ member_version: string; member_count: number }>(
          "select member_version, member_count from wecom_groups where chat_id = $1",
          [chatId],
        )
      )[0];
    expect((await stored())?.member_count).toBe(3);

    // c joins while callbacks are lost; then d joins with its callback (LastMemVer ≠ stored version).
    await callbacksOff();
    await sim("POST", `/corps/${corpId}/actions/join-group`, { chat_id: chatId, ids: [c] });
    await callbacksOn();
    const join = await sim("POST", `/corps/${corpId}/actions/join-group`, { chat_id: chatId, ids: [d] });
    const fields = join.fields as Json;
    expect(fields.LastMemVer).not.toBe((await stored())?.member_version);
    await flush();
    await eventsSettled();
    const members = await q<{ member_id: string }>(
      "select member_id from wecom_group_members where chat_id = $1 order by member_id",
      [chatId],
    );
    expect(members.map((m) => m.member_id).sort()).toEqual(["wangwu", a, b, c, d].sort());
    expect((await stored())?.member_version).toBe(fields.CurMemVer);
    // The missed join is on c's timeline, marked as found through the member version; d's is plain.
    const joinedC = (await timelineOf(c as string)).filter((e) => e.type === "wecom.group_joined");
    expect(joinedC.map((e) => e.data.foundBy)).toEqual(["member_version"]);
    const joinedD = (await timelineOf(d as string)).filter((e) => e.type === "wecom.group_joined");
    expect(joinedD).toHaveLength(1);
    expect(joinedD[0]?.data.foundBy).toBeUndefined();

    // In order (LastMemVer = stored version): c leaves, the list follows without any repair mark.
    await sim("POST", `/corps/${corpId}/actions/leave-group`, { chat_id: chatId, ids: [c] });
    await flush();
    await eventsSettled();
    expect((await stored())?.member_count).toBe(4);
    const leftC = (await timelineOf(c as string)).filter((e) => e.type === "wecom.group_left");
    expect(leftC).toHaveLength(1);
    expect(leftC[0]?.data.foundBy).toBeUndefined();
  }, 120_000);

  it("member events delivered out of order leave the right members and one timeline entry each", async () => {
    const [a, b, c] = await contactsOf("lisi");
    const created = await sim("POST", `/corps/${corpId}/actions/create-group`, {
      owner: "lisi",
      name: "乱序测试群",
      members: [a],
    });
    const chatId = created.chat_id as string;
    await flush();
    await eventsSettled();
    // WeCom sends b's and c's joins newest first: c's LastMemVer is a version Siyu never stored.
    await sim("PUT", `/corps/${corpId}/faults/callbacks`, { reorderWindow: 2 });
    await sim("POST", `/corps/${corpId}/actions/join-group`, { chat_id: chatId, ids: [b] });
    const last = await sim("POST", `/corps/${corpId}/actions/join-group`, { chat_id: chatId, ids: [c] });
    await flush();
    await sim("PUT", `/corps/${corpId}/faults/callbacks`, { reorderWindow: 0 });
    await eventsSettled();
    const [g] = await q<{ member_version: string; member_count: number }>(
      "select member_version, member_count from wecom_groups where chat_id = $1",
      [chatId],
    );
    expect(g).toMatchObject({ member_count: 4, member_version: (last.fields as Json).CurMemVer });
    for (const ext of [b, c]) {
      const joined = (await timelineOf(ext as string)).filter(
        (e) => e.type === "wecom.group_joined" && e.data.chatId === chatId,
      );
      expect(joined, ext).toHaveLength(1);
    }
  }, 120_000);

  it("reconcile repairs group members and dismissals whose callbacks were lost", async () => {
    const [a, b] = await contactsOf("zhangsan");
    const created = await sim("POST", `/corps/${corpId}/actions/create-group`, {
      owner: "zhangsan",
      name: "将解散的群",
      members: [a],
    });
    const gone = created.chat_id as string;
    const kept = await sim("POST", `/corps/${corpId}/actions/create-group`, {
      owner: "zhangsan",
      name: "留下的群",
      members: [a],
    });
    await flush();
    await eventsSettled();
    await callbacksOff();
    await sim("POST", `/corps/${corpId}/actions/dismiss-group`, { chat_id: gone });
    await sim("POST", `/corps/${corpId}/actions/join-group`, { chat_id: kept.chat_id, ids: [b] });
    await callbacksOn();
    const run = await runSync("reconcile");
    expect(run.progress).toMatchObject({ groupsDismissed: 1, groupsRepaired: 1 });
    const [g] = await q<{ dismissed_at: Date | null }>(
      "select dismissed_at from wecom_groups where chat_id = $1",
      [gone],
    );
    expect(g?.dismissed_at).not.toBeNull();
    const [k] = await q<{ member_count: number }>(
      "select member_count from wecom_groups where chat_id = $1",
      [kept.chat_id],
    );
    expect(k?.member_count).toBe(3);
    const joinedB = (await timelineOf(b as string)).filter(
      (e) => e.type === "wecom.group_joined" && e.data.chatId === kept.chat_id,
    );
    expect(joinedB.map((e) => e.data.foundBy)).toEqual(["reconciliation"]);
  }, 120_000);

  it("a corp tag renamed in WeCom renames the mapped Siyu tag (same id, customers keep it)", async () => {
    const state = await sim("GET", `/corps/${corpId}/state`);
    const groups = state.tagGroups as Array<{ tag: Array<{ id: string; name: string }> }>;
    const tag = groups.flatMap((g) => g.tag).find((x) => x.name === "VIP");
    expect(tag).toBeDefined();
    const before = (await t.call("GET", "/api/tags", { token: owner })).json().items as Json[];
    const vip = before.find((x) => x.name === "VIP");
    expect(vip?.customers).toBeGreaterThan(0);
    // A segment naming the tag keeps meaning the same customers.
    const seg = await t.call("POST", "/api/segments", {
      token: owner,
      body: { name: "VIP 客户", expression: 'tag("VIP")' },
    });
    expect(seg.statusCode, seg.body).toBe(201);

    await sim("POST", `/corps/${corpId}/actions/rename-tag`, { id: tag?.id, name: "至尊VIP" });
    await flush();
    await eventsSettled();
    const after = (await t.call("GET", "/api/tags", { token: owner })).json().items as Json[];
    expect(after.find((x) => x.name === "VIP")).toBeUndefined();
    expect(after.find((x) => x.id === vip?.id)).toMatchObject({ name: "至尊VIP", customers: vip?.customers });
    const segment = (await t.call("GET", `/api/segments/${seg.json().id}`, { token: owner })).json();
    expect(segment.expression).toContain("至尊VIP");
  }, 120_000);

  it("corp tags both ways: a tag made in Siyu is created in WeCom by the tags sync, once; one made in WeCom arrives", async () => {
    const made = await t.call("POST", "/api/tags", { token: owner, body: { name: "私域新标签" } });
    expect(made.statusCode, made.body).toBe(201);
    const run = await runSync("tags");
    expect(run).toMatchObject({ status: "completed", progress: { tagsPushed: 1 } });
    const inWecom = async () => {
      const state = await sim("GET", `/corps/${corpId}/state`);
      const groups = state.tagGroups as Array<{ deleted: boolean; tag: Array<{ id: string; name: string }> }>;
      return groups.filter((g) => !g.deleted).flatMap((g) => g.tag.filter((x) => x.name === "私域新标签"));
    };
    const [created] = await inWecom();
    expect(created).toBeDefined();
    // Mapped to the Siyu tag: a second sync pushes nothing again.
    const [mapped] = await q<{ siyu_tag_id: string }>(
      "select siyu_tag_id from wecom_corp_tags where wecom_id = $1 and deleted_at is null",
      [created?.id],
    );
    expect(mapped?.siyu_tag_id).toBe(made.json().id);
    expect(await runSync("tags")).toMatchObject({ status: "completed", progress: { tagsPushed: 0 } });
    expect(await inWecom()).toHaveLength(1);

    // WeCom → Siyu: a tag an admin creates in the WeCom console becomes a Siyu tag by callback.
    await sim("POST", `/corps/${corpId}/actions/create-tags`, {
      group_name: "企微新组",
      tags: ["企微新标签"],
    });
    await flush();
    await eventsSettled();
    const tags = (await t.call("GET", "/api/tags", { token: owner })).json().items as Json[];
    expect(tags.filter((x) => x.name === "企微新标签")).toHaveLength(1);
  }, 120_000);

  it("a mapped tag renamed in Siyu keeps its WeCom mapping: the next sync neither re-creates the old name nor re-pushes", async () => {
    const before = (await t.call("GET", "/api/tags", { token: owner })).json().items as Json[];
    const tag = before.find((x) => x.name === "私域新标签");
    expect(tag).toBeDefined();
    const renamed = await t.call("PATCH", `/api/tags/${tag?.id}`, {
      token: owner,
      body: { name: "私域改名" },
    });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(await runSync("tags")).toMatchObject({ status: "completed", progress: { tagsPushed: 0 } });
    const after = (await t.call("GET", "/api/tags", { token: owner })).json().items as Json[];
    expect(after.filter((x) => x.name === "私域新标签")).toEqual([]);
    const mapped = await q<{ siyu_tag_id: string }>(
      "select siyu_tag_id from wecom_corp_tags where name = '私域新标签' and kind = 'tag' and deleted_at is null",
    );
    expect(mapped.map((m) => m.siyu_tag_id)).toEqual([tag?.id]);
  }, 120_000);
});
