// Live-code welcome burst (issue 5): N customers scan one live code in the WeCom simulator within
// SECONDS seconds; each scan makes the simulator POST an encrypted add_external_contact (State +
// WelcomeCode, valid 20 s of the simulator's clock) to Siyu, which must send the welcome message with
// it in time and never twice. Figures: welcomes sent / refused, p50 / p99 / max latency from the
// callback's receipt (its inbox row) to WeCom's answer to send_welcome_msg, and welcome codes used
// twice (must be 0). The welcome text has {{nickname}}, so each send also reads the contact first.
// PGlite (one process, role all) always; PostgreSQL + BullMQ with a separate worker process when
// DATABASE_URL and REDIS_URL are set.
// Run alone: `node --import tsx bench/live-codes-burst.bench.ts`, or `npm run bench live-codes-burst`.
// LIVE_CODES_BENCH_ADDS (default 2000) and LIVE_CODES_BENCH_SECONDS (default 10) change the sizes.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startWecomSandbox } from "../server/src/sandbox/index.ts";
import { type BenchResult, type Figure, freshPostgres, runIfMain } from "./lib.ts";
import { openLoop, percentile } from "./load.ts";
import { freePort, spawnServer, stopServer } from "./servers.ts";

const adds = Number(process.env.LIVE_CODES_BENCH_ADDS ?? 2000);
const seconds = Number(process.env.LIVE_CODES_BENCH_SECONDS ?? 10);
const staffCount = 20;
const adminEmail = "bench@siyu.local";
const adminPassword = "bench-Password-1234";
const callbackToken = "BenchToken2026";
const aesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

type Json = Record<string, unknown>;

async function call(url: string, method: string, token: string | null, body?: unknown): Promise<Json> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Json;
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A Siyu worker process (it prints no URL, so not `spawnServer`). */
function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  const merged: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: "warn", ...env };
  for (const [k, v] of Object.entries(merged)) if (v === "") delete merged[k];
  const child = spawn(process.execPath, ["--import", "tsx", "server/src/main.ts"], {
    cwd: resolve(import.meta.dirname, ".."),
    env: merged,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`worker did not start: ${out}`)), 120_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("is running")) {
        clearTimeout(timer);
        ok(child);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`worker exited with ${code}: ${out}`));
    });
  });
}

interface Outcome {
  sent: number;
  failed: number;
  latencies: number[];
  sinceEvent: number[];
  usedTwice: number;
  drainSeconds: number;
}

async function burst(label: string, env: Record<string, string>, separateWorker: boolean): Promise<Outcome> {
  const sim = await startWecomSandbox({ port: 0, host: "127.0.0.1" });
  const dir = mkdtempSync(join(tmpdir(), "siyu-bench-lc-"));
  const port = await freePort();
  const common = {
    SIYU_DATA_DIR: dir,
    SIYU_DEMO: "0",
    SIYU_SANDBOX: "0",
    SIYU_ADMIN_EMAIL: adminEmail,
    SIYU_ADMIN_PASSWORD: adminPassword,
    SIYU_REDIS_PREFIX: `bench-lc-${randomBytes(3).toString("hex")}`,
    SIYU_MASTER_KEY: randomBytes(32).toString("base64"),
    ...env,
  };
  const server = await spawnServer("server/src/main.ts", {
    ...common,
    PORT: String(port),
    HOST: "127.0.0.1",
    SIYU_ROLE: separateWorker ? "api" : "all",
  });
  const worker = separateWorker ? await spawnWorker({ ...common, SIYU_ROLE: "worker" }) : null;
  const url = `http://127.0.0.1:${port}`;
  try {
    const login = await call(`${url}/api/auth/login`, "POST", null, {
      email: adminEmail,
      password: adminPassword,
    });
    const token = String(login.token);
    const tenantId = (login.user as { tenantId: string }).tenantId;
    const corpId = `wwlc${randomBytes(4).toString("hex")}`;
    const members = Array.from({ length: staffCount }, (_, i) => ({
      userid: `staff${String(i).padStart(2, "0")}`,
      name: `员工${i}`,
      customerContact: true,
    }));
    const corp = await call(`${sim.url}/_sim/corps`, "POST", null, {
      corpId,
      members,
      callback: { url: `${url}/callbacks/wecom/${tenantId}`, token: callbackToken, encodingAesKey: aesKey },
    });
    await call(`${url}/api/settings/wecom`, "PUT", token, {
      corpId,
      agentId: String(corp.agentId),
      secret: corp.appSecret,
      contactSecret: corp.contactSecret,
      callbackToken,
      encodingAesKey: aesKey,
      apiBase: sim.url,
    });
    const code = await call(`${url}/api/live-codes`, "POST", token, {
      name: "压测活码",
      staffUserIds: members.map((m) => m.userid),
      welcome: { text: "{{nickname}}，你好！欢迎关注，回复 1 领取新人礼。" },
    });
    const scans = Array.from({ length: adds }, () => ({
      path: `/_sim/corps/${corpId}/actions/scan`,
      body: JSON.stringify({ state: code.state }),
      contentType: "application/json",
    }));
    const started = performance.now();
    const load = await openLoop(sim.url, scans, adds / seconds);
    if (load.failed)
      throw new Error(`${label}: ${load.failed} scans failed: ${load.errors.slice(0, 3).join(" | ")}`);
    // Wait for every add to have a final welcome (sent, or refused by WeCom).
    const deadline = Date.now() + 180_000;
    let stats: Json = {};
    for (;;) {
      // A busy embedded server may drop an idle keep-alive socket: a failed poll is just polled again.
      const polled = await call(`${url}/api/live-codes/${code.id}/stats`, "GET", token).catch(() => null);
      if (polled) stats = polled;
      const w = stats.welcome as { sent: number; failed: number } | undefined;
      if (w && Number(stats.adds) >= adds && w.sent + w.failed >= adds) break;
      if (Date.now() > deadline) {
        // Callbacks WeCom gave up on (no 200 within 5 s, 3 retries) never arrive: report what did.
        console.log(
          `${label}: not drained after 180 s: ${JSON.stringify(stats.welcome)}, adds ${stats.adds}`,
        );
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const drainSeconds = (performance.now() - started) / 1000;
    const latencies: number[] = [];
    /** From WeCom's CreateTime (whole seconds, so up to 1 s more than the truth) to the send. */
    const sinceEvent: number[] = [];
    const refusals = new Map<string, number>();
    let cursor: string | null = null;
    const dump: Json[] = [];
    do {
      const page: Json = await call(
        `${url}/api/live-codes/${code.id}/adds?limit=500${cursor ? `&cursor=${cursor}` : ""}`,
        "GET",
        token,
      );
      for (const a of page.items as Json[]) {
        if (process.env.LIVE_CODES_BENCH_DUMP) dump.push(a);
        if (a.welcomeStatus === "sent" && typeof a.welcomeLatencyMs === "number") {
          latencies.push(a.welcomeLatencyMs);
          sinceEvent.push(Date.parse(String(a.welcomeSentAt)) - Date.parse(String(a.addedAt)));
        } else {
          const why = `${String(a.welcomeStatus)} ${String(a.welcomeErrcode ?? "")}`.trim();
          refusals.set(why, (refusals.get(why) ?? 0) + 1);
        }
      }
      cursor = page.nextCursor as string | null;
    } while (cursor);
    if (process.env.LIVE_CODES_BENCH_DUMP)
      writeFileSync(
        process.env.LIVE_CODES_BENCH_DUMP,
        JSON.stringify({ started: Date.now() - (performance.now() - started), dump }),
      );
    latencies.sort((a, b) => a - b);
    sinceEvent.sort((a, b) => a - b);
    const delivered = (await call(`${sim.url}/_sim/corps/${corpId}/welcome-messages`, "GET", null))
      .welcome_messages as Json[];
    const codes = new Map<string, number>();
    for (const d of delivered)
      codes.set(String(d.welcome_code), (codes.get(String(d.welcome_code)) ?? 0) + 1);
    const w = stats.welcome as { sent: number; failed: number };
    const outcome = {
      sent: w.sent,
      failed: w.failed,
      latencies,
      sinceEvent,
      usedTwice: [...codes.values()].filter((n) => n > 1).length,
      drainSeconds,
    };
    console.log(
      `${label}: ${adds} scans in ${load.seconds.toFixed(1)} s; sent ${outcome.sent}, refused ${outcome.failed}, ` +
        `p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms, ` +
        `event → send p99 ${percentile(sinceEvent, 99)} ms, ` +
        `all done after ${drainSeconds.toFixed(1)} s; delivered ${delivered.length}, codes used twice ${outcome.usedTwice}` +
        (refusals.size ? `; refusals ${JSON.stringify(Object.fromEntries(refusals))}` : ""),
    );
    return outcome;
  } finally {
    if (worker) await stopServer(worker);
    await stopServer(server.child);
    await sim.close();
    if (process.env.LIVE_CODES_BENCH_KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function figuresOf(label: string, o: Outcome): Figure[] {
  return [
    { label: `${label}: welcomes sent`, value: o.sent, unit: `of ${adds}` },
    { label: `${label}: welcomes refused (late or used)`, value: o.failed, unit: "messages" },
    { label: `${label}: receipt → send_welcome_msg p50`, value: percentile(o.latencies, 50), unit: "ms" },
    { label: `${label}: receipt → send_welcome_msg p99`, value: percentile(o.latencies, 99), unit: "ms" },
    {
      label: `${label}: receipt → send_welcome_msg max`,
      value: o.latencies.at(-1) ?? Number.NaN,
      unit: "ms",
    },
    {
      label: `${label}: WeCom event time → send p99 (≤ 20 s)`,
      value: percentile(o.sinceEvent, 99),
      unit: "ms",
    },
    { label: `${label}: welcome codes used twice`, value: o.usedTwice, unit: "codes" },
    { label: `${label}: last welcome after burst start`, value: o.drainSeconds, unit: "s" },
  ];
}

export async function run(): Promise<BenchResult> {
  const figures: Figure[] = [];
  // LIVE_CODES_BENCH_MODES=pglite,cluster picks the setups (default both, cluster when configured).
  const modes = (process.env.LIVE_CODES_BENCH_MODES ?? "pglite,cluster").split(",");
  if (modes.includes("pglite")) {
    figures.push(
      ...figuresOf("PGlite (role all)", await burst("PGlite", { DATABASE_URL: "", REDIS_URL: "" }, false)),
    );
  }
  if (modes.includes("cluster") && process.env.DATABASE_URL && process.env.REDIS_URL) {
    const pg = await freshPostgres("bench_live_codes");
    if (pg) {
      try {
        figures.push(
          ...figuresOf(
            "PostgreSQL + BullMQ (api + worker)",
            await burst(
              "PostgreSQL + BullMQ",
              { DATABASE_URL: pg.url, REDIS_URL: process.env.REDIS_URL },
              true,
            ),
          ),
        );
      } finally {
        await pg.drop();
      }
    }
  }
  return {
    name: "live-codes-burst",
    figures,
    ratios: [],
    notes: `${adds} scans in ${seconds} s against one live code with ${staffCount} staff; a welcome code lives 20 s.`,
  };
}

await runIfMain(import.meta.url, run);
