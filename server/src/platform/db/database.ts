import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";

/** A drizzle handle bound to one transaction (or, for `Database.drizzle`, to the pool). */
export type Drizzle = PgDatabase<PgQueryResultHKT, Record<string, never>>;

/**
 * One transaction. `query` runs raw SQL with `$1` parameters; `db` is drizzle on the same
 * transaction. `onCommit` callbacks run after COMMIT succeeds (never on rollback) — this is where
 * work that must not see uncommitted rows is kicked, such as the outbox dispatcher.
 */
export interface Scope {
  readonly tenantId: string | null;
  readonly db: Drizzle;
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
  onCommit(fn: () => void): void;
}

/**
 * The database, PGlite or PostgreSQL: one dialect, one set of migrations.
 *
 * - `tenant(id, fn)` runs `fn` in a transaction as the non-superuser role `siyu_app` with
 *   `app.tenant_id` set, so row-level security confines every query to that tenant, and a query
 *   that forgets its tenant sees nothing.
 * - `system(fn)` runs as the connection owner, which bypasses row-level security: only for
 *   platform work that spans tenants (login lookup, outbox dispatch, migrations, key rotation).
 *
 * On PGlite there is one connection: never await a non-transaction query (or a job send) from
 * inside a transaction — use `onCommit`.
 */
export interface Database {
  readonly kind: "pglite" | "postgres";
  tenant<T>(tenantId: string, fn: (s: Scope) => Promise<T>): Promise<T>;
  system<T>(fn: (s: Scope) => Promise<T>): Promise<T>;
  /** A single statement outside any transaction, as owner. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** The underlying client, for drivers that need it (pg-boss, COPY). */
  readonly raw: RawClient;
}

export type RawClient =
  | { kind: "pglite"; pglite: import("@electric-sql/pglite").PGlite }
  | { kind: "postgres"; pool: import("pg").Pool };

export const APP_ROLE = "siyu_app";
