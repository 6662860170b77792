import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { migrate } from "../db/migrate.ts";
import { openPglite } from "../db/pglite.ts";
import { defineJobQueueContract } from "./jobs.contract.ts";
import { createPgBossQueue } from "./pgboss.driver.ts";

defineJobQueueContract("pg-boss on PGlite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "siyu-jobs-"));
  const db = await openPglite(dir);
  await migrate(db);
  return {
    // pg-boss fires schedules at minute precision; `* * * * *` is due at once after scheduling.
    cron: { expr: "* * * * *", tickMs: 60_000 },
    open: async () => createPgBossQueue({ db, cronCheckSec: 1, maintenanceSec: 1 }),
    close: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe("pg-boss driver specifics", () => {
  it("dead-letters a job whose last attempt times out", async () => {
    const db = await openPglite(undefined);
    await migrate(db);
    const q = createPgBossQueue({ db, activeTimeoutSec: 1, maintenanceSec: 1, housekeepingMs: 300 });
    let runs = 0;
    q.define({
      name: "slow.job",
      queue: "sync",
      attempts: 1,
      handler: async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 2500));
      },
    });
    await q.start();
    await q.work({ queues: ["sync"] });
    const id = await q.send("slow.job", { big: true });
    const until = Date.now() + 15_000;
    let dead = await q.deadLetters();
    while (!dead.length && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      dead = await q.deadLetters();
    }
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ id, name: "slow.job", queue: "sync", data: { big: true }, attempts: 1 });
    expect(dead[0]?.error).toMatch(/exceeded|timeout/);
    expect(runs).toBe(1);
    expect((await q.counts()).sync).toMatchObject({ dead: 1, failed: 1, active: 0 });
    await q.stop(3000);
    await db.close();
  });

  it("gives realtime jobs a two-minute active timeout and other queues the default", async () => {
    const db = await openPglite(undefined);
    await migrate(db);
    const q = createPgBossQueue({ db });
    q.define({ name: "fast.job", queue: "realtime", handler: async () => {} });
    q.define({ name: "long.job", queue: "sync", handler: async () => {} });
    await q.start();
    const fast = await q.send("fast.job", {});
    const long = await q.send("long.job", {});
    const rows = await db.query<{ id: string; seconds: number }>(
      "select id, extract(epoch from expire_in)::int as seconds from pgboss.job where id = any($1::uuid[])",
      [[fast, long]],
    );
    const seconds = new Map(rows.map((r) => [r.id, Number(r.seconds)]));
    expect(seconds.get(fast as string)).toBe(120);
    expect(seconds.get(long as string)).toBe(15 * 60);
    await q.stop(1000);
    await db.close();
  });
});
