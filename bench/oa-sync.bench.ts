// Official Account full follower sync against existing WeCom customers: N followers seeded in the OA
// simulator (a standalone child process), half of them with the unionids of N/2 customers already in
// Siyu as WeCom contacts (seeded with the customers module's bulk writer, `upsertCustomers`), the other
// half with unionids nobody else has. `POST /api/official-account/sync` on Siyu (in this process, role
// all) is timed to the run's `completed`. Checks: every seeded overlap merged into the WeCom customer
// (must be 100%), no follower without an overlap merged into one (must be 0), one customer per person.
// Baseline in the same run: the bulk writer itself seeding the WeCom customers (customers/s).
// PostgreSQL when DATABASE_URL is set (default 200,000 followers / 100,000 customers); PGlite with
// OA_SYNC_BENCH_PGLITE_FOLLOWERS (default 20,000: one thread runs the database, the jobs and the
// HTTP client, so 200,000 would take long).
// Run alone: `node --import tsx bench/oa-sync.bench.ts`, or `npm run bench oa-sync`.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { type Siyu, startSiyu } from "../server/src/boot.ts";
import { type CustomerInput, upsertCustomers } from "../server/src/modules/customers/index.ts";
import { startOaSync } from "../server/src/modules/official-account/index.ts";
import { type BenchResult, type Figure, freshPostgres, type Ratio, runIfMain } from "./lib.ts";
import { spawnServer, stopServer } from "./servers.ts";

const pgFollowers = Number(process.env.OA_SYNC_BENCH_FOLLOWERS ?? 200_000);
const pgliteFollowers = Number(process.env.OA_SYNC_BENCH_PGLITE_FOLLOWERS ?? 20_000);
const adminEmail = "bench@siyu.local";
const adminPassword = "bench-Password-1234";

async function call(url: string, method: string, body?: unknown) {
  const res = await fetch(url, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

interface Outcome {
  figures: Figure[];
  ratios: Ratio[];
}

async function measure(label: string, followers: number, env: Record<string, string>): Promise<Outcome> {
  const overlap = Math.floor(followers / 2);
  const dir = mkdtempSync(join(tmpdir(), "siyu-bench-oasync-"));
  const simDir = mkdtempSync(join(tmpdir(), "siyu-bench-oasim-"));
  const sim = await spawnServer("server/src/sandbox/official-account/main.ts", {
    PORT: "0",
    HOST: "127.0.0.1",
    SIYU_DATA_DIR: simDir,
  });
  let siyu: Siyu | undefined;
  try {
    const merged: Record<string, string | undefined> = {
      ...process.env,
      SIYU_DATA_DIR: dir,
      SIYU_ROLE: "all",
      SIYU_DEMO: "0",
      SIYU_SANDBOX: "0",
      SIYU_ADMIN_EMAIL: adminEmail,
      SIYU_ADMIN_PASSWORD: adminPassword,
      SIYU_MASTER_KEY: randomBytes(32).toString("base64"),
      SIYU_REDIS_PREFIX: `bench-oasync-${randomBytes(3).toString("hex")}`,
      LOG_LEVEL: "warn",
      ...env,
    };
    // An empty value removes the variable (PGlite: no DATABASE_URL at all).
    for (const [k, v] of Object.entries(merged)) if (v === "") delete merged[k];
    siyu = await startSiyu({ env: merged });
    const platform = siyu.platform;
    const [tenant] = await platform.db.query<{ id: string }>(
      "select tenant_id as id from users where email = $1",
      [adminEmail],
    );
    const tenantId = tenant!.id;

    // 1. The WeCom customers (baseline: the bulk writer's own pace).
    const writer = { platform, actor: {}, cause: "import" as const };
    const seedStarted = performance.now();
    for (let i = 0; i < overlap; i += 2000) {
      const inputs: CustomerInput[] = [];
      for (let k = i; k < Math.min(i + 2000, overlap); k++) {
        inputs.push({
          name: `企微客户${k}`,
          identities: [
            { type: "wecom_external_userid", value: `wmbench${k}`, scope: "wwbench" },
            { type: "unionid", value: `ubench_${k}` },
          ],
          source: "wecom",
        });
      }
      await platform.db.tenant(tenantId, (s) => upsertCustomers(s, writer, inputs, { publish: "none" }));
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    await platform.db.query("analyze customers");
    await platform.db.query("analyze customer_identities");

    // 2. The followers, in the simulator: the first half share the customers' unionids.
    const account = await call(`${sim.url}/_sim/accounts`, "POST", { name: "压测服务号" });
    const appId = String(account.appId);
    await call(`${sim.url}/_sim/accounts/${appId}/followers/seed`, "POST", {
      count: overlap,
      unionidTemplate: "ubench_{i}",
    });
    await call(`${sim.url}/_sim/accounts/${appId}/followers/seed`, "POST", {
      count: followers - overlap,
      unionidTemplate: "uoaonly_{i}",
    });
    await platform.db.tenant(tenantId, async (s) => {
      const { saveOaSettings } = await import("../server/src/modules/official-account/settings.service.ts");
      await saveOaSettings(
        s,
        platform,
        { email: "bench" },
        {
          appId,
          secret: String(account.secret),
          token: "BenchToken2026",
          encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
          mode: "safe",
          apiBase: sim.url,
        },
      );
    });

    // 3. The sync, timed to `completed`.
    const started = performance.now();
    const run = await startOaSync(platform, tenantId, null);
    let final: { status: string; progress: Record<string, number> } | undefined;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const [row] = await platform.db.query<{
        status: string;
        progress: Record<string, number>;
        error: string | null;
      }>("select status, progress, error from oa_sync_runs where id = $1", [run.id]);
      if (row?.status === "completed") {
        final = row;
        break;
      }
      if (row?.status === "failed") throw new Error(`${label}: sync failed: ${row.error}`);
    }
    const seconds = (performance.now() - started) / 1000;

    // 4. Correctness: overlaps merged, no false merges, one customer per person.
    const [check] = await platform.db.query<{
      merged: number;
      false_merges: number;
      followers: number;
      customers: number;
      multi_openid: number;
    }>(
      `with f as (select f.customer_id, f.unionid from oa_followers f where f.tenant_id = $1)
       select
         (select count(*)::int from f where f.unionid like 'ubench\\_%' and exists (
            select 1 from customer_identities i where i.customer_id = f.customer_id and i.type = 'wecom_external_userid'
              and i.value = 'wmbench' || substr(f.unionid, 8))) as merged,
         (select count(*)::int from f where f.unionid like 'uoaonly\\_%' and exists (
            select 1 from customer_identities i where i.customer_id = f.customer_id and i.type = 'wecom_external_userid')) as false_merges,
         (select count(*)::int from f) as followers,
         (select count(*)::int from customers c where c.tenant_id = $1 and c.merged_into is null and c.deleted_at is null) as customers,
         (select count(*)::int from (select customer_id from customer_identities where tenant_id = $1 and type = 'oa_openid'
            group by customer_id having count(*) > 1) x) as multi_openid`,
      [tenantId],
    );
    const mergedShare = (check?.merged ?? 0) / overlap;
    console.log(
      `${label}: ${followers} followers in ${seconds.toFixed(1)} s (${(followers / seconds).toFixed(0)}/s); ` +
        `merged ${check?.merged}/${overlap}, false merges ${check?.false_merges}, customers ${check?.customers}, ` +
        `progress ${JSON.stringify(final?.progress)}`,
    );
    if (
      mergedShare !== 1 ||
      check?.false_merges !== 0 ||
      check?.customers !== followers ||
      check?.multi_openid !== 0
    )
      throw new Error(`${label}: identity resolution wrong: ${JSON.stringify(check)}`);
    return {
      figures: [
        {
          label: `${label}: full sync of ${followers} followers (${overlap} also WeCom customers)`,
          value: seconds,
          unit: "s",
        },
        { label: `${label}: followers/s`, value: followers / seconds, unit: "followers/s" },
        { label: `${label}: overlaps merged into the WeCom customer`, value: mergedShare * 100, unit: "%" },
        { label: `${label}: false merges`, value: check.false_merges, unit: "followers" },
        {
          label: `${label}: bulk writer seeding ${overlap} WeCom customers`,
          value: overlap / seedSeconds,
          unit: "customers/s",
        },
      ],
      ratios: [
        {
          label: `${label}: followers/s ÷ bulk writer customers/s`,
          value: followers / seconds / (overlap / seedSeconds),
          baseline: "upsertCustomers writing 2,000-customer batches directly (no API, no follower rows)",
        },
      ],
    };
  } finally {
    await siyu?.stop();
    await stopServer(sim.child);
    rmSync(dir, { recursive: true, force: true });
    rmSync(simDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult> {
  const figures: Figure[] = [];
  const ratios: Ratio[] = [];
  const pg = await freshPostgres("bench_oa_sync");
  if (pg) {
    try {
      const r = await measure("PostgreSQL", pgFollowers, {
        DATABASE_URL: pg.url,
        REDIS_URL: process.env.REDIS_URL ?? "",
      });
      figures.push(...r.figures);
      ratios.push(...r.ratios);
    } finally {
      await pg.drop();
    }
  }
  const delEnv = { DATABASE_URL: "", REDIS_URL: "" };
  const lite = await measure("PGlite", pgliteFollowers, delEnv);
  figures.push(...lite.figures);
  ratios.push(...lite.ratios);
  return {
    name: "oa-sync",
    figures,
    ratios,
    notes:
      "user/get pages of 10,000, user/info/batchget 100 per call, 5 calls in parallel per 500-follower batch, " +
      "each batch one transaction (upsertCustomers + follower rows + checkpoint), the next batch fetched while " +
      "one is written. Identity resolution must merge 100% of seeded overlaps and 0 others.",
  };
}

await runIfMain(import.meta.url, run);
