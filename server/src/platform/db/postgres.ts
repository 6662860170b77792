import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { Database, Drizzle, Scope } from "./database.ts";
import { enterTenantSql, makeScope } from "./scope.ts";

// Keep int8 (counts, bigserial ids) as strings would surprise callers; they fit in a double here.
pg.types.setTypeParser(20, (v) => Number(v));

export async function openPostgres(url: string, max = 10): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on("error", () => {
    // An idle client lost its connection; the pool replaces it. Queries report their own errors.
  });

  async function run<T>(tenantId: string | null, fn: (s: Scope) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query("begin");
      if (tenantId !== null) await client.query(enterTenantSql, [tenantId]);
      const db = drizzle(client) as unknown as Drizzle;
      const { scope, committed } = makeScope(
        tenantId,
        db,
        async (text, params) => {
          const r = await client.query(text, params ?? []);
          return r.rows;
        },
        async (text) => {
          await client.query(text);
        },
      );
      const result = await fn(scope);
      await client.query("commit");
      committed();
      return result;
    } catch (err) {
      await client.query("rollback").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  return {
    kind: "postgres",
    raw: { kind: "postgres", pool },
    tenant: (tenantId, fn) => {
      if (!tenantId) throw new Error("tenant transaction without a tenant id");
      return run(tenantId, fn);
    },
    system: (fn) => run(null, fn),
    async query(text, params) {
      const r = await pool.query(text, params ?? []);
      return r.rows;
    },
    async ping() {
      await pool.query("select 1");
    },
    async close() {
      if (!pool.ended) await pool.end();
    },
  };
}
