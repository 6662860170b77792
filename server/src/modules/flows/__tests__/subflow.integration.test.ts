import { maxSubflowDepth } from "@siyu/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { advanceTx, fireDue, sweep } from "../index.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON answers
type Json = Record<string, any>;

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const everyTime = { reentry: { mode: "every_time" as const }, variables: {} };

/** The child: sets a variable, then a task decides how it ends (`ok` completes, `bad` fails). */
const childFlow = {
  nodes: [
    { id: "t", type: "trigger", params: { event: "manual" } },
    { id: "note", type: "action", params: { action: "vars.set", name: "childNote", value: '"来自子流程"' } },
    {
      id: "k",
      type: "task",
      params: { title: "子流程任务", assignee: { role: "admin" }, outcomes: ["ok", "bad"] },
    },
    { id: "ok", type: "end", params: { status: "completed" } },
    { id: "bad", type: "end", params: { status: "failed" } },
  ],
  edges: [
    { from: "t", to: "note" },
    { from: "note", to: "k" },
    { from: "k", to: "ok", when: "ok" },
    { from: "k", to: "bad", when: "bad" },
  ],
  settings: everyTime,
};

/** The parent: starts the child and waits; each way the child ends tags the customer differently. */
const parentFlow = (childId: string, opts: { timeout?: string; hold?: boolean } = {}) => ({
  nodes: [
    { id: "t", type: "trigger", params: { event: "manual" } },
    {
      id: "sub",
      type: "action",
      params: {
        action: "flow.start",
        flowId: childId,
        wait: true,
        ...(opts.timeout ? { timeout: opts.timeout } : {}),
      },
    },
    { id: "done", type: "action", params: { action: "customer.add_tag", tag: "子流程完成" } },
    { id: "fail", type: "action", params: { action: "customer.add_tag", tag: "子流程失败" } },
    ...(opts.timeout
      ? [{ id: "late", type: "action", params: { action: "customer.add_tag", tag: "子流程超时" } }]
      : []),
    // `hold`: the parent stays live after the resume (a long wait), so repeats meet a live instance.
    ...(opts.hold ? [{ id: "hold", type: "wait", params: { duration: "PT1H" } }] : []),
    { id: "e", type: "end", params: {} },
  ],
  edges: [
    { from: "t", to: "sub" },
    { from: "sub", to: "done", when: "completed" },
    { from: "sub", to: "fail", when: "failed" },
    ...(opts.timeout ? [{ from: "sub", to: "late", when: "timeout" }] : []),
    ...(opts.hold
      ? [
          { from: "done", to: "hold" },
          { from: "hold", to: "e" },
        ]
      : [{ from: "done", to: "e" }]),
    { from: "fail", to: "e" },
    ...(opts.timeout ? [{ from: "late", to: "e" }] : []),
  ],
  settings: everyTime,
});

describe.each(dbKinds)("sub-flows waited for (%s)", (kind) => {
  let t: TestApp;
  let token: string;
  let childId: string;
  beforeAll(async () => {
    t = await startTestApp(kind, { LOG_LEVEL: process.env.FLOW_LOG ?? "silent" });
    token = await t.login();
    childId = await published("子流程", childFlow);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  const call = (method: string, url: string, body?: unknown) =>
    t.call(method, url, { token, ...(body !== undefined ? { body } : {}) });
  const ok = async (method: string, url: string, body?: unknown): Promise<Json> => {
    const res = await call(method, url, body);
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  async function published(name: string, definition: unknown): Promise<string> {
    const flow = await ok("POST", "/api/flows", { name, definition });
    await ok("POST", `/api/flows/${flow.id}/publish`);
    return flow.id as string;
  }
  const instance = (id: string) => ok("GET", `/api/flow-instances/${id}`);
  const customer = async (name: string) => (await ok("POST", "/api/customers", { name })).id as string;
  const tagsOf = async (id: string) =>
    ((await ok("GET", `/api/customers/${id}`)).tags as Json[]).map((x) => x.name as string);
  /** Starts the parent flow for a new customer; returns the parent and the child it waits for. */
  async function startParent(parentId: string, name: string) {
    const customerId = await customer(name);
    const parent = await ok("POST", `/api/flows/${parentId}/instances`, { customerId });
    const children = await ok("GET", `/api/flows/${childId}/instances?customerId=${customerId}`);
    expect(children.items).toHaveLength(1);
    return { customerId, parent, child: children.items[0] as Json };
  }
  const childTask = async (childInstanceId: string) => {
    const tasks = await ok("GET", "/api/tasks?status=open&scope=all&limit=500");
    return (tasks.items as Json[]).find((x) => x.flowInstanceId === childInstanceId);
  };
  const settle = (id: string) =>
    eventually(
      () => instance(id),
      (d) => d.status !== "running" && d.status !== "waiting",
    );

  it("the parent waits; the child completes; the parent resumes once with the child's vars", async () => {
    const parentId = await published("父流程", parentFlow(childId));
    const { customerId, parent, child } = await startParent(parentId, "等待子流程");
    expect(parent).toMatchObject({ status: "waiting", currentNodes: ["sub"] });
    expect(parent.vars.subflow).toBeUndefined();
    expect(child).toMatchObject({ status: "waiting", currentNodes: ["k"] });
    expect(child.vars.parentInstanceId).toBe(parent.id);
    // Durably: the parent's token is a row waiting for this child.
    const subToken = (parent.tokens as Json[]).find((x) => x.nodeId === "sub");
    expect(subToken).toMatchObject({ status: "waiting", wait: { kind: "subflow", instanceId: child.id } });

    const task = await childTask(child.id);
    expect(task).toBeTruthy();
    await ok("POST", `/api/tasks/${task!.id}/complete`, { outcome: "ok" });
    const after = await settle(parent.id);
    expect(after.status).toBe("completed");
    expect(after.vars.subflow).toEqual({
      instanceId: child.id,
      status: "completed",
      vars: { parentInstanceId: parent.id, childNote: "来自子流程" },
    });
    const sub = (after.history as Json[]).filter((h) => h.nodeId === "sub");
    expect(sub).toHaveLength(1);
    expect(sub[0]).toMatchObject({
      status: "done",
      outcome: "completed",
      result: { instanceId: child.id, status: "completed" },
    });
    expect((after.history as Json[]).map((h) => h.nodeId).filter((n) => n === "done")).toEqual(["done"]);
    expect(await tagsOf(customerId)).toEqual(["子流程完成"]);
    expect((await instance(child.id)).status).toBe("completed");
  }, 90_000);

  it("a child that ends while the parent is paused resumes it once, however often the resume runs", async () => {
    const parentId = await published("父流程·暂停", parentFlow(childId, { hold: true }));
    const { customerId, parent, child } = await startParent(parentId, "暂停中");
    await ok("POST", `/api/flow-instances/${parent.id}/pause`);
    await ok("POST", `/api/tasks/${(await childTask(child.id))!.id}/complete`, { outcome: "ok" });
    expect((await instance(child.id)).status).toBe("completed");

    // The child's end is in the database: the parent's token is due, the parent still waits (paused).
    const p = t.siyu.platform;
    const [row] = await p.db.query<{
      status: string;
      due: boolean;
      step: number;
      id: string;
      tenant_id: string;
    }>(
      "select id, tenant_id, status, step, wake_at <= now() as due from flow_tokens where instance_id = $1 and node_id = 'sub'",
      [parent.id],
    );
    expect(row).toMatchObject({ status: "waiting", due: true });
    await new Promise((r) => setTimeout(r, 500));
    expect(await instance(parent.id)).toMatchObject({ status: "waiting", currentNodes: ["sub"] });

    // The resume, a duplicate timer job (twice), the due poller and the sweep, all at once.
    const tenantId = row!.tenant_id;
    const wake = () =>
      p.db.tenant(tenantId, (s) =>
        advanceTx(p, s, parent.id, { kind: "timer", tokenId: row!.id, step: row!.step }),
      );
    await Promise.all([
      ok("POST", `/api/flow-instances/${parent.id}/resume`),
      wake(),
      wake(),
      fireDue(p, tenantId),
      sweep(p, { graceMs: 0 }),
    ]);
    // And once more after it moved on.
    await wake();
    await p.db.tenant(tenantId, (s) => advanceTx(p, s, parent.id, { kind: "resume" }));
    await fireDue(p, tenantId);

    const after = await instance(parent.id);
    expect(after).toMatchObject({ status: "waiting", currentNodes: ["hold"] });
    expect(after.vars.subflow).toMatchObject({ instanceId: child.id, status: "completed" });
    const visits = (after.history as Json[]).map((h) => h.nodeId);
    expect(visits.filter((n) => n === "sub")).toHaveLength(1);
    expect(visits.filter((n) => n === "done")).toHaveLength(1);
    expect(visits.filter((n) => n === "hold")).toHaveLength(1);
    expect(await tagsOf(customerId)).toEqual(["子流程完成"]);
  }, 90_000);

  it("a failed child takes the parent's failed edge", async () => {
    const parentId = await published("父流程·失败", parentFlow(childId));
    const { customerId, parent, child } = await startParent(parentId, "子流程失败");
    await ok("POST", `/api/tasks/${(await childTask(child.id))!.id}/complete`, { outcome: "bad" });
    const after = await settle(parent.id);
    expect(after.status).toBe("completed");
    expect(after.vars.subflow).toMatchObject({ instanceId: child.id, status: "failed" });
    expect((after.history as Json[]).find((h) => h.nodeId === "sub")).toMatchObject({ outcome: "failed" });
    expect(await tagsOf(customerId)).toEqual(["子流程失败"]);
  }, 90_000);

  it("the timeout edge: the child still running is cancelled, the parent goes on", async () => {
    const parentId = await published("父流程·超时", parentFlow(childId, { timeout: "PT1S" }));
    const { customerId, parent, child } = await startParent(parentId, "超时");
    const task = await childTask(child.id);
    const after = await settle(parent.id);
    expect(after.status).toBe("completed");
    expect(after.vars.subflow).toMatchObject({ instanceId: child.id, status: "timeout" });
    expect((after.history as Json[]).find((h) => h.nodeId === "sub")).toMatchObject({ outcome: "timeout" });
    expect(await tagsOf(customerId)).toEqual(["子流程超时"]);
    expect((await instance(child.id)).status).toBe("cancelled");
    // The child's task went with it.
    expect(await childTask(child.id)).toBeUndefined();
    expect((await call("POST", `/api/tasks/${task!.id}/complete`, { outcome: "ok" })).statusCode).toBe(409);
  }, 90_000);

  it("cancelling the parent cancels the child it waits for; cancelling a child resumes its parent", async () => {
    const parentId = await published("父流程·取消", parentFlow(childId));
    const a = await startParent(parentId, "取消父流程");
    const cancelled = await ok("POST", `/api/flow-instances/${a.parent.id}/cancel`);
    expect(cancelled.status).toBe("cancelled");
    expect((await instance(a.child.id)).status).toBe("cancelled");
    expect(await childTask(a.child.id)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 500));
    expect((await instance(a.parent.id)).status).toBe("cancelled");
    expect(await tagsOf(a.customerId)).toEqual([]);

    // No `cancelled` edge: a cancelled child takes the `failed` one.
    const b = await startParent(parentId, "取消子流程");
    await ok("POST", `/api/flow-instances/${b.child.id}/cancel`);
    const after = await settle(b.parent.id);
    expect(after.status).toBe("completed");
    expect(after.vars.subflow).toMatchObject({ instanceId: b.child.id, status: "cancelled" });
    expect((after.history as Json[]).find((h) => h.nodeId === "sub")).toMatchObject({ outcome: "failed" });
    expect(await tagsOf(b.customerId)).toEqual(["子流程失败"]);
  }, 90_000);

  it("publish refuses a flow that waits for itself, directly or through another, and unknown flows", async () => {
    const self = await ok("POST", "/api/flows", { name: "自己等自己", definition: childFlow });
    const selfDef = parentFlow(self.id);
    await ok("PUT", `/api/flows/${self.id}`, { definition: selfDef });
    const refused = await call("POST", `/api/flows/${self.id}/publish`);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe("invalid_definition");
    expect(refused.json().error.details.nodeIds).toEqual(["sub"]);
    expect(refused.json().error.details.errors.map((e: Json) => e.code)).toEqual(["subflow_cycle"]);

    // Y (no sub-flow) ← X waits for Y: fine. Then Y waiting for X closes the loop: refused.
    const y = await published("Y", childFlow);
    const x = await published("X", parentFlow(y));
    await ok("PUT", `/api/flows/${y}`, { definition: parentFlow(x) });
    const loop = await call("POST", `/api/flows/${y}/publish`);
    expect(loop.statusCode).toBe(400);
    expect(loop.json().error.details.errors).toEqual([
      expect.objectContaining({
        code: "subflow_cycle",
        nodeId: "sub",
        message: expect.stringContaining(`${y} → ${x} → ${y}`),
      }),
    ]);
    // Fire and forget back to X is no loop.
    const forget = {
      nodes: [
        { id: "t", type: "trigger", params: { event: "manual" } },
        { id: "sub", type: "action", params: { action: "flow.start", flowId: x } },
        { id: "e", type: "end", params: {} },
      ],
      edges: [
        { from: "t", to: "sub" },
        { from: "sub", to: "e" },
      ],
    };
    const v = await ok("POST", `/api/flows/${y}/validate`, { definition: forget });
    expect(v).toEqual({ valid: true, errors: [], nodeIds: [] });

    const unknown = await ok("POST", `/api/flows/${y}/validate`, { definition: parentFlow("flw_nope") });
    expect(unknown.errors).toEqual([expect.objectContaining({ code: "unknown_flow", nodeId: "sub" })]);
    // A timeout edge without a timeout, and a timeout without wait.
    const noTimeout = parentFlow(x);
    noTimeout.edges.push({ from: "sub", to: "e", when: "timeout" });
    const z = (await ok("POST", "/api/flows", { name: "Z" })).id as string;
    const nt = await ok("POST", `/api/flows/${z}/validate`, { definition: noTimeout });
    expect(nt.errors).toEqual([expect.objectContaining({ code: "bad_edge", nodeId: "sub" })]);
    const timeoutNoWait = parentFlow(x, { timeout: "PT1M" });
    timeoutNoWait.nodes[1]!.params = { action: "flow.start", flowId: x, wait: false, timeout: "PT1M" };
    expect((await ok("POST", `/api/flows/${z}/validate`, { definition: timeoutNoWait })).errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: "bad_params", nodeId: "sub" })]),
    );
  }, 90_000);

  it("a loop that got past publish stops at the depth limit, and the failure climbs back up", async () => {
    const simple = {
      nodes: [
        { id: "t", type: "trigger", params: { event: "manual" } },
        { id: "e", type: "end", params: {} },
      ],
      edges: [{ from: "t", to: "e" }],
      settings: everyTime,
    };
    // Only `completed` leads on: a failed child is the parent's failure.
    const waitFor = (flowId: string) => ({
      nodes: [
        { id: "t", type: "trigger", params: { event: "manual" } },
        { id: "sub", type: "action", params: { action: "flow.start", flowId, wait: true } },
        { id: "e", type: "end", params: {} },
      ],
      edges: [
        { from: "t", to: "sub" },
        { from: "sub", to: "e", when: "completed" },
      ],
      settings: everyTime,
    });
    const q = await published("Q", simple);
    const pId = await published("P", waitFor(q));
    // Q v2 waits for P, written past the publish checks (as a concurrent publish could).
    const db = t.siyu.platform.db;
    const [f] = await db.query<{ tenant_id: string }>("select tenant_id from flows where id = $1", [q]);
    await db.query(
      "insert into flow_versions (tenant_id, flow_id, version, definition) values ($1, $2, 2, $3)",
      [f!.tenant_id, q, JSON.stringify(waitFor(pId))],
    );
    await db.query("update flows set published_version = 2, draft_version = 2 where id = $1", [q]);

    const customerId = await customer("套娃");
    const top = await ok("POST", `/api/flows/${pId}/instances`, { customerId });
    expect(top.status).toBe("failed");
    const all = await db.query<{
      flow_id: string;
      status: string;
      error: string | null;
      parent_token_id: string | null;
    }>(
      "select flow_id, status, error, parent_token_id from flow_instances where customer_id = $1 order by started_at, id",
      [customerId],
    );
    // P Q P Q P Q: the sixth (depth 5) may not start a seventh.
    expect(all).toHaveLength(maxSubflowDepth + 1);
    expect(all.every((r) => r.status === "failed")).toBe(true);
    expect(all.filter((r) => r.parent_token_id !== null)).toHaveLength(maxSubflowDepth);
    expect(all.some((r) => r.error?.includes(`nest deeper than ${maxSubflowDepth}`))).toBe(true);
    expect(top.error).toContain("ended failed");
  }, 90_000);

  it("GET /flows/:id/lifecycle counts the flow's customers per stage now, running and finished", async () => {
    const journey = await published("生命周期旅程", {
      nodes: [
        { id: "t", type: "trigger", params: { event: "manual" } },
        { id: "s1", type: "action", params: { action: "customer.set_stage", stage: "新客" } },
        { id: "k", type: "task", params: { title: "首次回访", assignee: { role: "admin" } } },
        { id: "s2", type: "action", params: { action: "customer.set_stage", stage: "活跃" } },
        { id: "e", type: "end", params: {} },
      ],
      edges: [
        { from: "t", to: "s1" },
        { from: "s1", to: "k" },
        { from: "k", to: "s2" },
        { from: "s2", to: "e" },
      ],
      settings: everyTime,
    });
    expect(await ok("GET", `/api/flows/${journey}/lifecycle`)).toEqual({
      customers: 0,
      running: 0,
      finished: 0,
      stages: [],
    });
    const ids = [await customer("甲"), await customer("乙"), await customer("丙")];
    const inst: Json[] = [];
    for (const c of ids) inst.push(await ok("POST", `/api/flows/${journey}/instances`, { customerId: c }));
    // 甲 finishes (活跃); 丙 is cancelled (finished, still 新客); 乙 still runs (新客).
    const tasks = (await ok("GET", "/api/tasks?status=open&scope=all&limit=500")).items as Json[];
    const first = tasks.find((x) => x.flowInstanceId === inst[0]!.id)!;
    await ok("POST", `/api/tasks/${first.id}/complete`, { outcome: "done" });
    expect(await instance(inst[0]!.id)).toMatchObject({ status: "completed" });
    await ok("POST", `/api/flow-instances/${inst[2]!.id}/cancel`);
    expect(await ok("GET", `/api/flows/${journey}/lifecycle`)).toEqual({
      customers: 3,
      running: 1,
      finished: 2,
      stages: [
        { stage: "新客", customers: 2, running: 1, finished: 1 },
        { stage: "活跃", customers: 1, running: 0, finished: 1 },
      ],
    });
    // A stage changed outside the flow counts as it is now.
    await ok("PATCH", `/api/customers/${ids[2]}`, { lifecycleStage: null });
    const now = await ok("GET", `/api/flows/${journey}/lifecycle`);
    expect(now.stages).toEqual([
      { stage: "新客", customers: 1, running: 1, finished: 0 },
      { stage: "活跃", customers: 1, running: 0, finished: 1 },
      { stage: null, customers: 1, running: 0, finished: 1 },
    ]);
    expect((await call("GET", "/api/flows/flw_nope/lifecycle")).statusCode).toBe(404);
  }, 90_000);

  it("the OpenAPI document describes the definition and the new route", async () => {
    const doc = (await t.call("GET", "/api/openapi.json")).json();
    const create = doc.paths["/api/flows"].post;
    const def = create.requestBody.content["application/json"].schema.properties.definition;
    expect(JSON.stringify(def)).toContain("docs/flows.md");
    expect(JSON.stringify(def)).toContain("completed/failed/cancelled/timeout");
    expect(doc.paths["/api/flows/{id}/lifecycle"].get.summary).toBe(
      "Lifecycle stages of the flow's customers",
    );
  });
});
