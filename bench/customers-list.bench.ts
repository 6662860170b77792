// The customer list through the HTTP API at 1,000,000 customers: `GET /api/customers?limit=50` (first
// page), the same from a cursor in the middle, and a name search `?q=`, each ≥ 300 sequential requests
// with `fetch` through a real listening port (after 20 warm-ups), p50/p95/p99; baseline: `GET /healthz`
// measured the same way in the same run. Target (issue): first page p95 < 50 ms.
// The app is booted once on the empty database (SIYU_ADMIN_EMAIL makes the admin's tenant), then
// customers are seeded into that tenant with plain SQL, then the same app serves the requests.
// PostgreSQL when DATABASE_URL is set (fresh database, dropped afterwards), and PGlite.
// Run alone: `node --import tsx bench/customers-list.bench.ts`, or `npm run bench customers-list`.
// CUSTOMERS_LIST_BENCH_ROWS (default 1000000), CUSTOMERS_LIST_BENCH_PGLITE_ROWS (default: the same),
// CUSTOMERS_LIST_BENCH_REQUESTS (default 300) change the sizes.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { type Siyu, startSiyu } from "../server/src/boot.ts";
import { toDtos } from "../server/src/modules/customers/customers.service.ts";
import { listCustomers } from "../server/src/modules/customers/list.ts";
import type { CustomerRow } from "../server/src/modules/customers/model.ts";
import type { Database, Scope } from "../server/src/platform/db/index.ts";
import { openPglite } from "../server/src/platform/db/pglite.ts";
import { openPostgres } from "../server/src/platform/db/postgres.ts";
import type { AuthContext } from "../server/src/platform/http/auth-context.ts";
import type { Platform } from "../server/src/platform/platform.ts";
import { type BenchResult, type Figure, freshPostgres, type Ratio, round, runIfMain } from "./lib.ts";

const rows = Number(process.env.CUSTOMERS_LIST_BENCH_ROWS ?? 1_000_000);
const pgliteRows = Number(process.env.CUSTOMERS_LIST_BENCH_PGLITE_ROWS ?? rows);
const requests = Number(process.env.CUSTOMERS_LIST_BENCH_REQUESTS ?? 300);
const warmup = 20;
const batch = 100_000;
/** Distinct phone ciphertexts, reused cyclically (customer g gets phone g mod this). */
const distinctPhones = 5000;
const adminEmail = "bench@siyu.local";
const adminPassword = "bench-Password-1234";

// Names: surname + two given-name characters, drawn at random (20 × 40 × 40 = 32,000 distinct names).
const surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗";
const given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红鹏飞宇浩晨阳雪梅琳欣怡子";
// The search: surname + first given character, as people type a Chinese name (≈ 1/800 of rows).
const searchText = `${surnames[0]}${given[0]}`;

const cusId = (g: number) => `cus_${String(g).padStart(26, "0")}`;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Seeds `n` customers (and tags, identities) into `tenantId`; returns seconds. */
async function seed(db: Database, platform: Platform, tenantId: string, n: number): Promise<number> {
  const started = performance.now();
  await db.query(
    `INSERT INTO tag_groups (id, tenant_id, name)
     SELECT 'tgg_' || lpad(x::text, 3, '0'), $1, 'Group ' || x FROM generate_series(0, 19) x`,
    [tenantId],
  );
  await db.query(
    `INSERT INTO tags (id, num, tenant_id, group_id, name)
     SELECT 'tag_' || lpad(x::text, 3, '0'), x + 1, $1, 'tgg_' || lpad((x / 10)::text, 3, '0'),
            'T' || lpad(x::text, 3, '0')
       FROM generate_series(0, 199) x`,
    [tenantId],
  );
  // A few thousand real ciphertexts of distinct mainland mobile numbers, with their blind index.
  const encs: string[] = [];
  const bidxs: string[] = [];
  for (let k = 0; k < distinctPhones; k++) {
    const phone = `+86138${String(10_000_000 + k * 7919).slice(-8)}`;
    encs.push(platform.crypto.encrypt(phone));
    bidxs.push(platform.crypto.blindIndex("phone", phone));
  }
  await db.query("CREATE TABLE bench_phones (k int PRIMARY KEY, enc text NOT NULL, bidx text NOT NULL)");
  await db.query(
    "INSERT INTO bench_phones SELECT o - 1, e, b FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(e, b, o)",
    [encs, bidxs],
  );

  // Bulk load without the secondary indexes (rebuilt once afterwards, exactly as the migrations define
  // them) and without per-row foreign-key triggers (session_replication_role = replica).
  const secondary = await db.query<{ name: string; def: string }>(
    `SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
      WHERE i.schemaname = 'public' AND i.tablename IN ('customers', 'customer_identities')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
  );
  for (const ix of secondary) await db.query(`DROP INDEX "${ix.name}"`);
  await db.system(async (s) => {
    await s.query("SET LOCAL session_replication_role = replica");
    for (let from = 1; from <= n; from += batch) {
      const to = Math.min(n, from + batch - 1);
      // Ids sort like the app's time-sortable ids: higher g = newer. 20 tags each, one per group of 10
      // (Zipf-ish within the group, as in segments.bench.ts).
      await s.query(
        `INSERT INTO customers (id, tenant_id, name, phone_enc, phone_bidx, tag_nums, source, created_at, updated_at)
         SELECT 'cus_' || lpad(g::text, 26, '0'), $1,
                substr($4, 1 + floor(random() * 20)::int, 1) || substr($5, 1 + floor(random() * 40)::int, 1)
                  || substr($5, 1 + floor(random() * 40)::int, 1),
                p.enc, p.bidx,
                ARRAY(SELECT grp * 10 + floor(10 * random() ^ 2)::int + 0 * g + 1
                        FROM generate_series(0, 19) grp),
                'bench',
                now() - make_interval(secs => $3::int - g), now() - make_interval(secs => $3::int - g)
           FROM generate_series($2::int, $3::int) g
           JOIN bench_phones p ON p.k = g % ${distinctPhones}`,
        [tenantId, from, to, surnames, given],
      );
      // 1–3 identities: a phone (stored as a blind index, unique per customer here), a WeCom external
      // user id, a WeChat unionid.
      await s.query(
        `INSERT INTO customer_identities (tenant_id, customer_id, type, scope, value, created_at)
         SELECT $1, 'cus_' || lpad(g::text, 26, '0'), t.type, t.scope,
                CASE WHEN t.i = 0 THEN md5('phone' || g) ELSE t.prefix || lpad(g::text, 12, '0') END,
                now() - make_interval(secs => $3::int - g) + make_interval(secs => t.i)
           FROM generate_series($2::int, $3::int) g
           CROSS JOIN (VALUES (0, 'phone', '', ''), (1, 'wecom_external_userid', 'corp_bench', 'wm'),
                              (2, 'unionid', '', 'o')) AS t(i, type, scope, prefix)
          WHERE t.i <= g % 3`,
        [tenantId, from, to],
      );
    }
  });
  for (const ix of secondary) await db.query(ix.def);
  await db.query("DROP TABLE bench_phones");
  for (const t of ["customers", "customer_identities", "tags", "tag_groups"])
    await db.query(`VACUUM ANALYZE ${t}`);
  return (performance.now() - started) / 1000;
}

type Series = { label: string; path: string; times: number[]; items: number };

async function measureSeries(
  base: string,
  token: string | null,
  label: string,
  path: string,
): Promise<Series> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let items = 0;
  const once = async () => {
    const res = await fetch(`${base}${path}`, { headers });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${label}: GET ${path} → ${res.status} ${text.slice(0, 300)}`);
    return text;
  };
  for (let i = 0; i < warmup; i++) {
    const text = await once();
    if (i === 0 && token) items = (JSON.parse(text) as { items: unknown[] }).items.length;
  }
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t = performance.now();
    await once();
    times.push(performance.now() - t);
  }
  return { label, path, times, items };
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the SQL the list route runs, captured from `listCustomers` and `toDtos`
 * themselves, in a tenant transaction (role siyu_app, app.tenant_id set: row-level security on).
 */
async function explainList(
  db: Database,
  platform: Platform,
  tenantId: string,
  query: { q?: string; cursor?: string },
): Promise<string[]> {
  const auth = {
    kind: "session",
    tenantId,
    userId: null,
    email: adminEmail,
    roles: ["owner"],
    permissions: new Set(["customers.read", "customers.phone.full"]),
    dataScope: "all",
    departmentId: null,
    platformAdmin: true,
  } as unknown as AuthContext;
  return db.tenant(tenantId, async (s) => {
    const out: string[] = [];
    const explaining = Object.create(s) as Scope;
    (explaining as { query: Scope["query"] }).query = async (text, params) => {
      const plan = await s.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, params);
      out.push(`-- ${text.replace(/\s+/g, " ").trim()}`, ...plan.map((l) => l["QUERY PLAN"]), "");
      return [];
    };
    await listCustomers(explaining, platform, auth, { tags: [], limit: 50, ...query });
    const page = await listCustomers(s, platform, auth, { tags: [], limit: 50, ...query });
    await toDtos(explaining, platform, page.rows as CustomerRow[], auth.permissions);
    return out;
  });
}

async function measure(
  kind: string,
  boot: () => Promise<{ siyu: Siyu; seedDb: Database }>,
  n: number,
): Promise<{ figures: Figure[]; ratios: Ratio[]; plans: string[] }> {
  const { siyu, seedDb } = await boot();
  try {
    const base = siyu.url!.replace("0.0.0.0", "127.0.0.1");
    const login = await fetch(`${base}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: adminEmail, password: adminPassword }),
    });
    if (login.status !== 200) throw new Error(`login → ${login.status} ${await login.text()}`);
    const session = (await login.json()) as { token: string; user: { tenantId: string } };
    const tenantId = session.user.tenantId;

    const seedSeconds = await seed(seedDb, siyu.platform, tenantId, n);
    console.log(`${kind}: seeded ${n} customers in ${seedSeconds.toFixed(1)} s`);

    const middle = cusId(Math.floor(n / 2));
    const cases: Array<[string, string, string | null]> = [
      ["GET /healthz", "/healthz", null],
      ["first page", "/api/customers?limit=50", session.token],
      ["cursor in the middle", `/api/customers?limit=50&cursor=${middle}`, session.token],
      [`q=${searchText}`, `/api/customers?q=${encodeURIComponent(searchText)}`, session.token],
    ];
    const series: Series[] = [];
    for (const [label, path, token] of cases) {
      const s = await measureSeries(base, token, label, path);
      const sorted = [...s.times].sort((a, b) => a - b);
      console.log(
        `${kind}, ${label}: p50 ${round(percentile(sorted, 50))} p95 ${round(percentile(sorted, 95))} ` +
          `p99 ${round(percentile(sorted, 99))} ms (${s.items} items)`,
      );
      series.push(s);
    }

    const figures: Figure[] = [
      {
        label: `${kind}: seed ${n} customers (SQL, index build, VACUUM ANALYZE)`,
        value: seedSeconds,
        unit: "s",
      },
    ];
    const p95 = new Map<string, number>();
    for (const s of series) {
      const sorted = [...s.times].sort((a, b) => a - b);
      p95.set(s.label, percentile(sorted, 95));
      for (const p of [50, 95, 99])
        figures.push({
          label: `${kind}, ${s.label}: p${p} of ${requests}`,
          value: percentile(sorted, p),
          unit: "ms",
        });
      if (s.label !== "GET /healthz")
        figures.push({ label: `${kind}, ${s.label}: items on the page`, value: s.items, unit: "customers" });
    }
    const healthz = p95.get("GET /healthz")!;
    const ratios: Ratio[] = series
      .filter((s) => s.label !== "GET /healthz")
      .map((s) => ({
        label: `${kind}, ${s.label}: p95 / p95(healthz)`,
        value: p95.get(s.label)! / healthz,
        baseline: `GET /healthz p95 ${round(healthz)} ms`,
      }));

    const plans: string[] = [];
    for (const [label, query] of [
      ["first page", {}],
      ["cursor in the middle", { cursor: middle }],
      [`q=${searchText}`, { q: searchText }],
    ] as const) {
      plans.push(`==== ${kind}, ${label}`, ...(await explainList(seedDb, siyu.platform, tenantId, query)));
    }
    return { figures, ratios, plans };
  } finally {
    await siyu.stop();
  }
}

function env(dataDir: string, url?: string): Record<string, string | undefined> {
  return {
    SIYU_DATA_DIR: dataDir,
    SIYU_ADMIN_EMAIL: adminEmail,
    SIYU_ADMIN_PASSWORD: adminPassword,
    SIYU_DEMO: "0",
    SIYU_MASTER_KEY: randomBytes(32).toString("base64"),
    LOG_LEVEL: "silent",
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_URL: url,
  };
}

export async function run(): Promise<BenchResult> {
  const figures: Figure[] = [];
  const ratios: Ratio[] = [];
  const plans: string[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), "siyu-bench-list-"));
  try {
    const fresh = await freshPostgres("bench_customers_list");
    if (fresh) {
      let seedDb: Database | undefined;
      try {
        const r = await measure(
          "PostgreSQL",
          async () => {
            // The app opens its own pool from DATABASE_URL; seeding and EXPLAIN use a second one.
            const siyu = await startSiyu({ env: env(join(dataDir, "pg"), fresh.url), listen: true });
            seedDb = await openPostgres(fresh.url, 2);
            return { siyu, seedDb };
          },
          rows,
        );
        figures.push(...r.figures);
        ratios.push(...r.ratios);
        plans.push(...r.plans);
      } finally {
        await seedDb?.close();
        await fresh.drop();
      }
    }
    if (pgliteRows > 0) {
      const lite = await openPglite(join(dataDir, "pglite"));
      try {
        const r = await measure(
          "PGlite",
          async () => ({
            siyu: await startSiyu({ db: lite, env: env(join(dataDir, "lite")), listen: true }),
            seedDb: lite,
          }),
          pgliteRows,
        );
        figures.push(...r.figures);
        ratios.push(...r.ratios);
        plans.push(...r.plans);
      } finally {
        await lite.close();
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(
    `\nEXPLAIN (ANALYZE, BUFFERS) under role siyu_app with app.tenant_id set:\n${plans.join("\n")}`,
  );
  return {
    name: "customers-list",
    figures,
    ratios,
    notes:
      `${rows} customers on PostgreSQL, ${pgliteRows} on PGlite, one tenant (the admin's, made by booting the ` +
      `app on the empty database): 3-character Chinese names, phones encrypted by the app's crypto ` +
      `(${distinctPhones} distinct ciphertexts reused cyclically), 1–3 identities each, 20 of 200 tags each. ` +
      `${requests} sequential fetch requests per case after ${warmup} warm-ups, through a listening port, ` +
      `as the owner (full phones decrypted). Target: first page p95 < 50 ms.`,
  };
}

await runIfMain(import.meta.url, run);
