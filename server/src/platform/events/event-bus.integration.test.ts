import { afterEach, describe, expect, it } from "vitest";
import type { Scope } from "../db/index.ts";
import type { JobQueue } from "../jobs/jobs.ts";
import { deliverJobName } from "./delivery.ts";
import { createEventBus } from "./event-bus.ts";
import type { DomainEvent, EventBus } from "./events.ts";
import { claimPending, toEvent } from "./outbox.ts";
import { pruneEvents } from "./prune.ts";
import { type EventsWorld, effects, openWorld, sleep, waitFor, worlds } from "./test-setup.ts";

/** A handler that records its effect in the handler's own transaction. */
const record = (who: string) => async (e: DomainEvent, scope: Scope) => {
  await scope.query("insert into effects (tenant_id, who, event_id) values ($1, $2, $3)", [
    e.tenantId,
    who,
    e.id,
  ]);
};

describe.each(worlds)("event bus on %s with %s", (kind, queueKind) => {
  let world: EventsWorld;
  let bus: EventBus;

  async function boot(options: { sweepMs?: number } = {}) {
    world = await openWorld(kind, queueKind);
    bus = createEventBus({ db: world.db, jobs: world.jobs, sweepMs: options.sweepMs ?? 60_000 });
    return world;
  }
  async function run() {
    await world.jobs.start();
    await world.jobs.work({ queues: ["automation", "realtime"] });
    await bus.start();
  }

  afterEach(async () => {
    await bus?.stop();
    await world?.close();
  });

  it("delivers an event of a committed transaction once to each interested subscriber", async () => {
    const { db, tenantId } = await boot();
    bus.subscribe({ name: "a", events: ["customer.created"], handler: record("a") });
    bus.subscribe({ name: "b", events: ["*"], queue: "realtime", handler: record("b") });
    bus.subscribe({ name: "c", events: ["order.paid"], handler: record("c") });
    await run();

    const event = await db.tenant(tenantId, (s) =>
      bus.publish(s, {
        type: "customer.created",
        aggregateType: "customer",
        aggregateId: "cus_1",
        payload: { n: 1 },
      }),
    );
    expect(event).toMatchObject({ tenantId, type: "customer.created", payload: { n: 1 } });
    await waitFor(async () => (await effects(db, "a")).length === 1 && (await effects(db, "b")).length === 1);
    await sleep(1500);
    expect(await effects(db, "a")).toEqual([event.id]);
    expect(await effects(db, "b")).toEqual([event.id]);
    expect(await effects(db, "c")).toEqual([]);
    const [row] = await db.query<{ dispatched_at: Date | null }>("select dispatched_at from outbox");
    expect(row?.dispatched_at).toBeInstanceOf(Date);
    const processed = await db.query("select subscriber from processed_events order by subscriber");
    expect(processed).toEqual([{ subscriber: "a" }, { subscriber: "b" }]);
  });

  it("makes no delivery for an event a subscriber's accepts refuses; a throwing accepts delivers", async () => {
    const { db, tenantId } = await boot();
    bus.subscribe({
      name: "picky",
      events: ["*"],
      accepts: (e) => e.payload.n === 1,
      handler: record("picky"),
    });
    bus.subscribe({
      name: "broken",
      events: ["*"],
      accepts: () => {
        throw new Error("cache down");
      },
      handler: record("broken"),
    });
    await run();
    const [one, two] = await db.tenant(tenantId, async (s) => [
      await bus.publish(s, { type: "x.happened", aggregateType: "x", aggregateId: "x1", payload: { n: 1 } }),
      await bus.publish(s, { type: "x.happened", aggregateType: "x", aggregateId: "x2", payload: { n: 2 } }),
    ]);
    await waitFor(async () => (await effects(db, "broken")).length === 2);
    await bus.dispatchPending();
    expect(await effects(db, "picky")).toEqual([one!.id]);
    const rows = await db.system((s) =>
      s.query<{ event_id: string; delivered_to: string[] }>(
        "select event_id, delivered_to from outbox order by id",
      ),
    );
    expect(rows.map((r) => [r.event_id, [...r.delivered_to].sort()])).toEqual([
      [one!.id, ["broken", "picky"]],
      [two!.id, ["broken"]],
    ]);
    const processed = await db.system((s) =>
      s.query<{ n: number }>("select count(*)::int as n from processed_events where subscriber = 'picky'"),
    );
    expect(processed[0]!.n).toBe(1);
  });

  it("publishMany stores many events with one statement, in order, each delivered once", async () => {
    const { db, tenantId } = await boot();
    bus.subscribe({ name: "a", events: ["*"], handler: record("a") });
    await run();
    await db.tenant(tenantId, (s) =>
      bus.publishMany(
        s,
        [3, 1, 2].map((n) => ({
          type: "customer.updated",
          aggregateType: "customer",
          aggregateId: `cus_${n}`,
          payload: { n },
        })),
      ),
    );
    const rows = await db.query<{ event_id: string; aggregate_id: string; tenant_id: string }>(
      "select event_id, aggregate_id, tenant_id from outbox order by id",
    );
    expect(rows.map((r) => r.aggregate_id)).toEqual(["cus_3", "cus_1", "cus_2"]);
    expect(new Set(rows.map((r) => r.tenant_id))).toEqual(new Set([tenantId]));
    await waitFor(async () => (await effects(db, "a")).length === 3);
    expect(new Set(await effects(db, "a"))).toEqual(new Set(rows.map((r) => r.event_id)));
    await expect(
      db.system((s) => bus.publishMany(s, [{ type: "x", aggregateType: "y", aggregateId: "z" }])),
    ).rejects.toThrow(/without a tenant/);
  });

  it("delivers nothing for a rolled-back transaction", async () => {
    const { db, tenantId } = await boot();
    bus.subscribe({ name: "a", events: ["*"], handler: record("a") });
    await run();

    await expect(
      db.tenant(tenantId, async (s) => {
        await bus.publish(s, { type: "customer.created", aggregateType: "customer", aggregateId: "cus_1" });
        throw new Error("business rule failed");
      }),
    ).rejects.toThrow("business rule failed");
    expect(await bus.dispatchPending()).toBe(0);
    await sleep(1000);
    expect(await db.query("select 1 from outbox")).toHaveLength(0);
    expect(await effects(db, "a")).toEqual([]);
  });

  it("refuses to publish from a system scope, which has no tenant", async () => {
    const { db } = await boot();
    await expect(
      db.system((s) => bus.publish(s, { type: "x", aggregateType: "y", aggregateId: "z" })),
    ).rejects.toThrow(/without a tenant/);
  });

  it("gives a redelivered event no second effect", async () => {
    const { db, jobs, tenantId } = await boot();
    let runs = 0;
    bus.subscribe({
      name: "a",
      events: ["*"],
      handler: async (e, s) => {
        runs++;
        await record("a")(e, s);
      },
    });
    await run();
    await db.tenant(tenantId, (s) =>
      bus.publish(s, { type: "t", aggregateType: "customer", aggregateId: "cus_1" }),
    );
    await waitFor(async () => (await effects(db, "a")).length === 1);

    // The same delivery again, without the idempotency key, as a queue redelivery would run it.
    const [row] = await db.query<Parameters<typeof toEvent>[0]>("select * from outbox");
    if (!row) throw new Error("no outbox row");
    const before = (await jobs.counts()).automation.completed;
    await jobs.send(deliverJobName("automation"), { subscriber: "a", event: toEvent(row) });
    await waitFor(async () => (await jobs.counts()).automation.completed > before);
    expect(runs).toBe(1);
    expect(await effects(db, "a")).toHaveLength(1);
  });

  it("keeps the events of one aggregate in order for an ordered subscriber", async () => {
    const { db, tenantId } = await boot();
    let failFirst = true;
    const seen: string[] = [];
    bus.subscribe({
      name: "ordered",
      events: ["step"],
      ordered: true,
      handler: async (e, s) => {
        seen.push(String(e.payload.n));
        // The first event fails once: without ordering the second would overtake it during the retry.
        if (e.payload.n === 1 && failFirst) {
          failFirst = false;
          throw new Error("transient");
        }
        await record("ordered")(e, s);
      },
    });
    await run();
    const publish = (aggregateId: string, n: number) =>
      db.tenant(tenantId, (s) =>
        bus.publish(s, { type: "step", aggregateType: "flow", aggregateId, payload: { n } }),
      );
    const e1 = await publish("flow_1", 1);
    const e2 = await publish("flow_1", 2);
    const other = await publish("flow_2", 3);

    await waitFor(async () => (await effects(db, "ordered")).length === 3, 30_000);
    const done = await effects(db, "ordered");
    // Another aggregate is not held up by flow_1's retry; flow_1's events keep their order.
    expect(done.indexOf(e1.id)).toBeLessThan(done.indexOf(e2.id));
    expect(done.indexOf(other.id)).toBeLessThan(done.indexOf(e1.id));
    // The handler never saw event 2 before event 1 had succeeded.
    expect(seen.filter((n) => n !== "3")).toEqual(["1", "1", "2"]);
  });

  it("drains a burst of one aggregate's events, delivered in reverse, in order within seconds", async () => {
    const { db, jobs, tenantId } = await boot();
    // The dispatcher sends each batch's delivery jobs last first, so the queue runs them in reverse
    // (four at a time): every event but the first finds an earlier one unprocessed, at first.
    const reversed: JobQueue = { ...jobs, sendMany: (list) => jobs.sendMany([...list].reverse()) };
    bus = createEventBus({ db: world.db, jobs: reversed, sweepMs: 60_000 });
    const seen: number[] = [];
    bus.subscribe({
      name: "ordered",
      events: ["step"],
      ordered: true,
      handler: async (e, s) => {
        seen.push(Number(e.payload.n));
        await record("ordered")(e, s);
      },
    });
    await run();
    const from = Date.now();
    await db.tenant(tenantId, (s) =>
      bus.publishMany(
        s,
        [1, 2, 3, 4, 5, 6].map((n) => ({
          type: "step",
          aggregateType: "customer",
          aggregateId: "cus_burst",
          payload: { n },
        })),
      ),
    );
    await waitFor(async () => (await effects(db, "ordered")).length === 6, 30_000);
    const took = Date.now() - from;
    const published = await db.query<{ event_id: string }>("select event_id from outbox order by id");
    expect(await effects(db, "ordered")).toEqual(published.map((r) => r.event_id));
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    // Waiting is not failing: nothing backed off (1 + 2 + 4 + 8 … s, over 30 s for this chain) and
    // nothing moved towards the dead letters. Generous for a loaded CI; ~2 s on an idle machine.
    expect(took).toBeLessThan(8_000);
    expect(await jobs.deadLetters()).toEqual([]);
  });

  it("does not hold an ordered subscriber on events from before it existed", async () => {
    const { db, tenantId } = await boot();
    // Sent long ago to another subscriber only, never to "late", so "late" must not wait for it.
    await db.query(
      `insert into outbox (event_id, tenant_id, type, aggregate_type, aggregate_id, dispatched_at, delivered_to)
       values ('evt_old', $1, 'step', 'flow', 'flow_1', now(), '{earlier}')`,
      [tenantId],
    );
    bus.subscribe({ name: "late", events: ["step"], ordered: true, handler: record("late") });
    await run();
    const e = await db.tenant(tenantId, (s) =>
      bus.publish(s, { type: "step", aggregateType: "flow", aggregateId: "flow_1" }),
    );
    await waitFor(async () => (await effects(db, "late")).length === 1, 5000);
    expect(await effects(db, "late")).toEqual([e.id]);
    const [row] = await db.query<{ delivered_to: string[] }>(
      "select delivered_to from outbox where event_id = $1",
      [e.id],
    );
    expect(row?.delivered_to).toEqual(["late"]);
  });

  it("prunes dispatched events and processed records past their retention", async () => {
    const { db, tenantId } = await boot();
    await db.query(
      `insert into outbox (event_id, tenant_id, type, aggregate_type, aggregate_id, dispatched_at)
       values ('evt_old', $1, 't', 'x', '1', now() - interval '40 days'),
              ('evt_new', $1, 't', 'x', '1', now()),
              ('evt_pending', $1, 't', 'x', '1', null)`,
      [tenantId],
    );
    await db.query(
      `insert into processed_events (tenant_id, subscriber, event_id, processed_at)
       values ($1, 's', 'evt_old', now() - interval '40 days'), ($1, 's', 'evt_new', now())`,
      [tenantId],
    );
    expect(await pruneEvents(db, { batch: 1 })).toEqual({ outbox: 1, processed: 1 });
    const left = await db.query<{ event_id: string }>("select event_id from outbox order by event_id");
    expect(left.map((r) => r.event_id)).toEqual(["evt_new", "evt_pending"]);
    expect(await db.query("select event_id from processed_events")).toEqual([{ event_id: "evt_new" }]);
  });

  it("sweeps an outbox row whose wake-up was lost", async () => {
    const { db, tenantId } = await boot({ sweepMs: 300 });
    bus.subscribe({ name: "a", events: ["*"], handler: record("a") });
    await run();
    // Written behind the bus's back, as if the process died right after COMMIT.
    await db.query(
      `insert into outbox (event_id, tenant_id, type, aggregate_type, aggregate_id)
       values ('evt_lost', $1, 'customer.created', 'customer', 'cus_9')`,
      [tenantId],
    );
    await waitFor(async () => (await effects(db, "a")).length === 1);
    expect(await effects(db, "a")).toEqual(["evt_lost"]);
  });

  it("keeps two dispatchers on one database apart: each event is sent and handled once", async () => {
    const { db, jobs, tenantId } = await boot({ sweepMs: 50 });
    // Counts job sends, so a row sent by both dispatchers shows even though the queue drops the copy.
    let sends = 0;
    const counted: JobQueue = {
      ...jobs,
      send: (name, data, options) => {
        sends++;
        return jobs.send(name, data, options);
      },
      sendMany: (list) => {
        sends += list.length;
        return jobs.sendMany(list);
      },
    };
    const other = createEventBus({ db, jobs: counted, sweepMs: 50, batchSize: 7 });
    bus = createEventBus({ db, jobs: counted, sweepMs: 50, batchSize: 7 });
    for (const b of [bus, other]) b.subscribe({ name: "a", events: ["*"], handler: record("a") });
    await run();
    await other.start();
    try {
      const published: string[] = [];
      for (let t = 0; t < 10; t++) {
        await db.tenant(tenantId, async (s) => {
          for (let i = 0; i < 20; i++) {
            published.push((await bus.publish(s, { type: "t", aggregateType: "x", aggregateId: `${i}` })).id);
          }
        });
        void other.dispatchPending();
      }
      await waitFor(async () => (await effects(db, "a")).length >= 200, 30_000);
      await sleep(500);
      const done = await effects(db, "a");
      expect(done).toHaveLength(200);
      expect(new Set(done)).toEqual(new Set(published));
      expect(sends).toBe(200);
    } finally {
      await other.stop();
    }
  });

  it("skips rows leased by another dispatcher until the lease runs out", async () => {
    const { db, tenantId } = await boot();
    await db.query(
      `insert into outbox (event_id, tenant_id, type, aggregate_type, aggregate_id, claimed_until)
       values ('evt_held', $1, 't', 'x', '1', now() + interval '1 hour'),
              ('evt_expired', $1, 't', 'x', '2', now() - interval '1 second'),
              ('evt_free', $1, 't', 'x', '3', null)`,
      [tenantId],
    );
    const claimed = await db.system((s) => claimPending(s, 10, 30_000));
    expect(claimed.map((e) => e.id)).toEqual(["evt_expired", "evt_free"]);
    expect(await db.system((s) => claimPending(s, 10, 30_000))).toEqual([]);
  });
});
