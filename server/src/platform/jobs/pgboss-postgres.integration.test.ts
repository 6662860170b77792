import { describe } from "vitest";
import { freshPostgresDatabase } from "../../testing/databases.ts";
import { migrate } from "../db/migrate.ts";
import { openPostgres } from "../db/postgres.ts";
import { defineJobQueueContract } from "./jobs.contract.ts";
import { createPgBossQueue } from "./pgboss.driver.ts";

const url = process.env.DATABASE_URL;

describe.skipIf(!url)("pg-boss on PostgreSQL", () => {
  defineJobQueueContract("pg-boss on PostgreSQL", async () => {
    const fresh = await freshPostgresDatabase(url ?? "");
    const db = await openPostgres(fresh.url);
    await migrate(db);
    return {
      cron: { expr: "* * * * *", tickMs: 60_000 },
      open: async () => createPgBossQueue({ db, cronCheckSec: 1, maintenanceSec: 1 }),
      close: async () => {
        await db.close();
        await fresh.drop();
      },
    };
  });
});
