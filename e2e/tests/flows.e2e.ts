// The flows journey of issue 7 through the console, as a business user who never types JSON: build
// "tag added → wait → approval → add tag → end" on the canvas (a palette drag, palette clicks, handle
// drags, property panels), validate and see the error on the canvas, fix it, publish v1, dry-run it
// for a customer and see the path, tag the customer to start an instance, approve in the task inbox,
// and see the node funnel. Screenshots: e2e/artifacts/flows-*.png.
import { join } from "node:path";
import { artifactsDir, check, type E2E, test } from "../harness.ts";

type ApiAnswer<T> = { status: number; body: T };

/** Calls the API with the signed-in user's token (setup and final checks only; the journey is the UI). */
function api<T>(t: E2E, path: string, method = "GET", body?: unknown): Promise<ApiAnswer<T>> {
  return t.page.evaluate(
    async ({ path, method, body }) => {
      const token = localStorage.getItem("siyu.token");
      const res = await fetch(path, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    },
    { path, method, body },
  );
}

/** Picks the option of the open antd Select whose text contains `text`. */
async function pickOption(t: E2E, text: string) {
  await t.openDropdown().locator(".ant-select-item-option", { hasText: text }).first().click();
}

const node = (t: E2E, id: string) => t.byTestId(`flow-node-${id}`);

/** Drags from the source handle of `from` to the target handle of `to`, as a user connects nodes. */
async function connect(t: E2E, from: string, to: string) {
  const source = node(t, from).locator(".react-flow__handle.source");
  const target = node(t, to).locator(".react-flow__handle.target");
  const a = await source.boundingBox();
  const b = await target.boundingBox();
  check(a && b, `handles of ${from} → ${to} should be on screen`);
  await t.page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await t.page.mouse.down();
  await t.page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 10, { steps: 8 });
  await t.page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  await t.page.mouse.up();
}

async function select(t: E2E, id: string) {
  // The header of a node is a safe place to click (not a handle, not a badge).
  await node(t, id).locator("div").nth(1).click();
  await t.page.locator(`[data-testid="flow-panel"][data-node-id="${id}"]`).waitFor({ state: "visible" });
}

test(
  "flows: build without JSON, validate on the canvas, publish, dry run, start by a tag, approve, funnel",
  async (t) => {
    const stamp = Date.now().toString(36).slice(-5);
    const flowName = `VIP 回访审批 ${stamp}`;
    const startTag = `E2E流程VIP${stamp}`;
    const doneTag = `E2E已审批${stamp}`;
    const customerName = `流程客户${stamp}`;
    const approvalTitle = `确认回访 ${stamp}`;

    await t.login();
    // A customer to dry-run and to tag (setup through the API; everything about the flow is the UI).
    const created = await api<{ id: string }>(t, "/api/customers", "POST", { name: customerName });
    check(created.status === 201, `POST /api/customers answered ${created.status}`);
    const customerId = created.body.id;

    // 1. 流程 in the menu → the list → a new flow opens the designer.
    const menu = t.byTestId("main-menu");
    const item = menu.locator('[data-menu-id$="-/flows"]').first();
    if (!(await item.isVisible())) await menu.locator('[data-menu-id$="-flows"]').first().click();
    await item.click();
    await t.page.waitForURL((url) => url.pathname === "/flows");
    await t.byTestId("flows-table").waitFor({ state: "visible" });
    await t.byTestId("flow-create").click();
    await t.byTestId("flow-create-name").fill(flowName);
    await t.byTestId("flow-create-submit").click();
    await t.page.waitForURL((url) => /^\/flows\/[^/]+$/.test(url.pathname));
    const flowId = new URL(t.page.url()).pathname.split("/").pop() as string;
    await t.byTestId("flow-canvas").waitFor({ state: "visible" });

    // 2. Nodes from the palette: the trigger by drag and drop, the rest by click (each lands under the
    //    last one). Headless Chromium's HTML5 drag is not always delivered, so a click is the fallback.
    const canvas = t.byTestId("flow-canvas");
    await t.byTestId("palette-trigger").dragTo(canvas, { targetPosition: { x: 300, y: 80 } });
    if (!(await node(t, "trigger_1").isVisible())) await t.byTestId("palette-trigger").click();
    await node(t, "trigger_1").waitFor({ state: "visible" });

    // Trigger: 客户被打标签 (the default) with a new tag picked in the tag list.
    await select(t, "trigger_1");
    await t.byTestId("prop-event").getByText("客户被打标签").waitFor({ state: "visible" });
    await t.byTestId("prop-tag").click();
    await t.page.keyboard.type(startTag);
    await pickOption(t, startTag);
    await node(t, "trigger_1").getByText(startTag).waitFor({ state: "visible" });

    // Wait: 3 秒, as a number and a unit.
    await t.byTestId("palette-wait").click();
    await node(t, "wait_1").waitFor({ state: "visible" });
    await t.page
      .locator('input[data-testid="prop-duration-amount"], [data-testid="prop-duration-amount"] input')
      .first()
      .fill("3");
    await t.byTestId("prop-duration-unit").click();
    await pickOption(t, "秒");
    await node(t, "wait_1").getByText("等待 3 秒").waitFor({ state: "visible" });

    // Approval: a title; the assignee stays 按角色 · 管理员.
    await t.byTestId("palette-approval").click();
    await node(t, "approval_1").waitFor({ state: "visible" });
    await t.byTestId("prop-title").fill(approvalTitle);
    await t.byTestId("prop-label").fill("店长审批");
    await t.screenshot("flows-00-approval-properties");

    // Action: 打标签 with another new tag.
    await t.byTestId("palette-action").click();
    await node(t, "action_1").waitFor({ state: "visible" });
    await t.byTestId("prop-action").getByText("打标签").waitFor({ state: "visible" });
    await t.byTestId("prop-tag").click();
    await t.page.keyboard.type(doneTag);
    await pickOption(t, doneTag);

    await t.byTestId("palette-end").click();
    await node(t, "end_1").waitFor({ state: "visible" });
    await t.page.waitForTimeout(400); // the fit-view animation after the last add

    // 3. Edges by dragging handles; the approval's first edge is 通过. Its 驳回 edge is left out.
    await connect(t, "trigger_1", "wait_1");
    await connect(t, "wait_1", "approval_1");
    await connect(t, "approval_1", "action_1");
    await connect(t, "action_1", "end_1");
    const edges = t.page.locator(".react-flow__edge");
    for (let i = 0; i < 20 && (await edges.count()) < 4; i++) await t.page.waitForTimeout(100);
    check((await edges.count()) === 4, `4 edges expected on the canvas, saw ${await edges.count()}`);
    await t.page.locator(".react-flow__edge-text", { hasText: "通过" }).waitFor({ state: "visible" });

    // 4. Validate: the approval is outlined red, saying its 驳回 edge is missing.
    await t.byTestId("flow-validate").click();
    const error = t.byTestId("flow-node-error-approval_1");
    await error.waitFor({ state: "visible" });
    check((await error.textContent())?.includes("驳回"), "the approval's error should name the 驳回 edge");
    check(
      (await node(t, "approval_1").getAttribute("data-error")) === "true",
      "the approval node should be marked as in error",
    );
    await t.screenshot("flows-01-validation-error");

    // 5. Fix it: with the approval selected, a click on 结束 puts a second end beside the action;
    //    the approval's property panel connects it (the edge becomes 驳回), and that end fails.
    await select(t, "approval_1");
    await t.byTestId("palette-end").click();
    await node(t, "end_2").waitFor({ state: "visible" });
    await t.byTestId("prop-status").getByText("以失败结束").click();
    await t.byTestId("prop-label").fill("驳回结束");
    await select(t, "approval_1");
    await t.byTestId("prop-connect-target").click();
    await pickOption(t, "end_2");
    await t.byTestId("prop-connect").click();
    await t.page.locator(".react-flow__edge-text", { hasText: "驳回" }).waitFor({ state: "visible" });
    await t.byTestId("flow-validate").click();
    await t.byTestId("flow-valid").waitFor({ state: "visible" });
    check(!(await error.isVisible()), "the error should be gone after the fix");

    // 6. Publish v1 (saves the draft first).
    const published = t.page.waitForResponse(
      (r) => r.url().endsWith(`/api/flows/${flowId}/publish`) && r.request().method() === "POST",
    );
    await t.byTestId("flow-publish").click();
    check((await published).status() === 200, "publish should answer 200");
    await t.byTestId("flow-versions-line").getByText("v1").first().waitFor({ state: "visible" });
    await t.byTestId("flow-status").getByText("已发布").waitFor({ state: "visible" });
    await t.page.locator(".react-flow__pane").click({ position: { x: 20, y: 20 } });
    await t.screenshot("flows-02-canvas-published");

    // 7. Dry run for the customer: the path is numbered on the canvas, with the steps explained.
    await t.byTestId("flow-dry-run").click();
    await t.byTestId("dry-run-panel").getByTestId("customer-picker").click();
    await t.page.keyboard.type(customerName);
    await pickOption(t, customerName);
    await t.byTestId("dry-run-start").click();
    await t.byTestId("dry-run-result").waitFor({ state: "visible" });
    check((await t.byTestId("dry-run-step").count()) === 5, "the dry run should take 5 steps");
    for (const id of ["trigger_1", "wait_1", "approval_1", "action_1", "end_1"])
      check((await node(t, id).getAttribute("data-path")) === "true", `${id} should be on the dry-run path`);
    await t.byTestId("flow-node-step-end_1").getByText("5").waitFor({ state: "visible" });
    await t.screenshot("flows-03-dry-run");

    // 8. Tag the customer on its 360 page: that starts an instance.
    await t.goto(`/customers/${customerId}`);
    await t.byTestId("tag-add").click();
    await t.page.keyboard.type(startTag);
    await t.page.keyboard.press("Enter");
    await t.byTestId("customer-tags").getByTestId("customer-tag").filter({ hasText: startTag }).waitFor();

    // 9. After the 3-second wait the approval reaches the task inbox; approve it with a comment.
    const tasksItem = menu.locator('[data-menu-id$="-/tasks"]').first();
    if (!(await tasksItem.isVisible())) await menu.locator('[data-menu-id$="-flows"]').first().click();
    await tasksItem.click();
    await t.page.waitForURL((url) => url.pathname === "/tasks");
    const card = t.byTestId("task-card").filter({ hasText: approvalTitle });
    await card.waitFor({ state: "visible", timeout: 30_000 });
    await card.getByTestId("customer-link").getByText(customerName).waitFor({ state: "visible" });
    await t.screenshot("flows-04-task-inbox");
    await card.getByTestId("task-approved").click();
    await t.byTestId("task-comment").fill("同意，安排回访");
    await t.byTestId("task-confirm").click();
    await card.waitFor({ state: "hidden", timeout: 15_000 });

    // The phone inbox (H5) shows the decision under 已处理.
    await t.goto("/m/tasks");
    await t.byTestId("mobile-tasks").waitFor({ state: "visible" });
    await t.byTestId("mobile-tasks").getByText("已处理").click();
    await t.byTestId("task-card").filter({ hasText: approvalTitle }).waitFor({ state: "visible" });
    await t.page.setViewportSize({ width: 390, height: 760 });
    await t.screenshot("flows-05-mobile-tasks");
    await t.page.setViewportSize({ width: 1366, height: 860 });

    // 10. The monitor: the instance completed, the customer got the tag, the funnel on the canvas.
    await t.goto(`/flows/${flowId}?tab=monitor`);
    const instances = t.byTestId("instances-table");
    await instances.waitFor({ state: "visible" });
    await instances.getByText("已完成").first().waitFor({ state: "visible", timeout: 20_000 });
    const stats = t.byTestId("flow-node-stats-end_1");
    await stats.waitFor({ state: "visible", timeout: 15_000 });
    check((await stats.textContent())?.includes("进 1"), "the end node should show 1 entered");
    check(
      (await t.byTestId("flow-node-stats-end_2").textContent())?.includes("进 0"),
      "the rejected end should show 0 entered",
    );
    await t.byTestId("flow-funnel").locator("canvas").first().waitFor({ state: "visible" });
    const customer = await api<{ tags: Array<string | { name: string }> }>(t, `/api/customers/${customerId}`);
    const tagNames = customer.body.tags.map((x) => (typeof x === "string" ? x : x.name));
    check(tagNames.includes(doneTag), `the approved flow should have tagged the customer ${doneTag}`);
    await t.screenshot("flows-06-funnel");

    // The instance drawer: the full history.
    await instances.locator("tbody tr.ant-table-row").first().click();
    await t.byTestId("instance-history").getByText("店长审批").waitFor({ state: "visible" });
    // The drawer is fixed to the window: a picture of the window, not of the whole page.
    await t.page.waitForTimeout(400);
    await t.page.screenshot({ path: join(artifactsDir, "flows-07-instance-history.png") });
  },
  { timeoutMs: 180_000 },
);

test(
  "flows: a journey's monitor shows its customers by lifecycle stage; a sub-flow waited for in the panel",
  async (t) => {
    const stamp = Date.now().toString(36).slice(-5);
    await t.login();
    // Setup through the API: a journey (新客 → task → 活跃) with three customers, one finished.
    const journey = await api<{ id: string }>(t, "/api/flows", "POST", {
      name: `生命周期旅程 ${stamp}`,
      definition: {
        nodes: [
          { id: "t", type: "trigger", params: { event: "manual" }, position: { x: 0, y: 0 } },
          {
            id: "s1",
            type: "action",
            params: { action: "customer.set_stage", stage: "新客" },
            position: { x: 0, y: 120 },
          },
          {
            id: "sub",
            type: "action",
            params: { action: "flow.start", flowId: "PLACEHOLDER", wait: true, timeout: "P3D" },
            label: "回访子流程",
            position: { x: 0, y: 240 },
          },
          {
            id: "s2",
            type: "action",
            params: { action: "customer.set_stage", stage: "活跃" },
            position: { x: 0, y: 360 },
          },
          { id: "e", type: "end", params: {}, position: { x: 0, y: 480 } },
        ],
        edges: [
          { from: "t", to: "s1" },
          { from: "s1", to: "sub" },
          { from: "sub", to: "s2", when: "completed" },
          { from: "sub", to: "e", when: "timeout" },
          { from: "s2", to: "e" },
        ],
        settings: { reentry: { mode: "every_time" }, variables: {} },
      },
    });
    check(journey.status === 201, `POST /api/flows answered ${journey.status}`);
    const child = await api<{ id: string }>(t, "/api/flows", "POST", {
      name: `回访子流程 ${stamp}`,
      definition: {
        nodes: [
          { id: "t", type: "trigger", params: { event: "manual" } },
          { id: "k", type: "task", params: { title: `回访 ${stamp}`, assignee: { role: "admin" } } },
          { id: "e", type: "end", params: {} },
        ],
        edges: [
          { from: "t", to: "k" },
          { from: "k", to: "e" },
        ],
        settings: { reentry: { mode: "every_time" }, variables: {} },
      },
    });
    check((await api(t, `/api/flows/${child.body.id}/publish`, "POST")).status === 200, "child publish");
    const detail = await api<{
      definition: { nodes: Array<{ id: string; params: Record<string, unknown> }> };
    }>(t, `/api/flows/${journey.body.id}`);
    const def = detail.body.definition;
    def.nodes.find((n) => n.id === "sub")!.params.flowId = child.body.id;
    check((await api(t, `/api/flows/${journey.body.id}`, "PUT", { definition: def })).status === 200, "save");
    const pub = await api(t, `/api/flows/${journey.body.id}/publish`, "POST");
    check(pub.status === 200, `publish answered ${pub.status}: ${JSON.stringify(pub.body)}`);
    const parents: string[] = [];
    for (const name of ["甲", "乙", "丙"]) {
      const c = await api<{ id: string }>(t, "/api/customers", "POST", { name: `旅程${name}${stamp}` });
      const i = await api<{ id: string }>(t, `/api/flows/${journey.body.id}/instances`, "POST", {
        customerId: c.body.id,
      });
      check(i.status === 201, `start answered ${i.status}`);
      parents.push(i.body.id);
    }
    // 甲's sub-flow task is done: 甲's journey resumes and ends 活跃.
    const tasks = await api<{ items: Array<{ id: string; title: string; flowInstanceId: string }> }>(
      t,
      "/api/tasks?status=open&scope=all&limit=500",
    );
    const mine = tasks.body.items.filter((x) => x.title === `回访 ${stamp}`);
    check(mine.length === 3, `three sub-flow tasks expected, got ${mine.length}`);
    const first = await api<{ id: string; vars: Record<string, unknown> }>(
      t,
      `/api/flow-instances/${parents[0]}`,
    );
    const childOfFirst = (first.body.vars as { subflow?: unknown }).subflow;
    check(childOfFirst === undefined, "the parent should wait, no vars.subflow yet");
    const byParent = await api<{ items: Array<{ id: string; vars: { parentInstanceId?: string } }> }>(
      t,
      `/api/flows/${child.body.id}/instances`,
    );
    const childInstance = byParent.body.items.find((x) => x.vars.parentInstanceId === parents[0]);
    const task = mine.find((x) => x.flowInstanceId === childInstance?.id);
    check(task, "甲's sub-flow task");
    check(
      (await api(t, `/api/tasks/${task.id}/complete`, "POST", { outcome: "done" })).status === 200,
      "done",
    );

    await t.goto(`/flows/${journey.body.id}?tab=monitor`);
    const chart = t.byTestId("flow-lifecycle");
    await chart.waitFor({ state: "visible", timeout: 20_000 });
    await chart.locator("canvas").first().waitFor({ state: "visible" });
    await t.page.waitForTimeout(6000);
    const life = await api<{ customers: number; running: number; finished: number }>(
      t,
      `/api/flows/${journey.body.id}/lifecycle`,
    );
    check(
      life.body.customers === 3 && life.body.running === 2 && life.body.finished === 1,
      `lifecycle counts: ${JSON.stringify(life.body)}`,
    );
    await chart.scrollIntoViewIfNeeded();
    await t.screenshot("flows-08-lifecycle");

    // The designer: the sub-flow node's panel has the wait switch, the timeout and its outcome edges.
    await t.goto(`/flows/${journey.body.id}`);
    await t.byTestId("flow-canvas").waitFor({ state: "visible" });
    await select(t, "sub");
    const panel = t.page.locator('[data-testid="flow-panel"][data-node-id="sub"]');
    await panel.getByText("等待子流程结束", { exact: true }).waitFor({ state: "visible" });
    await panel.getByText("最长等待", { exact: true }).waitFor({ state: "visible" });
    const edgeWhen = panel.getByTestId("prop-edge-when-s2");
    await edgeWhen.scrollIntoViewIfNeeded();
    check((await edgeWhen.textContent())?.includes("子流程完成"), "the sub → s2 edge should read 子流程完成");
    check(
      (await panel.getByTestId("prop-edge-when-e").textContent())?.includes("超时"),
      "the sub → e edge should read 超时",
    );
    await t.screenshot("flows-09-subflow-panel");
  },
  { timeoutMs: 180_000 },
);
