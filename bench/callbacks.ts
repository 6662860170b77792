// The harness both callback benchmarks share (wecom-callbacks, oa-callbacks): a bare Fastify route doing
// only verify + decrypt + parse, then Siyu as an API process on PGlite, PostgreSQL and PostgreSQL + BullMQ,
// each driven by the same keep-alive load generator. A benchmark gives only its platform's part: the
// signed requests, the settings it stores, and its bare route.
// Figures: (1) acked/s with 64 requests in flight (closed loop) and the ratio to the bare route
// (target ≥ 0.5); (2) ack latency p50/p99 at a fixed rate (open loop; target p99 ≤ 50 ms).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BenchResult, type Figure, freshPostgres, type Ratio } from "./lib.ts";
import { closedLoop, type LoadRequest, type LoadResult, openLoop, percentile } from "./load.ts";
import { freePort, spawnServer, stopServer } from "./servers.ts";

export const callbackToken = "BenchToken2026";
export const callbackAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const adminEmail = "bench@siyu.local";
const adminPassword = "bench-Password-1234";
const concurrency = 64;

export interface CallbackBenchSpec {
  /** Benchmark name, also the prefix of its temp dirs, Redis keys and databases. */
  name: string;
  requests: number;
  rate: number;
  /** `n` distinct callbacks for the tenant, signed as the platform sends them; `tag` keeps ids unique. */
  callbacks: (tenantId: string, n: number, tag: string) => LoadRequest[];
  /** The settings route and body that connect the tenant to the platform with the token and key above. */
  settings: { path: string; body: Record<string, unknown> };
  /** The bare route's script and its environment (token and key are added). */
  bare: { script: string; env: Record<string, string> };
  /** What the ack path does and what a burst is, for the result's notes. */
  notes: (sizes: { requests: number; steady: number; rate: number; concurrency: number }) => string;
}

interface Measured {
  burst: LoadResult;
  steady: LoadResult;
}

async function json(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${init.method} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export async function runCallbackBench(spec: CallbackBenchSpec): Promise<BenchResult> {
  const { requests, rate } = spec;
  const steadyCount = Math.min(requests, rate * 10);
  const slug = spec.name.replace(/\W/g, "_");

  /** Logs in as the bench admin and stores the platform settings; returns the tenant id. */
  async function configure(url: string): Promise<string> {
    const login = await json(`${url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: adminEmail, password: adminPassword }),
    });
    await json(`${url}${spec.settings.path}`, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${String(login.token)}` },
      body: JSON.stringify(spec.settings.body),
    });
    return (login.user as { tenantId: string }).tenantId;
  }

  async function measure(url: string, tenantId: string, tag: string): Promise<Measured> {
    // Warm-up: JIT, connection pools, statement caches.
    await closedLoop(url, spec.callbacks(tenantId, 500, `${tag}w`), concurrency);
    const burst = await closedLoop(url, spec.callbacks(tenantId, requests, `${tag}b`), concurrency);
    const steady = await openLoop(url, spec.callbacks(tenantId, steadyCount, `${tag}s`), rate);
    for (const r of [burst, steady]) {
      if (r.failed > 0) throw new Error(`${tag}: ${r.failed} callbacks failed: ${r.errors.join(" | ")}`);
    }
    return { burst, steady };
  }

  function figuresOf(label: string, m: Measured): Figure[] {
    return [
      { label: `${label}: acked/s, ${concurrency} in flight`, value: m.burst.perSecond, unit: "callbacks/s" },
      { label: `${label}: ack p50 at ${rate}/s`, value: percentile(m.steady.latencies, 50), unit: "ms" },
      { label: `${label}: ack p99 at ${rate}/s`, value: percentile(m.steady.latencies, 99), unit: "ms" },
    ];
  }

  async function siyu(label: string, env: Record<string, string>, bare: Measured) {
    const dir = mkdtempSync(join(tmpdir(), `siyu-bench-${spec.name}-`));
    const port = await freePort();
    const { child } = await spawnServer("server/src/main.ts", {
      PORT: String(port),
      HOST: "127.0.0.1",
      SIYU_DATA_DIR: dir,
      SIYU_ROLE: "api",
      SIYU_DEMO: "0",
      SIYU_SANDBOX: "0",
      SIYU_ADMIN_EMAIL: adminEmail,
      SIYU_ADMIN_PASSWORD: adminPassword,
      SIYU_REDIS_PREFIX: `bench-${spec.name}-${randomBytes(3).toString("hex")}`,
      ...env,
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      const m = await measure(url, await configure(url), label.replace(/\W/g, "").slice(0, 6));
      figures.push(...figuresOf(label, m));
      ratios.push({
        label: `${label}: acked/s ÷ bare decrypt route`,
        value: m.burst.perSecond / bare.burst.perSecond,
        baseline: "bare Fastify route doing the same verify + decrypt + parse",
      });
    } finally {
      await stopServer(child);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const figures: Figure[] = [];
  const ratios: Ratio[] = [];
  const bareServer = await spawnServer(spec.bare.script, {
    PORT: "0",
    TOKEN: callbackToken,
    AES_KEY: callbackAesKey,
    ...spec.bare.env,
  });
  let bare: Measured;
  try {
    bare = await measure(bareServer.url, "ten_bare", "bare");
  } finally {
    await stopServer(bareServer.child);
  }
  figures.push(...figuresOf("bare decrypt route", bare));

  await siyu("Siyu PGlite", { DATABASE_URL: "", REDIS_URL: "" }, bare);
  const pg = await freshPostgres(`bench_${slug}`);
  if (pg) {
    try {
      await siyu("Siyu PostgreSQL", { DATABASE_URL: pg.url, REDIS_URL: "" }, bare);
      if (process.env.REDIS_URL) {
        const pg2 = await freshPostgres(`bench_${slug}_redis`);
        if (pg2) {
          try {
            await siyu(
              "Siyu PostgreSQL + BullMQ",
              { DATABASE_URL: pg2.url, REDIS_URL: process.env.REDIS_URL },
              bare,
            );
          } finally {
            await pg2.drop();
          }
        }
      }
    } finally {
      await pg.drop();
    }
  }
  return {
    name: spec.name,
    figures,
    ratios,
    notes: spec.notes({ requests, steady: steadyCount, rate, concurrency }),
  };
}
