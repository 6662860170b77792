import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Siyu, startSiyu } from "../../../boot.ts";
import { modules } from "../../../modules.ts";
import type { Database } from "../../../platform/db/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import { type DbKind, dbKinds, freshDatabase } from "../../../testing/databases.ts";
import { dropRedisKeys } from "../../../testing/redis.ts";
import { advanceTx, createFlow, publishFlow, registerAction, startInstanceTx } from "../index.ts";

/** A transactional test action: one row per execution, so a repeat shows as a second row. */
function registerCount(platform: Platform) {
  registerAction(platform, {
    action: "test.count",
    title: "count",
    params: z.object({}),
    kind: "transactional",
    async run(ctx) {
      await ctx.scope!.query("insert into flow_test_effects (instance_id, node_id) values ($1, $2)", [
        ctx.instanceId,
        ctx.nodeId,
      ]);
      return { result: { counted: true } };
    },
  });
}

const definition = (wait: string) => ({
  nodes: [
    { id: "t", type: "trigger", params: { event: "manual" } },
    { id: "w", type: "wait", params: { duration: wait } },
    { id: "a", type: "action", params: { action: "test.count" } },
    { id: "e", type: "end", params: {} },
  ],
  edges: [
    { from: "t", to: "w" },
    { from: "w", to: "a" },
    { from: "a", to: "e" },
  ],
  settings: { reentry: { mode: "every_time" as const }, variables: {} },
});

async function boot(kind: DbKind, db: Database, dataDir: string, env: Record<string, string>): Promise<Siyu> {
  return startSiyu({
    db,
    env: {
      SIYU_DATA_DIR: dataDir,
      SIYU_DEMO: "0",
      SIYU_ADMIN_EMAIL: "admin@example.com",
      SIYU_ADMIN_PASSWORD: "Adm1n-Passw0rd!",
      LOG_LEVEL: "silent",
      ...(kind === "postgres" && process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      ...env,
    },
    // The test action is registered in setup, before any worker can run a job that needs it.
    modules: [...modules, { name: "flows-test", setup: registerCount }],
  });
}

describe.each(dbKinds)("flows durability (%s)", (kind) => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let dataDir: string;
  let env: Record<string, string>;
  let tenantId: string;
  const prefix = `siyu-flows-${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    fresh = await freshDatabase(kind, { migrated: true });
    dataDir = mkdtempSync(join(tmpdir(), "siyu-flows-"));
    env = {
      SIYU_MASTER_KEY: randomBytes(32).toString("base64"),
      SIYU_REDIS_PREFIX: prefix,
      ...(fresh.url ? { DATABASE_URL: fresh.url } : {}),
    };
  });
  afterAll(async () => {
    await fresh?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    if (process.env.REDIS_URL) await dropRedisKeys(process.env.REDIS_URL, prefix);
  });

  it("10,000 instances waiting on timers across a restart: all resume, none fires twice", async () => {
    // The first process only stores (role api: no workers), so no timer can fire before the restart.
    const first = await boot(kind, fresh.db, dataDir, { ...env, SIYU_ROLE: "api" });
    await fresh.db.query(
      "create table if not exists flow_test_effects (id bigserial primary key, instance_id text not null, node_id text not null)",
    );
    await fresh.db.query("grant select, insert on flow_test_effects to siyu_app");
    await fresh.db.query("grant usage on sequence flow_test_effects_id_seq to siyu_app");
    const [tenant] = await fresh.db.query<{ id: string }>(
      "select id from tenants order by created_at limit 1",
    );
    tenantId = tenant!.id;
    const p = first.platform;
    const caller = { platform: p, actor: { email: "test" }, audit: p.audit };
    const flow = await p.db.tenant(tenantId, (s) =>
      createFlow(s, caller, { name: "timers", definition: definition("PT8S") }),
    );
    await p.db.tenant(tenantId, (s) => publishFlow(s, caller, flow.id));
    const total = Number(process.env.FLOWS_TEST_TIMERS ?? 10_000);
    for (let i = 0; i < total; i += 500) {
      await p.db.tenant(tenantId, async (s) => {
        for (let j = i; j < Math.min(total, i + 500); j++) await startInstanceTx(p, s, { flowId: flow.id });
      });
    }
    // Let the on-commit timer sends land (one due job per wake second, shared), then "restart".
    let last = -1;
    for (let i = 0; i < 100; i++) {
      const c = (await p.jobs.counts()).automation;
      if (c.delayed + c.waiting > 0 && c.delayed + c.waiting === last) break;
      last = c.delayed + c.waiting;
      await new Promise((r) => setTimeout(r, 300));
    }
    const [waitingBefore] = await fresh.db.query<{ n: number }>(
      "select count(*)::int as n from flow_instances where status = 'waiting'",
    );
    if (waitingBefore!.n !== total)
      console.log(
        "STATES",
        await fresh.db.query("select status, error, count(*)::int as n from flow_instances group by 1, 2"),
      );
    expect(waitingBefore!.n).toBe(total);
    await first.stop();

    const second = await boot(kind, fresh.db, dataDir, env);
    try {
      const end = Date.now() + Number(process.env.FLOWS_TEST_WAIT_MS ?? 1_500_000);
      for (;;) {
        const [row] = await fresh.db.query<{ n: number }>(
          "select count(*)::int as n from flow_instances where status = 'completed'",
        );
        if (row!.n === total || Date.now() > end) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      const [effects] = await fresh.db.query<{ n: number; distinct: number }>(
        "select count(*)::int as n, count(distinct instance_id)::int as distinct from flow_test_effects",
      );
      if (effects!.n !== total) {
        console.log(
          "LEFT",
          await fresh.db.query(
            "select i.status, t.status as ts, t.node_id, t.wake_at, t.wait, now() as now from flow_instances i join flow_tokens t on t.instance_id = i.id where i.status <> 'completed' limit 5",
          ),
        );
        console.log(
          "JOBS",
          await fresh.db.query("select name, state::text, count(*)::int from pgboss.job group by 1, 2"),
        );
      }
      expect(effects).toEqual({ n: total, distinct: total });
      const [runs] = await fresh.db.query<{ n: number }>(
        "select count(*)::int as n from flow_node_runs where node_id = 'a'",
      );
      expect(runs!.n).toBe(total);
    } finally {
      await second.stop();
    }
  }, 1_800_000);

  it("two workers racing on the same instances advance each once", async () => {
    const app = await boot(kind, fresh.db, dataDir, env);
    // A second platform on the same database: another worker (own job queue, own registry).
    const other = await boot(kind, fresh.db, dataDir, { ...env, SIYU_ROLE: "worker" });
    try {
      const p = app.platform;
      const caller = { platform: p, actor: { email: "test" }, audit: p.audit };
      const flow = await p.db.tenant(tenantId, (s) =>
        createFlow(s, caller, { name: "race", definition: definition("PT1H") }),
      );
      await p.db.tenant(tenantId, (s) => publishFlow(s, caller, flow.id));
      const ids: string[] = [];
      await p.db.tenant(tenantId, async (s) => {
        for (let i = 0; i < 30; i++) ids.push((await startInstanceTx(p, s, { flowId: flow.id }))!);
      });
      const tokens = await fresh.db.query<{ id: string; instance_id: string; step: number }>(
        "select id, instance_id, step from flow_tokens where instance_id = any($1::text[])",
        [ids],
      );
      // Both workers get the same timer at once, twice each.
      await Promise.all(
        tokens.flatMap((t) =>
          [app.platform, other.platform, app.platform, other.platform].map((pl) =>
            pl.db.tenant(tenantId, (s) =>
              advanceTx(pl, s, t.instance_id, { kind: "timer", tokenId: t.id, step: t.step }),
            ),
          ),
        ),
      );
      const [effects] = await fresh.db.query<{ n: number; distinct: number }>(
        "select count(*)::int as n, count(distinct instance_id)::int as distinct from flow_test_effects where instance_id = any($1::text[])",
        [ids],
      );
      expect(effects).toEqual({ n: 30, distinct: 30 });
      const states = await fresh.db.query<{ status: string; n: number }>(
        "select status, count(*)::int as n from flow_instances where id = any($1::text[]) group by status",
        [ids],
      );
      expect(states).toEqual([{ status: "completed", n: 30 }]);
    } finally {
      await other.stop();
      await app.stop();
    }
  }, 120_000);
});
