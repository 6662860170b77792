import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { pruneWebhookCalls, pruneWebhookCallsJob } from "../webhooks.service.ts";

/** trigger (webhook) → wait a day → end. */
const webhookFlow = {
  nodes: [
    { id: "t", type: "trigger", params: { event: "webhook" } },
    { id: "w", type: "wait", params: { duration: "P1D" } },
    { id: "e", type: "end", params: {} },
  ],
  edges: [
    { from: "t", to: "w" },
    { from: "w", to: "e" },
  ],
  settings: { reentry: { mode: "every_time" }, variables: {} },
};

describe.each(dbKinds)("flow webhooks: rate limit per token, pruning of idempotency keys (%s)", (kind) => {
  let t: TestApp;
  let token: string;
  let tenantId: string;
  beforeAll(async () => {
    // A low rate, so the test reaches it without waiting for a minute.
    t = await startTestApp(kind, { SIYU_FLOW_WEBHOOK_RATE: "3" });
    token = await t.login();
    tenantId = (await call("GET", "/api/auth/me")).json().user.tenantId;
  });
  afterAll(async () => {
    await t?.close();
  });

  const call = (method: string, url: string, body?: unknown) =>
    t.call(method, url, { token, ...(body !== undefined ? { body } : {}) });
  const db = () => t.siyu.platform.db;
  const hook = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: "POST",
      url: path,
      headers: { "content-type": "application/json", ...headers },
      payload: JSON.stringify(body),
    });
  async function publishWebhookFlow(name: string): Promise<{ flowId: string; path: string }> {
    const created = await call("POST", "/api/flows", { name, definition: webhookFlow });
    expect(created.statusCode, created.body).toBe(201);
    const flowId = created.json().id as string;
    expect((await call("POST", `/api/flows/${flowId}/publish`)).statusCode).toBe(200);
    const [item] = (await call("GET", `/api/flows/${flowId}/webhooks`)).json().items;
    return { flowId, path: new URL(item.url).pathname };
  }
  const instanceCount = async (flowId: string) =>
    (
      await db().query<{ n: number }>("select count(*)::int as n from flow_instances where flow_id = $1", [
        flowId,
      ])
    )[0]!.n;

  it("answers 429 in the JSON error shape with Retry-After above the token's rate; other tokens go on", async () => {
    const a = await publishWebhookFlow("限流甲");
    const b = await publishWebhookFlow("限流乙");
    for (let i = 0; i < 3; i++) expect((await hook(a.path, { i })).statusCode).toBe(202);
    const over = await hook(a.path, { i: 3 });
    expect(over.statusCode, over.body).toBe(429);
    expect(over.json()).toEqual({
      error: {
        code: "rate_limited",
        message: expect.any(String),
        details: { retryAfterS: expect.any(Number) },
      },
    });
    const retryAfter = Number(over.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(over.json().error.details.retryAfterS).toBe(retryAfter);
    // The refused call started nothing; another token has its own budget.
    expect(await instanceCount(a.flowId)).toBe(3);
    expect((await hook(b.path, { i: 0 })).statusCode).toBe(202);
    expect(await instanceCount(b.flowId)).toBe(1);
    // An unknown token is still a 404, not a 429.
    expect((await hook(`/hooks/flows/fwh_${"y".repeat(43)}`, {})).statusCode).toBe(404);
  });

  it("prunes idempotency keys older than 7 days (in batches, and as the daily job); a pruned key starts anew", async () => {
    const { flowId, path } = await publishWebhookFlow("幂等清理");
    const first = await hook(path, { n: 1 }, { "idempotency-key": "order-1" });
    expect(first.statusCode, first.body).toBe(202);
    const keys = async () =>
      (
        await db().query<{ idempotency_key: string }>(
          "select idempotency_key from flow_webhook_calls where flow_id = $1 order by idempotency_key",
          [flowId],
        )
      ).map((r) => r.idempotency_key);
    // Five keys from 8 days ago, one from 6 days ago, and today's.
    await db().query(
      `insert into flow_webhook_calls (tenant_id, flow_id, node_id, idempotency_key, created_at)
       select $1, $2, 't', k, now() - d * interval '1 day'
         from unnest(array['old-1','old-2','old-3','old-4','old-5','recent'], array[8,8,8,8,8,6]) as x(k, d)`,
      [tenantId, flowId],
    );
    await db().query(
      "update flow_webhook_calls set created_at = now() - interval '8 days' where idempotency_key = 'order-1'",
    );
    expect(await pruneWebhookCalls(t.siyu.platform, { batch: 2 })).toBe(6);
    expect(await keys()).toEqual(["recent"]);
    expect(await pruneWebhookCalls(t.siyu.platform)).toBe(0);

    // The forgotten key is a new call now: a second instance.
    const again = await hook(path, { n: 2 }, { "idempotency-key": "order-1" });
    expect(again.statusCode).toBe(202);
    expect(again.json().instanceIds[0]).not.toBe(first.json().instanceIds[0]);
    expect(await instanceCount(flowId)).toBe(2);

    // The scheduled job does the same.
    await db().query(
      "update flow_webhook_calls set created_at = now() - interval '8 days' where flow_id = $1",
      [flowId],
    );
    await t.siyu.platform.jobs.send(pruneWebhookCallsJob, {});
    const end = Date.now() + 30_000;
    while ((await keys()).length && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(await keys()).toEqual([]);
  });
});
