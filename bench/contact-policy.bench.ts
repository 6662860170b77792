// The marketing guardrails' set-based check: `decide()` and `reserve()` (rolled back, so every rep sees
// the same data) for 10,000 and 100,000 customers in one call, against a bare SELECT of the same touch
// rows (`contact_touches` of those customers on the channel) in the same run. Each customer set has 30 %
// of customers with 1–3 counted touches in the last 30 local days and 5 % opted out; the policy has a
// daily, a 7-day and a calendar-month cap (all windows counted). Median of 5 after a warm-up.
// PGlite always, PostgreSQL too when DATABASE_URL is set (a fresh database, dropped afterwards).
// Run alone: `node --import tsx bench/contact-policy.bench.ts`; CONTACT_POLICY_BENCH_SIZES="10000,100000".
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decide, reserve } from "../server/src/modules/contact-policy/index.ts";
import type { Database } from "../server/src/platform/db/index.ts";
import { migrate } from "../server/src/platform/db/migrate.ts";
import { openPglite } from "../server/src/platform/db/pglite.ts";
import { openPostgres } from "../server/src/platform/db/postgres.ts";
import { type BenchResult, type Figure, freshPostgres, type Ratio, round, runIfMain, timeIt } from "./lib.ts";

const sizes = (process.env.CONTACT_POLICY_BENCH_SIZES ?? "10000,100000").split(",").map(Number);
const tenantId = "ten_bench_cp";
// Noon in Shanghai: no quiet hours in the way.
const at = new Date("2025-03-20T04:00:00Z");

async function seed(db: Database, n: number): Promise<string[]> {
  await db.system(async (s) => {
    await s.query("insert into tenants (id, name) values ($1, 'bench') on conflict do nothing", [tenantId]);
    await s.query(
      `insert into contact_policy_channels (tenant_id, channel, per_day, per_week, per_calendar_month)
       values ($1, 'wecom_private', 1, 3, 6) on conflict do nothing`,
      [tenantId],
    );
    await s.query("delete from contact_touches");
    await s.query("delete from contact_opt_outs");
    // 30 % of customers with 1–3 touches spread over the 30 days before `at`.
    await s.query(
      `insert into contact_touches (tenant_id, channel, customer_id, ref, purpose, counted, at, local_day)
       select $1, 'wecom_private', 'cus_' || g, 'seed' || k, 'marketing', true,
              $3::timestamptz - ((g * 7 + k * 11) % 30) * interval '1 day',
              ($3::timestamptz - ((g * 7 + k * 11) % 30) * interval '1 day')::date
         from generate_series(0, $2 - 1) g, generate_series(1, 3) k
        where g % 10 < 3 and k <= 1 + g % 3`,
      [tenantId, n, at],
    );
    await s.query(
      `insert into contact_opt_outs (tenant_id, customer_id, channel, source)
       select $1, 'cus_' || g, 'all', 'import' from generate_series(0, $2 - 1) g where g % 20 = 7`,
      [tenantId, n],
    );
    await s.query("analyze contact_touches");
    await s.query("analyze contact_opt_outs");
  });
  return Array.from({ length: n }, (_, g) => `cus_${g}`);
}

async function measure(kind: string, db: Database, figures: Figure[], ratios: Ratio[]) {
  await migrate(db);
  for (const n of sizes) {
    const ids = await seed(db, n);
    const input = {
      tenantId,
      customerIds: ids,
      channel: "wecom_private" as const,
      purpose: "marketing" as const,
      at,
    };
    const bare = await timeIt(() =>
      db.tenant(tenantId, (s) =>
        s.query(
          "select customer_id, local_day from contact_touches where tenant_id = $1 and channel = 'wecom_private' and customer_id = any($2::text[])",
          [tenantId, ids],
        ),
      ),
    );
    let allowed = 0;
    const decideMs = await timeIt(async () => {
      allowed = (await decide(db, input)).allowed.length;
    });
    let rep = 0;
    const reserveMs = await timeIt(() =>
      db
        .tenant(tenantId, async (s) => {
          await reserve(s, { ...input, ref: `bench-${rep++}` });
          throw new Error("rollback");
        })
        .catch(() => undefined),
    );
    figures.push(
      { label: `${kind} ${n} customers: bare SELECT of their touches`, value: round(bare), unit: "ms" },
      { label: `${kind} ${n} customers: decide`, value: round(decideMs), unit: "ms" },
      { label: `${kind} ${n} customers: reserve (rolled back)`, value: round(reserveMs), unit: "ms" },
      { label: `${kind} ${n} customers: allowed`, value: allowed, unit: "customers" },
    );
    ratios.push(
      { label: `${kind} ${n}: decide`, value: round(decideMs / bare), baseline: "bare SELECT (× slower)" },
      { label: `${kind} ${n}: reserve`, value: round(reserveMs / bare), baseline: "bare SELECT (× slower)" },
    );
  }
}

export async function run(): Promise<BenchResult> {
  const figures: Figure[] = [];
  const ratios: Ratio[] = [];
  const dir = mkdtempSync(join(tmpdir(), "siyu-bench-cp-"));
  const lite = await openPglite(join(dir, "pg"));
  try {
    await measure("PGlite", lite, figures, ratios);
  } finally {
    await lite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const fresh = await freshPostgres("bench_cp");
  if (fresh) {
    const pgdb = await openPostgres(fresh.url, 4);
    try {
      await measure("PostgreSQL", pgdb, figures, ratios);
    } finally {
      await pgdb.close();
      await fresh.drop();
    }
  }
  return { name: "contact-policy", figures, ratios };
}

await runIfMain(import.meta.url, run);
