import type { Platform } from "../../../platform/platform.ts";
import type { Writer } from "../customers.service.ts";
import { customersUpserted } from "../ops/upsert-customers.ts";
import { evaluateRuleFor, listRules, runRule } from "./tag-rules.service.ts";

const systemWriter = (platform: Platform): Writer => ({
  platform,
  actor: { email: "system:tag-rules" },
  cause: "rule",
});

export const runTagRuleJob = "customers.run-tag-rule";
export const nightlyTagRulesJob = "customers.tag-rules-nightly";

/**
 * Tag rules react to every fact about a customer (a subscriber on the event bus), are run in full
 * when saved (a job), and once a night for conditions that turn false with time alone.
 */
export function defineTagRuleJobs(platform: Platform) {
  platform.events.subscribe({
    name: "customers.tag-rules",
    events: ["*"],
    queue: "automation",
    // Events of one customer in order, so a tag added then removed ends up removed.
    ordered: true,
    async handler(event, scope) {
      if (event.type === "customers.imported" || event.type === customersUpserted) {
        // Bulk writers (the import, syncs) publish one event per batch; run the rules over exactly
        // its customers.
        const ids = Array.isArray(event.payload.customerIds) ? (event.payload.customerIds as string[]) : [];
        if (ids.length === 0) return;
        for (const rule of await listRules(scope, true)) {
          await runRule(scope, systemWriter(platform), rule.id, { customerIds: ids });
        }
        return;
      }
      const customerId = typeof event.payload.customerId === "string" ? event.payload.customerId : null;
      if (!customerId || event.aggregateType !== "customer") return;
      const rules = await listRules(scope, true);
      for (const rule of rules) {
        // A rule's own change does not re-trigger it.
        if (event.payload.ruleId === rule.id) continue;
        await evaluateRuleFor(scope, systemWriter(platform), rule, customerId);
      }
    },
  });

  platform.jobs.define<{ tenantId: string; ruleId: string }>({
    name: runTagRuleJob,
    queue: "automation",
    async handler({ tenantId, ruleId }) {
      await platform.db.tenant(tenantId, (s) => runRule(s, systemWriter(platform), ruleId));
    },
  });

  platform.jobs.define<Record<string, never>>({
    name: nightlyTagRulesJob,
    queue: "automation",
    async handler() {
      const tenants = await platform.db.query<{ id: string }>(
        "select id from tenants where status = 'active'",
      );
      for (const t of tenants) {
        const rules = await platform.db.tenant(t.id, (s) => listRules(s, true));
        for (const rule of rules)
          await platform.db.tenant(t.id, (s) => runRule(s, systemWriter(platform), rule.id));
      }
    },
  });
}

export async function scheduleTagRuleJobs(platform: Platform) {
  await platform.jobs.schedule(nightlyTagRulesJob, "30 3 * * *", {}, { tz: "Asia/Shanghai" });
}
