import { join } from "node:path";
import type { Config } from "../config/config.ts";
import type { Database } from "./database.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";

/** PostgreSQL when DATABASE_URL is set, else PGlite in `<data dir>/pglite`. */
export function openDatabase(
  config: Pick<Config, "databaseUrl" | "dataDir"> & Partial<Pick<Config, "pgliteJobSlots">>,
): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl);
  return openPglite(join(config.dataDir, "pglite"), { jobSlots: config.pgliteJobSlots });
}
