import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../../testing/app-harness.ts";
import { dbKinds } from "../../../../testing/databases.ts";
import { waitFor } from "../../../../testing/wecom-world.ts";
import { importStallMs, markStarted } from "../import.service.ts";
import { importTuning, markFailed, processImport } from "../process.ts";

describe.each(dbKinds)("retrying a failed or interrupted CSV import (%s)", (kind) => {
  let t: TestApp;
  let token: string;
  let tenantId: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    token = await t.login();
    const [tenant] = await t.siyu.platform.db.query<{ id: string }>(
      "select id from tenants order by created_at limit 1",
    );
    tenantId = tenant!.id;
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    importTuning.batchSize = 5000;
    importTuning.afterBatch = undefined;
    importStallMs.value = 10 * 60_000;
  });

  async function upload(csv: string, mapping: Record<string, string>): Promise<string> {
    const up = await t.app.inject({
      method: "POST",
      url: "/api/imports",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
      payload: csv,
    });
    expect(up.statusCode, up.body).toBe(201);
    const id = up.json().id as string;
    const put = await t.call("PUT", `/api/imports/${id}`, { token, body: { mapping } });
    expect(put.statusCode, put.body).toBe(200);
    return id;
  }

  async function waitDone(id: string, timeoutMs = 30_000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const body = (await t.call("GET", `/api/imports/${id}`, { token })).json();
      if (body.status === "completed" || body.status === "failed") return body;
      if (Date.now() > until) throw new Error(`import still ${body.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * What the job does on its last attempt, done directly (the real job backs off for minutes):
   * the import runs, dies after its first committed batch, and is marked failed.
   */
  async function failAfterFirstBatch(id: string) {
    const { platform } = t.siyu;
    await platform.db.tenant(tenantId, (s) => markStarted(s, platform, { userId: null }, id));
    importTuning.afterBatch = (_id, n) => {
      if (n === 1) throw new Error("database went away");
    };
    await expect(processImport(platform, tenantId, id)).rejects.toThrow("database went away");
    importTuning.afterBatch = undefined;
    await markFailed(platform, tenantId, id, "database went away");
  }

  it("restarts a failed import from its checkpoint: rows written before the failure are not written twice", async () => {
    // Name-only rows have no identity, so only the checkpoint (not identity resolution) keeps a
    // re-run from creating them twice; phone rows would be deduplicated by identity anyway.
    const rows = ["name,phone,tags"];
    for (let i = 0; i < 4; i++) rows.push(`RetryName${i},,t${i}`);
    for (let i = 0; i < 6; i++) rows.push(`RetryPhone${i},1395555${String(i).padStart(4, "0")},`);
    rows.push("RetryPhone0 later,13955550000,late"); // the same person as a row of the first batch
    const id = await upload(rows.join("\n"), { name: "name", phone: "phone", tags: "tags" });
    importTuning.batchSize = 4;
    await failAfterFirstBatch(id);

    const failed = (await t.call("GET", `/api/imports/${id}`, { token })).json();
    expect(failed).toMatchObject({ status: "failed", rowsDone: 4, created: 4, error: "database went away" });

    const retry = await t.call("POST", `/api/imports/${id}/retry`, { token });
    expect(retry.statusCode, retry.body).toBe(202);
    expect(retry.json()).toMatchObject({ status: "running", error: null, finishedAt: null });
    const done = await waitDone(id);
    expect(done).toMatchObject({
      status: "completed",
      rowsTotal: 11,
      rowsDone: 11,
      created: 10,
      updated: 1,
      failed: 0,
      error: null,
    });

    const { platform } = t.siyu;
    const [counts] = await platform.db.query<{ names: number; phones: number; created: number }>(
      `select (select count(*)::int from customers where name like 'RetryName%') as names,
              (select count(*)::int from customers where name like 'RetryPhone%') as phones,
              (select count(*)::int from customer_events e join customers c on c.id = e.customer_id
                where c.name like 'Retry%' and e.type = 'customer.created') as created`,
    );
    expect(counts).toEqual({ names: 4, phones: 6, created: 10 });
    // Staged rows are deleted right after the status turns completed, so wait for that.
    const staged = await waitFor(
      "staged rows deleted",
      async () => {
        const [row] = await platform.db.query<{ n: number }>(
          "select count(*)::int as n from import_rows where import_id = $1",
          [id],
        );
        return row!.n === 0;
      },
      15_000,
    );
    expect(staged).toBe(true);
    const audit = await platform.db.query<{ action: string }>(
      "select action from audit_log where target_id = $1 order by at",
      [id],
    );
    expect(audit.map((a) => a.action)).toContain("customers.import_retried");

    // Completed now: a second retry is refused.
    const again = await t.call("POST", `/api/imports/${id}/retry`, { token });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: "conflict" });
    expect(again.json().error.message).toMatch(/already completed/);
  });

  it("retries an interrupted import (running, no progress for the stall time) and refuses one still making progress", async () => {
    const rows = ["name,phone"];
    for (let i = 0; i < 6; i++) rows.push(`Stalled${i},1396666${String(i).padStart(4, "0")}`);
    const id = await upload(rows.join("\n"), { name: "name", phone: "phone" });
    const { platform } = t.siyu;
    // Started, but its job is gone (a process killed on the job's last attempt never marks it failed).
    await platform.db.tenant(tenantId, (s) => markStarted(s, platform, { userId: null }, id));

    const busy = await t.call("POST", `/api/imports/${id}/retry`, { token });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error.message).toMatch(/is running/);

    await platform.db.tenant(tenantId, (s) =>
      s.query("update imports set updated_at = now() - interval '11 minutes' where id = $1", [id]),
    );
    const [first, second] = await Promise.all([
      t.call("POST", `/api/imports/${id}/retry`, { token }),
      t.call("POST", `/api/imports/${id}/retry`, { token }),
    ]);
    // Two clicks make one retry.
    expect([first.statusCode, second.statusCode].sort()).toEqual([202, 409]);
    expect(await waitDone(id)).toMatchObject({ status: "completed", rowsDone: 6, created: 6 });
    const [n] = await platform.db.query<{ n: number }>(
      "select count(*)::int as n from customers where name like 'Stalled%'",
    );
    expect(n).toEqual({ n: 6 });
  });

  it("refuses to retry an import that was never started, and answers 404 for an unknown one", async () => {
    const id = await upload("name\nNever started\n", { name: "name" });
    const res = await t.call("POST", `/api/imports/${id}/retry`, { token });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toMatch(/not been started/);
    const unknown = await t.call("POST", "/api/imports/imp_nothing/retry", { token });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe("not_found");
  });
});
