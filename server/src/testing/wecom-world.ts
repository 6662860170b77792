import { expect } from "vitest";
import type { TestApp } from "./app-harness.ts";

type Json = Record<string, unknown>;

/** Polls `fn` until it returns something truthy (tests of asynchronous jobs and callbacks). */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  ms = 60_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One call of the WeCom simulator's JSON sim API (`<simUrl>/_sim<path>`). */
export async function simCall(
  simUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${simUrl}/_sim${path}`, {
    method,
    ...(body !== undefined
      ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
      : {}),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

export interface SimMember {
  userid: string;
  name?: string;
  department?: number[];
  email?: string;
  customerContact?: boolean;
}

/**
 * Creates a corp in the simulator whose callbacks go to the tenant's callback URL, and stores that
 * corp as the tenant's WeCom settings through the real route. Returns the corp's id.
 */
export async function connectSandboxCorp(input: {
  t: TestApp;
  owner: string;
  tenantId: string;
  simUrl: string;
  appUrl: string;
  corpName: string;
  members: SimMember[];
  token: string;
  encodingAesKey: string;
}): Promise<string> {
  const { t, owner, tenantId, simUrl, appUrl, token, encodingAesKey } = input;
  const corp = await simCall(simUrl, "POST", "/corps", {
    corpName: input.corpName,
    members: input.members,
    callback: { url: `${appUrl}/callbacks/wecom/${tenantId}`, token, encodingAesKey },
  });
  expect(corp.status).toBe(201);
  const corpId = corp.json.corpId as string;
  const put = await t.call("PUT", "/api/settings/wecom", {
    token: owner,
    body: {
      corpId,
      agentId: String(corp.json.agentId ?? 1000002),
      secret: corp.json.appSecret,
      contactSecret: corp.json.contactSecret,
      callbackToken: token,
      encodingAesKey,
      apiBase: simUrl,
    },
  });
  expect(put.statusCode, put.body).toBe(200);
  return corpId;
}
