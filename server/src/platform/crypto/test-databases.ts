import { randomBytes } from "node:crypto";
import pg from "pg";
import { type Database, migrate } from "../db/index.ts";
import { openPglite } from "../db/pglite.ts";
import { openPostgres } from "../db/postgres.ts";

/** Test helper: the database kinds to run a suite on (PGlite always, PostgreSQL when DATABASE_URL is set). */
export const testDatabaseKinds: Array<"pglite" | "postgres"> = process.env.DATABASE_URL
  ? ["pglite", "postgres"]
  : ["pglite"];

export interface TestDatabase {
  db: Database;
  /** Closes and, on PostgreSQL, drops the throwaway database. */
  drop(): Promise<void>;
}

/** A fresh, migrated database: in-memory PGlite, or a new `siyu_t_<random>` database on PostgreSQL. */
export async function openTestDatabase(kind: "pglite" | "postgres"): Promise<TestDatabase> {
  if (kind === "pglite") {
    const db = await openPglite(undefined);
    await migrate(db);
    return { db, drop: () => db.close() };
  }
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error("DATABASE_URL is not set");
  const name = `siyu_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString());
  await migrate(db);
  return {
    db,
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
