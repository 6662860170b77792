// Shared helpers for benchmarks. Each `bench/*.bench.ts` exports `run(): Promise<BenchResult>`;
// `bench/run.ts` finds and runs them. Figures are medians: this machine is noisy, so compare ratios.
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import pg from "pg";

export type Figure = { label: string; value: number; unit: string };
/** `value` is how many times faster/larger than `baseline` (a label naming what it is compared to). */
export type Ratio = { label: string; value: number; baseline: string };
export type BenchResult = { name: string; figures: Figure[]; ratios: Ratio[]; notes?: string };

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `fn` `reps` times (after one unmeasured warm-up) and returns the median in milliseconds. */
export async function timeIt(fn: () => unknown | Promise<unknown>, reps = 5): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** Rounds to a readable number of significant digits for tables and JSON. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}

export type BenchDatabase = { url: string; name: string; drop: () => Promise<void> };

/**
 * Creates a fresh, empty PostgreSQL database next to the one in `DATABASE_URL` (or `url`), so a bench
 * never touches real data. Call `drop()` in a `finally`. Returns null when no PostgreSQL is configured,
 * so benches can fall back to PGlite-only figures.
 */
export async function freshPostgres(
  prefix = "bench",
  url = process.env.DATABASE_URL,
): Promise<BenchDatabase | null> {
  if (!url) return null;
  const name = `${prefix.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${Date.now()}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // C.UTF-8 + template0: pg_trgm needs a UTF-8 database whatever the cluster default is.
    await admin.query(
      `CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`,
    );
  } finally {
    await admin.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    url: target.toString(),
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        // FORCE closes pools a bench forgot to end (PostgreSQL 13+).
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Lets a bench file run on its own (`node --import tsx bench/x.bench.ts`): when `moduleUrl` is the
 * script node was started with, runs the bench and prints its figures and ratios.
 */
export async function runIfMain(moduleUrl: string, run: () => Promise<BenchResult>): Promise<void> {
  const { pathToFileURL } = await import("node:url");
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const result = await run();
  for (const f of result.figures) console.log(`${f.label}: ${round(f.value, 4)} ${f.unit}`);
  for (const r of result.ratios) console.log(`${r.label}: ${round(r.value)}× (${r.baseline})`);
  if (result.notes) console.log(result.notes);
  process.exit(0);
}
