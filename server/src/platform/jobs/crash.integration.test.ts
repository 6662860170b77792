import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freshPostgresDatabase } from "../../testing/databases.ts";
import type { Database } from "../db/index.ts";
import { migrate } from "../db/migrate.ts";
import { openPglite } from "../db/pglite.ts";
import { openPostgres } from "../db/postgres.ts";
import { createPgBossQueue } from "./pgboss.driver.ts";

const fixture = join(import.meta.dirname, "crash.fixture.ts");
const total = 200;

/** Spawns the consumer; resolves `seen` effects as they are printed. */
function consumer(target: string, mode?: string) {
  const child = spawn(process.execPath, ["--import", "tsx", fixture, target, ...(mode ? [mode] : [])], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const state = { effects: 0, done: false, stderr: "" };
  let buffer = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith("effect ")) state.effects++;
      if (line === "all-done") state.done = true;
    }
  });
  child.stderr.on("data", (chunk: Buffer) => {
    state.stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, state, exited };
}

async function until(check: () => boolean, timeoutMs: number, what: string, child?: ChildProcess) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) {
      child?.kill("SIGKILL");
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Sends the batch from this process, then closes the database (PGlite allows one process). */
async function seed(db: Database) {
  await db.query("create table crash_effects (key int primary key)");
  await db.query("create table crash_runs (id bigserial primary key, key int not null)");
  // The active timeout is stored on each job when it is sent, so the sender sets it too.
  const jobs = createPgBossQueue({ db, activeTimeoutSec: db.kind === "pglite" ? 900 : 2 });
  jobs.define({ name: "crash.effect", queue: "sync", handler: async () => undefined });
  await jobs.start();
  for (let key = 0; key < total; key++) await jobs.send("crash.effect", { key });
  await jobs.stop(1000);
}

async function killMidBatchThenFinish(target: string) {
  const first = consumer(target);
  await until(() => first.state.effects >= 40, 30_000, `first effects (${first.state.stderr})`, first.child);
  expect(first.state.effects).toBeLessThan(total);
  first.child.kill("SIGKILL");
  // The killed process must be gone before anyone reopens an on-disk PGlite.
  await first.exited;

  const second = consumer(target, "until-done");
  await until(() => second.state.done, 60_000, `all effects (${second.state.stderr})`, second.child);
  expect(await second.exited).toBe(0);
  return { before: first.state.effects };
}

async function verify(db: Database) {
  const effects = await db.query<{ n: number | string; lo: number; hi: number }>(
    "select count(distinct key) as n, min(key) as lo, max(key) as hi from crash_effects",
  );
  expect(effects[0]).toMatchObject({ lo: 0, hi: total - 1 });
  expect(Number(effects[0]?.n)).toBe(total);
  const runs = await db.query<{ n: number | string; keys: number | string }>(
    "select count(*) as n, count(distinct key) as keys from crash_runs",
  );
  // Every job ran at least once; a job cut off by the kill may have run twice (at-least-once).
  expect(Number(runs[0]?.keys)).toBe(total);
  expect(Number(runs[0]?.n)).toBeGreaterThanOrEqual(total);
  const states = await db.query<{ state: string; n: number | string }>(
    "select state::text as state, count(*) as n from pgboss.job where name = 'sync' group by 1",
  );
  expect(states.map((s) => [s.state, Number(s.n)])).toEqual([["completed", total]]);
}

describe("crash: a consumer killed mid-batch loses nothing", () => {
  it("on PGlite on disk", async () => {
    const dir = mkdtempSync(join(tmpdir(), "siyu-crash-"));
    try {
      let db = await openPglite(dir);
      await migrate(db);
      await seed(db);
      await db.close();
      await killMidBatchThenFinish(dir);
      db = await openPglite(dir);
      await verify(db);
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(!process.env.DATABASE_URL)(
    "on PostgreSQL",
    async () => {
      const fresh = await freshPostgresDatabase(process.env.DATABASE_URL ?? "");
      try {
        const db = await openPostgres(fresh.url);
        await migrate(db);
        await seed(db);
        await killMidBatchThenFinish(fresh.url);
        await verify(db);
        await db.close();
      } finally {
        await fresh.drop();
      }
    },
    120_000,
  );
});
