import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type JobContext, type JobQueue, type QueueName, RetryLater } from "./jobs.ts";

/**
 * What a driver's test file provides: new queue instances over the same storage (a "restart" is
 * stopping one and opening another), and the cheapest cron expression the driver fires often.
 */
export interface ContractHarness {
  open(): Promise<JobQueue>;
  close(): Promise<void>;
  /** A cron expression that fires soon after `schedule`, and how far apart its ticks are. */
  cron: { expr: string; tickMs: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = "condition") {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The i-th element, or a failed test (strict index access). */
function nth<T>(list: T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new Error(`no element ${i} (of ${list.length})`);
  return v;
}

let seq = 0;
/** Unique job names keep tests on one shared storage from seeing each other's jobs. */
const jobName = (what: string) => `test.${what}.${process.pid}.${Date.now().toString(36)}.${seq++}`;

interface Run {
  data: unknown;
  ctx: JobContext;
  at: number;
}

/** ONE suite every driver must pass. */
export function defineJobQueueContract(driverName: string, setup: () => Promise<ContractHarness>) {
  describe(`JobQueue contract: ${driverName}`, () => {
    let h: ContractHarness;
    const opened: JobQueue[] = [];

    async function open(): Promise<JobQueue> {
      const q = await h.open();
      opened.push(q);
      return q;
    }

    /** A job that records its runs; `fail(n)` decides whether run n (1-based) throws. */
    function recorder(
      q: JobQueue,
      queue: QueueName,
      opts: { fail?: (n: number) => boolean; ms?: number } = {},
    ) {
      const name = jobName(queue);
      const runs: Run[] = [];
      const define = (target: JobQueue) =>
        target.define<unknown>({
          name,
          queue,
          attempts: 3,
          backoffMs: 100,
          handler: async (data, ctx) => {
            runs.push({ data, ctx, at: Date.now() });
            if (opts.ms) await sleep(opts.ms);
            if (opts.fail?.(runs.length)) throw new Error(`boom ${runs.length}`);
          },
        });
      define(q);
      return { name, runs, define };
    }

    beforeAll(async () => {
      h = await setup();
    });
    afterEach(async () => {
      for (const q of opened.splice(0)) await q.stop(1000);
    });
    afterAll(async () => {
      await h?.close();
    });

    it("runs an immediate job with its data and context", async () => {
      const q = await open();
      const job = recorder(q, "realtime");
      await q.start();
      await q.work({ queues: ["realtime"] });
      const id = await q.send(job.name, { hello: "世界", n: 1 });
      expect(id).toBeTruthy();
      await waitFor(() => job.runs.length === 1, 10_000, "immediate job");
      const run = nth(job.runs, 0);
      expect(run.data).toEqual({ hello: "世界", n: 1 });
      expect(run.ctx).toMatchObject({ name: job.name, queue: "realtime", attempt: 1 });
      expect(String(run.ctx.id)).toBe(String(id));
    });

    it("does not run a delayed job before its time, and runs it after", async () => {
      const q = await open();
      const job = recorder(q, "automation");
      await q.start();
      await q.work({ queues: ["automation"] });
      const sentAt = Date.now();
      await q.send(job.name, { d: 1 }, { delayMs: 1500 });
      await q.send(job.name, { d: 2 }, { runAt: new Date(Date.now() + 1500), delayMs: 0 });
      await sleep(900);
      expect(job.runs).toHaveLength(0);
      await waitFor(() => job.runs.length === 2, 10_000, "delayed jobs");
      for (const r of job.runs) expect(r.at - sentAt).toBeGreaterThanOrEqual(1400);
    });

    it("runs higher priority first", async () => {
      const q = await open();
      const job = recorder(q, "sync");
      await q.start();
      await q.send(job.name, "low", { priority: -10 });
      await q.send(job.name, "mid");
      await q.send(job.name, "high", { priority: 50 });
      await q.send(job.name, "top", { priority: 100 });
      await q.work({ queues: ["sync"], concurrency: { sync: 1 } });
      await waitFor(() => job.runs.length === 4, 10_000, "priority jobs");
      expect(job.runs.map((r) => r.data)).toEqual(["top", "high", "mid", "low"]);
    });

    it("retries with backoff, then dead-letters; retryDead runs it again", async () => {
      const q = await open();
      let healed = false;
      const job = recorder(q, "outbound", { fail: () => !healed });
      await q.start();
      await q.work({ queues: ["outbound"] });
      await q.send(job.name, { to: "wx_1" });
      const findDead = async () =>
        (await q.deadLetters({ queue: "outbound" })).find((d) => d.name === job.name);
      await waitFor(async () => Boolean(await findDead()), 20_000, "dead letter");
      const dead = await findDead();
      expect(job.runs.map((r) => r.ctx.attempt)).toEqual([1, 2, 3]);
      // Backoff: each retry waits, and the second wait is not shorter than ~the base.
      expect(nth(job.runs, 1).at - nth(job.runs, 0).at).toBeGreaterThanOrEqual(90);
      expect(nth(job.runs, 2).at - nth(job.runs, 1).at).toBeGreaterThanOrEqual(90);
      expect(dead).toMatchObject({ name: job.name, queue: "outbound", data: { to: "wx_1" }, attempts: 3 });
      expect(dead?.error).toContain("boom 3");
      expect(Number.isNaN(Date.parse(dead?.failedAt ?? ""))).toBe(false);
      expect((await q.counts()).outbound.dead).toBeGreaterThanOrEqual(1);

      healed = true;
      await q.retryDead(dead?.id ?? "");
      await waitFor(() => job.runs.length === 4, 10_000, "retried dead job");
      expect(nth(job.runs, 3).data).toEqual({ to: "wx_1" });
      expect(await findDead()).toBeUndefined();
      await expect(q.retryDead(dead?.id ?? "")).rejects.toThrow();
    });

    it("a job that fails twice then succeeds runs 3 times and is not dead", async () => {
      const q = await open();
      const job = recorder(q, "automation", { fail: (n) => n <= 2 });
      await q.start();
      await q.work({ queues: ["automation"] });
      await q.send(job.name, { x: 1 });
      await waitFor(() => job.runs.length === 3, 20_000, "third attempt");
      await sleep(300);
      expect(job.runs).toHaveLength(3);
      const dead = await q.deadLetters();
      expect(dead.find((d) => d.name === job.name)).toBeUndefined();
    });

    it("runs a job that asks to RetryLater again after that delay, using no attempt", async () => {
      const q = await open();
      const name = jobName("later");
      const runs: Run[] = [];
      q.define<unknown>({
        name,
        queue: "realtime",
        // Three deferrals with two attempts: were a deferral an attempt, the job would be dead.
        attempts: 2,
        backoffMs: 100,
        handler: async (data, ctx) => {
          runs.push({ data, ctx, at: Date.now() });
          if (runs.length <= 3) throw new RetryLater(400, "earlier work not done yet");
        },
      });
      await q.start();
      await q.work({ queues: ["realtime"] });
      expect(await q.send(name, { n: 1 }, { key: "later:1" })).toBeTruthy();
      await waitFor(() => runs.length >= 2, 10_000, "first deferral");
      // A deferred job keeps its idempotency key: another send is still refused.
      expect(await q.send(name, { n: 2 }, { key: "later:1" })).toBeNull();
      await waitFor(() => runs.length === 4, 15_000, "deferred job");
      await sleep(300);
      expect(runs.map((r) => r.data)).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }, { n: 1 }]);
      expect(runs.map((r) => r.ctx.attempt)).toEqual([1, 1, 1, 1]);
      expect(runs.map((r) => r.ctx.deferrals)).toEqual([0, 1, 2, 3]);
      expect(new Set(runs.map((r) => String(r.ctx.id))).size).toBe(1);
      // The asked delay, not the 100 ms backoff.
      for (let i = 1; i < runs.length; i++) {
        expect(nth(runs, i).at - nth(runs, i - 1).at).toBeGreaterThanOrEqual(380);
      }
      expect((await q.deadLetters()).find((d) => d.name === name)).toBeUndefined();
    });

    it("fails a job put off more than maxDeferrals times: backoff, then dead letter", async () => {
      const q = await open();
      const name = jobName("never");
      const runs: Run[] = [];
      q.define<unknown>({
        name,
        queue: "outbound",
        attempts: 2,
        backoffMs: 100,
        maxDeferrals: 2,
        handler: async (data, ctx) => {
          runs.push({ data, ctx, at: Date.now() });
          throw new RetryLater(50, `still waiting ${runs.length}`);
        },
      });
      await q.start();
      await q.work({ queues: ["outbound"] });
      await q.send(name, { w: 1 });
      const findDead = async () => (await q.deadLetters({ queue: "outbound" })).find((d) => d.name === name);
      await waitFor(async () => Boolean(await findDead()), 20_000, "dead letter");
      await sleep(300);
      // Two deferrals, then the third RetryLater is a failure of attempt 1, and attempt 2 the last.
      expect(runs.map((r) => [r.ctx.attempt, r.ctx.deferrals])).toEqual([
        [1, 0],
        [1, 1],
        [1, 2],
        [2, 2],
      ]);
      const dead = await findDead();
      expect(dead).toMatchObject({ data: { w: 1 }, attempts: 2 });
      expect(dead?.error).toContain("still waiting 4");
    });

    it("promote makes a deferred or delayed job due now", async () => {
      const q = await open();
      const name = jobName("promote");
      const runs: Run[] = [];
      q.define<{ defer: boolean }>({
        name,
        queue: "automation",
        handler: async (data, ctx) => {
          runs.push({ data, ctx, at: Date.now() });
          if (data.defer && ctx.deferrals === 0) throw new RetryLater(50_000, "waiting for a nudge");
        },
      });
      await q.start();
      await q.work({ queues: ["automation"] });
      expect(await q.promote(name, "unknown")).toBe(false);
      await q.send(name, { defer: true }, { key: "deferred" });
      await q.send(name, { defer: false }, { key: "delayed", delayMs: 3_600_000 });
      await waitFor(() => runs.length === 1, 10_000, "first run");
      // Put off for 50 s; promoted, it runs again at once, as a deferral (no attempt used).
      await waitFor(async () => await q.promote(name, "deferred"), 10_000, "deferred job promoted");
      await waitFor(() => runs.length === 2, 10_000, "promoted deferred job");
      expect(nth(runs, 1).ctx).toMatchObject({ attempt: 1, deferrals: 1 });
      expect(await q.promote(name, "delayed")).toBe(true);
      await waitFor(() => runs.length === 3, 10_000, "promoted delayed job");
      expect(nth(runs, 2).data).toEqual({ defer: false });
      await sleep(200);
      // Finished jobs are not promoted (nor run again).
      expect(await q.promote(name, "delayed")).toBe(false);
      expect(await q.promote(name, "deferred")).toBe(false);
      expect(runs).toHaveLength(3);
    });

    it("refuses a second send with the same idempotency key", async () => {
      const q = await open();
      const job = recorder(q, "realtime");
      await q.start();
      await q.work({ queues: ["realtime"] });
      const first = await q.send(job.name, { n: 1 }, { key: "msg:42" });
      const second = await q.send(job.name, { n: 2 }, { key: "msg:42" });
      expect(first).toBeTruthy();
      expect(second).toBeNull();
      await waitFor(() => job.runs.length === 1, 10_000, "keyed job");
      // Still refused once the first job completed.
      expect(await q.send(job.name, { n: 3 }, { key: "msg:42" })).toBeNull();
      expect(await q.send(job.name, { n: 4 }, { key: "msg:43" })).toBeTruthy();
      await waitFor(() => job.runs.length === 2, 10_000, "other key");
      await sleep(300);
      expect(job.runs.map((r) => r.data)).toEqual([{ n: 1 }, { n: 4 }]);
    });

    it("caps concurrency per queue", async () => {
      const q = await open();
      let running = 0;
      const peak = { outbound: 0, reports: 0 };
      const done = { outbound: 0, reports: 0 };
      const inQueue = { outbound: 0, reports: 0 };
      const names = { outbound: jobName("cap2"), reports: jobName("cap1") };
      for (const queue of ["outbound", "reports"] as const) {
        q.define({
          name: names[queue],
          queue,
          handler: async () => {
            running++;
            peak[queue] = Math.max(peak[queue], ++inQueue[queue]);
            await sleep(250);
            inQueue[queue]--;
            running--;
            done[queue]++;
          },
        });
      }
      await q.start();
      for (let i = 0; i < 6; i++) await q.send(names.outbound, { i });
      for (let i = 0; i < 3; i++) await q.send(names.reports, { i });
      await q.work({ queues: ["outbound", "reports"], concurrency: { outbound: 2 } });
      await waitFor(() => done.outbound === 6 && done.reports === 3, 20_000, "capped jobs");
      expect(peak.outbound).toBe(2);
      expect(peak.reports).toBe(1);
      expect(running).toBe(0);
    });

    it("fires a schedule, once per tick across two instances", async () => {
      const a = await open();
      const b = await open();
      const name = jobName("cron");
      const fires: Array<{ data: unknown; at: number }> = [];
      for (const q of [a, b]) {
        q.define({
          name,
          queue: "system",
          handler: async (data) => {
            fires.push({ data, at: Date.now() });
          },
        });
        await q.start();
      }
      const from = Date.now();
      await a.schedule(name, h.cron.expr, { tick: true }, { tz: "Asia/Shanghai" });
      await b.schedule(name, h.cron.expr, { tick: true }, { tz: "Asia/Shanghai" });
      await a.work({ queues: ["system"] });
      await b.work({ queues: ["system"] });
      await waitFor(() => fires.length >= 1, 20_000, "first cron tick");
      await sleep(2500);
      await a.unschedule(name);
      const until = Date.now();
      expect(nth(fires, 0).data).toEqual({ tick: true });
      // Ticks that could legitimately fall in the window, plus the one that may be due at start.
      const ticks = Math.floor(until / h.cron.tickMs) - Math.floor(from / h.cron.tickMs) + 1;
      expect(fires.length).toBeLessThanOrEqual(ticks);
      // Never two firings for one tick.
      const slots = fires.map((f) => Math.floor(f.at / h.cron.tickMs));
      expect(new Set(slots).size).toBeGreaterThanOrEqual(fires.length - 1);
    });

    it("keeps jobs across a restart", async () => {
      const q1 = await open();
      const later = recorder(q1, "system");
      const soon = recorder(q1, "system");
      await q1.start();
      const before = (await q1.counts()).system.delayed;
      await q1.send(later.name, { when: "in an hour" }, { delayMs: 3_600_000 });
      await q1.send(soon.name, { when: "in 2 s" }, { delayMs: 2000 });
      expect((await q1.counts()).system.delayed).toBe(before + 2);
      await q1.stop(1000);

      const q2 = await open();
      later.define(q2);
      soon.define(q2);
      await q2.start();
      expect((await q2.counts()).system.delayed).toBeGreaterThanOrEqual(before + 1);
      await q2.work({ queues: ["system"] });
      await waitFor(() => soon.runs.length === 1, 10_000, "job sent before restart");
      expect(nth(soon.runs, 0).data).toEqual({ when: "in 2 s" });
      expect(later.runs).toHaveLength(0);
      expect((await q2.counts()).system.delayed).toBe(before + 1);
    });

    it("counts waiting, delayed, active and completed", async () => {
      const q = await open();
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const name = jobName("counts");
      let finished = 0;
      q.define({
        name,
        queue: "reports",
        handler: async (data: { block: boolean }) => {
          if (data.block) await gate;
          finished++;
        },
      });
      await q.start();
      const base = (await q.counts()).reports;
      await q.send(name, { block: true }, { priority: 10 });
      await q.send(name, { block: false });
      await q.send(name, { block: false }, { delayMs: 3_600_000 });
      let c = (await q.counts()).reports;
      expect(c.waiting - base.waiting).toBe(2);
      expect(c.delayed - base.delayed).toBe(1);
      await q.work({ queues: ["reports"], concurrency: { reports: 1 } });
      await waitFor(async () => (await q.counts()).reports.active === base.active + 1, 10_000, "active job");
      c = (await q.counts()).reports;
      expect(c.waiting - base.waiting).toBe(1);
      release();
      await waitFor(() => finished === 2, 10_000, "counted jobs");
      await waitFor(
        async () => (await q.counts()).reports.completed === base.completed + 2,
        5_000,
        "completed count",
      );
      c = (await q.counts()).reports;
      expect(c.waiting).toBe(base.waiting);
      expect(c.active).toBe(base.active);
      expect(c.delayed - base.delayed).toBe(1);
    });
  });
}
