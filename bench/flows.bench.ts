// Process engine (flows) throughput and timers.
// 1. Burst: N instances of a 5-node flow (trigger → condition → wait 1 s → action → end) started at
//    once; time until all completed, node executions/s. Baseline in the same run, on the same worker
//    processes: the bare job queue doing the same work (one delayed job per item, 1 s, whose handler
//    makes the same single-row write the action makes) — the ratio is the engine's overhead, and the
//    per-node overhead is the engine's time per node execution minus the bare queue's time per job.
// 2. Timers across a restart: M instances waiting 10 s; the workers are killed (SIGKILL) and new ones
//    started on the same database; all must complete, none twice; lateness (wake − due) p50/p99.
// PGlite always, one process (embedded: role all, in this process; its restart stops and boots it).
// PostgreSQL + BullMQ when DATABASE_URL and REDIS_URL are set: this process is the API side (role api:
// it starts the instances and enqueues the baseline jobs) and two worker child processes
// (`bench/flows-worker.ts`, role worker) run every job, so the figures are not bound to one event loop.
// Sizes: FLOWS_BENCH_INSTANCES (default 100,000), FLOWS_BENCH_PGLITE_INSTANCES (default the same),
// FLOWS_BENCH_TIMERS (default 10,000), FLOWS_BENCH_WORKERS (worker processes, default 2).
// Run alone: `node --import tsx bench/flows.bench.ts`.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { type Siyu, startSiyu } from "../server/src/boot.ts";
import { createFlow, publishFlow, startInstances } from "../server/src/modules/flows/index.ts";
import { modules } from "../server/src/modules.ts";
import type { Database } from "../server/src/platform/db/index.ts";
import { openPglite } from "../server/src/platform/db/pglite.ts";
import { openPostgres } from "../server/src/platform/db/postgres.ts";
import { dropRedisKeys } from "../server/src/testing/redis.ts";
import { baselineJob, baselineModule, baselineTable } from "./flows-worker.ts";
import { type BenchResult, type Figure, freshPostgres, type Ratio, round, runIfMain } from "./lib.ts";

const instances = Number(process.env.FLOWS_BENCH_INSTANCES ?? 100_000);
const pgliteInstances = Number(process.env.FLOWS_BENCH_PGLITE_INSTANCES ?? instances);
const timers = Number(process.env.FLOWS_BENCH_TIMERS ?? 10_000);
const workerProcesses = Number(process.env.FLOWS_BENCH_WORKERS ?? 2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const fiveNodes = {
  nodes: [
    { id: "t", type: "trigger", params: { event: "manual" } },
    { id: "c", type: "condition", params: { expression: "vars.n >= 0" } },
    { id: "w", type: "wait", params: { duration: "PT1S" } },
    { id: "a", type: "action", params: { action: "vars.set", name: "done", value: "vars.n + 1" } },
    { id: "e", type: "end", params: {} },
  ],
  edges: [
    { from: "t", to: "c" },
    { from: "c", to: "w", when: "true" },
    { from: "w", to: "a" },
    { from: "a", to: "e" },
  ],
  settings: { reentry: { mode: "every_time" as const }, variables: { n: 0 } },
};

interface Setup {
  label: string;
  db: Database;
  env: Record<string, string>;
  /** Role of the platform in this process: `all` (embedded) or `api` (the workers are children). */
  role: "all" | "api";
  /** Worker child processes (0: this process runs the jobs). */
  workers: number;
  cleanup(): Promise<void>;
}

/** Worker child processes; `check()` throws once one of them died without being told to. */
interface Workers {
  check(): void;
  /** Graceful: SIGTERM, then wait for each to exit. */
  stop(): Promise<void>;
  /** A crash: SIGKILL, no chance to finish or hand back running jobs. */
  kill(): Promise<void>;
}

const root = resolve(import.meta.dirname, "..");

function spawnWorker(env: Record<string, string>, onExit: (child: ChildProcess, why: string) => void) {
  const merged: Record<string, string | undefined> = { ...process.env, ...env, SIYU_ROLE: "worker" };
  const child = spawn(process.execPath, ["--import", "tsx", "bench/flows-worker.ts"], {
    cwd: root,
    env: merged,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise<ChildProcess>((ok, fail) => {
    let out = "";
    let ready = false;
    const timer = setTimeout(() => fail(new Error(`flows worker did not start: ${out}`)), 180_000);
    // Keep reading stdout for the child's whole life, so a full pipe never blocks it.
    child.stdout?.on("data", (chunk: Buffer) => {
      if (ready) return;
      out += chunk.toString();
      if (out.includes("flows bench worker ready")) {
        ready = true;
        clearTimeout(timer);
        ok(child);
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const why = `flows worker ${child.pid} exited (${code ?? signal})`;
      if (ready) onExit(child, why);
      else fail(new Error(`${why}: ${out}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    child.once("exit", () => r());
  });
}

async function startWorkers(s: Setup): Promise<Workers> {
  let failure: string | undefined;
  const ending = new Set<ChildProcess>();
  const onExit = (child: ChildProcess, why: string) => {
    if (!ending.has(child)) failure ??= why;
  };
  const started = await Promise.allSettled(
    Array.from({ length: s.workers }, () => spawnWorker(s.env, onExit)),
  );
  const children = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const end = async (signal: NodeJS.Signals) => {
    for (const c of children) ending.add(c);
    await Promise.all(
      children.map(async (c) => {
        const gone = exited(c);
        c.kill(signal);
        // A graceful stop that hangs is ended the hard way.
        const t = setTimeout(() => c.kill("SIGKILL"), 20_000);
        await gone;
        clearTimeout(t);
      }),
    );
  };
  const bad = started.find((r) => r.status === "rejected");
  if (bad) {
    await end("SIGKILL");
    throw (bad as PromiseRejectedResult).reason;
  }
  return {
    check() {
      if (failure) throw new Error(failure);
    },
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
  };
}

const noWorkers: Workers = { check() {}, stop: async () => {}, kill: async () => {} };

/** The platform in this process, then the worker processes (after it, so it migrates and seeds). */
async function boot(s: Setup): Promise<{ main: Siyu; workers: Workers }> {
  const main = await startSiyu({
    db: s.db,
    env: { ...s.env, SIYU_ROLE: s.role },
    modules: [...modules, baselineModule],
  });
  try {
    return { main, workers: s.workers > 0 ? await startWorkers(s) : noWorkers };
  } catch (err) {
    await main.stop();
    throw err;
  }
}

async function tenantOf(db: Database): Promise<string> {
  const [t] = await db.query<{ id: string }>("select id from tenants order by created_at limit 1");
  return t!.id;
}

async function count(db: Database, sql: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(sql);
  return row!.n;
}

async function waitCount(
  db: Database,
  sql: string,
  target: number,
  timeoutMs: number,
  workers: Workers,
): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const n = await count(db, sql);
    if (n >= target || Date.now() > end) return n;
    workers.check();
    await sleep(250);
  }
}

async function startMany(siyu: Siyu, tenantId: string, flowId: string, n: number) {
  // A burst: set-based starts, 500 instances per transaction.
  await startInstances(
    siyu.platform,
    tenantId,
    flowId,
    Array.from({ length: n }, (_, j) => ({ vars: { n: j } })),
  );
}

async function burst(s: Setup, n: number): Promise<{ figures: Figure[]; ratios: Ratio[] }> {
  const { main, workers } = await boot(s);
  try {
    const tenantId = await tenantOf(s.db);
    const p = main.platform;
    const caller = { platform: p, actor: { email: "bench" }, audit: p.audit };
    const flow = await p.db.tenant(tenantId, (sc) =>
      createFlow(sc, caller, { name: "bench", definition: fiveNodes }),
    );
    await p.db.tenant(tenantId, (sc) => publishFlow(sc, caller, flow.id));

    const t0 = performance.now();
    await startMany(main, tenantId, flow.id, n);
    const started = performance.now() - t0;
    const done = await waitCount(
      s.db,
      "select count(*)::int as n from flow_instances where status = 'completed'",
      n,
      30 * 60_000,
      workers,
    );
    const total = performance.now() - t0;
    const nodes = await count(s.db, "select count(*)::int as n from flow_node_runs");

    // Baseline, on the same workers: one 1 s-delayed job per item, one row write each.
    await s.db.query(`create table if not exists ${baselineTable} (id int primary key, done int)`);
    const b0 = performance.now();
    for (let i = 0; i < n; i += 500) {
      const items = [];
      for (let j = i; j < Math.min(n, i + 500); j++)
        items.push({ name: baselineJob, data: { i: j }, options: { delayMs: 1000 } });
      await p.jobs.sendMany(items);
    }
    const bareDone = await waitCount(
      s.db,
      `select count(*)::int as n from ${baselineTable}`,
      n,
      30 * 60_000,
      workers,
    );
    const bare = performance.now() - b0;
    const perNode = total / Math.max(1, nodes);
    const perJob = bare / Math.max(1, bareDone);
    return {
      figures: [
        {
          label: `${s.label}: ${n} instances started (trigger→condition→wait)`,
          value: started / 1000,
          unit: "s",
        },
        { label: `${s.label}: all ${done}/${n} completed`, value: total / 1000, unit: "s" },
        { label: `${s.label}: node executions`, value: nodes / (total / 1000), unit: "nodes/s" },
        { label: `${s.label}: instances`, value: done / (total / 1000), unit: "instances/s" },
        {
          label: `${s.label}: bare queue, ${bareDone}/${n} delayed jobs with the same write`,
          value: bare / 1000,
          unit: "s",
        },
        { label: `${s.label}: engine time per node`, value: perNode * 1000, unit: "µs" },
        { label: `${s.label}: bare queue time per job`, value: perJob * 1000, unit: "µs" },
        {
          label: `${s.label}: per-node overhead (engine per node − bare queue per job)`,
          value: (perNode - perJob) * 1000,
          unit: "µs",
        },
      ],
      ratios: [
        {
          label: `${s.label}: engine time / bare queue time`,
          value: total / bare,
          baseline: "bare job queue, same work, same workers",
        },
      ],
    };
  } finally {
    await workers.stop();
    await main.stop();
  }
}

async function restartTimers(s: Setup, n: number): Promise<{ figures: Figure[]; ratios: Ratio[] }> {
  let { main, workers } = await boot(s);
  try {
    const tenantId = await tenantOf(s.db);
    const p = main.platform;
    const caller = { platform: p, actor: { email: "bench" }, audit: p.audit };
    const def = structuredClone(fiveNodes);
    def.nodes[2] = { id: "w", type: "wait", params: { duration: "PT10S" } };
    const flow = await p.db.tenant(tenantId, (sc) =>
      createFlow(sc, caller, { name: "timers", definition: def }),
    );
    await p.db.tenant(tenantId, (sc) => publishFlow(sc, caller, flow.id));
    const completedSql = `select count(*)::int as n from flow_instances where flow_id = '${flow.id}' and status = 'completed'`;
    const t0 = performance.now();
    await startMany(main, tenantId, flow.id, n);
    const startSecs = (performance.now() - t0) / 1000;
    await sleep(300);
    const before = await count(s.db, completedSql);
    const r0 = performance.now();
    if (s.workers > 0) {
      // A crash of every worker: the API side stays up, new workers take over the same queues.
      await workers.kill();
      workers = await startWorkers(s);
    } else {
      // Embedded: one process; stopped and booted again on the same database.
      await main.stop();
      ({ main, workers } = await boot(s));
    }
    const gapSecs = (performance.now() - r0) / 1000;
    const done = await waitCount(s.db, completedSql, n, 30 * 60_000, workers);
    const [late] = await s.db.query<{ p50: number; p99: number; runs: number; max: number }>(
      `select percentile_cont(0.5) within group (order by l) as p50, percentile_cont(0.99) within group (order by l) as p99,
              max(l) as max, count(*)::int as runs
         from (select extract(epoch from (left_at - entered_at)) * 1000 - 10000 as l from flow_node_runs
                where flow_id = '${flow.id}' and node_id = 'w' and left_at is not null) x`,
    );
    const [acts] = await s.db.query<{ n: number; d: number }>(
      `select count(*)::int as n, count(distinct instance_id)::int as d from flow_node_runs where flow_id = '${flow.id}' and node_id = 'a'`,
    );
    const how = s.workers > 0 ? `${s.workers} workers SIGKILLed, new ones ready` : "stopped and booted";
    return {
      figures: [
        { label: `${s.label}: timers: ${n} started in`, value: startSecs, unit: "s" },
        { label: `${s.label}: timers completed before the restart`, value: before, unit: `of ${n}` },
        { label: `${s.label}: restart (${how})`, value: gapSecs, unit: "s" },
        { label: `${s.label}: timers completed after restart`, value: done, unit: `of ${n}` },
        { label: `${s.label}: timers fired twice`, value: acts!.n - acts!.d, unit: "" },
        { label: `${s.label}: timer lateness p50`, value: Number(late!.p50), unit: "ms" },
        { label: `${s.label}: timer lateness p99`, value: Number(late!.p99), unit: "ms" },
      ],
      ratios: [],
    };
  } finally {
    await workers.stop();
    await main.stop();
  }
}

export async function run(): Promise<BenchResult> {
  const figures: Figure[] = [];
  const ratios: Ratio[] = [];
  const base = {
    SIYU_DEMO: "0",
    SIYU_ADMIN_EMAIL: "bench@example.com",
    SIYU_ADMIN_PASSWORD: "Bench-Passw0rd!",
    SIYU_MASTER_KEY: randomBytes(32).toString("base64"),
    LOG_LEVEL: "warn",
  };
  const setups: Array<() => Promise<Setup>> = [];
  // FLOWS_BENCH_PGLITE_INSTANCES=0: PostgreSQL only.
  if (pgliteInstances > 0)
    setups.push(async () => {
      const dir = mkdtempSync(join(tmpdir(), "siyu-flows-bench-"));
      const db = await openPglite(undefined);
      return {
        label: "PGlite",
        db,
        env: { ...base, SIYU_DATA_DIR: dir },
        role: "all",
        workers: 0,
        cleanup: async () => {
          await db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    });
  if (process.env.DATABASE_URL && process.env.REDIS_URL) {
    setups.push(async () => {
      const fresh = (await freshPostgres("flows"))!;
      const db = await openPostgres(fresh.url, 10);
      const dir = mkdtempSync(join(tmpdir(), "siyu-flows-bench-"));
      const prefix = `siyu-flows-bench-${randomBytes(3).toString("hex")}`;
      return {
        label: `PostgreSQL+BullMQ (api + ${workerProcesses} worker processes)`,
        db,
        env: {
          ...base,
          SIYU_DATA_DIR: dir,
          DATABASE_URL: fresh.url,
          REDIS_URL: process.env.REDIS_URL!,
          SIYU_REDIS_PREFIX: prefix,
        },
        role: "api",
        workers: workerProcesses,
        cleanup: async () => {
          await db.close();
          await fresh.drop();
          await dropRedisKeys(process.env.REDIS_URL!, prefix);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    });
  }
  for (const make of setups) {
    const s = await make();
    try {
      const b = await burst(s, s.label === "PGlite" ? pgliteInstances : instances);
      figures.push(...b.figures);
      ratios.push(...b.ratios);
      const r = await restartTimers(s, timers);
      figures.push(...r.figures);
    } finally {
      await s.cleanup();
    }
  }
  return {
    name: "flows",
    figures: figures.map((f) => ({ ...f, value: round(f.value) })),
    ratios,
    notes:
      `PGlite: one process (role all). PostgreSQL + BullMQ: this process is the API side (role api, starts ` +
      `the instances, enqueues the baseline); ${workerProcesses} worker child processes run the engine's jobs ` +
      "and the baseline's; the timers' restart kills them with SIGKILL and starts new ones.",
  };
}

await runIfMain(import.meta.url, run);
