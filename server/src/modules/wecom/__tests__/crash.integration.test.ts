import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StandaloneWecomSandbox, startWecomSandbox } from "../../../sandbox/wecom/index.ts";
import {
  clusterAvailable,
  clusterProcessTarget,
  httpCall,
  killAll,
  loginProcess,
  type ProcessTarget,
  pgliteProcessTarget,
  type SiyuProcess,
  startSiyuProcess,
  waitForEventTasks,
} from "../../../testing/siyu-process.ts";
import { signedEvent } from "./callbacks.ts";

// Issue 4: "a kill -9 between ack and processing (event processed after restart, once)". Siyu runs as
// a child process (`node server/src/main.ts`), WeCom is the standalone simulator, and the callbacks are
// POSTed as WeCom posts them. Reading each contact from WeCom is made slow, so when the process is
// killed right after the last 200 the events are acked (in the inbox) but not applied. A new process on
// the same data must apply every one of them exactly once.

const token = "CrashToken2026";
const encodingAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const events = 8;
/** Each externalcontact/get answers this late while the first process runs: the kill lands before. */
const slowGetMs = 15_000;

/** The simulator's `/_sim` API; any answer but a 2xx fails the test. */
function simOf(sb: StandaloneWecomSandbox) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await httpCall(sb.url, method, `/_sim${path}`, body === undefined ? {} : { body });
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.json)}`).toBeLessThan(300);
    return res.json;
  };
}

/** Logs in to the process and connects it to the simulator's corp (callbacks with this file's secrets). */
async function connectCorp(process: SiyuProcess, sb: StandaloneWecomSandbox, corp: Record<string, unknown>) {
  const admin = await loginProcess(process.url);
  const put = await httpCall(process.url, "PUT", "/api/settings/wecom", {
    token: admin.token,
    body: {
      corpId: String(corp.corpId),
      agentId: String(corp.agentId ?? 1000002),
      secret: corp.appSecret,
      contactSecret: corp.contactSecret,
      callbackToken: token,
      encodingAesKey,
      apiBase: sb.url,
    },
  });
  expect(put.status, JSON.stringify(put.json)).toBe(200);
  return admin;
}

async function killBetweenAckAndEffect(sb: StandaloneWecomSandbox, target: ProcessTarget) {
  const sim = simOf(sb);
  // The corp has no callback URL: the simulator sends nothing, the test delivers the events itself.
  const corp = await sim("POST", "/corps", {
    corpName: "崩溃测试企业",
    members: ["zhangsan", "lisi"].map((userid) => ({
      userid,
      name: userid,
      department: [1],
      customerContact: true,
    })),
  });
  const corpId = String(corp.corpId);
  await sim("POST", `/corps/${corpId}/seed`, { count: events });
  const listed = (await sim("GET", `/corps/${corpId}/contacts?limit=${events}`)) as {
    contacts: Array<{ external_userid: string; follow_user: Array<{ userid: string }> }>;
  };
  const contacts = listed.contacts.map((c) => ({
    ext: c.external_userid,
    userid: c.follow_user[0]?.userid ?? "",
  }));
  expect(contacts).toHaveLength(events);

  let first: SiyuProcess | undefined = await startSiyuProcess(target.env);
  let second: SiyuProcess | undefined;
  try {
    const admin = await connectCorp(first, sb, corp);
    await sim("POST", `/corps/${corpId}/faults`, {
      api: "externalcontact/get",
      times: null,
      delayMs: slowGetMs,
    });

    const now = Math.floor(Date.now() / 1000);
    const acks = await Promise.all(
      contacts.map(async (c, i) => {
        const e = signedEvent(
          { corpId, token, encodingAesKey },
          {
            CreateTime: now,
            Event: "change_external_contact",
            ChangeType: "add_external_contact",
            UserID: c.userid,
            ExternalUserID: c.ext,
            State: `crash${i}`,
          },
        );
        const res = await fetch(`${first?.url}/callbacks/wecom/${admin.tenantId}?${e.query}`, {
          method: "POST",
          headers: { "content-type": "text/xml" },
          body: e.body,
        });
        return { status: res.status, body: await res.text() };
      }),
    );
    expect(acks).toEqual(contacts.map(() => ({ status: 200, body: "" })));
    first.child.kill("SIGKILL");
    expect(await first.exited).toBeNull();
    first = undefined;

    // Between the processes: every event is in the inbox, and the kill came before their effects.
    const before = await target.open();
    try {
      const [inbox] = await before.query<{ n: number }>(
        "select count(*)::int as n from inbox where platform = 'wecom'",
      );
      expect(inbox?.n).toBe(events);
      const [customers] = await before.query<{ n: number }>(
        "select count(*)::int as n from customer_identities where type = 'wecom_external_userid'",
      );
      expect(customers?.n).toBe(0);
    } finally {
      await before.close();
    }

    // WeCom answers promptly again; a new process on the same data finishes the work.
    await sim("DELETE", `/corps/${corpId}/faults`);
    second = await startSiyuProcess(target.env);
    const { token: ownerToken } = await loginProcess(second.url);
    await waitForEventTasks(second, {
      token: ownerToken,
      path: "/api/wecom/events?limit=100",
      count: events,
      timeoutMs: 150_000,
    });
    second.child.kill("SIGTERM");
    await second.exited;
    second = undefined;

    const db = await target.open();
    try {
      const inbox = await db.query<{ processed: boolean }>(
        "select processed_at is not null as processed from inbox where platform = 'wecom'",
      );
      expect(inbox).toEqual(contacts.map(() => ({ processed: true })));
      const tasks = await db.query<{ status: string; kind: string }>(
        "select status, kind from wecom_event_tasks",
      );
      expect(tasks).toEqual(
        contacts.map(() => ({ status: "done", kind: "change_external_contact.add_external_contact" })),
      );
      const identities = await db.query<{ value: string; customers: number }>(
        `select value, count(distinct customer_id)::int as customers from customer_identities
          where type = 'wecom_external_userid' group by value`,
      );
      const byValue = (a: { value: string }, b: { value: string }) => (a.value < b.value ? -1 : 1);
      expect(identities.sort(byValue)).toEqual(
        contacts.map((c) => ({ value: c.ext, customers: 1 })).sort(byValue),
      );
      const [all] = await db.query<{ n: number }>("select count(*)::int as n from customers");
      expect(all?.n).toBe(events);
      const timeline = await db.query<{ customer_id: string; n: number }>(
        `select customer_id, count(*)::int as n from customer_events
          where type = 'wecom.contact_added' group by customer_id`,
      );
      expect(timeline).toHaveLength(events);
      expect(timeline.every((t) => t.n === 1)).toBe(true);
      const follows = await db.query<{ n: number }>(
        "select count(*)::int as n from wecom_follows where deleted_at is null",
      );
      expect(follows[0]?.n).toBe(events);
    } finally {
      await db.close();
    }
  } finally {
    await killAll([first, second]);
    await target.cleanup();
  }
}

const syncContacts = 300;

/**
 * "A sync can be resumed after a restart": a contacts sync whose WeCom pages are slow is killed once
 * some pages are applied; the next process carries the same run on from its saved cursor.
 */
async function killMidSync(sb: StandaloneWecomSandbox, target: ProcessTarget) {
  const sim = simOf(sb);
  const corp = await sim("POST", "/corps", {
    corpName: "同步崩溃企业",
    members: ["zhangsan", "lisi", "wangwu"].map((userid) => ({
      userid,
      name: userid,
      department: [1],
      customerContact: true,
    })),
  });
  const corpId = String(corp.corpId);
  await sim("POST", `/corps/${corpId}/seed`, { count: syncContacts });

  let first: SiyuProcess | undefined = await startSiyuProcess(target.env);
  let second: SiyuProcess | undefined;
  try {
    const admin = await connectCorp(first, sb, corp);
    await sim("POST", `/corps/${corpId}/faults`, {
      api: "externalcontact/batch/get_by_user",
      times: null,
      delayMs: 1500,
    });
    const started = await httpCall(first.url, "POST", "/api/wecom/sync", {
      token: admin.token,
      body: { kind: "contacts" },
    });
    expect(started.status).toBe(202);
    const runId = String(started.json.id);
    const following = async (url: string, auth: string) => {
      const staff = await httpCall(url, "GET", "/api/wecom/staff?limit=100", { token: auth });
      return ((staff.json.items ?? []) as Array<{ contacts: number }>).reduce((n, x) => n + x.contacts, 0);
    };
    const end = Date.now() + 60_000;
    let before = 0;
    while (before === 0) {
      if (Date.now() > end) throw new Error(`no contacts page applied: ${first.log.join("")}`);
      await new Promise((r) => setTimeout(r, 100));
      before = await following(first.url, admin.token);
    }
    first.child.kill("SIGKILL");
    await first.exited;
    first = undefined;
    expect(before).toBeLessThan(syncContacts);

    await sim("DELETE", `/corps/${corpId}/faults`);
    second = await startSiyuProcess(target.env);
    const { token: ownerToken } = await loginProcess(second.url);
    let run: { id: string; status: string; attempts: number } | undefined;
    const until = Date.now() + 150_000;
    for (;;) {
      const list = await httpCall(second.url, "GET", "/api/wecom/sync", { token: ownerToken });
      run = (list.json.items as (typeof run)[]).find((r) => r?.id === runId);
      if (run?.status === "completed" || run?.status === "failed") break;
      if (Date.now() > until)
        throw new Error(`sync not resumed: ${JSON.stringify(run)} ${second.log.join("")}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(run).toMatchObject({ status: "completed" });
    // Carried on, not started over: the run is the same, in a second attempt.
    expect(run?.attempts).toBeGreaterThanOrEqual(2);
    expect(await following(second.url, ownerToken)).toBe(syncContacts);
    second.child.kill("SIGTERM");
    await second.exited;
    second = undefined;

    const db = await target.open();
    try {
      const [identities] = await db.query<{ n: number; values: number; customers: number }>(
        `select count(*)::int as n, count(distinct value)::int as values, count(distinct customer_id)::int as customers
           from customer_identities where type = 'wecom_external_userid'`,
      );
      expect(identities).toEqual({ n: syncContacts, values: syncContacts, customers: syncContacts });
      const [customers] = await db.query<{ n: number }>("select count(*)::int as n from customers");
      expect(customers?.n).toBe(syncContacts);
      const [runs] = await db.query<{ n: number }>("select count(*)::int as n from wecom_sync_runs");
      expect(runs?.n).toBe(1);
    } finally {
      await db.close();
    }
  } finally {
    await killAll([first, second]);
    await target.cleanup();
  }
}

// A killed BullMQ worker's jobs come back once their lock lapses (10–30 s), so the cluster runs are longer.
const cluster = clusterAvailable;

describe("WeCom: kill -9 between the callback's ack and its processing", () => {
  let sb: StandaloneWecomSandbox;
  beforeAll(async () => {
    sb = await startWecomSandbox({ callbackRetryDelayMs: 20 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("embedded (PGlite data dir): every acked event is applied once after the restart", async () => {
    await killBetweenAckAndEffect(sb, pgliteProcessTarget("siyu-wecom-crash-"));
  }, 240_000);

  it.skipIf(!cluster)(
    "cluster (PostgreSQL + Redis): every acked event is applied once after the restart",
    async () => {
      await killBetweenAckAndEffect(sb, await clusterProcessTarget());
    },
    240_000,
  );

  it("embedded: a contacts sync killed mid-way resumes after the restart and ends with each contact once", async () => {
    await killMidSync(sb, pgliteProcessTarget("siyu-wecom-crash-"));
  }, 240_000);

  it.skipIf(!cluster)(
    "cluster: a contacts sync killed mid-way resumes after the restart and ends with each contact once",
    async () => {
      await killMidSync(sb, await clusterProcessTarget());
    },
    240_000,
  );
});
