// Customer CSV import: generated rows (name, phone, e-mail, 2–3 tags, ~5 % duplicates) staged by the
// real upload path (decode + parse + COPY into import_rows) and processed by the real job body
// (`processImport`: identity locks, one lookup per batch, bulk inserts/updates, timeline rows), against
// a plain COPY of the same rows into a plain table measured in the same run, and (PostgreSQL) against
// a COPY of the rows the import produced into tables shaped like customers/identities with all their
// indexes — the floor for landing these rows at all, which is what the 0.25 target compares with.
// PostgreSQL (fresh database) when DATABASE_URL is set: 1,000,000 rows (IMPORT_ROWS to change);
// PGlite: 100,000 rows (IMPORT_ROWS_PGLITE).
// Run alone: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/import.bench.ts`.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { startSiyu } from "../server/src/boot.ts";
import { markStarted, setMapping } from "../server/src/modules/customers/import/import.service.ts";
import { importTuning, processImport, stageUpload } from "../server/src/modules/customers/import/index.ts";
import type { Database } from "../server/src/platform/db/index.ts";
import { openPglite } from "../server/src/platform/db/pglite.ts";
import { openPostgres } from "../server/src/platform/db/postgres.ts";
import { type BenchResult, type Figure, freshPostgres, type Ratio, round, runIfMain } from "./lib.ts";

const tagPool = ["VIP", "新客", "老客", "广州", "上海", "北京", "活动A", "活动B", "高价值", "流失风险"];

/** The CSV file as chunks of ~64 KB, like a request body. */
function generate(rows: number): { chunks: Buffer[]; plain: string[] } {
  const lines: string[] = ["姓名,手机,邮箱,标签\n"];
  const plain: string[] = [];
  const unique = Math.round(rows * 0.95);
  for (let i = 0; i < rows; i++) {
    // ~5 % of rows repeat an earlier person (same phone), written differently.
    const n = i < unique ? i : Math.floor(Math.random() * unique);
    const phone = `13${String(100000000 + n).padStart(9, "0")}`;
    const shown = i < unique ? phone : `+86 ${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`;
    const tags = [tagPool[n % 10], tagPool[(n >> 3) % 10], ...(n % 2 ? [tagPool[(n >> 5) % 10]] : [])];
    const name = `客户${n}`;
    const email = `u${n}@example.com`;
    lines.push(`${name},${shown},${email},"${tags.join(",")}"\n`);
    plain.push(`${name}\t${phone}\t${email}\t{${tags.join(",")}}\n`);
  }
  const text = Buffer.from(lines.join(""));
  const chunks: Buffer[] = [];
  for (let i = 0; i < text.length; i += 65536) chunks.push(text.subarray(i, i + 65536));
  return { chunks, plain };
}

async function plainCopy(db: Database, plain: string[]): Promise<number> {
  await db.query("create table bench_plain (name text, phone text, email text, tags text[])");
  const started = performance.now();
  if (db.raw.kind === "postgres") {
    const client = await db.raw.pool.connect();
    try {
      await pipeline(Readable.from(chunked(plain)), client.query(copyFrom("COPY bench_plain FROM STDIN")));
    } finally {
      client.release();
    }
  } else {
    for (const chunk of chunked(plain))
      await db.raw.pglite.query("COPY bench_plain FROM '/dev/blob'", [], { blob: new Blob([chunk]) });
  }
  return performance.now() - started;
}

/**
 * The fairer floor: the rows the import produced (customers with encrypted phone, blind index, tags;
 * their identities), COPYed into tables shaped like the real ones, with all their indexes.
 * PostgreSQL only.
 */
async function indexedCopy(db: Database): Promise<{ ms: number; rows: number } | null> {
  if (db.raw.kind !== "postgres") return null;
  const client = await db.raw.pool.connect();
  try {
    const dump = async (sql: string) => {
      const parts: Buffer[] = [];
      const stream = client.query(copyTo(sql));
      for await (const chunk of stream) parts.push(chunk as Buffer);
      return parts;
    };
    const customers = await dump("COPY customers TO STDOUT");
    const identities = await dump("COPY customer_identities TO STDOUT");
    await client.query("create table bench_customers (like customers including all)");
    await client.query("create table bench_identities (like customer_identities including all)");
    const n = Number((await client.query("select count(*)::int as n from customers")).rows[0]?.n ?? 0);
    const started = performance.now();
    await pipeline(Readable.from(customers), client.query(copyFrom("COPY bench_customers FROM STDIN")));
    await pipeline(Readable.from(identities), client.query(copyFrom("COPY bench_identities FROM STDIN")));
    return { ms: performance.now() - started, rows: n };
  } finally {
    client.release();
  }
}

function* chunked(lines: string[], size = 5000) {
  for (let i = 0; i < lines.length; i += size) yield lines.slice(i, i + size).join("");
}

async function measure(label: string, db: Database, rows: number) {
  const dataDir = mkdtempSync(join(tmpdir(), "siyu-bench-"));
  const siyu = await startSiyu({
    db,
    env: {
      SIYU_DATA_DIR: dataDir,
      SIYU_ADMIN_EMAIL: "admin@example.com",
      SIYU_ADMIN_PASSWORD: "Adm1n-Passw0rd!",
      SIYU_DEMO: "0",
      SIYU_ROLE: "api",
      SIYU_MASTER_KEY: randomBytes(32).toString("base64"),
      LOG_LEVEL: "silent",
    },
  });
  try {
    const platform = siyu.platform;
    const [tenant] = await db.query<{ id: string }>("select id from tenants order by created_at limit 1");
    const tenantId = tenant!.id;
    const { chunks, plain } = generate(rows);
    const copyMs = await plainCopy(db, plain);

    const t0 = performance.now();
    const up = await stageUpload(platform, tenantId, null, [], Readable.from(chunks));
    const t1 = performance.now();
    await db.tenant(tenantId, async (s) => {
      await setMapping(s, up.id, { 姓名: "name", 手机: "phone", 邮箱: "email", 标签: "tags" });
      await markStarted(s, platform, { userId: null }, up.id);
    });
    await processImport(platform, tenantId, up.id);
    const t2 = performance.now();
    const [imp] = await db.query<{ created: number; updated: number; failed: number; rows_done: number }>(
      "select created, updated, failed, rows_done from imports where id = $1",
      [up.id],
    );
    const [cust] = await db.query<{ n: number }>("select count(*)::int as n from customers");
    const totalMs = t2 - t0;
    const importRate = rows / (totalMs / 1000);
    const copyRate = rows / (copyMs / 1000);
    const figures: Figure[] = [
      { label: `${label}: rows`, value: rows, unit: "rows" },
      { label: `${label}: import end to end`, value: round(importRate), unit: "rows/s" },
      {
        label: `${label}: upload + staging (decode, parse, COPY)`,
        value: round(rows / ((t1 - t0) / 1000)),
        unit: "rows/s",
      },
      { label: `${label}: processing (job body)`, value: round(rows / ((t2 - t1) / 1000)), unit: "rows/s" },
      { label: `${label}: plain COPY of the same rows`, value: round(copyRate), unit: "rows/s" },
      { label: `${label}: customers created`, value: imp?.created ?? 0, unit: "customers" },
      { label: `${label}: rows that updated (duplicates)`, value: imp?.updated ?? 0, unit: "rows" },
      { label: `${label}: customers in table`, value: cust?.n ?? 0, unit: "customers" },
    ];
    const ratios: Ratio[] = [
      { label: `${label}: import / plain COPY`, value: importRate / copyRate, baseline: "plain COPY rows/s" },
    ];
    const indexed = await indexedCopy(db);
    if (indexed) {
      const rate = indexed.rows / (indexed.ms / 1000);
      figures.push({
        label: `${label}: COPY of the imported rows into indexed customer tables`,
        value: round(rate),
        unit: "customers/s",
      });
      ratios.push({
        label: `${label}: import / COPY into indexed customer tables`,
        value: importRate / rate,
        baseline: "COPY customers + identities (all indexes), rows/s",
      });
    }
    return { figures, ratios };
  } finally {
    await siyu.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult> {
  const figures: Figure[] = [];
  const ratios: Ratio[] = [];
  const pgliteRows = Number(process.env.IMPORT_ROWS_PGLITE ?? 100_000);
  const pgRows = Number(process.env.IMPORT_ROWS ?? 1_000_000);
  if (process.env.IMPORT_BATCH) importTuning.batchSize = Number(process.env.IMPORT_BATCH);
  if (process.env.IMPORT_SKIP_PGLITE !== "1") {
    const db = await openPglite(undefined);
    try {
      const r = await measure("PGlite", db, pgliteRows);
      figures.push(...r.figures);
      ratios.push(...r.ratios);
    } finally {
      await db.close();
    }
  }
  const fresh = await freshPostgres("bench_import");
  if (fresh) {
    const db = await openPostgres(fresh.url, 4);
    try {
      const r = await measure("PostgreSQL", db, pgRows);
      figures.push(...r.figures);
      ratios.push(...r.ratios);
    } finally {
      await db.close();
      await fresh.drop();
    }
  }
  return {
    name: "import",
    figures,
    ratios,
    notes: `batch ${importTuning.batchSize} rows; ~5 % duplicate rows; PGlite ${pgliteRows} rows, PostgreSQL ${pgRows} rows`,
  };
}

await runIfMain(import.meta.url, run);
