import { afterEach, describe, expect, it } from "vitest";
import { createInbox, type InboxService } from "./inbox.ts";
import { type EventsWorld, effects, openWorld, sleep, waitFor, worlds } from "./test-setup.ts";

interface InboxState {
  processed_at: Date | null;
  attempts: number;
  last_error: string | null;
}

describe.each(worlds)("inbox on %s with %s", (kind, queueKind) => {
  let world: EventsWorld;
  let inbox: InboxService;

  async function boot() {
    world = await openWorld(kind, queueKind);
    inbox = createInbox({ db: world.db, jobs: world.jobs, staleMs: 0 });
    return world;
  }
  async function run() {
    await world.jobs.start();
    await world.jobs.work({ queues: ["realtime"] });
  }
  const state = async (id: number) =>
    (
      await world.db.query<InboxState>("select processed_at, attempts, last_error from inbox where id = $1", [
        id,
      ])
    )[0];

  afterEach(async () => {
    await inbox?.stop();
    await world?.close();
  });

  it("stores a retried platform event once and processes it once", async () => {
    const { db, tenantId } = await boot();
    const runs: string[] = [];
    inbox.handle("wecom", async (e, scope) => {
      runs.push(e.eventKey);
      expect(scope.tenantId).toBe(e.tenantId);
      await scope.query("insert into effects (tenant_id, who, event_id) values ($1, 'wecom', $2)", [
        e.tenantId,
        e.eventKey,
      ]);
    });
    await run();
    const event = {
      platform: "wecom",
      eventKey: "msg-1",
      kind: "add_external_contact",
      payload: { userId: "u1" },
    };
    const first = await inbox.receive(tenantId, event);
    const second = await inbox.receive(tenantId, event);
    expect(first.duplicate).toBe(false);
    expect(second).toEqual({ id: first.id, duplicate: true });
    // The same key in another tenant is another event.
    const otherTenant = await inbox.receive("ten_b", event);
    expect(otherTenant.duplicate).toBe(false);

    await waitFor(
      async () => (await state(first.id))?.processed_at != null && (await effects(db, "wecom")).length === 2,
    );
    await inbox.receive(tenantId, event);
    await sleep(1000);
    expect(runs).toEqual(["msg-1", "msg-1"]);
    expect(await effects(db, "wecom")).toEqual(["msg-1", "msg-1"]);
    expect(await state(first.id)).toMatchObject({ attempts: 1, last_error: null });
  });

  it("stores a burst of concurrent callbacks in group commits, each once, retries included", async () => {
    const { db, tenantId } = await boot();
    const seen: string[] = [];
    inbox.handle("wecom", async (e) => {
      seen.push(e.eventKey);
    });
    await run();
    // 300 distinct events, each sent twice at once (a platform retrying while the first is in flight),
    // plus the same keys in a second tenant: all in flight together.
    const keys = Array.from({ length: 300 }, (_, i) => `burst-${i}`);
    const send = (tenant: string, key: string) =>
      inbox.receive(tenant, {
        platform: "wecom",
        eventKey: key,
        kind: "add_external_contact",
        payload: { key },
      });
    const answers = await Promise.all(
      keys.flatMap((k) => [send(tenantId, k), send(tenantId, k), send("ten_b", k)]),
    );
    const mine = answers.filter((_, i) => i % 3 !== 2);
    // Each key: exactly one fresh answer and one duplicate, both naming the same row.
    for (let i = 0; i < keys.length; i++) {
      const [a, b] = [mine[2 * i], mine[2 * i + 1]];
      expect([a?.duplicate, b?.duplicate].sort()).toEqual([false, true]);
      expect(a?.id).toBe(b?.id);
    }
    const rows = await db.query<{ n: string | number }>(
      "select count(*) as n from inbox where tenant_id = $1 and platform = 'wecom'",
      [tenantId],
    );
    expect(Number(rows[0]?.n)).toBe(300);
    await waitFor(async () => seen.length === 600, 60_000);
    await sleep(500);
    expect(seen.length).toBe(600);
    expect(new Set(seen).size).toBe(300);
  });

  it("records a handler failure, retries, and then succeeds with the failed attempt's effects undone", async () => {
    const { db, tenantId } = await boot();
    let calls = 0;
    inbox.handle("youzan", async (e, scope) => {
      calls++;
      await scope.query("insert into effects (tenant_id, who, event_id) values ($1, 'youzan', $2)", [
        e.tenantId,
        e.eventKey,
      ]);
      if (calls === 1) throw new Error("upstream timeout");
    });
    await run();
    const { id } = await inbox.receive(tenantId, {
      platform: "youzan",
      eventKey: "o-7",
      kind: "trade",
      payload: {},
    });
    await waitFor(async () => (await state(id))?.processed_at != null, 20_000);
    const s = await state(id);
    expect(calls).toBe(2);
    expect(s?.attempts).toBe(2);
    expect(s?.last_error).toMatch(/upstream timeout/);
    // The failed run's insert rolled back with it: one effect in all.
    expect(await effects(db, "youzan")).toEqual(["o-7"]);
  });

  it("sweeps a stored event whose processing job was lost", async () => {
    const { db, tenantId } = await boot();
    const seen: number[] = [];
    inbox.handle("oa", async (e) => {
      seen.push(e.id);
    });
    await run();
    // Stored behind the inbox's back, as if the process died between COMMIT and the job send.
    const [row] = await db.query<{ id: number }>(
      `insert into inbox (tenant_id, platform, event_key, kind, payload)
       values ($1, 'oa', 'k-1', 'subscribe', '{}') returning id`,
      [tenantId],
    );
    if (!row) throw new Error("no inbox row");
    expect(await inbox.sweep()).toBe(1);
    await waitFor(async () => (await state(Number(row.id)))?.processed_at != null);
    expect(seen).toEqual([Number(row.id)]);
    // Nothing left to sweep: processed rows are not re-enqueued.
    expect(await inbox.sweep()).toBe(0);
  });

  it("re-enqueues rows an earlier process left when it starts, without waiting for staleness", async () => {
    world = await openWorld(kind, queueKind);
    // An hour's staleness: only the start-up sweep can pick the row up within this test.
    inbox = createInbox({ db: world.db, jobs: world.jobs, staleMs: 3_600_000 });
    const seen: number[] = [];
    inbox.handle("oa", async (e) => {
      seen.push(e.id);
    });
    const [row] = await world.db.query<{ id: number }>(
      `insert into inbox (tenant_id, platform, event_key, kind, payload)
       values ($1, 'oa', 'k-boot', 'subscribe', '{}') returning id`,
      [world.tenantId],
    );
    if (!row) throw new Error("no inbox row");
    await run();
    expect(await inbox.sweep()).toBe(0);
    await inbox.start();
    await waitFor(async () => (await state(Number(row.id)))?.processed_at != null);
    expect(seen).toEqual([Number(row.id)]);
  });
});
