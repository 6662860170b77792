import type { Drizzle, Scope } from "./database.ts";

type RawQuery = <T>(text: string, params?: unknown[]) => Promise<T[]>;
type RawExec = (text: string) => Promise<void>;

/** Builds a Scope over one open transaction; runs commit hooks once the caller has committed. */
export function makeScope(tenantId: string | null, db: Drizzle, query: RawQuery, exec: RawExec) {
  const hooks: Array<() => void> = [];
  const scope: Scope = {
    tenantId,
    db,
    query: (text, params) => query(text, params),
    exec,
    onCommit: (fn) => {
      hooks.push(fn);
    },
  };
  const committed = () => {
    for (const fn of hooks) {
      try {
        fn();
      } catch {
        // A commit hook only wakes background work; its failure must not fail the committed request.
      }
    }
  };
  return { scope, committed };
}

/** SQL that enters the tenant: the role change and the setting both end with the transaction. */
export const enterTenantSql = `select set_config('app.tenant_id', $1, true), set_config('role', 'siyu_app', true)`;

/**
 * Switches an open system transaction into `tenantId` (role siyu_app, RLS on) for the rest of the
 * transaction, e.g. right after creating the tenant row, so tenant creation stays atomic.
 */
export async function enterTenant(scope: Scope, tenantId: string): Promise<Scope> {
  await scope.query(enterTenantSql, [tenantId]);
  return { ...scope, tenantId };
}
