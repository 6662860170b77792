import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { type Database, migrate } from "../platform/db/index.ts";
import { migrationsDir } from "../platform/db/migrate.ts";
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
  const fresh = await freshDatabase(kind, { migrated: true });
  await migrate(fresh.db);
  return fresh;
}

/**
 * A fresh database: in-memory PGlite, or a new PostgreSQL database dropped by `drop()`. Empty
 * unless `migrated` (then PGlite starts from a migrated copy; callers still run `migrate`, a no-op).
 */
export async function freshDatabase(
  kind: DbKind,
  options: { migrated?: boolean } = {},
): Promise<TestDatabase> {
  if (kind === "pglite") {
    // The embedded priority gate as a deployment has it (SIYU_PGLITE_JOB_SLOTS, default 1).
    const slots = Number(process.env.SIYU_PGLITE_JOB_SLOTS ?? 1);
    const db = await openPglite(undefined, {
      jobSlots: Number.isInteger(slots) && slots >= 0 ? slots : 1,
      loadDataDir: await pgliteTemplate(options.migrated === true),
    });
    return { db, drop: () => db.close() };
  }
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error("DATABASE_URL is not set");
  const fresh = await freshPostgresDatabase(base, {
    template: options.migrated ? await postgresTemplate(base) : undefined,
  });
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
export async function freshPostgresDatabase(
  url: string,
  options: { template?: string | undefined } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `siyu_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(
          `create database ${name}${options.template ? ` template ${options.template}` : ""}`,
        );
        break;
      } catch (err) {
        // 55006: another session is copying the same template at this instant; try again shortly.
        if ((err as { code?: string }).code !== "55006" || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  } finally {
    await admin.end();
  }
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

/**
 * A dump of a fresh PGlite cluster, empty or migrated, to start test databases from: loading one
 * takes ~0.7 s where initdb takes ~2 s and the migrations ~3 s more. Kept in the temp dir under a
 * hash of the migrations and PGlite's version, so every test file and worker shares one.
 */
async function pgliteTemplate(migrated: boolean): Promise<Blob> {
  // .../@electric-sql/pglite/dist/index.cjs → the package's own package.json (its exports hide it).
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  const pgliteVersion = JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8"))
    .version as string;
  const hash = createHash("sha256")
    .update(pgliteVersion)
    .update(migrated ? migrationsHash() : "")
    .digest("hex")
    .slice(0, 16);
  const file = join(tmpdir(), `siyu-pglite-${migrated ? "migrated" : "empty"}-${hash}.tar`);
  if (!existsSync(file)) {
    const db = await openPglite(undefined);
    try {
      if (migrated) await migrate(db);
      const dump = await (db.raw as { pglite: PGlite }).pglite.dumpDataDir("none");
      // Written aside and renamed: a parallel worker never reads half a file.
      const part = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
      writeFileSync(part, Buffer.from(await dump.arrayBuffer()));
      renameSync(part, file);
    } finally {
      await db.close();
    }
  }
  return new Blob([readFileSync(file)]);
}

/** The migrations' hash: names and contents, in order. */
function migrationsHash(): string {
  const hash = createHash("sha256");
  for (const f of readdirSync(migrationsDir).sort())
    hash.update(f).update(readFileSync(join(migrationsDir, f)));
  return hash.digest("hex").slice(0, 16);
}

/**
 * A migrated PostgreSQL database to copy test databases from (`create database … template`): a copy
 * takes ~0.1–0.3 s where running the migrations takes 1–2 s. Named by the migrations' hash and built
 * once under an advisory lock.
 */
async function postgresTemplate(url: string): Promise<string> {
  const name = `siyu_tpl_${migrationsHash()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query("select pg_advisory_lock(hashtext('siyu-test-template'))");
    const [found] = (await admin.query("select 1 from pg_database where datname = $1", [name])).rows;
    if (!found) {
      // Leftovers of a build that crashed (builds hold the lock, so none is running now). Templates of
      // other migrations stay: another checkout's tests may be copying them.
      const stale = await admin.query<{ datname: string }>(
        "select datname from pg_database where datname like 'siyu\\_tplb\\_%'",
      );
      for (const r of stale.rows) await admin.query(`drop database if exists ${r.datname} with (force)`);
      // Built under another name and renamed: a crash mid-build never leaves a half-migrated template.
      const building = `siyu_tplb_${randomBytes(4).toString("hex")}`;
      await admin.query(`create database ${building}`);
      const u = new URL(url);
      u.pathname = `/${building}`;
      const db = await openPostgres(u.toString(), 1);
      try {
        await migrate(db);
      } finally {
        await db.close();
      }
      await admin.query(`alter database ${building} rename to ${name}`);
    }
    return name;
  } finally {
    await admin.query("select pg_advisory_unlock(hashtext('siyu-test-template'))").catch(() => undefined);
    await admin.end();
  }
}
