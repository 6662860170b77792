import type { Platform } from "../../platform/platform.ts";
import { tableName } from "./table-name.ts";

/** Runs `fn` once per (tenant, key): see {@link storedStepRunner}. */
export type StoredStepRunner = <T extends object>(
  platform: Platform,
  tenantId: string,
  key: string,
  fn: () => Promise<T>,
) => Promise<T>;

/**
 * The runner of an engine's outside calls that must not repeat, over that engine's steps table
 * (`tenant_id, step_key, result jsonb`, primary key `(tenant_id, step_key)`). The result is stored
 * under `key` in its own transaction right after the call; a retried job finds it and returns it
 * without calling again. Final refusals are results too when the step function returns them instead
 * of throwing; only a throw leaves the step open. The one window left is a process killed between
 * the platform's answer and the insert (closed only where the platform dedups, as WeChat's
 * `client_msg_id`). When two runs race, the first stored result wins and both return it.
 */
export function storedStepRunner(table: string): StoredStepRunner {
  const t = tableName(table);
  return async function runStoredStep<T extends object>(
    platform: Platform,
    tenantId: string,
    key: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    const [done] = await platform.db.tenant(tenantId, (s) =>
      s.query<{ result: T }>(`select result from ${t} where step_key = $1`, [key]),
    );
    if (done) return done.result;
    const result = await fn();
    const [stored] = await platform.db.tenant(tenantId, (s) =>
      s.query<{ result: T }>(
        `insert into ${t} (tenant_id, step_key, result) values ($1, $2, $3)
         on conflict (tenant_id, step_key) do update set step_key = excluded.step_key returning result`,
        [tenantId, key, JSON.stringify(result)],
      ),
    );
    return stored?.result ?? result;
  };
}
