// Profile of the process engine (not a bench: no ratio): statements per SQL text per instance and
// time per phase (start, then timer wakes to completion) for N instances of the bench's 5-node flow.
// `FLOWS_PROFILE_INSTANCES` (default 2,000); PostgreSQL + BullMQ when DATABASE_URL and REDIS_URL are set.
// Run: `node --import tsx bench/flows-profile.ts`.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startSiyu } from "../server/src/boot.ts";
import { createFlow, publishFlow, startInstances } from "../server/src/modules/flows/index.ts";
import type { Database, Scope } from "../server/src/platform/db/index.ts";
import { openPglite } from "../server/src/platform/db/pglite.ts";
import { openPostgres } from "../server/src/platform/db/postgres.ts";
import { dropRedisKeys } from "../server/src/testing/redis.ts";
import { fiveNodes } from "./flows.bench.ts";
import { freshPostgres } from "./lib.ts";

const n = Number(process.env.FLOWS_PROFILE_INSTANCES ?? 2000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Stat = { count: number; ms: number };
let stats = new Map<string, Stat>();
let txs = 0;

function counted(db: Database): void {
  const tenant = db.tenant.bind(db);
  (db as { tenant: Database["tenant"] }).tenant = (id, fn) => {
    txs++;
    return tenant(id, (s) => {
      const wrapped: Scope = {
        ...s,
        async query(text, params) {
          const t0 = performance.now();
          try {
            return await s.query(text, params);
          } finally {
            const key = text.replace(/\s+/g, " ").trim().slice(0, 110);
            const st = stats.get(key) ?? { count: 0, ms: 0 };
            st.count++;
            st.ms += performance.now() - t0;
            stats.set(key, st);
          }
        },
      };
      return fn(wrapped);
    });
  };
}

function report(phase: string, ms: number) {
  const rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((a, [, s]) => a + s.count, 0);
  const sqlMs = rows.reduce((a, [, s]) => a + s.ms, 0);
  console.log(
    `\n== ${phase}: ${(ms / 1000).toFixed(1)} s; ${txs} transactions; ${total} statements = ${(total / n).toFixed(1)}/instance; ${(sqlMs / 1000).toFixed(1)} s in engine SQL`,
  );
  for (const [k, s] of rows.slice(0, 25))
    console.log(
      `${(s.count / n).toFixed(2).padStart(6)}/inst ${(s.ms / 1000).toFixed(2).padStart(7)} s  ${k}`,
    );
  stats = new Map();
  txs = 0;
}

async function profile(label: string, db: Database, env: Record<string, string>) {
  console.log(
    `\n##### ${label}, ${n} instances; load ${(await import("node:os"))
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
  const siyu = await startSiyu({ db, env });
  try {
    const p = siyu.platform;
    counted(p.db);
    const [t] = await db.query<{ id: string }>("select id from tenants order by created_at limit 1");
    const tenantId = t!.id;
    const caller = { platform: p, actor: { email: "bench" }, audit: p.audit };
    const flow = await p.db.tenant(tenantId, (sc) =>
      createFlow(sc, caller, { name: "p", definition: fiveNodes }),
    );
    await p.db.tenant(tenantId, (sc) => publishFlow(sc, caller, flow.id));
    stats = new Map();
    txs = 0;
    const t0 = performance.now();
    await startInstances(
      p,
      tenantId,
      flow.id,
      Array.from({ length: n }, (_, j) => ({ vars: { n: j } })),
    );
    const t1 = performance.now();
    report("start", t1 - t0);
    for (;;) {
      const [row] = await db.query<{ n: number }>(
        "select count(*)::int as n from flow_instances where status = 'completed'",
      );
      if (row!.n >= n) break;
      await sleep(200);
    }
    report("wake → completed", performance.now() - t1);
  } finally {
    await siyu.stop();
  }
}

const base = {
  SIYU_DEMO: "0",
  SIYU_ADMIN_EMAIL: "bench@example.com",
  SIYU_ADMIN_PASSWORD: "Bench-Passw0rd!",
  SIYU_MASTER_KEY: randomBytes(32).toString("base64"),
  LOG_LEVEL: "warn",
};
const dir = mkdtempSync(join(tmpdir(), "siyu-flows-profile-"));
try {
  if (process.env.DATABASE_URL && process.env.REDIS_URL) {
    const fresh = (await freshPostgres("flowsprof"))!;
    const db = await openPostgres(fresh.url, 10);
    const prefix = `siyu-flows-prof-${randomBytes(3).toString("hex")}`;
    try {
      await profile("PostgreSQL+BullMQ", db, {
        ...base,
        SIYU_DATA_DIR: dir,
        DATABASE_URL: fresh.url,
        REDIS_URL: process.env.REDIS_URL,
        SIYU_REDIS_PREFIX: prefix,
      });
    } finally {
      await db.close();
      await fresh.drop();
      await dropRedisKeys(process.env.REDIS_URL, prefix);
    }
  } else {
    const db = await openPglite(undefined);
    try {
      await profile("PGlite", db, { ...base, SIYU_DATA_DIR: dir });
    } finally {
      await db.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
