import type { FlowDefinition } from "@siyu/contracts";
import { createTenantCache, type TenantCache } from "../../../platform/cache/tenant-cache.ts";
import type { Scope } from "../../../platform/db/index.ts";
import type { DomainEvent } from "../../../platform/events/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import { segmentMatchIds } from "../../customers/index.ts";
import { type StartInput, startInstancesTx } from "./engine.ts";
import { triggerMatches } from "./trigger-match.ts";

/**
 * Segment-entry triggers. A customer enters when they are in the segment and have no row in
 * `flow_segment_members` for the trigger; the row is inserted with ON CONFLICT DO NOTHING in the
 * transaction that starts the instance, so the event subscriber and the sweep start it once between
 * them. Leaving deletes the row; the next entry starts again if the flow's re-entry rule allows.
 *
 * - Customer facts (any event naming `customerId`, or `customerIds` for a bulk write's one event) make
 *   the subscriber evaluate just those customers against the segment's SQL.
 * - The sweep (`flows.segments`, every five minutes) walks whole segments, for conditions that turn
 *   true or false with time alone ("no order in 90 days").
 * - Publishing a trigger (or changing its segment) records the current members silently, unless
 *   `includeExisting` asks for them to start too (then the sweep is sent at once).
 * - The subscriber listens to every event, so the dispatcher asks first (`accepts`) whether the event
 *   names a customer and its tenant has any segment-entry trigger: most tenants have none, and their
 *   events then make no delivery job at all. That answer is cached per process and tenant
 *   (`segmentTriggerTenants`); publish and archive forget it on commit, other processes see the
 *   change within `absentTtlMs`, and an event refused meanwhile is caught up by the sweep.
 */
export const segmentSweepJob = "flows.segments";

export interface SegmentSweepJobData {
  /** One tenant (and flow), or every segment-entry trigger when absent. */
  t?: string;
  f?: string;
}

interface SegmentTrigger {
  flow_id: string;
  node_id: string;
  params: Record<string, unknown> & { segmentId?: string };
}

/**
 * How long a process trusts "this tenant has no segment-entry trigger" (ms). Short because another
 * process's publish cannot tell this one; the cost is one indexed query per tenant per period.
 */
const absentTtlMs = 5_000;

const caches = new WeakMap<Platform, TenantCache<true, Platform>>();

/** Per process: whether a tenant has any segment-entry trigger (`true`, or null for none). */
export function segmentTriggerTenants(platform: Platform): TenantCache<true, Platform> {
  let cache = caches.get(platform);
  if (!cache) {
    cache = createTenantCache<true, Platform>({
      load: async (p, tenantId) => {
        const rows = await p.db.tenant(tenantId, (s) =>
          s.query("select 1 from flow_triggers where event = 'segment_entry' limit 1"),
        );
        return rows.length ? true : null;
      },
      // A stale "yes" costs a delivery whose handler finds no trigger, as before this cache.
      ttlMs: 60_000,
      missingTtlMs: absentTtlMs,
    });
    caches.set(platform, cache);
  }
  return cache;
}

/** Customers per statement: the id lists of one evaluation stay well inside a bind parameter. */
const page = 2000;

async function triggersOf(scope: Scope, flowId?: string): Promise<SegmentTrigger[]> {
  return scope.query<SegmentTrigger>(
    `select flow_id, node_id, params from flow_triggers
      where event = 'segment_entry' and ($1::text is null or flow_id = $1) order by flow_id, node_id`,
    [flowId ?? null],
  );
}

/** Records who of `members` is new to the trigger, and starts the flow for them. Returns how many. */
async function enter(platform: Platform, scope: Scope, tr: SegmentTrigger, members: string[]) {
  if (!members.length) return 0;
  const rows = await scope.query<{ customer_id: string }>(
    `insert into flow_segment_members (tenant_id, flow_id, node_id, customer_id)
     select $1, $2, $3, c from unnest($4::text[]) as c order by c
     on conflict do nothing returning customer_id`,
    [scope.tenantId, tr.flow_id, tr.node_id, members],
  );
  if (!rows.length) return 0;
  const inputs: Array<Omit<StartInput, "flowId">> = [];
  for (const { customer_id: customerId } of rows) {
    const payload = { customerId, segmentId: tr.params.segmentId };
    if (typeof tr.params.filter === "string") {
      const fact: DomainEvent = {
        id: "",
        type: "segment_entry",
        tenantId: scope.tenantId!,
        aggregateType: "customer",
        aggregateId: customerId,
        payload,
        at: new Date().toISOString(),
      };
      if (!(await triggerMatches(scope, { filter: tr.params.filter }, fact, customerId))) continue;
    }
    inputs.push({ customerId, triggerNodeId: tr.node_id, event: { type: "segment_entry", payload } });
  }
  for (let i = 0; i < inputs.length; i += 500)
    await startInstancesTx(platform, scope, tr.flow_id, inputs.slice(i, i + 500));
  return rows.length;
}

/** Forgets who of `checked` is no longer in the segment (`members`: those who still are). */
async function leave(scope: Scope, tr: SegmentTrigger, checked: string[], members: string[]) {
  const rows = await scope.query(
    `delete from flow_segment_members where flow_id = $1 and node_id = $2
        and customer_id = any($3::text[]) and not (customer_id = any($4::text[])) returning customer_id`,
    [tr.flow_id, tr.node_id, checked, members],
  );
  return rows.length;
}

/**
 * Evaluates some customers (those an event touched) against every segment-entry trigger of the
 * tenant, in the caller's transaction: entries start instances, leavers are forgotten.
 */
export async function evaluateSegmentEntries(
  platform: Platform,
  scope: Scope,
  customerIds: readonly string[],
): Promise<{ entered: number; left: number }> {
  const out = { entered: 0, left: 0 };
  const ids = [...new Set(customerIds)].sort();
  if (!ids.length) return out;
  const triggers = await triggersOf(scope);
  for (const tr of triggers) {
    if (!tr.params.segmentId) continue;
    for (let i = 0; i < ids.length; i += page) {
      const chunk = ids.slice(i, i + page);
      const members = await segmentMatchIds(scope, tr.params.segmentId, { ids: chunk, limit: chunk.length });
      // A deleted segment has nobody in it.
      out.left += await leave(scope, tr, chunk, members ?? []);
      out.entered += await enter(platform, scope, tr, members ?? []);
    }
  }
  return out;
}

/**
 * Walks whole segments: every member without a row enters (and starts), every row whose customer is
 * no longer a member is deleted. One transaction per page of customers.
 */
export async function sweepSegmentTriggers(
  platform: Platform,
  only: SegmentSweepJobData = {},
): Promise<{ entered: number; left: number }> {
  const out = { entered: 0, left: 0 };
  const all = await platform.db.query<SegmentTrigger & { tenant_id: string }>(
    `select tenant_id, flow_id, node_id, params from flow_triggers
      where event = 'segment_entry' and ($1::text is null or tenant_id = $1) and ($2::text is null or flow_id = $2)
      order by tenant_id, flow_id, node_id`,
    [only.t ?? null, only.f ?? null],
  );
  for (const tr of all) {
    const segmentId = tr.params.segmentId;
    if (!segmentId) continue;
    try {
      // Members who have no row yet: entries.
      let after: string | null = null;
      for (;;) {
        const ids: string[] | null = await platform.db.tenant(tr.tenant_id, async (s) => {
          const members = await segmentMatchIds(s, segmentId, { after, limit: page });
          if (members) out.entered += await enter(platform, s, tr, members);
          return members;
        });
        if (!ids || ids.length < page) break;
        after = ids.at(-1)!;
      }
      // Rows whose customer is no longer a member: leavers.
      after = null;
      for (;;) {
        const rows: string[] = await platform.db.tenant(tr.tenant_id, async (s) => {
          const held = (
            await s.query<{ customer_id: string }>(
              `select customer_id from flow_segment_members where flow_id = $1 and node_id = $2
                  and ($3::text is null or customer_id > $3) order by customer_id limit $4`,
              [tr.flow_id, tr.node_id, after, page],
            )
          ).map((r) => r.customer_id);
          if (!held.length) return held;
          const members = await segmentMatchIds(s, segmentId, { ids: held, limit: held.length });
          out.left += await leave(s, tr, held, members ?? []);
          return held;
        });
        if (rows.length < page) break;
        after = rows.at(-1)!;
      }
    } catch (err) {
      platform.log.warn({ err, flowId: tr.flow_id, nodeId: tr.node_id }, "flows: segment sweep failed");
    }
  }
  return out;
}

/**
 * At publish, in its transaction (before the trigger index is replaced): keeps the membership of
 * segment-entry triggers whose segment is unchanged, and records the current members of new ones
 * silently — unless `includeExisting`, whose flows then sweep right after commit so members start.
 */
export async function syncSegmentMembership(
  platform: Platform,
  scope: Scope,
  flowId: string,
  def: FlowDefinition | null,
): Promise<void> {
  const before = new Map((await triggersOf(scope, flowId)).map((t) => [t.node_id, t.params.segmentId]));
  const now = (def?.nodes ?? []).filter((n) => n.type === "trigger" && n.params.event === "segment_entry");
  const kept = now
    .filter((n) => before.has(n.id) && before.get(n.id) === n.params.segmentId)
    .map((n) => n.id);
  await scope.query(
    "delete from flow_segment_members where flow_id = $1 and not (node_id = any($2::text[]))",
    [flowId, kept],
  );
  // Whether the tenant has segment-entry triggers may change with this commit.
  const tenantId = scope.tenantId!;
  if (before.size || now.length) scope.onCommit(() => segmentTriggerTenants(platform).forget(tenantId));
  let sweepNow = false;
  for (const n of now) {
    if (kept.includes(n.id) || typeof n.params.segmentId !== "string") continue;
    if (n.params.includeExisting === true) {
      sweepNow = true;
      continue;
    }
    let after: string | null = null;
    for (;;) {
      const members = await segmentMatchIds(scope, n.params.segmentId, { after, limit: 10_000 });
      if (!members?.length) break;
      await scope.query(
        `insert into flow_segment_members (tenant_id, flow_id, node_id, customer_id)
         select $1, $2, $3, c from unnest($4::text[]) as c on conflict do nothing`,
        [scope.tenantId, flowId, n.id, members],
      );
      if (members.length < 10_000) break;
      after = members.at(-1)!;
    }
  }
  if (sweepNow) {
    const data: SegmentSweepJobData = { t: scope.tenantId!, f: flowId };
    scope.onCommit(() => {
      platform.jobs
        .send(segmentSweepJob, data)
        .catch((err: unknown) => platform.log.warn({ err, flowId }, "flows: segment sweep not sent"));
    });
  }
}

/** Ids of the customers an event is about: `customerId`, or the `customerIds` of a bulk write. */
function customersOf(event: DomainEvent): string[] {
  const p = event.payload;
  const ids: string[] = [];
  if (typeof p.customerId === "string") ids.push(p.customerId);
  if (Array.isArray(p.customerIds)) for (const id of p.customerIds) if (typeof id === "string") ids.push(id);
  return ids;
}

/** The subscriber on every customer fact, and the sweep job. */
export function defineSegmentTriggers(platform: Platform) {
  platform.events.subscribe({
    name: "flows.segment-entry",
    events: ["*"],
    queue: "automation",
    async accepts(event) {
      if (!customersOf(event).length) return false;
      return (await segmentTriggerTenants(platform).get(platform, event.tenantId)) === true;
    },
    async handler(event, scope) {
      const ids = customersOf(event);
      if (!ids.length) return;
      await evaluateSegmentEntries(platform, scope, ids);
    },
  });

  platform.jobs.define<SegmentSweepJobData>({
    name: segmentSweepJob,
    queue: "automation",
    attempts: 1,
    handler: async (data) => {
      await sweepSegmentTriggers(platform, data ?? {});
    },
  });
}
