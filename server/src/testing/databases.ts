import { randomBytes } from "node:crypto";
import pg from "pg";
import { type Database, migrate } from "../platform/db/index.ts";
import { openPglite } from "../platform/db/pglite.ts";
import { openPostgres } from "../platform/db/postgres.ts";

export type DbKind = "pglite" | "postgres";

/** Kinds to run integration suites on: PGlite always, PostgreSQL when DATABASE_URL is set. */
export const dbKinds: DbKind[] = process.env.DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

export interface TestDatabase {
  db: Database;
  /** PostgreSQL only: the URL of the throwaway database. */
  url?: string;
  /** Closes and, on PostgreSQL, drops the throwaway database. */
  drop(): Promise<void>;
}

/** A fresh, migrated database of `kind`. */
export async function openTestDatabase(kind: DbKind): Promise<TestDatabase> {
  const fresh = await freshDatabase(kind);
  await migrate(fresh.db);
  return fresh;
}

/** A fresh, empty database: in-memory PGlite, or a new PostgreSQL database dropped by `drop()`. */
export async function freshDatabase(kind: DbKind): Promise<TestDatabase> {
  if (kind === "pglite") {
    const db = await openPglite(undefined);
    return { db, drop: () => db.close() };
  }
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error("DATABASE_URL is not set");
  const fresh = await freshPostgresDatabase(base);
  const db = await openPostgres(fresh.url, 5);
  return {
    db,
    url: fresh.url,
    async drop() {
      await db.close();
      await fresh.drop();
    },
  };
}

/**
 * A fresh, empty PostgreSQL database next to the one in `url` (for tests whose child processes open
 * it themselves), and a way to drop it. Names are random, so parallel test files never share one.
 */
export async function freshPostgresDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `siyu_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
