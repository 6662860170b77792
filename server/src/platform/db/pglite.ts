import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { pgcrypto } from "@electric-sql/pglite/contrib/pgcrypto";
import { drizzle } from "drizzle-orm/pglite";
import type { Database, Drizzle, Scope } from "./database.ts";
import { createPriorityGate } from "./priority.ts";
import { enterTenantSql, makeScope } from "./scope.ts";

/** Extensions must be passed on every open, not only the first. */
const extensions = { pg_trgm, pgcrypto };

/**
 * Opens PGlite in `dir` (or in memory when `dir` is undefined). `loadDataDir`: start from a dump
 * (`dumpDataDir`) instead of an empty cluster — what tests use to skip initdb and the migrations.
 */
export async function openPglite(
  dir: string | undefined,
  options: { jobSlots?: number; loadDataDir?: Blob } = {},
): Promise<Database> {
  if (dir) mkdirSync(dir, { recursive: true });
  const pglite = await PGlite.create(dir ?? "memory://", {
    extensions,
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  // One connection: requests and callbacks go before queued job work (see priority.ts).
  const gate = options.jobSlots
    ? createPriorityGate(options.jobSlots)
    : { run: <T>(f: () => Promise<T>) => f() };
  function run<T>(tenantId: string | null, fn: (s: Scope) => Promise<T>): Promise<T> {
    return gate.run(() => transact(tenantId, fn));
  }
  async function transact<T>(tenantId: string | null, fn: (s: Scope) => Promise<T>): Promise<T> {
    let done: (() => void) | undefined;
    const result = await pglite.transaction(async (tx) => {
      if (tenantId !== null) await tx.query(enterTenantSql, [tenantId]);
      // drizzle only calls query() on its client, which a PGlite transaction provides.
      const db = drizzle(tx as unknown as PGlite) as unknown as Drizzle;
      const { scope, committed } = makeScope(
        tenantId,
        db,
        async (text, params) => {
          const r = await tx.query(text, params ?? []);
          return r.rows as never[];
        },
        async (text) => {
          await tx.exec(text);
        },
      );
      done = committed;
      return fn(scope);
    });
    done?.();
    return result;
  }

  return {
    kind: "pglite",
    raw: { kind: "pglite", pglite },
    tenant: (tenantId, fn) => {
      if (!tenantId) throw new Error("tenant transaction without a tenant id");
      return run(tenantId, fn);
    },
    system: (fn) => run(null, fn),
    async query(text, params) {
      const r = await gate.run(() => pglite.query(text, params ?? []));
      return r.rows as never[];
    },
    async ping() {
      await pglite.query("select 1");
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}
