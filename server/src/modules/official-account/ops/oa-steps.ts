import type { Platform } from "../../../platform/platform.ts";

/**
 * Runs an Official Account call that must not repeat (a template send, a menu publish). The result is
 * stored under `key` right after the call; a retried job finds it and returns it without calling
 * again. Final refusals are results too (the step function returns them instead of throwing), so a
 * 43004 is recorded once and never retried; only transient failures throw and leave the step open.
 * Template sends also carry `client_msg_id` (the send's id), which WeChat dedups: the window between
 * WeChat's answer and the insert is closed on the platform's side as well.
 */
export async function runOaStep<T extends object>(
  platform: Platform,
  tenantId: string,
  key: string,
  fn: () => Promise<T>,
): Promise<T> {
  const [done] = await platform.db.tenant(tenantId, (s) =>
    s.query<{ result: T }>("select result from oa_action_steps where step_key = $1", [key]),
  );
  if (done) return done.result;
  const result = await fn();
  const [stored] = await platform.db.tenant(tenantId, (s) =>
    s.query<{ result: T }>(
      `insert into oa_action_steps (tenant_id, step_key, result) values ($1, $2, $3)
       on conflict (tenant_id, step_key) do update set step_key = excluded.step_key returning result`,
      [tenantId, key, JSON.stringify(result)],
    ),
  );
  return stored?.result ?? result;
}
