import { startEachActionSchema } from "@siyu/contracts";
import type { JobToSend } from "../../../platform/jobs/jobs.ts";
import type { Platform } from "../../../platform/platform.ts";
import { birthdayCustomerIds, dormantCustomerIds } from "../../customers/index.ts";
import { registerAction, startInstanceTx } from "../../flows/index.ts";

export const startEachJob = "sop.start-each";
const batchSize = 100;

interface StartEachData {
  t: string;
  flowId: string;
  startAt: string;
  parent: string;
  ids: string[];
}

/** MM-DD of `at` in `zone`; on 28 Feb of a common year, 29 Feb birthdays are celebrated too. */
export function monthDaysIn(at: Date, zone: string): string[] {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const md = `${parts.month}-${parts.day}`;
  const year = Number(parts.year);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return md === "02-28" && !leap ? [md, "02-29"] : [md];
}

/**
 * `flow.start_each`: a scheduled flow fans out to customers — today's birthdays in the tenant's time
 * zone, or customers dormant for N days — starting this flow at `startAt` (a `manual` trigger) for
 * each. The audience is read in the instance's transaction; the starts go out as jobs of 100 after
 * it commits (each batch one transaction, its job keyed by the step, so a retry starts nobody twice;
 * the flow's re-entry rule also holds per customer).
 */
export function registerStartEach(platform: Platform) {
  registerAction(platform, {
    action: "flow.start_each",
    title: "Start this flow for each customer of an audience",
    params: startEachActionSchema,
    kind: "transactional",
    describe: (p) =>
      `start at ${p.startAt} for ${p.audience.kind === "dormant" ? `customers dormant ${p.audience.days} days` : "today's birthdays"}`,
    async run(ctx, p) {
      const scope = ctx.scope!;
      let ids: string[];
      if (p.audience.kind === "birthday_today") {
        const [tenant] = await scope.query<{ timezone: string | null }>(
          "select timezone from tenants where id = $1",
          [ctx.tenantId],
        );
        let zone = tenant?.timezone || "Asia/Shanghai";
        try {
          new Intl.DateTimeFormat("en", { timeZone: zone });
        } catch {
          zone = "Asia/Shanghai";
        }
        ids = await birthdayCustomerIds(scope, { monthDays: monthDaysIn(new Date(), zone), limit: p.limit });
      } else {
        ids = await dormantCustomerIds(scope, { days: p.audience.days, limit: p.limit });
      }
      const jobs: JobToSend<StartEachData>[] = [];
      for (let i = 0; i < ids.length; i += batchSize) {
        const data: StartEachData = {
          t: ctx.tenantId,
          flowId: ctx.flowId,
          startAt: p.startAt,
          parent: ctx.instanceId,
          ids: ids.slice(i, i + batchSize),
        };
        jobs.push({ name: startEachJob, data, options: { key: `${ctx.stepKey}:${i / batchSize}` } });
      }
      if (jobs.length)
        scope.onCommit(() => {
          ctx.platform.jobs
            .sendMany(jobs)
            .catch((err: unknown) =>
              ctx.platform.log.warn(
                { err, flowId: ctx.flowId },
                "flow.start_each: sending the batches failed",
              ),
            );
        });
      return { result: { audience: p.audience.kind, customers: ids.length, batches: jobs.length } };
    },
  });

  platform.jobs.define<StartEachData>({
    name: startEachJob,
    queue: "automation",
    async handler({ t, flowId, startAt, parent, ids }) {
      await platform.db.tenant(t, async (s) => {
        for (const customerId of ids) {
          await s.query("savepoint start_each");
          try {
            await startInstanceTx(platform, s, {
              flowId,
              customerId,
              triggerNodeId: startAt,
              vars: { parentInstanceId: parent },
            });
            await s.query("release savepoint start_each");
          } catch (err) {
            // One customer's start failing (the flow was archived meanwhile) stops nobody else.
            await s.query("rollback to savepoint start_each");
            platform.log.warn({ err, flowId, customerId }, "flow.start_each: a start failed");
          }
        }
      });
    },
  });
}
