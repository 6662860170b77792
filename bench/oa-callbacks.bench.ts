// Official Account callback ingestion: safe-mode `subscribe` events (qrscene_ EventKey) POSTed to Siyu's
// `/callbacks/official-account/:tenantId` (signature + msg_signature, decrypt, parse, appid check, cached
// settings, durable inbox write, job enqueue, passive-reply providers asked, `success`) against a bare
// Fastify route doing only the same verify + decrypt + parse, in the same run.
// Both servers run as child processes and are driven by the same keep-alive load generator.
// Figures: (1) acked/s with 64 requests in flight (closed loop) and the ratio to the bare route
// (target ≥ 0.5); (2) ack latency p50/p99 at a fixed 500 callbacks/s (open loop; target p99 ≤ 50 ms).
// Siyu runs as an API process (SIYU_ROLE=api): the ack path alone; workers drain the queue elsewhere.
// PGlite always; PostgreSQL (+ BullMQ when REDIS_URL is set) when DATABASE_URL is set.
// Run alone: `node --import tsx bench/oa-callbacks.bench.ts`, or `npm run bench oa-callbacks`.
// OA_CB_BENCH_REQUESTS (default 6000) and OA_CB_BENCH_RATE (default 500) change the sizes.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { oaSignature } from "../server/src/connectors/official-account/index.ts";
import { WxMsgCrypt } from "../server/src/connectors/shared/wx-msg-crypt.ts";
import { buildWxXml } from "../server/src/connectors/shared/xml.ts";
import { type BenchResult, type Figure, freshPostgres, type Ratio, runIfMain } from "./lib.ts";
import { closedLoop, type LoadRequest, type LoadResult, openLoop, percentile } from "./load.ts";
import { freePort, spawnServer, stopServer } from "./servers.ts";

const requests = Number(process.env.OA_CB_BENCH_REQUESTS ?? 6000);
const rate = Number(process.env.OA_CB_BENCH_RATE ?? 500);
const concurrency = 64;
const appId = "wxbench0000000001";
const originalId = "gh_bench00000001";
const token = "BenchToken2026";
const aesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const adminEmail = "bench@siyu.local";
const adminPassword = "bench-Password-1234";

/** `n` distinct subscribe events via a parametric QR, in safe mode, signed as WeChat sends them. */
function callbacks(tenantId: string, n: number, tag: string): LoadRequest[] {
  const crypt = new WxMsgCrypt({ token, encodingAesKey: aesKey, receiveId: appId });
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: n }, (_, i) => {
    const openid = `o${tag}${String(i).padStart(10, "0")}${randomBytes(6).toString("hex")}`.slice(0, 28);
    const message = buildWxXml({
      ToUserName: originalId,
      FromUserName: openid,
      CreateTime: now,
      MsgType: "event",
      Event: "subscribe",
      EventKey: `qrscene_ch_bench_${i % 50}`,
      Ticket: randomBytes(24).toString("base64"),
    });
    const timestamp = String(now);
    const nonce = String(100000 + i);
    const encrypt = crypt.encrypt(message);
    const msgSignature = crypt.sign(timestamp, nonce, encrypt);
    const signature = oaSignature(token, timestamp, nonce);
    return {
      path: `/callbacks/official-account/${tenantId}?signature=${signature}&timestamp=${timestamp}&nonce=${nonce}&openid=${openid}&encrypt_type=aes&msg_signature=${msgSignature}`,
      body: buildWxXml({ ToUserName: originalId, Encrypt: encrypt }),
    };
  });
}

async function json(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${init.method} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Logs in as the bench admin and stores the tenant's Official Account settings; returns the tenant id. */
async function configure(url: string): Promise<string> {
  const login = await json(`${url}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: adminEmail, password: adminPassword }),
  });
  const user = login.user as { tenantId: string };
  await json(`${url}/api/settings/official-account`, {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: `Bearer ${String(login.token)}` },
    body: JSON.stringify({
      appId,
      secret: "bench-secret",
      token,
      encodingAesKey: aesKey,
      mode: "safe",
      apiBase: "http://127.0.0.1:9",
    }),
  });
  return user.tenantId;
}

interface Measured {
  burst: LoadResult;
  steady: LoadResult;
}

async function measure(url: string, tenantId: string, tag: string): Promise<Measured> {
  // Warm-up: JIT, connection pools, statement caches.
  await closedLoop(url, callbacks(tenantId, 500, `${tag}w`), concurrency);
  const burst = await closedLoop(url, callbacks(tenantId, requests, `${tag}b`), concurrency);
  const steady = await openLoop(url, callbacks(tenantId, Math.min(requests, rate * 10), `${tag}s`), rate);
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

async function siyuSetup(
  label: string,
  env: Record<string, string>,
  bare: Measured,
): Promise<{ figures: Figure[]; ratios: Ratio[] }> {
  const dir = mkdtempSync(join(tmpdir(), "siyu-bench-oacb-"));
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
    SIYU_REDIS_PREFIX: `bench-oacb-${randomBytes(3).toString("hex")}`,
    ...env,
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    const tenantId = await configure(url);
    const m = await measure(url, tenantId, label.replace(/\W/g, "").slice(0, 6));
    return {
      figures: figuresOf(label, m),
      ratios: [
        {
          label: `${label}: acked/s ÷ bare decrypt route`,
          value: m.burst.perSecond / bare.burst.perSecond,
          baseline: "bare Fastify route doing the same verify + decrypt + parse",
        },
      ],
    };
  } finally {
    await stopServer(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult> {
  const figures: Figure[] = [];
  const ratios: Ratio[] = [];
  const bareServer = await spawnServer("bench/fixtures/bare-oa-callback-server.ts", {
    PORT: "0",
    TOKEN: token,
    AES_KEY: aesKey,
    APP_ID: appId,
  });
  let bare: Measured;
  try {
    bare = await measure(bareServer.url, "ten_bare", "bare");
  } finally {
    await stopServer(bareServer.child);
  }
  figures.push(...figuresOf("bare decrypt route", bare));

  const lite = await siyuSetup("Siyu PGlite", { DATABASE_URL: "", REDIS_URL: "" }, bare);
  figures.push(...lite.figures);
  ratios.push(...lite.ratios);

  const pg = await freshPostgres("bench_oa_cb");
  if (pg) {
    try {
      const r = await siyuSetup("Siyu PostgreSQL", { DATABASE_URL: pg.url, REDIS_URL: "" }, bare);
      figures.push(...r.figures);
      ratios.push(...r.ratios);
      if (process.env.REDIS_URL) {
        const pg2 = await freshPostgres("bench_oa_cb_redis");
        if (pg2) {
          try {
            const rr = await siyuSetup(
              "Siyu PostgreSQL + BullMQ",
              { DATABASE_URL: pg2.url, REDIS_URL: process.env.REDIS_URL },
              bare,
            );
            figures.push(...rr.figures);
            ratios.push(...rr.ratios);
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
    name: "oa-callbacks",
    figures,
    ratios,
    notes:
      `${requests} distinct safe-mode subscribe events per burst (${concurrency} in flight), ` +
      `then ${Math.min(requests, rate * 10)} at ${rate}/s open loop; Siyu as an API process (ack path: verify, decrypt, ` +
      "appid check, settings lookup, inbox write in a group commit, job enqueue, passive-reply providers). " +
      "Baseline: a bare route doing the same verify + decrypt + parse.",
  };
}

await runIfMain(import.meta.url, run);
