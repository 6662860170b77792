/**
 * Child process of `crash.integration.test.ts`: consumes `crash.effect` jobs until told to stop.
 * Usage: node --import tsx crash.fixture.ts <pglite-dir | postgres-url> [until-done]
 * Prints `effect <key>` per handled job; with `until-done` it exits 0 once every effect exists
 * and the queue is drained.
 */
import type { Database } from "../db/index.ts";
import { openPglite } from "../db/pglite.ts";
import { openPostgres } from "../db/postgres.ts";
import { createPgBossQueue } from "./pgboss.driver.ts";

const [target = "", mode] = process.argv.slice(2);
const total = 200;

async function openTarget(where: string): Promise<Database> {
  return where.startsWith("postgres") ? openPostgres(where) : openPglite(where);
}

const db = await openTarget(target);
// PGlite (embedded) runs as in production: a long active timeout, and jobs orphaned by the killed
// process handed back at start. PostgreSQL may have other live consumers, so orphans come back
// through a short active timeout instead.
const embedded = !target.startsWith("postgres");
const jobs = createPgBossQueue({
  db,
  activeTimeoutSec: embedded ? 900 : 2,
  maintenanceSec: 1,
  recoverActiveOnStart: embedded,
});
jobs.define<{ key: number }>({
  name: "crash.effect",
  queue: "sync",
  backoffMs: 1000,
  handler: async ({ key }) => {
    await db.query("insert into crash_runs (key) values ($1)", [key]);
    await new Promise((r) => setTimeout(r, 5));
    await db.query("insert into crash_effects (key) values ($1) on conflict do nothing", [key]);
    process.stdout.write(`effect ${key}\n`);
  },
});
await jobs.start();
await jobs.work({ queues: ["sync"], concurrency: { sync: 4 } });
process.stdout.write("ready\n");

if (mode === "until-done") {
  for (;;) {
    await new Promise((r) => setTimeout(r, 200));
    const [row] = await db.query<{ n: number | string }>("select count(*) as n from crash_effects");
    const c = (await jobs.counts()).sync;
    if (Number(row?.n) === total && c.waiting + c.active + c.delayed === 0) break;
  }
  await jobs.stop(2000);
  await db.close();
  process.stdout.write("all-done\n");
  process.exit(0);
}
