import { evalExpr, truthy } from "@siyu/contracts";
import type { Scope } from "../../../platform/db/index.ts";
import type { DomainEvent } from "../../../platform/events/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import { customerFacts, type TagsAdded } from "../../customers/index.ts";
import { taskHooks } from "../../tasks/index.ts";
import { flowActions, flowTriggerEvents } from "../actions/registry.ts";
import { cronMatches } from "../definition.ts";
import {
  type ActJobData,
  actJob,
  advanceJob,
  advanceManyTx,
  advanceTx,
  type DueJobData,
  dueJob,
  errorText,
  type InstanceJobData,
  type InstanceRow,
  isPermanent,
  type StartInput,
  startInstancesTx,
  startInstanceTx,
  type TokenRow,
  type WakeJobData,
  wakeJob,
} from "./engine.ts";
import { compiled, loadGraph } from "./graph-cache.ts";
import { triggerMatches } from "./trigger-match.ts";

type BurstStart = Omit<StartInput, "flowId">;

export const sweepJob = "flows.sweep";
export const cronJob = "flows.cron";

/**
 * Runs an effect that must not repeat: its result is stored under `key` in its own transaction right
 * after the call; a retried job finds it and returns it without calling again.
 */
export async function runFlowStep<T>(
  platform: Platform,
  tenantId: string,
  key: string,
  fn: () => Promise<T>,
): Promise<T> {
  const [done] = await platform.db.tenant(tenantId, (s) =>
    s.query<{ result: { v: T } }>("select result from flow_steps where step_key = $1", [key]),
  );
  if (done) return done.result.v;
  const result = await fn();
  const [stored] = await platform.db.tenant(tenantId, (s) =>
    s.query<{ result: { v: T } }>(
      `insert into flow_steps (tenant_id, step_key, result) values ($1, $2, $3)
       on conflict (tenant_id, step_key) do update set step_key = excluded.step_key returning result`,
      [tenantId, key, JSON.stringify({ v: result ?? null })],
    ),
  );
  return stored ? stored.result.v : result;
}

/** The engine's jobs, its event subscriber, the task hook and the sweep. */
export function defineFlowJobs(platform: Platform) {
  const { db, jobs, log } = platform;

  jobs.define<InstanceJobData>({
    name: advanceJob,
    queue: "automation",
    handler: async ({ t, i }) => {
      await db.tenant(t, (s) => advanceTx(platform, s, i));
    },
  });

  jobs.define<WakeJobData>({
    name: wakeJob,
    queue: "automation",
    handler: async ({ t, i, k, s: step, r }) => {
      await db.tenant(t, (s) => advanceTx(platform, s, i, { kind: r, tokenId: k, step }));
    },
  });

  jobs.define<DueJobData>({
    name: dueJob,
    queue: "automation",
    handler: async ({ t }) => {
      await fireDue(platform, t);
    },
  });

  jobs.define<ActJobData>({
    name: actJob,
    queue: "automation",
    attempts: 5,
    handler: async ({ t, i, k, s: step }) => {
      const loaded = await db.tenant(t, async (s) => {
        const [inst] = await s.query<InstanceRow>(
          "select id, flow_id, version, customer_id, status, paused, vars, trigger_event, error from flow_instances where id = $1",
          [i],
        );
        const [tok] = await s.query<TokenRow>(
          "select id, node_id, step, status, attempts from flow_tokens where id = $1",
          [k],
        );
        if (!inst || !tok || tok.step !== step || tok.status !== "running") return null;
        if (inst.status !== "running" && inst.status !== "waiting") return null;
        return { inst, tok, g: await loadGraph(s, inst.flow_id, inst.version) };
      });
      if (!loaded) return;
      const { inst, tok, g } = loaded;
      const node = g.nodes.get(tok.node_id)!;
      const { action: name, retry: _r, ...params } = node.params as Record<string, unknown>;
      const def = flowActions(platform).get(String(name));
      let outcome:
        | { ok: true; result: unknown; setVars?: Record<string, unknown> }
        | { ok: false; error: string; permanent: boolean };
      try {
        if (!def) throw new Error(`unknown action ${String(name)}`);
        const res = await runFlowStep(platform, t, `${k}:${step}`, () =>
          def.run(
            {
              platform,
              tenantId: t,
              flowId: inst.flow_id,
              version: inst.version,
              instanceId: inst.id,
              nodeId: node.id,
              tokenId: k,
              step,
              stepKey: `${k}:${step}`,
              customerId: inst.customer_id,
              vars: inst.vars,
              event: inst.trigger_event,
              evaluate: async (src) => {
                const customer = inst.customer_id
                  ? await db.tenant(t, (s) => customerFacts(s, inst.customer_id!))
                  : null;
                return evalExpr(compiled(src), {
                  customer,
                  event: inst.trigger_event
                    ? { type: inst.trigger_event.type, ...inst.trigger_event.payload }
                    : null,
                  vars: inst.vars,
                });
              },
            },
            def.params.parse(params),
          ),
        );
        outcome = {
          ok: true,
          result: res?.result ?? null,
          ...(res?.setVars ? { setVars: res.setVars } : {}),
        };
      } catch (err) {
        outcome = { ok: false, error: errorText(err), permanent: !def || isPermanent(err) };
      }
      await db.tenant(t, (s) => advanceTx(platform, s, i, { kind: "act", tokenId: k, step, ...outcome }));
    },
  });

  // Triggers and event waits: one subscriber for the event types flows know (modules add theirs).
  platform.events.subscribe({
    name: "flows.triggers",
    events: flowTriggerEvents(platform),
    queue: "automation",
    async handler(event, scope) {
      const customerId = typeof event.payload.customerId === "string" ? event.payload.customerId : null;
      const triggers = await scope.query<{
        flow_id: string;
        node_id: string;
        params: Record<string, unknown>;
      }>("select flow_id, node_id, params from flow_triggers where event = $1", [event.type]);
      for (const tr of triggers) {
        if (!(await triggerMatches(scope, tr.params, event, customerId))) continue;
        await startInstanceTx(platform, scope, {
          flowId: tr.flow_id,
          customerId,
          triggerNodeId: tr.node_id,
          event: { type: event.type, payload: event.payload },
        });
      }
      // Bulk writers (imports, syncs) publish one event for many customers: their tag facts ride
      // along as `tagsAdded`, and tag triggers start for every customer tagged.
      if (Array.isArray(event.payload.tagsAdded)) await startForBulkTags(platform, scope, event);
      if (!customerId) return;
      const waiting = await scope.query<{
        id: string;
        instance_id: string;
        step: number;
        wait: { filter?: string };
      }>(
        "select id, instance_id, step, wait from flow_tokens where status = 'waiting' and wait_event = $1 and customer_id = $2",
        [event.type, customerId],
      );
      for (const w of waiting) {
        if (w.wait?.filter) {
          const customer = await customerFacts(scope, customerId);
          if (
            !truthy(
              evalExpr(compiled(w.wait.filter), { customer, event: { type: event.type, ...event.payload } }),
            )
          )
            continue;
        }
        await advanceTx(platform, scope, w.instance_id, {
          kind: "event",
          tokenId: w.id,
          step: w.step,
          event: { type: event.type, payload: event.payload },
        });
      }
    },
  });

  // A decided approval or task moves its instance on in the same transaction.
  taskHooks(platform).onCompleted.push(async (scope, task) => {
    if (!task.flow_instance_id || !task.token_id || task.step === null) return;
    await advanceTx(platform, scope, task.flow_instance_id, {
      kind: "task",
      tokenId: task.token_id,
      step: task.step,
      task,
    });
  });

  // The safety net: jobs lost between a commit and their send (a crash), and leases of dead workers.
  jobs.define<Record<string, never>>({
    name: sweepJob,
    queue: "automation",
    attempts: 1,
    handler: async () => {
      await sweep(platform);
    },
  });

  // Schedule triggers: one tick a minute checks every schedule trigger's cron.
  jobs.define<Record<string, never>>({
    name: cronJob,
    queue: "automation",
    attempts: 1,
    handler: async () => {
      const now = new Date();
      const rows = await db.query<{
        tenant_id: string;
        flow_id: string;
        node_id: string;
        params: { cron?: string; tz?: string };
      }>("select tenant_id, flow_id, node_id, params from flow_triggers where event = 'schedule'");
      for (const r of rows) {
        if (!r.params.cron || !cronMatches(r.params.cron, partsIn(now, r.params.tz ?? "Asia/Shanghai")))
          continue;
        await db
          .tenant(r.tenant_id, (s) =>
            startInstanceTx(platform, s, { flowId: r.flow_id, triggerNodeId: r.node_id }),
          )
          .catch((err: unknown) => log.warn({ err, flowId: r.flow_id }, "flows: scheduled start failed"));
      }
    },
  });
}

/** `customer.tag_added` triggers, set-based, for the `tagsAdded` of a bulk write's one event. */
async function startForBulkTags(platform: Platform, scope: Scope, event: DomainEvent) {
  const groups = (event.payload.tagsAdded as TagsAdded[]).filter(
    (g) => typeof g?.tag === "string" && Array.isArray(g.customerIds),
  );
  if (!groups.length) return;
  const triggers = await scope.query<{ flow_id: string; node_id: string; params: Record<string, unknown> }>(
    "select flow_id, node_id, params from flow_triggers where event = 'customer.tag_added' order by flow_id, node_id",
  );
  const cause = typeof event.payload.cause === "string" ? event.payload.cause : event.type;
  for (const tr of triggers) {
    const inputs: BurstStart[] = [];
    for (const g of groups) {
      if (typeof tr.params.tag === "string" && tr.params.tag.toLowerCase() !== g.tag.toLowerCase()) continue;
      for (const customerId of g.customerIds) {
        const fact: DomainEvent = {
          ...event,
          type: "customer.tag_added",
          payload: { customerId, tagId: g.tagId, tag: g.tag, cause, via: event.type },
        };
        if (!(await triggerMatches(scope, tr.params, fact, customerId))) continue;
        inputs.push({
          customerId,
          triggerNodeId: tr.node_id,
          event: { type: fact.type, payload: fact.payload },
        });
      }
    }
    for (let i = 0; i < inputs.length; i += 500)
      await startInstancesTx(platform, scope, tr.flow_id, inputs.slice(i, i + 500));
  }
}

function partsIn(d: Date, tz: string) {
  const f = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    hour12: false,
    minute: "numeric",
    hour: "numeric",
    day: "numeric",
    month: "numeric",
    weekday: "short",
  });
  const parts = Object.fromEntries(f.formatToParts(d).map((p) => [p.type, p.value]));
  const wd = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(parts.weekday ?? "Sun");
  return {
    minute: Number(parts.minute),
    hour: Number(parts.hour) % 24,
    day: Number(parts.day),
    month: Number(parts.month),
    weekday: wd,
  };
}

/** Overdue timers, ready tokens nobody ran, expired action leases: advanced here, directly. */
export async function sweep(
  platform: Platform,
  options: { graceMs?: number; limit?: number } = {},
): Promise<number> {
  const grace = options.graceMs ?? 30_000;
  const limit = options.limit ?? 1000;
  const rows = await platform.db.query<{
    tenant_id: string;
    instance_id: string;
    id: string;
    step: number;
    status: string;
    wait: { kind: string } | null;
  }>(
    `(select tenant_id, instance_id, id, step, status, wait from flow_tokens
       where status = 'waiting' and wake_at < now() - $1::int * interval '1 millisecond' limit $2)
     union all
     (select tenant_id, instance_id, id, step, status, wait from flow_tokens
       where status = 'ready' and updated_at < now() - $1::int * interval '1 millisecond' limit $2)
     union all
     (select tenant_id, instance_id, id, step, status, wait from flow_tokens
       where status = 'running' and lease_until < now() limit $2)`,
    [grace, limit],
  );
  for (const r of rows) {
    await platform.db
      .tenant(r.tenant_id, (s) => {
        if (r.status === "ready") return advanceTx(platform, s, r.instance_id);
        if (r.status === "running")
          return advanceTx(platform, s, r.instance_id, { kind: "lease", tokenId: r.id, step: r.step });
        const kind = r.wait?.kind === "retry" ? "retry" : r.wait?.kind === "task" ? "escalate" : "timer";
        return advanceTx(platform, s, r.instance_id, { kind, tokenId: r.id, step: r.step });
      })
      .catch((err: unknown) => platform.log.warn({ err, instanceId: r.instance_id }, "flows: sweep failed"));
  }
  return rows.length;
}

/**
 * Fires the tenant's due timers in batches: each transaction claims up to `batch` due tokens (`skip
 * locked`, so workers share the work) and advances their instances together (instances another
 * worker holds are skipped; their timers stay due for the next batch, job or the sweep). A batch
 * that fails is retried one instance per transaction, so one bad instance does not hold the rest.
 */
export async function fireDue(platform: Platform, tenantId: string, batch = 500): Promise<number> {
  let fired = 0;
  for (let round = 0; round < 10_000; round++) {
    let claimed: string[] = [];
    const n = await platform.db
      .tenant(tenantId, async (s) => {
        const rows = await s.query<{ id: string; at: number }>(
          `with due as (
             select instance_id from flow_tokens where status = 'waiting' and wake_at <= now()
              order by wake_at limit $1 for update skip locked)
           select i.id, (extract(epoch from now()) * 1000)::float8 as at from flow_instances i
            where i.id in (select instance_id from due) and not i.paused and i.status in ('running', 'waiting')
            order by i.id for update skip locked`,
          [batch],
        );
        claimed = rows.map((r) => r.id);
        if (!rows.length) return 0;
        const at = Number(rows[0]!.at);
        await advanceManyTx(
          platform,
          s,
          rows.map((r) => ({ instanceId: r.id, wake: { kind: "due", at } })),
        );
        return rows.length;
      })
      .catch(async (err: unknown) => {
        platform.log.warn({ err, n: claimed.length }, "flows: due batch failed; one instance at a time");
        for (const id of claimed)
          await platform.db
            .tenant(tenantId, (s) => advanceTx(platform, s, id, { kind: "resume" }))
            .catch((e: unknown) => platform.log.warn({ err: e, instanceId: id }, "flows: timer failed"));
        return claimed.length;
      });
    fired += n;
    if (n < batch) return fired;
  }
  return fired;
}
