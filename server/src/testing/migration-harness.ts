import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { Database, Scope } from "../platform/db/index.ts";
import { migrate } from "../platform/db/index.ts";
import { migrationsDir } from "../platform/db/migrate.ts";
import { type DbKind, freshDatabase } from "./databases.ts";

export interface MigratedDatabase {
  db: Database;
  /** Closes (on PostgreSQL drops) the database and removes the copied migrations. */
  close(): Promise<void>;
}

/**
 * The test of a data-moving migration: a fresh database migrated up to just before `file`
 * (`NNNN_name.sql`, every migration numbered below NNNN), rows of the old shape written by `seed` as
 * the connection owner, then `file` applied alone (asserted: nothing else ran). Later migrations are
 * not applied, so the assertions read the shape `file` leaves.
 */
export async function migrateOverOldRows(
  kind: DbKind,
  file: string,
  seed: (s: Scope) => Promise<void>,
): Promise<MigratedDatabase> {
  const number = file.slice(0, file.indexOf("_"));
  const dir = mkdtempSync(join(tmpdir(), "siyu-mig-"));
  const fresh = await freshDatabase(kind);
  const close = async () => {
    await fresh.drop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const f of readdirSync(migrationsDir).filter((f) => f < number))
      copyFileSync(join(migrationsDir, f), join(dir, f));
    await migrate(fresh.db, dir);
    await fresh.db.system(seed);
    copyFileSync(join(migrationsDir, file), join(dir, file));
    expect(await migrate(fresh.db, dir)).toEqual([file]);
  } catch (err) {
    await close();
    throw err;
  }
  return { db: fresh.db, close };
}
