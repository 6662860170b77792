import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const contractFlow = (tag: string, done: string) => ({
  nodes: [
    { id: "t", type: "trigger", params: { event: "customer.tag_added", tag } },
    { id: "w", type: "wait", params: { duration: "PT1S" } },
    { id: "a", type: "approval", params: { assignee: { role: "admin" }, title: "批准优惠" } },
    { id: "yes", type: "action", params: { action: "customer.add_tag", tag: done } },
    { id: "no", type: "action", params: { action: "customer.remove_tag", tag } },
    { id: "e", type: "end", params: {} },
  ],
  edges: [
    { from: "t", to: "w" },
    { from: "w", to: "a" },
    { from: "a", to: "yes", when: "approved" },
    { from: "a", to: "no", when: "rejected" },
    { from: "yes", to: "e" },
    { from: "no", to: "e" },
  ],
});

describe.each(dbKinds)("flows over HTTP (%s)", (kind) => {
  let t: TestApp;
  let token: string;
  let hook: Server;
  let hookUrl: string;
  const hookCalls: Array<{ key: string | undefined }> = [];
  beforeAll(async () => {
    t = await startTestApp(kind, { LOG_LEVEL: process.env.FLOW_LOG ?? "silent" });
    token = await t.login();
    hook = createServer((req, res) => {
      hookCalls.push({ key: req.headers["idempotency-key"] as string | undefined });
      res.statusCode = req.url?.includes("refuse") ? 422 : 200;
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t?.close();
    hook?.close();
  });

  const call = (method: string, url: string, body?: unknown) =>
    t.call(method, url, { token, ...(body !== undefined ? { body } : {}) });

  it("CONTRACT: create → publish → tag → waits → approval task → complete → tag added → completed", async () => {
    const created = await call("POST", "/api/flows", {
      name: "VIP 审批",
      definition: contractFlow("VIP", "VIP已批"),
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: "VIP 审批", version: 1, status: "draft" });
    const flowId = created.json().id as string;

    const published = await call("POST", `/api/flows/${flowId}/publish`);
    expect(published.statusCode).toBe(200);
    expect(published.json()).toEqual({ version: 1 });

    const customer = (await call("POST", "/api/customers", { name: "张三" })).json();
    expect(
      (await call("POST", `/api/customers/${customer.id}/tags`, { tags: ["VIP"] })).statusCode,
    ).toBeLessThan(300);

    const list = () =>
      call("GET", `/api/flows/${flowId}/instances?customerId=${customer.id}`).then((r) => r.json());
    const waiting = await eventually(list, (v) => v.items?.[0]?.currentNodes?.includes("a"));
    expect(waiting.items).toHaveLength(1);
    expect(waiting.items[0]).toMatchObject({
      customerId: customer.id,
      version: 1,
      status: "waiting",
      currentNodes: ["a"],
    });

    const tasks = (await call("GET", "/api/tasks?status=open")).json();
    const task = tasks.items.find(
      (x: { flowInstanceId: string }) => x.flowInstanceId === waiting.items[0].id,
    );
    expect(task).toMatchObject({ type: "approval", title: "批准优惠", customerId: customer.id });
    // Made by the flow: its instance and node say where, no WeCom member is named.
    expect(task).toMatchObject({ source: "flow", flowId, nodeId: "a", staffUserid: null });

    expect((await call("POST", `/api/tasks/${task.id}/complete`, { outcome: "maybe" })).statusCode).toBe(400);
    const done = await call("POST", `/api/tasks/${task.id}/complete`, { outcome: "approved", comment: "ok" });
    expect(done.statusCode).toBe(200);
    expect((await call("POST", `/api/tasks/${task.id}/complete`, { outcome: "approved" })).statusCode).toBe(
      409,
    );

    const after = await list();
    expect(after.items[0]).toMatchObject({ status: "completed", currentNodes: [] });
    const c = (await call("GET", `/api/customers/${customer.id}`)).json();
    expect(c.tags.map((x: { name: string }) => x.name).sort()).toEqual(["VIP", "VIP已批"]);

    const detail = (await call("GET", `/api/flow-instances/${after.items[0].id}`)).json();
    expect(detail.history.map((h: { nodeId: string }) => h.nodeId)).toEqual(["t", "w", "a", "yes", "e"]);
    expect(detail.history.every((h: { status: string }) => h.status === "done")).toBe(true);

    // Re-entry "once" (default): tagging again starts nothing.
    await call("DELETE", `/api/customers/${customer.id}/tags/VIP`);
    await call("POST", `/api/customers/${customer.id}/tags`, { tags: ["VIP"] });
    await t.siyu.platform.events.dispatchPending();
    await new Promise((r) => setTimeout(r, 1500));
    expect((await list()).items).toHaveLength(1);

    const analytics = (await call("GET", `/api/flows/${flowId}/analytics`)).json();
    expect(analytics.instances).toMatchObject({ total: 1, completed: 1 });
    expect(analytics.nodes.find((n: { nodeId: string }) => n.nodeId === "w")).toMatchObject({
      entered: 1,
      left: 1,
      converted: 1,
    });
  });

  it("publish refuses invalid definitions with 400 naming the nodes", async () => {
    const bad = async (definition: unknown, code: string, nodeIds: string[]) => {
      const f = await call("POST", "/api/flows", { name: `bad ${code}`, definition });
      expect(f.statusCode).toBe(201);
      const r = await call("POST", `/api/flows/${f.json().id}/publish`);
      expect(r.statusCode).toBe(400);
      const body = r.json();
      expect(body.error.code).toBe("invalid_definition");
      expect(body.error.details.errors.map((e: { code: string }) => e.code)).toContain(code);
      for (const id of nodeIds) expect(body.error.details.nodeIds).toContain(id);
      const vr = await call("POST", `/api/flows/${f.json().id}/validate`);
      if (vr.statusCode !== 200) console.log("VALIDATE", vr.statusCode, vr.body);
      const v = vr.json();
      expect(v.valid).toBe(false);
    };
    const trig = { id: "t", type: "trigger", params: { event: "manual" } };
    const end = { id: "e", type: "end", params: {} };
    // A cycle with no wait.
    await bad(
      {
        nodes: [
          trig,
          { id: "c1", type: "condition", params: { expression: "vars.n > 1" } },
          { id: "x", type: "action", params: { action: "vars.set", name: "n", value: "vars.n + 1" } },
          end,
        ],
        edges: [
          { from: "t", to: "c1" },
          { from: "c1", to: "x", when: "true" },
          { from: "x", to: "c1" },
          { from: "c1", to: "e", when: "false" },
        ],
      },
      "cycle_without_wait",
      ["c1", "x"],
    );
    // Unreachable node.
    await bad(
      { nodes: [trig, end, { id: "lost", type: "end", params: {} }], edges: [{ from: "t", to: "e" }] },
      "unreachable",
      ["lost"],
    );
    // Dangling edge.
    await bad(
      {
        nodes: [trig, end],
        edges: [
          { from: "t", to: "e" },
          { from: "t", to: "ghost" },
        ],
      },
      "dangling_edge",
      ["ghost"],
    );
    // Unknown node type.
    await bad(
      {
        nodes: [trig, { id: "m", type: "magic", params: {} }, end],
        edges: [
          { from: "t", to: "m" },
          { from: "m", to: "e" },
        ],
      },
      "unknown_node_type",
      ["m"],
    );
    // Bad params (wait duration) and an unknown action.
    await bad(
      {
        nodes: [trig, { id: "w", type: "wait", params: { duration: "10 minutes" } }, end],
        edges: [
          { from: "t", to: "w" },
          { from: "w", to: "e" },
        ],
      },
      "bad_params",
      ["w"],
    );
    await bad(
      {
        nodes: [trig, { id: "a", type: "action", params: { action: "rocket.launch" } }, end],
        edges: [
          { from: "t", to: "a" },
          { from: "a", to: "e" },
        ],
      },
      "unknown_action",
      ["a"],
    );
    // Expression syntax and unknown identifiers.
    await bad(
      {
        nodes: [trig, { id: "c", type: "condition", params: { expression: "customer.age >" } }, end],
        edges: [
          { from: "t", to: "c" },
          { from: "c", to: "e", when: "true" },
        ],
      },
      "bad_expression",
      ["c"],
    );
    await bad(
      {
        nodes: [trig, { id: "c", type: "condition", params: { expression: "process.exit(1) == 1" } }, end],
        edges: [
          { from: "t", to: "c" },
          { from: "c", to: "e", when: "true" },
        ],
      },
      "bad_expression",
      ["c"],
    );
    // An approval without its rejected edge.
    await bad(
      {
        nodes: [
          trig,
          { id: "ap", type: "approval", params: { assignee: { role: "admin" }, title: "x" } },
          end,
        ],
        edges: [
          { from: "t", to: "ap" },
          { from: "ap", to: "e", when: "approved" },
        ],
      },
      "missing_edge",
      ["ap"],
    );
    // Malformed definitions never reach the engine: 400 at the door.
    const r = await call("POST", "/api/flows", { name: "x", definition: { nodes: "no" } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBeDefined();
  });

  it("an action failing permanently takes the error branch, visible in the history; transient failures retry", async () => {
    const def = {
      nodes: [
        { id: "t", type: "trigger", params: { event: "manual" } },
        { id: "call", type: "action", params: { action: "webhook.call", url: `${hookUrl}/refuse` } },
        { id: "ok", type: "action", params: { action: "customer.add_tag", tag: "通知成功" } },
        { id: "oops", type: "action", params: { action: "customer.add_tag", tag: "通知失败" } },
        { id: "e", type: "end", params: {} },
      ],
      edges: [
        { from: "t", to: "call" },
        { from: "call", to: "ok" },
        { from: "call", to: "oops", when: "error" },
        { from: "ok", to: "e" },
        { from: "oops", to: "e" },
      ],
    };
    const f = (await call("POST", "/api/flows", { name: "webhook", definition: def })).json();
    expect((await call("POST", `/api/flows/${f.id}/publish`)).statusCode).toBe(200);
    const customer = (await call("POST", "/api/customers", { name: "李四" })).json();
    const started = await call("POST", `/api/flows/${f.id}/instances`, { customerId: customer.id });
    expect(started.statusCode).toBe(201);
    const inst = await eventually(
      () => call("GET", `/api/flow-instances/${started.json().id}`).then((r) => r.json()),
      (v) => v.status === "completed",
    );
    expect(inst.status).toBe("completed");
    const callRun = inst.history.find((h: { nodeId: string }) => h.nodeId === "call");
    expect(callRun).toMatchObject({
      status: "failed",
      outcome: "error",
      error: expect.stringContaining("422"),
    });
    expect(inst.history.map((h: { nodeId: string }) => h.nodeId)).toEqual(["t", "call", "oops", "e"]);
    expect(hookCalls.filter((c) => c.key?.startsWith("ftk_"))).toHaveLength(1);

    // Without an error edge the instance fails, with the reason.
    const def2 = {
      nodes: [
        { id: "t", type: "trigger", params: { event: "manual" } },
        { id: "call", type: "action", params: { action: "webhook.call", url: `${hookUrl}/refuse` } },
        { id: "e", type: "end", params: {} },
      ],
      edges: [
        { from: "t", to: "call" },
        { from: "call", to: "e" },
      ],
    };
    const f2 = (await call("POST", "/api/flows", { name: "webhook2", definition: def2 })).json();
    await call("POST", `/api/flows/${f2.id}/publish`);
    const s2 = (await call("POST", `/api/flows/${f2.id}/instances`, { customerId: customer.id })).json();
    const failed = await eventually(
      () => call("GET", `/api/flow-instances/${s2.id}`).then((r) => r.json()),
      (v) => v.status === "failed",
    );
    expect(failed).toMatchObject({ status: "failed", error: expect.stringContaining("422") });
  });

  it("conditions, parallel split/join, dry run, pause/resume and cancel", async () => {
    const def = {
      nodes: [
        { id: "t", type: "trigger", params: { event: "manual" } },
        {
          id: "c",
          type: "condition",
          params: { expression: 'customer.attributes.city == "上海" and vars.n >= 1' },
        },
        { id: "p", type: "parallel", params: {} },
        { id: "b1", type: "action", params: { action: "customer.add_tag", tag: "分支1" } },
        { id: "b2", type: "action", params: { action: "customer.add_tag", tag: "分支2" } },
        { id: "j", type: "join", params: {} },
        { id: "w", type: "wait", params: { duration: "PT1H" } },
        { id: "e", type: "end", params: {} },
      ],
      edges: [
        { from: "t", to: "c" },
        { from: "c", to: "p", when: "true" },
        { from: "c", to: "e", when: "false" },
        { from: "p", to: "b1" },
        { from: "p", to: "b2" },
        { from: "b1", to: "j" },
        { from: "b2", to: "j" },
        { from: "j", to: "w" },
        { from: "w", to: "e" },
      ],
      settings: { reentry: { mode: "every_time" }, variables: { n: 1 } },
    };
    const f = (await call("POST", "/api/flows", { name: "branches", definition: def })).json();
    const sh = (await call("POST", "/api/customers", { name: "沪", attributes: { city: "上海" } })).json();
    const bj = (await call("POST", "/api/customers", { name: "京", attributes: { city: "北京" } })).json();
    const dry = (await call("POST", `/api/flows/${f.id}/dry-run`, { customerId: sh.id })).json();
    expect(dry.path).toEqual(["t", "c", "p", "b1", "b2", "j", "w", "e"]);
    const dry2 = (await call("POST", `/api/flows/${f.id}/dry-run`, { customerId: bj.id })).json();
    expect(dry2.path).toEqual(["t", "c", "e"]);
    await call("POST", `/api/flows/${f.id}/publish`);
    const i1 = (await call("POST", `/api/flows/${f.id}/instances`, { customerId: sh.id })).json();
    expect(i1).toMatchObject({ status: "waiting", currentNodes: ["w"] });
    const tags = (await call("GET", `/api/customers/${sh.id}`))
      .json()
      .tags.map((x: { name: string }) => x.name);
    expect(tags).toEqual(expect.arrayContaining(["分支1", "分支2"]));
    const paused = (await call("POST", `/api/flow-instances/${i1.id}/pause`)).json();
    expect(paused.paused).toBe(true);
    const resumed = (await call("POST", `/api/flow-instances/${i1.id}/resume`)).json();
    expect(resumed).toMatchObject({ paused: false, status: "waiting" });
    const cancelled = (await call("POST", `/api/flow-instances/${i1.id}/cancel`)).json();
    expect(cancelled).toMatchObject({ status: "cancelled", currentNodes: [] });
    expect((await call("POST", `/api/flow-instances/${i1.id}/cancel`)).statusCode).toBe(409);
    const i2 = (await call("POST", `/api/flows/${f.id}/instances`, { customerId: bj.id })).json();
    expect(i2.status).toBe("completed");

    // Version migration: v2 renames the wait; a live v1 instance moves with a mapping.
    const i3 = (await call("POST", `/api/flows/${f.id}/instances`, { customerId: sh.id })).json();
    const def2 = structuredClone(def);
    def2.nodes = def2.nodes.map((n) => (n.id === "w" ? { ...n, id: "w2" } : n));
    def2.edges = def2.edges.map((e) => ({
      ...e,
      from: e.from === "w" ? "w2" : e.from,
      to: e.to === "w" ? "w2" : e.to,
    }));
    expect((await call("PUT", `/api/flows/${f.id}`, { definition: def2 })).json().version).toBe(2);
    expect((await call("POST", `/api/flows/${f.id}/publish`)).json()).toEqual({ version: 2 });
    const preview = (await call("POST", `/api/flows/${f.id}/migrate/preview`, { toVersion: 2 })).json();
    expect(preview.blocked.map((b: { instanceId: string }) => b.instanceId)).toContain(i3.id);
    const moved = (
      await call("POST", `/api/flows/${f.id}/migrate`, { toVersion: 2, mapping: { w: "w2" } })
    ).json();
    expect(moved.migrated).toBe(1);
    const i3after = (await call("GET", `/api/flow-instances/${i3.id}`)).json();
    expect(i3after).toMatchObject({ version: 2, currentNodes: ["w2"] });
  });

  it("the catalog lists node types and actions with JSON Schemas; flows are tenant-scoped objects", async () => {
    const cat = (await call("GET", "/api/flow-node-types")).json();
    expect(cat.nodeTypes.map((n: { type: string }) => n.type)).toContain("approval");
    expect(cat.actions.map((a: { action: string }) => a.action)).toEqual(
      expect.arrayContaining(["customer.add_tag", "customer.remove_tag", "webhook.call", "task.create"]),
    );
    expect(
      cat.actions.find((a: { action: string }) => a.action === "customer.add_tag").paramsSchema,
    ).toMatchObject({
      type: "object",
    });
    expect((await call("GET", "/api/flows/flw_nope")).statusCode).toBe(404);
    const doc = (await t.call("GET", "/api/openapi.json")).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/flows/{id}/publish", "/api/tasks/{id}/complete"]),
    );
  });
});
