// WeCom full sync: N external contacts (spread over 50 staff) seeded in the WeCom simulator, then
// `POST /api/wecom/sync {"kind":"contacts"}` on a fresh Siyu (child process, role all) pointed at it,
// timed until the run is `completed`; every contact must end as a customer.
// Two cases in the same run: (1) WeCom's limits generous → how fast Siyu itself goes; (2) the
// simulator limits `batch/get_by_user` to LIMIT calls/min (Siyu told the same through
// SIYU_WECOM_API_RATE) → the ceiling is LIMIT × 100 contacts/min, and the ratio achieved/ceiling shows
// whether Siyu or WeCom's limit is the bound.
// PGlite always; PostgreSQL (+ BullMQ when REDIS_URL is set) when DATABASE_URL is set.
// Run alone: `node --import tsx bench/wecom-sync.bench.ts`, or `npm run bench wecom-sync`.
// WECOM_SYNC_BENCH_CONTACTS (default 100000), WECOM_SYNC_BENCH_LIMITED_CONTACTS (default 30000),
// WECOM_SYNC_BENCH_LIMIT (calls/min, default 600) change the sizes; WECOM_SYNC_BENCH_PGLITE_CONTACTS
// (default: the same) the first case's size on PGlite.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startWecomSandbox } from "../server/src/sandbox/index.ts";
import { type BenchResult, type Figure, freshPostgres, type Ratio, runIfMain } from "./lib.ts";
import { freePort, spawnServer, stopServer } from "./servers.ts";

const contacts = Number(process.env.WECOM_SYNC_BENCH_CONTACTS ?? 100_000);
const limitedContacts = Number(process.env.WECOM_SYNC_BENCH_LIMITED_CONTACTS ?? 30_000);
/** PGlite runs everything on the event loop of one process: a smaller size keeps the run short. */
const pgliteContacts = Number(process.env.WECOM_SYNC_BENCH_PGLITE_CONTACTS ?? contacts);
const limitPerMinute = Number(process.env.WECOM_SYNC_BENCH_LIMIT ?? 600);
const staffCount = 50;
const adminEmail = "bench@siyu.local";
const adminPassword = "bench-Password-1234";

async function call(url: string, method: string, token: string | null, body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

interface SyncFigures {
  seconds: number;
  perSecond: number;
  customers: number;
}

/** A database for one Siyu: PGlite in its data dir, or a fresh PostgreSQL database (dropped after). */
type DatabaseFor = () => Promise<{ env: Record<string, string>; drop: () => Promise<void> }>;

async function syncOnce(
  label: string,
  n: number,
  database: DatabaseFor,
  limit: number | null,
): Promise<SyncFigures> {
  // Each Siyu gets its own database: its data dir (and master key) is new every time.
  const { env, drop } = await database();
  const sim = await startWecomSandbox({ port: 0, host: "127.0.0.1" });
  const dir = mkdtempSync(join(tmpdir(), "siyu-bench-sync-"));
  const port = await freePort();
  const corpId = `wwbench${randomBytes(4).toString("hex")}`;
  const members = Array.from({ length: staffCount }, (_, i) => ({
    userid: `staff${String(i).padStart(3, "0")}`,
    name: `员工${i}`,
    customerContact: true,
  }));
  const corp = await call(`${sim.url}/_sim/corps`, "POST", null, { corpId, members });
  await call(`${sim.url}/_sim/corps/${corpId}/seed`, "POST", null, {
    count: n,
    userids: members.map((m) => m.userid),
    tagsPerContact: 0,
  });
  if (limit !== null) {
    await call(`${sim.url}/_sim/corps/${corpId}/faults/rate-limits`, "PUT", null, {
      perApi: { "externalcontact/batch/get_by_user": limit },
    });
  }
  const server = await spawnServer("server/src/main.ts", {
    PORT: String(port),
    HOST: "127.0.0.1",
    SIYU_DATA_DIR: dir,
    SIYU_ROLE: "all",
    SIYU_DEMO: "0",
    SIYU_SANDBOX: "0",
    SIYU_ADMIN_EMAIL: adminEmail,
    SIYU_ADMIN_PASSWORD: adminPassword,
    SIYU_REDIS_PREFIX: `bench-sync-${randomBytes(3).toString("hex")}`,
    ...(limit !== null ? { SIYU_WECOM_API_RATE: String(limit) } : {}),
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    const login = await call(`${url}/api/auth/login`, "POST", null, {
      email: adminEmail,
      password: adminPassword,
    });
    const token = String(login.token);
    const secrets = corp as {
      corpId: string;
      agentId: string | number;
      appSecret: string;
      contactSecret: string;
    };
    await call(`${url}/api/settings/wecom`, "PUT", token, {
      corpId,
      agentId: String(secrets.agentId),
      secret: secrets.appSecret,
      contactSecret: secrets.contactSecret,
      callbackToken: "BenchToken2026",
      encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
      apiBase: sim.url,
    });
    // Staff first (not timed): the contacts sync pages over the staff it knows.
    await runSync(url, token, "org");
    const started = performance.now();
    const run = await runSync(url, token, "contacts");
    const seconds = (performance.now() - started) / 1000;
    const stats = await call(`${url}/api/customers/stats`, "GET", token).catch(() => ({}));
    const customers = Number((stats as { customers?: number }).customers ?? Number.NaN);
    if (customers !== n) throw new Error(`${label}: ${customers} customers after syncing ${n} contacts`);
    console.log(
      `${label}: ${n} contacts in ${seconds.toFixed(1)} s; run ${JSON.stringify(run).slice(0, 300)}`,
    );
    return { seconds, perSecond: n / seconds, customers };
  } finally {
    await stopServer(server.child);
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
    await drop();
  }
}

async function runSync(url: string, token: string, kind: string): Promise<Record<string, unknown>> {
  const started = await call(`${url}/api/wecom/sync`, "POST", token, { kind });
  const id = String((started as { id?: string }).id);
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const list = (await call(`${url}/api/wecom/sync?limit=20`, "GET", token)) as {
      items: Array<Record<string, unknown>>;
    };
    const run = list.items.find((r) => r.id === id);
    if (run?.status === "completed") return run;
    if (run?.status === "failed") throw new Error(`sync ${kind} failed: ${JSON.stringify(run)}`);
  }
}

async function measure(
  label: string,
  contacts: number,
  database: DatabaseFor,
): Promise<{ figures: Figure[]; ratios: Ratio[] }> {
  const free = await syncOnce(`${label}, generous limits`, contacts, database, null);
  const limited = await syncOnce(
    `${label}, ${limitPerMinute}/min`,
    limitedContacts,
    database,
    limitPerMinute,
  );
  const ceiling = (limitPerMinute * 100) / 60;
  return {
    figures: [
      {
        label: `${label}: full sync of ${contacts} contacts, generous limits`,
        value: free.seconds,
        unit: "s",
      },
      {
        label: `${label}: contacts/s, generous limits (Siyu's own pace)`,
        value: free.perSecond,
        unit: "contacts/s",
      },
      { label: `${label}: customers after the sync`, value: free.customers, unit: "customers" },
      {
        label: `${label}: contacts/s with batch/get_by_user at ${limitPerMinute}/min (${limitedContacts} contacts)`,
        value: limited.perSecond,
        unit: "contacts/s",
      },
      {
        label: `${label}: ceiling set by that limit (100 contacts per call)`,
        value: ceiling,
        unit: "contacts/s",
      },
    ],
    ratios: [
      {
        label: `${label}: limited sync ÷ the limit's ceiling`,
        value: limited.perSecond / ceiling,
        baseline: `WeCom's rate limit (${limitPerMinute} calls/min × 100 contacts)`,
      },
      {
        label: `${label}: Siyu's own pace ÷ the limit's ceiling`,
        value: free.perSecond / ceiling,
        baseline: "the same ceiling (>1: the limit, not Siyu, is the bound)",
      },
    ],
  };
}

export async function run(): Promise<BenchResult> {
  const figures: Figure[] = [];
  const ratios: Ratio[] = [];
  const add = (r: { figures: Figure[]; ratios: Ratio[] }) => {
    figures.push(...r.figures);
    ratios.push(...r.ratios);
  };
  add(
    await measure("PGlite", pgliteContacts, async () => ({
      env: { DATABASE_URL: "", REDIS_URL: "" },
      drop: async () => undefined,
    })),
  );
  if (process.env.DATABASE_URL) {
    add(
      await measure(process.env.REDIS_URL ? "PostgreSQL + BullMQ" : "PostgreSQL", contacts, async () => {
        const pg = await freshPostgres("bench_wecom_sync");
        if (!pg) throw new Error("DATABASE_URL is set but no database could be made");
        return { env: { DATABASE_URL: pg.url }, drop: () => pg.drop() };
      }),
    );
  }
  return {
    name: "wecom-sync",
    figures,
    ratios,
    notes:
      `${contacts} external contacts (PGlite: ${pgliteContacts}) over ${staffCount} staff in the WeCom simulator (standalone, same machine); ` +
      "each contact goes through identity resolution into a customer with its follow relation. Timed from " +
      "POST /api/wecom/sync to the run's `completed`.",
  };
}

await runIfMain(import.meta.url, run);
