import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OaDelivery } from "../../../sandbox/official-account/callback-sender.ts";
import { type StandaloneOaSandbox, startOaSandbox } from "../../../sandbox/official-account/index.ts";
import { oaSimCall } from "../../../testing/oa-world.ts";
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
import { type OaEventPayload, oaEventIdentity } from "../events.ts";

// The Official Account twin of the WeCom crash test (modules/wecom/__tests__/crash.integration.test.ts):
// Siyu runs as a child process, the OA simulator sends a burst of signed (safe mode) subscribe events
// and a few text messages to it, and the process is killed with SIGKILL once a random number of them
// were answered 200. Every acknowledged message must already be in the inbox; the simulator retries the
// others, and the process started again on the same data (and port: it is the account's server URL)
// applies every message exactly once.

const token = "OaCrashToken2026";
const encodingAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const follows = 40;
const texts = 4;
/** user/info answers this late while the first process runs, so acked follows are still unapplied. */
const slowInfoMs = 1500;

const acked = (d: OaDelivery) => d.attempts.some((a) => a.status === 200 && !a.duplicate);
const keyOf = (d: OaDelivery) =>
  oaEventIdentity(
    Object.fromEntries(Object.entries(d.fields).map(([k, v]) => [k, String(v)])) as OaEventPayload,
  ).key;

async function killMidBurst(sb: StandaloneOaSandbox, target: ProcessTarget) {
  const sim = async (method: string, path: string, body?: unknown) => {
    const res = await oaSimCall(sb.url, method, path, body);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.json)}`).toBeLessThan(300);
    return res.json;
  };
  let first: SiyuProcess | undefined = await startSiyuProcess(target.env);
  let second: SiyuProcess | undefined;
  try {
    const admin = await loginProcess(first.url);
    const created = await sim("POST", "/accounts", {
      name: "崩溃测试服务号",
      callback: {
        url: `${first.url}/callbacks/official-account/${admin.tenantId}`,
        token,
        encodingAesKey,
        mode: "safe",
      },
    });
    const appId = String(created.appId);
    const put = await httpCall(first.url, "PUT", "/api/settings/official-account", {
      token: admin.token,
      body: { appId, secret: created.secret, token, encodingAesKey, mode: "safe", apiBase: sb.url },
    });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    // Followers from before Siyu (no callback): the text messages come from people it has never seen.
    const seeded = await sim("POST", `/accounts/${appId}/followers/seed`, { count: texts });
    const talkers = seeded.openids as string[];
    expect(talkers).toHaveLength(texts);
    await sim("POST", `/accounts/${appId}/faults`, { api: "user/info", delayMs: slowInfoMs, times: null });

    const account = sb.sandbox.account(appId);
    if (!account) throw new Error("no account");
    const total = follows + texts;
    // The kill comes once this many messages were answered 200: somewhere inside the burst.
    const killAt = randomInt(3, total - 8);
    const process1 = first;
    const killed = (async () => {
      while (sb.sandbox.callbacks.deliveries(appId).filter(acked).length < killAt)
        await new Promise((r) => setTimeout(r, 2));
      process1.child.kill("SIGKILL");
      return process1.exited;
    })();
    // The burst: follows (some via a QR scene) and texts interleaved, a few milliseconds apart.
    for (let i = 0; i < total; i++) {
      if (i % 11 === 5 && i / 11 < texts)
        sb.sandbox.message(account, talkers[Math.floor(i / 11)] as string, "text", { Content: `你好 ${i}` });
      else sb.sandbox.follow(account, i % 3 === 0 ? { scene: `crash${i}` } : {});
      await new Promise((r) => setTimeout(r, 8));
    }
    expect(await killed).toBeNull();
    first = undefined;
    // A 200 already read off the socket is recorded a moment after; then nothing more can be acked.
    await new Promise((r) => setTimeout(r, 300));
    const deliveries = sb.sandbox.callbacks.deliveries(appId);
    expect(deliveries).toHaveLength(total);
    const ackedKeys = deliveries.filter(acked).map(keyOf);
    const context = `kill after ${killAt} acks; ${ackedKeys.length} of ${total} acked`;
    expect(ackedKeys.length, context).toBeGreaterThanOrEqual(killAt);
    expect(ackedKeys.length, context).toBeLessThan(total);

    // Between the processes: every acknowledged message is in the inbox.
    const before = await target.open();
    try {
      const inbox = await before.query<{ event_key: string }>(
        "select event_key from inbox where platform = 'official-account'",
      );
      const stored = new Set(inbox.map((r) => r.event_key));
      expect(
        ackedKeys.filter((k) => !stored.has(k)),
        context,
      ).toEqual([]);
    } finally {
      await before.close();
    }

    // user/info answers promptly again; the simulator keeps retrying what was not acknowledged.
    await sim("DELETE", `/accounts/${appId}/faults`);
    second = await startSiyuProcess(target.env, { port: process1.port });
    await sb.sandbox.callbacks.flush(appId);
    expect(
      deliveries.map((d) => d.state),
      context,
    ).toEqual(deliveries.map(() => "delivered"));
    const { token: ownerToken } = await loginProcess(second.url);
    // An acked message whose job was not yet stored at the kill (the job is enqueued after the inbox
    // commit) waits for the sweep: stale after 60 s, run every minute.
    await waitForEventTasks(second, {
      token: ownerToken,
      path: "/api/official-account/events?limit=100",
      count: total,
      timeoutMs: 240_000,
      context,
    });
    second.child.kill("SIGTERM");
    await second.exited;
    second = undefined;

    const db = await target.open();
    try {
      const byKey = (a: string, b: string) => (a < b ? -1 : 1);
      const inbox = await db.query<{ event_key: string; processed: boolean }>(
        "select event_key, processed_at is not null as processed from inbox where platform = 'official-account'",
      );
      expect(inbox.map((r) => r.event_key).sort(byKey), context).toEqual(deliveries.map(keyOf).sort(byKey));
      expect(inbox.every((r) => r.processed)).toBe(true);
      const tasks = await db.query<{ kind: string; n: number; done: number }>(
        `select kind, count(*)::int as n, count(*) filter (where status = 'done')::int as done
           from oa_event_tasks group by kind order by kind`,
      );
      expect(tasks).toEqual([
        { kind: "event.subscribe", n: follows, done: follows },
        { kind: "message.text", n: texts, done: texts },
      ]);
      const openids = [...new Set(deliveries.map((d) => String(d.fields.FromUserName)))];
      expect(openids).toHaveLength(total);
      const followers = await db.query<{ openid: string; rows: number; customers: number }>(
        `select openid, count(*)::int as rows, count(distinct customer_id)::int as customers
           from oa_followers group by openid`,
      );
      expect(followers.map((f) => f.openid).sort(byKey)).toEqual([...openids].sort(byKey));
      expect(followers.every((f) => f.rows === 1 && f.customers === 1)).toBe(true);
      const identities = await db.query<{ value: string; customers: number }>(
        `select value, count(distinct customer_id)::int as customers from customer_identities
          where type = 'oa_openid' group by value`,
      );
      expect(identities.map((i) => i.value).sort(byKey)).toEqual([...openids].sort(byKey));
      expect(identities.every((i) => i.customers === 1)).toBe(true);
      const [customers] = await db.query<{ n: number }>("select count(*)::int as n from customers");
      expect(customers?.n).toBe(total);
      const timeline = await db.query<{ type: string; customers: number; entries: number }>(
        `select type, count(distinct customer_id)::int as customers, count(*)::int as entries
           from customer_events where type in ('oa.subscribed', 'oa.message_received')
          group by type order by type`,
      );
      expect(timeline, context).toEqual([
        { type: "oa.message_received", customers: texts, entries: texts },
        { type: "oa.subscribed", customers: follows, entries: follows },
      ]);
    } finally {
      await db.close();
    }
  } finally {
    await killAll([first, second]);
    await target.cleanup();
  }
}

// A killed BullMQ worker's jobs come back once their lock lapses (30 s), so the cluster run is longer.
describe("Official Account: kill -9 in the middle of a callback burst", () => {
  let sb: StandaloneOaSandbox;
  beforeAll(async () => {
    // Retries every 250 ms for up to two minutes: the simulator outlasts the restart.
    sb = await startOaSandbox({ callbackRetryDelayMs: 250, callbackRetries: 480 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("embedded (PGlite data dir): acked messages are in the inbox, the rest retried, each applied once", async () => {
    await killMidBurst(sb, pgliteProcessTarget("siyu-oa-crash-"));
  }, 420_000);

  it.skipIf(!clusterAvailable)(
    "cluster (PostgreSQL + Redis): acked messages are in the inbox, the rest retried, each applied once",
    async () => {
      await killMidBurst(sb, await clusterProcessTarget());
    },
    420_000,
  );
});
