import { describe, expect, it } from "vitest";
import { attemptsOf, concurrencyFor, delayOf, keyId, priorityOf, uuidV5, workedQueues } from "./common.ts";

describe("job option helpers", () => {
  it("makes RFC 4122 v5 UUIDs (values from Python's uuid.uuid5 with NAMESPACE_URL)", () => {
    expect(uuidV5("python.org")).toBe("7af94e2b-4dd9-50f0-9c9a-8a48519bdef0");
    expect(keyId("wecom.send", "msg:42")).toBe("b9d4b91f-ccd8-5079-a078-325c5320e966");
    expect(keyId("wecom.send", "msg:42")).not.toBe(keyId("wecom.other", "msg:42"));
  });

  it("resolves delay, priority, attempts and concurrency", () => {
    const runAt = new Date(Date.now() + 5000);
    expect(delayOf({ runAt, delayMs: 10 })).toBeGreaterThan(4000);
    expect(delayOf({ runAt: new Date(0) })).toBe(0);
    expect(delayOf({ delayMs: 250 })).toBe(250);
    expect(priorityOf({ priority: 500 })).toBe(100);
    expect(priorityOf({ priority: -500 })).toBe(-100);
    expect(priorityOf(undefined)).toBe(0);
    const def = { name: "x", queue: "sync" as const, handler: async () => undefined, attempts: 2 };
    expect(attemptsOf(def, undefined)).toBe(2);
    expect(attemptsOf(def, { attempts: 7 })).toBe(7);
    expect(attemptsOf({ ...def, attempts: undefined }, undefined)).toBe(5);
    expect(concurrencyFor("reports", undefined)).toBe(1);
    expect(concurrencyFor("sync", undefined)).toBe(4);
    expect(concurrencyFor("sync", { concurrency: { sync: 0 } })).toBe(1);
    expect(workedQueues({ queues: ["sync", "realtime"] })).toEqual(["realtime", "sync"]);
  });
});
