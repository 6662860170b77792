import { createWecomClient, isWecomApiError, type WecomClient } from "../../../connectors/wecom/index.ts";
import { AppError } from "../../../platform/errors.ts";
import type { Platform } from "../../../platform/platform.ts";
import { storedStepRunner } from "../../engine-commons/index.ts";
import type { WecomCorpSettings } from "../settings.service.ts";
import { requireSettings } from "../wecom-client.ts";

/**
 * Clients for actions. Unlike sync, an action runs in a job that has its own durable retries, so the
 * client waits only briefly after 45009 (seconds, not minutes) and then gives the failure to the job,
 * whose backoff holds no worker while it waits. One client per (corp, secret, apiBase) as elsewhere.
 */
const clients = new Map<string, WecomClient>();

export function actionClient(platform: Platform, s: WecomCorpSettings): WecomClient {
  const key = `${s.apiBase}\u0000${s.corpId}\u0000${s.contactSecret}`;
  let client = clients.get(key);
  if (!client) {
    client = createWecomClient({
      apiBase: s.apiBase,
      corpId: s.corpId,
      secret: s.contactSecret,
      log: platform.log,
      limiter: platform.limits,
      retry: {
        attempts: 3,
        baseDelayMs: 200,
        maxDelayMs: 2_000,
        throttledBaseDelayMs: 500,
        throttledMaxDelayMs: 3_000,
      },
    });
    clients.set(key, client);
  }
  return client;
}

export async function tenantClient(platform: Platform, tenantId: string): Promise<WecomClient> {
  return actionClient(platform, await requireSettings(platform, tenantId));
}

/**
 * Runs a WeCom call that must not repeat, stored in `wecom_action_steps` (see `storedStepRunner`).
 * WeCom gives no idempotency key: a process killed between WeCom's answer and the insert is the one
 * window left.
 */
export const runStep = storedStepRunner("wecom_action_steps");

/** Is this failure worth another attempt of the job (rate limit, busy, network), or final? */
export function isTransient(err: unknown): boolean {
  if (isWecomApiError(err)) return err.retryable;
  return !(err instanceof AppError);
}

export function errorText(err: unknown): string {
  if (isWecomApiError(err)) return `${err.errcode} ${err.errmsg}`.slice(0, 500);
  return String(err instanceof Error ? err.message : err).slice(0, 500);
}

export function errcodeOf(err: unknown): number | null {
  return isWecomApiError(err) ? err.errcode : null;
}

/** A WeCom failure in a request: 502 with WeCom's errcode, never the token or secret. */
export function wecomRouteError(err: unknown): unknown {
  if (isWecomApiError(err)) {
    return new AppError("wecom_api_error", `WeCom refused the call: ${err.errcode} ${err.errmsg}`, {
      errcode: err.errcode,
    });
  }
  return err;
}

/** Polling delay after `polls` polls: 2 s doubling to a cap (WeCom results come in minutes to a day). */
export function pollDelayMs(polls: number, capMs = 10 * 60_000): number {
  return Math.min(capMs, 2_000 * 2 ** Math.min(polls, 12));
}
