import { expect } from "vitest";
import type { Database } from "../platform/db/index.ts";
import { type StandaloneWecomSandbox, startWecomSandbox } from "../sandbox/wecom/index.ts";
import { AppWorld, type TestApp } from "./app-harness.ts";

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

/**
 * True when no WeCom callback waits in the inbox and no WeCom event task is pending. One statement,
 * one snapshot: two separate counts can miss a task created between them.
 */
export async function wecomSettled(db: Database): Promise<boolean> {
  const [r] = await db.query<{ n: number }>(
    `select (select count(*)::int from wecom_event_tasks where status = 'pending')
          + (select count(*)::int from inbox where platform = 'wecom' and processed_at is null) as n`,
  );
  return r?.n === 0;
}

/**
 * A customer adds a staff member in the simulator (`add-contact`); waits until the callback is
 * applied (WeCom work settled and the contact stored). Returns the simulator's answer and the
 * contact's customer.
 */
export async function addSimContact(input: {
  db: Database;
  sandbox: StandaloneWecomSandbox;
  corpId: string;
  userid: string;
  customer: { name: string; unionid?: string };
}): Promise<{ json: Json; customerId: string | undefined }> {
  const { db, sandbox, corpId } = input;
  const r = await simCall(sandbox.url, "POST", `/corps/${corpId}/actions/add-contact`, {
    userid: input.userid,
    customer: input.customer,
  });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  await sandbox.sandbox.callbacks.flush(corpId);
  const ext = (r.json as { external_userid?: string }).external_userid;
  const customerId = await waitFor("wecom contact", async () => {
    if (!(await wecomSettled(db))) return null;
    if (!ext) return { id: undefined };
    const [c] = await db.query<{ customer_id: string }>(
      "select customer_id from wecom_contacts where external_userid = $1",
      [ext],
    );
    return c && { id: c.customer_id };
  });
  return { json: r.json, customerId: customerId.id };
}

/** A WeCom test world: the simulator and the app (see `AppWorld`), a corp once `connectCorp` ran. */
export class WecomWorld extends AppWorld {
  sb!: StandaloneWecomSandbox;
  /** The corp of `connectCorp`. */
  corpId!: string;

  open = async (): Promise<void> => {
    this.sb = await startWecomSandbox({ callbackRetryDelayMs: 20 });
    await this.openApp();
  };

  close = async (): Promise<void> => {
    await this.closeApp();
    await this.sb?.close();
  };

  /** Creates a corp in the simulator with these members and connects it as the tenant's WeCom. */
  connectCorp = async (input: {
    corpName: string;
    members: SimMember[];
    token: string;
    encodingAesKey: string;
  }): Promise<string> => {
    const { t, owner, tenantId, appUrl } = this;
    this.corpId = await connectSandboxCorp({ t, owner, tenantId, simUrl: this.sb.url, appUrl, ...input });
    return this.corpId;
  };

  /** A full sync (`kind: all`) through the API, waited for until it is completed. */
  syncAll = async (): Promise<void> => {
    const started = await this.api("POST", "/api/wecom/sync", { kind: "all" });
    expect(started.statusCode).toBe(202);
    const run = await waitFor(
      "sync",
      async () => {
        const r = (await this.api("GET", "/api/wecom/sync")).json().items[0];
        return r && (r.status === "completed" || r.status === "failed") ? r : undefined;
      },
      120_000,
    );
    expect(run.status).toBe("completed");
  };

  sim = (method: string, path: string, body?: unknown) => simCall(this.sb.url, method, path, body);

  db = <T>(sql: string, params: unknown[] = []) => this.t.siyu.platform.db.query<T>(sql, params);

  /** Contacts of one staff member, as (external_userid, customer_id), in external_userid order. */
  contactsOf = (userid: string) =>
    this.db<{ external_userid: string; customer_id: string }>(
      `select c.external_userid, c.customer_id from wecom_contacts c join wecom_follows f on f.external_userid = c.external_userid
        where f.userid = $1 and f.deleted_at is null and c.tenant_id = $2 order by c.external_userid`,
      [userid, this.tenantId],
    );
}
