import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Database } from "./database.ts";

export const migrationsDir = resolve(import.meta.dirname, "../../../migrations");

/**
 * Applies `server/migrations/NNNN_name.sql` in order, each in its own transaction, once. An
 * advisory lock makes concurrent boots of several processes safe: one migrates, the others wait.
 */
export async function migrate(db: Database, dir = migrationsDir): Promise<string[]> {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort();
  return db.system(async (s) => {
    await s.query("select pg_advisory_xact_lock(7261001)");
    await s.query(
      "create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())",
    );
    const done = new Set(
      (await s.query<{ name: string }>("select name from schema_migrations")).map((r) => r.name),
    );
    const applied: string[] = [];
    for (const file of files) {
      if (done.has(file)) continue;
      const text = readFileSync(join(dir, file), "utf8");
      await s.exec(text);
      await s.query("insert into schema_migrations (name) values ($1)", [file]);
      applied.push(file);
    }
    return applied;
  });
}
