import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Siyu, startSiyu } from "../../../boot.ts";
import { getWecomSandbox } from "../../../sandbox/index.ts";
import { dbKinds, freshDatabase, type TestDatabase } from "../../../testing/databases.ts";
import { waitFor } from "../../../testing/wecom-world.ts";
import { startInstance, sweep } from "../../flows/index.ts";
import { monthDaysIn } from "../ops/start-each.ts";

const adminEmail = "owner@sop.example";
const adminPassword = "Sop-Owner-Passw0rd";
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read field by field in assertions
type Json = Record<string, any>;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const noCaps = {
  channel: "wecom_mass",
  perDay: null,
  perWeek: null,
  perMonth: null,
  perCalendarMonth: null,
  quietHours: null,
  transactionalExempt: true,
};

/**
 * The template library on the sandbox demo tenant: every template installs, publishes and runs to
 * `completed` on demo customers (synced from the in-app WeCom simulator), with its tags, stages, tasks,
 * coupons and WeCom messages (read back from the simulator). Timers are driven by moving the tokens'
 * wake time into the past and running the engine's sweep — the path a restarted worker takes.
 */
describe.each(dbKinds)("flow templates on the demo tenant (%s)", (kind) => {
  let fresh: TestDatabase;
  let dataDir: string;
  let port: number;
  let siyu: Siyu;
  let token: string;
  let tenantId: string;
  let customers: Json[] = [];
  const flows = new Map<string, string>();
  let next = 0;
  const masterKey = randomBytes(32).toString("base64");

  const call = async (method: string, path: string, body?: unknown, tok = token) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tok}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as Json };
  };
  const ok = async (method: string, path: string, body?: unknown, tok = token) => {
    const r = await call(method, path, body, tok);
    expect(r.status, `${method} ${path}: ${JSON.stringify(r.json)}`).toBeLessThan(300);
    return r.json;
  };
  const login = async (email: string, password: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { token: string; user: { tenantId: string } };
  };
  const db = <T>(fn: (s: { query: <R>(sql: string, params?: unknown[]) => Promise<R[]> }) => Promise<T>) =>
    siyu.platform.db.tenant(tenantId, fn as never) as Promise<T>;

  /** A demo customer no other test used. */
  const takeCustomer = () => {
    const c = customers[next++];
    if (!c) throw new Error("out of demo customers");
    return c;
  };
  const detail = (id: string) => ok("GET", `/api/flow-instances/${id}`);
  const customer = (id: string) => ok("GET", `/api/customers/${id}`);
  const tagsOf = async (id: string) => ((await customer(id)).tags as Json[]).map((t) => t.name as string);
  const stageOf = async (id: string) =>
    (
      await db((s) =>
        s.query<{ stage: string | null }>("select lifecycle_stage as stage from customers where id = $1", [
          id,
        ]),
      )
    )[0]?.stage;

  const instanceOf = (flowId: string, customerId: string) =>
    waitFor(`instance of ${flowId} for ${customerId}`, async () => {
      const list = await ok("GET", `/api/flows/${flowId}/instances?customerId=${customerId}`);
      return list.items[0] as Json | undefined;
    });
  const statusOf = async (instanceId: string) => (await detail(instanceId)).status as string;

  /** Fires every timer of the instance now (waits, escalations, quiet-hour deferrals). */
  const fastForward = async (instanceId: string) => {
    await db((s) =>
      s.query(
        "update flow_tokens set wake_at = now() - interval '1 minute' where instance_id = $1 and status = 'waiting' and wake_at is not null",
        [instanceId],
      ),
    );
    await sweep(siyu.platform, { graceMs: 0 });
  };
  /** The instance's open task at `nodeId`. */
  const taskAt = (instanceId: string, nodeId: string) =>
    waitFor(`task at ${nodeId}`, async () => {
      const tasks = await ok("GET", "/api/tasks?status=open&scope=all&limit=500");
      return (tasks.items as Json[]).find((t) => t.flowInstanceId === instanceId && t.nodeId === nodeId);
    });
  const complete = async (instanceId: string, nodeId: string, outcome: string, tok = token) => {
    const task = await taskAt(instanceId, nodeId);
    await ok("POST", `/api/tasks/${task.id}/complete`, { outcome }, tok);
    return task;
  };
  const completed = (instanceId: string) =>
    waitFor(`instance ${instanceId} completed`, async () => (await statusOf(instanceId)) === "completed");

  /** Texts of the WeCom mass messages the simulator received for this customer. */
  const wecomMessages = async (customerId: string): Promise<string[]> => {
    const c = await customer(customerId);
    const ext = (c.identities as Json[]).find((i) => i.type === "wecom_external_userid")?.value;
    const sandbox = getWecomSandbox(siyu.platform)!;
    const corp = [...sandbox.corps.values()][0]!;
    return [...corp.massMessages.values()]
      .filter((m) => m.sends.some((s) => s.external_userid === ext))
      .map((m) => m.text?.content ?? "");
  };
  const messagesArrive = (customerId: string, n: number) =>
    waitFor(`${n} WeCom messages for ${customerId}`, async () => {
      const m = await wecomMessages(customerId);
      return m.length >= n ? m : undefined;
    });

  beforeAll(async () => {
    fresh = await freshDatabase(kind, { migrated: true });
    dataDir = mkdtempSync(join(tmpdir(), "siyu-sop-"));
    port = await freePort();
    siyu = await startSiyu({
      db: fresh.db,
      listen: true,
      env: {
        SIYU_DATA_DIR: dataDir,
        SIYU_ADMIN_EMAIL: adminEmail,
        SIYU_ADMIN_PASSWORD: adminPassword,
        SIYU_DEMO: "1",
        SIYU_SANDBOX: "1",
        SIYU_MASTER_KEY: masterKey,
        PORT: String(port),
        HOST: "127.0.0.1",
        SIYU_PUBLIC_URL: `http://127.0.0.1:${port}`,
        LOG_LEVEL: process.env.SOP_LOG ?? "silent",
        ...(fresh.url ? { DATABASE_URL: fresh.url } : {}),
      },
    });
    const session = await login(adminEmail, adminPassword);
    token = session.token;
    tenantId = session.user.tenantId;
    await waitFor(
      "first full sync",
      async () => {
        const runs = await ok("GET", "/api/wecom/sync");
        return runs.items[0]?.status === "completed";
      },
      90_000,
    );
    customers = (await ok("GET", "/api/customers?limit=100")).items as Json[];
    // Owned by 李导购 first: their manager (王店长) is who escalations and store-manager tasks reach.
    customers.sort((a, b) => Number(b.ownerUserIds.length > 0) - Number(a.ownerUserIds.length > 0));
  }, 120_000);
  afterAll(async () => {
    await siyu?.stop();
    await fresh?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("the demo tenant has every template as a draft; the library lists them with industry and install count", async () => {
    const lib = await ok("GET", "/api/flow-templates");
    expect(lib.items).toHaveLength(8);
    for (const t of lib.items as Json[]) {
      expect(t.name).toMatch(/[\u4e00-\u9fff]/);
      expect(t.installs).toBe(1);
      expect(t.lastFlowId).toMatch(/^flw_/);
      for (const n of t.definition.nodes as Json[]) expect(n.position).toBeDefined();
    }
    expect((lib.items as Json[]).map((t) => t.industry)).toEqual(
      expect.arrayContaining(["appliance", "education", "service", "automotive"]),
    );
    const drafts = (await ok("GET", "/api/flows?limit=100")).items as Json[];
    expect(drafts.filter((f) => f.status === "draft")).toHaveLength(8);

    expect((await call("GET", "/api/flow-templates/nope")).status).toBe(404);
    expect((await call("POST", "/api/flow-templates/nope/install", {})).status).toBe(404);
    const bad = await call("POST", "/api/flow-templates/birthday-care/install", { name: "" });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBeTruthy();
  });

  it("every template installs as a new draft and publishes without validation errors", async () => {
    // Tests run on demo customers as fast as timers can be driven: the per-day cap would hold back
    // the second message of a day (the guardrail tests below cover that).
    await ok("PUT", "/api/settings/contact-policy", { channels: [noCaps] });
    for (const t of (await ok("GET", "/api/flow-templates")).items as Json[]) {
      const installed = await call("POST", `/api/flow-templates/${t.key}/install`, {});
      expect(installed.status).toBe(201);
      expect(installed.json).toMatchObject({ status: "draft", version: 1, templateKey: t.key, name: t.name });
      const v = await ok("POST", `/api/flows/${installed.json.flowId}/validate`);
      expect(v.errors, t.key).toEqual([]);
      expect(await ok("POST", `/api/flows/${installed.json.flowId}/publish`)).toEqual({ version: 1 });
      const flow = await ok("GET", `/api/flows/${installed.json.flowId}`);
      expect(flow.definition).toEqual(t.definition);
      flows.set(t.key, installed.json.flowId);
    }
    expect(flows.size).toBe(8);
  });

  it("(a) new-customer SOP: a new WeCom friend gets day 0/1/3/7 messages, tags and stages", async () => {
    const flowId = flows.get("new-customer-sop")!;
    const sandbox = getWecomSandbox(siyu.platform)!;
    const corp = [...sandbox.corps.values()][0]!;
    const add = await fetch(
      `http://127.0.0.1:${port}/sandbox/wecom/_sim/corps/${corp.corpId}/actions/add-contact`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ userid: "lidaogou", customer: { name: "林新客" } }),
      },
    );
    expect(add.status).toBeLessThan(300);
    const ext = ((await add.json()) as Json).external_userid as string;
    const customerId = (
      await waitFor("the new friend as a customer", async () => {
        const list = await ok("GET", `/api/customers?q=${encodeURIComponent(ext)}`);
        return list.items[0] as Json | undefined;
      })
    ).id as string;
    const inst = await instanceOf(flowId, customerId);
    await waitFor("day 0 welcome", async () => (await wecomMessages(customerId)).length >= 1);
    expect(await tagsOf(customerId)).toContain("新客");
    expect(await stageOf(customerId)).toBe("新客");
    for (let i = 0; i < 3; i++) {
      await waitFor("waiting", async () => (await statusOf(inst.id)) === "waiting");
      await fastForward(inst.id);
    }
    await completed(inst.id);
    const texts = await messagesArrive(customerId, 4);
    expect(texts.some((t) => t.includes("欢迎"))).toBe(true);
    expect(texts.some((t) => t.includes("会员日"))).toBe(true);
    const tags = await tagsOf(customerId);
    expect(tags).toContain("新客-已培育");
    expect(tags).not.toContain("新客");
    expect(await stageOf(customerId)).toBe("活跃");
    const d = await detail(inst.id);
    // Every node once (nodes of one transaction share their entry time, so no order is asserted).
    expect((d.history as Json[]).map((h) => h.nodeId).sort()).toEqual(
      [
        "t",
        "stage_new",
        "d0",
        "tag_new",
        "w1",
        "d1",
        "w3",
        "d3",
        "tag_nurtured",
        "w7",
        "d7",
        "untag_new",
        "stage_active",
        "end",
      ].sort(),
    );
    const stages = await ok("GET", `/api/flows/${flowId}/stages`);
    expect(stages).toEqual({ customers: 1, stages: [{ stage: "活跃", customers: 1 }] });
  }, 120_000);

  it("(b) birthday: the daily run greets today's birthdays only, with a coupon and a tag", async () => {
    const flowId = flows.get("birthday-care")!;
    const today = monthDaysIn(new Date(), "Asia/Shanghai")[0]!;
    const star = takeCustomer();
    const other = takeCustomer();
    await ok("PATCH", `/api/customers/${star.id}`, { attributes: { birthday: `1990-${today}` } });
    const notToday = today === "01-01" ? "02-02" : "01-01";
    await ok("PATCH", `/api/customers/${other.id}`, { attributes: { birthday: `1991-${notToday}` } });
    // The cron tick: the schedule trigger starts the run (no customer), which fans out.
    const runId = await startInstance(siyu.platform, tenantId, { flowId, triggerNodeId: "daily" });
    await completed(runId!);
    const run = await detail(runId!);
    expect((run.history as Json[]).find((h) => h.nodeId === "each")?.result).toMatchObject({
      audience: "birthday_today",
      customers: 1,
    });
    const inst = await instanceOf(flowId, star.id);
    await completed(inst.id);
    expect(await tagsOf(star.id)).toContain("生日关怀");
    const grants = await ok("GET", `/api/customers/${star.id}/coupon-grants`);
    expect(grants.items).toMatchObject([{ title: "生日礼券", amountFen: 5000, status: "issued" }]);
    const timeline = (await ok("GET", `/api/customers/${star.id}/timeline`)).items as Json[];
    expect(timeline.find((e) => e.type === "coupon.issued")?.data).toMatchObject({
      couponId: grants.items[0].id,
      placeholder: true,
    });
    expect((await messagesArrive(star.id, 1)).some((t) => t.includes("生日快乐"))).toBe(true);
    expect((await ok("GET", `/api/flows/${flowId}/instances?customerId=${other.id}`)).items).toHaveLength(0);
  }, 120_000);

  it("(c) dormant 90 days: coupon; redeemed → 已唤醒; unused 7 days → a 1:1 task for the store manager", async () => {
    const flowId = flows.get("dormant-winback")!;
    const back = takeCustomer();
    const silent = takeCustomer();
    // 100 days without a fact on their timeline.
    await db(async (s) => {
      await s.query(
        "update customers set created_at = now() - interval '100 days' where id = any($1::text[])",
        [[back.id, silent.id]],
      );
      await s.query(
        "update customer_events set at = now() - interval '100 days' where customer_id = any($1::text[])",
        [[back.id, silent.id]],
      );
    });
    const runId = await startInstance(siyu.platform, tenantId, { flowId, triggerNodeId: "daily" });
    await completed(runId!);
    expect(((await detail(runId!)).history as Json[]).find((h) => h.nodeId === "each")?.result).toMatchObject(
      { customers: 2 },
    );

    const a = await instanceOf(flowId, back.id);
    const b = await instanceOf(flowId, silent.id);
    for (const i of [a, b])
      await waitFor(
        "waiting for the redemption",
        async () => (await detail(i.id)).currentNodes?.[0] === "redeemed",
      );
    expect(await stageOf(back.id)).toBe("沉睡");

    const grant = (await ok("GET", `/api/customers/${back.id}/coupon-grants`)).items[0];
    expect(grant).toMatchObject({ title: "回归礼券", amountFen: 2000, status: "issued" });
    const redeemed = await ok("POST", `/api/coupon-grants/${grant.id}/redeem`);
    expect(redeemed.status).toBe("redeemed");
    const again = await call("POST", `/api/coupon-grants/${grant.id}/redeem`);
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("invalid_state");
    expect((await call("POST", "/api/coupon-grants/cpg_nope/redeem")).status).toBe(404);
    await completed(a.id);
    expect(await tagsOf(back.id)).toContain("已唤醒");
    expect(await stageOf(back.id)).toBe("活跃");

    await fastForward(b.id);
    await completed(b.id);
    const task = ((await ok("GET", "/api/tasks?status=open&scope=all&limit=500")).items as Json[]).find(
      (t) => t.flowInstanceId === b.id,
    );
    expect(task).toMatchObject({ type: "task", title: "1 对 1 回访沉睡客户", customerId: silent.id });
    // The owner's manager, or the admins when the owner has none.
    expect(task!.assigneeUserIds.length + task!.assigneeRoles.length).toBeGreaterThan(0);
    expect(await tagsOf(silent.id)).not.toContain("已唤醒");
    expect((await messagesArrive(silent.id, 1)).some((t) => t.includes("回归礼券"))).toBe(true);

    const stages = await ok("GET", `/api/flows/${flowId}/stages`);
    expect(stages.customers).toBe(2);
    expect(stages.stages).toEqual(
      expect.arrayContaining([
        { stage: "活跃", customers: 1 },
        { stage: "沉睡", customers: 1 },
      ]),
    );
    expect((await call("GET", "/api/flows/flw_nope/stages")).status).toBe(404);
  }, 120_000);

  it("(d) group SOP: the weekly run gives the store managers a post-in-group task", async () => {
    const flowId = flows.get("group-weekly-content")!;
    const runId = await startInstance(siyu.platform, tenantId, { flowId, triggerNodeId: "weekly" });
    const task = await taskAt(runId!, "post");
    expect(task.title).toContain("社群 SOP");
    expect(task.assigneeRoles).toEqual(["manager"]);
    await complete(runId!, "post", "已发布");
    await completed(runId!);
  });

  it("(e) appliance after-sales: 安装预约 → 配件申请 → 费用结算 with two approvers above 5,000,000 fen", async () => {
    const flowId = flows.get("appliance-after-sales")!;
    await ok("POST", "/api/users", {
      email: "finance2@sop.example",
      password: "Finance-Passw0rd",
      name: "赵财务",
      roles: ["finance"],
    });
    const finance = (await login("finance2@sop.example", "Finance-Passw0rd")).token;
    const c = takeCustomer();
    const started = await ok("POST", `/api/flows/${flowId}/instances`, {
      customerId: c.id,
      vars: { amount: 6_000_000 },
    });
    const id = started.id as string;
    expect(await stageOf(c.id)).toBe("售后服务中");
    await complete(id, "book", "已预约");
    await complete(id, "install", "需要配件");
    await complete(id, "parts", "approved");
    await complete(id, "parts_install", "安装完成");
    const settle = await taskAt(id, "settle");
    expect(settle).toMatchObject({ type: "approval", assigneeRoles: ["finance"] });
    await ok("POST", `/api/tasks/${settle.id}/complete`, { outcome: "approved" });
    // One approval of two: still open.
    expect((await taskAt(id, "settle")).id).toBe(settle.id);
    expect(await statusOf(id)).toBe("waiting");
    await ok("POST", `/api/tasks/${settle.id}/complete`, { outcome: "approved" }, finance);
    await completed(id);
    expect(await tagsOf(c.id)).toContain("售后完成");
    expect(await stageOf(c.id)).toBe("已服务");
    const texts = await messagesArrive(c.id, 2);
    expect(texts.some((t) => t.includes("安装已预约"))).toBe(true);

    // Below the threshold one approval settles it; a rejection goes to a re-check and back.
    const small = takeCustomer();
    const s = (
      await ok("POST", `/api/flows/${flowId}/instances`, { customerId: small.id, vars: { amount: 30_000 } })
    ).id as string;
    await complete(s, "book", "已预约");
    await complete(s, "install", "安装完成");
    await complete(s, "settle", "rejected");
    await complete(s, "recheck", "重新提交");
    await complete(s, "settle", "approved");
    await completed(s);
  }, 120_000);

  it("(f) education: 试听 → 课程匹配 → 续费提醒", async () => {
    const flowId = flows.get("education-trial-renewal")!;
    const c = takeCustomer();
    await ok("POST", `/api/customers/${c.id}/tags`, { tags: ["预约试听"] });
    const inst = await instanceOf(flowId, c.id);
    expect(await stageOf(c.id)).toBe("试听");
    await complete(inst.id, "trial", "满意");
    await complete(inst.id, "match", "已报名");
    await waitFor("term wait", async () => (await detail(inst.id)).currentNodes?.[0] === "term");
    expect(await stageOf(c.id)).toBe("在读");
    await fastForward(inst.id);
    await complete(inst.id, "renew", "已续费");
    await completed(inst.id);
    const tags = await tagsOf(c.id);
    expect(tags).toEqual(expect.arrayContaining(["在读学员", "已续费"]));
    const texts = await messagesArrive(c.id, 2);
    expect(texts.some((t) => t.includes("续费"))).toBe(true);
  }, 120_000);

  it("(g) complaint: 店长通知 → 调取订单 (48 h escalation to the manager) → 补偿方案 → 总部审核", async () => {
    const flowId = flows.get("complaint-handling")!;
    const c = customers.slice(next).find((x) => x.ownerUserIds.length > 0)!;
    customers.splice(customers.indexOf(c), 1);
    await ok("POST", `/api/customers/${c.id}/tags`, { tags: ["投诉"] });
    const inst = await instanceOf(flowId, c.id);
    const order = await taskAt(inst.id, "order");
    const notice = ((await ok("GET", "/api/tasks?status=open&scope=all&limit=500")).items as Json[]).find(
      (t) => t.flowInstanceId === inst.id && t.nodeId === "notify_manager",
    );
    expect(notice?.title).toContain("店长通知");
    expect(order.escalated).toBe(false);
    // 48 hours pass: the task goes to the owner's manager.
    await fastForward(inst.id);
    const escalated = await waitFor("escalated", async () => {
      const t = await ok("GET", `/api/tasks/${order.id}`);
      return t.escalated ? t : undefined;
    });
    expect(escalated.assigneeUserIds).not.toEqual(order.assigneeUserIds);
    await complete(inst.id, "order", "已调取");
    await complete(inst.id, "plan", "补偿");
    await complete(inst.id, "review", "rejected");
    await complete(inst.id, "plan", "补偿");
    await complete(inst.id, "review", "approved");
    await completed(inst.id);
    expect(await tagsOf(c.id)).toContain("投诉已解决");
    expect((await ok("GET", `/api/customers/${c.id}/coupon-grants`)).items[0]).toMatchObject({
      title: "投诉补偿券",
    });
    const texts = await messagesArrive(c.id, 2);
    expect(texts.some((t) => t.includes("补偿券已发放"))).toBe(true);
  }, 120_000);

  it("(h) 4S dealer: 试驾 → 成交 → 保养 reminder at a date months later", async () => {
    const flowId = flows.get("auto-dealer-test-drive")!;
    const c = takeCustomer();
    await ok("POST", `/api/customers/${c.id}/tags`, { tags: ["预约试驾"] });
    const inst = await instanceOf(flowId, c.id);
    await complete(inst.id, "drive", "已成交");
    await waitFor(
      "first service wait",
      async () => (await detail(inst.id)).currentNodes?.[0] === "first_service",
    );
    const [tok] = await db((s) =>
      s.query<{ wake_at: Date }>(
        "select wake_at from flow_tokens where instance_id = $1 and status = 'waiting'",
        [inst.id],
      ),
    );
    const days = (tok!.wake_at.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(179);
    expect(days).toBeLessThan(181);
    expect(await stageOf(c.id)).toBe("车主");
    await fastForward(inst.id);
    await complete(inst.id, "service", "已预约");
    await completed(inst.id);
    expect(await stageOf(c.id)).toBe("保养客户");
    expect(await tagsOf(c.id)).toContain("车主");
    expect((await messagesArrive(c.id, 2)).some((t) => t.includes("保养"))).toBe(true);
  }, 120_000);

  // ── marketing guardrails in the engine ────────────────────────────────────────────────────
  const guardFlow = async (name: string, message: Json, blockedEdge: boolean) => {
    const definition = {
      nodes: [
        { id: "t", type: "trigger", params: { event: "manual" } },
        {
          id: "m",
          type: "action",
          params: { action: "wecom.send_message", text: `${name}：本周会员日`, ...message },
        },
        { id: "sent", type: "action", params: { action: "customer.add_tag", tag: "已发送" } },
        { id: "blocked", type: "action", params: { action: "customer.add_tag", tag: "被拦截" } },
        { id: "e", type: "end", params: {} },
        { id: "e2", type: "end", params: {} },
      ],
      edges: [
        { from: "t", to: "m" },
        { from: "m", to: "sent" },
        { from: "sent", to: "e" },
        ...(blockedEdge ? [{ from: "m", to: "blocked", when: "blocked" }] : [{ from: "t", to: "blocked" }]),
        { from: "blocked", to: "e2" },
      ],
      settings: { reentry: { mode: "every_time" } },
    };
    if (!blockedEdge) {
      definition.edges = definition.edges.filter((e) => !(e.from === "t" && e.to === "blocked"));
      definition.nodes = definition.nodes.filter((n) => n.id !== "blocked" && n.id !== "e2");
      definition.edges = definition.edges.filter((e) => e.from !== "blocked");
    }
    const f = await ok("POST", "/api/flows", { name, definition });
    await ok("POST", `/api/flows/${f.id}/publish`);
    return f.id as string;
  };
  const start = async (flowId: string, customerId: string) =>
    (await ok("POST", `/api/flows/${flowId}/instances`, { customerId })).id as string;
  const nodeRun = async (instanceId: string, nodeId: string) =>
    ((await detail(instanceId)).history as Json[]).find((h) => h.nodeId === nodeId)!;
  const massRows = (customerId: string) =>
    db((s) =>
      s.query<{ id: string; status: string }>(
        "select m.id, m.status from wecom_mass_messages m join wecom_mass_message_recipients r on r.mass_message_id = m.id where r.customer_id = $1",
        [customerId],
      ),
    );

  it("guardrails: a blocked edge and onBlocked validate only on marketing actions", async () => {
    const catalog = await ok("GET", "/api/flow-node-types");
    expect((catalog.nodeTypes as Json[]).find((n) => n.type === "action")?.outcomes).toContain("blocked");
    const f = await ok("POST", "/api/flows", {
      name: "bad blocked edge",
      definition: {
        nodes: [
          { id: "t", type: "trigger", params: { event: "manual" } },
          { id: "a", type: "action", params: { action: "customer.add_tag", tag: "x" } },
          { id: "e", type: "end", params: {} },
        ],
        edges: [
          { from: "t", to: "a" },
          { from: "a", to: "e", when: "blocked" },
        ],
      },
    });
    const r = await call("POST", `/api/flows/${f.id}/publish`);
    expect(r.status).toBe(400);
    expect(r.json.error.details.nodeIds).toContain("a");
  });

  it("guardrails: an opted-out customer takes the blocked branch (or is skipped), reason in the history", async () => {
    await ok("PUT", "/api/settings/contact-policy", { channels: [noCaps] });
    const c = takeCustomer();
    await ok("PUT", `/api/customers/${c.id}/contact-preferences`, { optOuts: ["wecom_mass"] });
    const branch = await guardFlow("拦截分支", {}, true);
    const a = await start(branch, c.id);
    await completed(a);
    expect(await nodeRun(a, "m")).toMatchObject({
      outcome: "blocked",
      result: { blocked: { channel: "wecom_mass", reason: "opted_out" } },
    });
    expect(await tagsOf(c.id)).toContain("被拦截");

    const skip = await guardFlow("跳过", { onBlocked: "skip" }, true);
    const b = await start(skip, c.id);
    await completed(b);
    expect(await nodeRun(b, "m")).toMatchObject({ result: { blocked: { reason: "opted_out" } } });
    expect((await nodeRun(b, "m")).outcome).toBeNull();
    expect(await tagsOf(c.id)).toContain("已发送");
    expect(await massRows(c.id)).toHaveLength(0);
  });

  it("guardrails: the per-day cap lets one message through and skips the second; one touch counted", async () => {
    await ok("PUT", "/api/settings/contact-policy", { channels: [{ ...noCaps, perDay: 1 }] });
    const c = takeCustomer();
    const f = await ok("POST", "/api/flows", {
      name: "两条消息",
      definition: {
        nodes: [
          { id: "t", type: "trigger", params: { event: "manual" } },
          { id: "m1", type: "action", params: { action: "wecom.send_message", text: "第一条" } },
          { id: "m2", type: "action", params: { action: "wecom.send_message", text: "第二条" } },
          { id: "e", type: "end", params: {} },
        ],
        edges: [
          { from: "t", to: "m1" },
          { from: "m1", to: "m2" },
          { from: "m2", to: "e" },
        ],
      },
    });
    await ok("POST", `/api/flows/${f.id}/publish`);
    const i = await start(f.id, c.id);
    await completed(i);
    expect((await nodeRun(i, "m1")).result.massMessageId).toMatch(/^wmm_/);
    expect((await nodeRun(i, "m2")).result).toEqual({
      blocked: { channel: "wecom_mass", reason: "cap_day" },
    });
    expect(await messagesArrive(c.id, 1)).toEqual(["第一条"]);
    await waitFor("mass message sent", async () => (await massRows(c.id))[0]?.status === "sent");
    // The flow reserved under its step; the send job re-reserved under the same ref: counted once.
    const [n] = await db((s) =>
      s.query<{ n: number }>(
        "select count(*)::int as n from contact_touches where customer_id = $1 and channel = 'wecom_mass'",
        [c.id],
      ),
    );
    expect(n!.n).toBe(1);
    const prefs = await ok("GET", `/api/customers/${c.id}/contact-preferences`);
    expect((prefs.touches as Json[]).find((t) => t.channel === "wecom_mass")?.day).toBe(1);
  });

  it("guardrails: in quiet hours the instance waits on a durable timer until they end, then sends", async () => {
    const local = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Shanghai",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).format(new Date());
    const [h, m] = local.split(":").map(Number) as [number, number];
    const hhmm = (mins: number) => {
      const x = ((mins % 1440) + 1440) % 1440;
      return `${String(Math.floor(x / 60)).padStart(2, "0")}:${String(x % 60).padStart(2, "0")}`;
    };
    const now = h * 60 + m;
    await ok("PUT", "/api/settings/contact-policy", {
      channels: [{ ...noCaps, quietHours: { start: hhmm(now - 60), end: hhmm(now + 60) } }],
    });
    const c = takeCustomer();
    const f = await guardFlow("免打扰", {}, false);
    const i = await start(f, c.id);
    await waitFor("deferred", async () => (await statusOf(i)) === "waiting");
    const d = await detail(i);
    expect(d.currentNodes).toEqual(["m"]);
    const wait = (d.tokens as Json[])[0]!.wait as Json;
    expect(wait).toMatchObject({ kind: "defer", reason: "quiet_hours", n: 0 });
    const notBefore = Date.parse(wait.notBefore);
    expect(notBefore).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(notBefore).toBeLessThan(Date.now() + 61 * 60_000);
    expect((await nodeRun(i, "m")).result).toMatchObject({ deferred: { reason: "quiet_hours" } });
    expect(await massRows(c.id)).toHaveLength(0);
    // A timer that fires while quiet hours still hold defers again (counted), nothing is sent.
    await fastForward(i);
    await waitFor("deferred again", async () => ((await detail(i)).tokens as Json[])[0]?.wait?.n === 1);
    expect(await massRows(c.id)).toHaveLength(0);
    // Quiet hours over (here: the policy changed): the timer fires, the reservation passes, it sends.
    await ok("PUT", "/api/settings/contact-policy", { channels: [noCaps] });
    await fastForward(i);
    await completed(i);
    const run = await nodeRun(i, "m");
    expect(run.result.massMessageId).toMatch(/^wmm_/);
    expect(run.result.deferred).toMatchObject({ reason: "quiet_hours" });
    expect(await tagsOf(c.id)).toContain("已发送");
    expect((await messagesArrive(c.id, 1))[0]).toContain("免打扰");
  });
});
