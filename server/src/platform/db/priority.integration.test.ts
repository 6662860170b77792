import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "./database.ts";
import { openPglite } from "./pglite.ts";
import { createPriorityGate, inBackground, isBackground } from "./priority.ts";

describe("priority gate", () => {
  it("marks work started in the background, and only that", async () => {
    expect(isBackground()).toBe(false);
    const seen = await inBackground(async () => {
      await new Promise((r) => setTimeout(r, 1));
      return isBackground();
    });
    expect(seen).toBe(true);
    expect(isBackground()).toBe(false);
  });

  it("runs background operations at most `slots` at a time and foreground ones at once", async () => {
    const gate = createPriorityGate(2);
    let running = 0;
    let most = 0;
    const op = () =>
      gate.run(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
      });
    await Promise.all(Array.from({ length: 6 }, () => inBackground(op)));
    expect(most).toBe(2);
    most = 0;
    await Promise.all(Array.from({ length: 5 }, op));
    expect(most).toBe(5);
  });

  it("lets the event loop read I/O between two background operations", async () => {
    const gate = createPriorityGate(1);
    const order: string[] = [];
    const a = inBackground(() =>
      gate.run(async () => {
        order.push("a");
        // Queued while a runs: must come before b, which waits behind a.
        setImmediate(() => order.push("io"));
      }),
    );
    const b = inBackground(() => gate.run(async () => void order.push("b")));
    await Promise.all([a, b]);
    expect(order).toEqual(["a", "io", "b"]);
  });
});

describe("PGlite: a request does not wait behind every queued job", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openPglite(undefined, { jobSlots: 1 });
  });
  afterAll(async () => {
    await db.close();
  });

  it("a foreground query started after 30 background transactions finishes before most of them", async () => {
    const done: string[] = [];
    const jobs = Array.from({ length: 30 }, (_, i) =>
      inBackground(() =>
        db.system(async (s) => {
          await s.query("select count(*) from generate_series(1, 20000)");
          done.push(`job${i}`);
        }),
      ),
    );
    await new Promise((r) => setImmediate(r));
    const request = db.query("select 1 as one").then((rows) => {
      done.push("request");
      return rows;
    });
    await Promise.all([...jobs, request]);
    expect(await request).toEqual([{ one: 1 }]);
    // Behind at most the one background slot (and the one running), not behind all 30.
    expect(done.indexOf("request")).toBeLessThanOrEqual(2);
    expect(done).toHaveLength(31);
  });
});
