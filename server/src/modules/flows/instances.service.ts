import {
  evalExpr,
  type FlowDefinition,
  type FlowInstanceDetailDto,
  type FlowInstanceDto,
  flowDefinitionSchema,
  truthy,
} from "@siyu/contracts";
import { z } from "zod";
import type { Scope } from "../../platform/db/index.ts";
import { AppError, notFound } from "../../platform/errors.ts";
import type { Platform } from "../../platform/platform.ts";
import { customerFacts } from "../customers/index.ts";
import { flowActions, flowTriggerEvents } from "./actions/registry.ts";
import { graphOf } from "./definition.ts";
import { compiled } from "./engine/graph-cache.ts";
import { flowRow } from "./flows.service.ts";

interface InstanceListRow {
  id: string;
  flow_id: string;
  customer_id: string | null;
  version: number;
  status: FlowInstanceDto["status"];
  paused: boolean;
  vars: Record<string, unknown>;
  error: string | null;
  started_at: Date;
  ended_at: Date | null;
  current: string[] | null;
}

const toDto = (r: InstanceListRow): FlowInstanceDto => ({
  id: r.id,
  flowId: r.flow_id,
  customerId: r.customer_id,
  version: r.version,
  status: r.status,
  paused: r.paused,
  currentNodes: r.current ?? [],
  vars: r.vars,
  error: r.error,
  startedAt: r.started_at.toISOString(),
  endedAt: r.ended_at?.toISOString() ?? null,
});

const instanceSelect = `select i.id, i.flow_id, i.customer_id, i.version, i.status, i.paused, i.vars, i.error, i.started_at, i.ended_at,
  (select array_agg(t.node_id order by t.created_at) from flow_tokens t
    where t.instance_id = i.id and t.status in ('ready', 'running', 'waiting')) as current
  from flow_instances i`;

export const instanceListQuerySchema = z.object({
  customerId: z.string().max(100).optional(),
  status: z.enum(["running", "waiting", "completed", "failed", "cancelled"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

export async function listInstances(
  scope: Scope,
  flowId: string,
  q: z.infer<typeof instanceListQuerySchema>,
) {
  await flowRow(scope, flowId);
  const params: unknown[] = [flowId, q.limit + 1];
  const where = ["i.flow_id = $1"];
  if (q.customerId) {
    params.push(q.customerId);
    where.push(`i.customer_id = $${params.length}`);
  }
  if (q.status) {
    params.push(q.status);
    where.push(`i.status = $${params.length}`);
  }
  const cur = q.cursor ? /^(.+)_(fin_.+)$/.exec(q.cursor) : null;
  if (cur) {
    params.push(cur[1], cur[2]);
    where.push(`(i.started_at, i.id) < ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  const rows = await scope.query<InstanceListRow>(
    `${instanceSelect} where ${where.join(" and ")} order by i.started_at desc, i.id desc limit $2`,
    params,
  );
  const last = rows[q.limit - 1];
  return {
    items: rows.slice(0, q.limit).map(toDto),
    nextCursor: rows.length > q.limit && last ? `${last.started_at.toISOString()}_${last.id}` : null,
  };
}

export async function getInstance(scope: Scope, id: string): Promise<FlowInstanceDetailDto> {
  const [row] = await scope.query<InstanceListRow>(`${instanceSelect} where i.id = $1`, [id]);
  if (!row) throw notFound("flow instance");
  const history = await scope.query<{
    id: string;
    token_id: string;
    node_id: string;
    node_type: string;
    status: "active" | "done" | "failed" | "cancelled";
    outcome: string | null;
    result: unknown;
    error: string | null;
    attempts: number;
    entered_at: Date;
    left_at: Date | null;
  }>(
    "select id::text, token_id, node_id, node_type, status, outcome, result, error, attempts, entered_at, left_at from flow_node_runs where instance_id = $1 order by id",
    [id],
  );
  const tokens = await scope.query<{ id: string; node_id: string; status: string; wait: unknown }>(
    "select id, node_id, status, wait from flow_tokens where instance_id = $1 order by created_at, id",
    [id],
  );
  return {
    ...toDto(row),
    history: history.map((h) => ({
      id: h.id,
      tokenId: h.token_id,
      nodeId: h.node_id,
      nodeType: h.node_type,
      status: h.status,
      outcome: h.outcome,
      result: h.result ?? null,
      error: h.error,
      attempts: h.attempts,
      enteredAt: h.entered_at.toISOString(),
      leftAt: h.left_at?.toISOString() ?? null,
    })),
    tokens: tokens.map((t) => ({ id: t.id, nodeId: t.node_id, status: t.status, wait: t.wait ?? null })),
  };
}

/** Per node of a version (default: the published one): entered, left, converted, failed, median time. */
export async function flowAnalytics(scope: Scope, flowId: string, version?: number) {
  const flow = await flowRow(scope, flowId);
  const v = version ?? flow.published_version;
  const [counts] = await scope.query<Record<string, number>>(
    `select count(*)::int as total,
            count(*) filter (where status = 'running')::int as running,
            count(*) filter (where status = 'waiting')::int as waiting,
            count(*) filter (where status = 'completed')::int as completed,
            count(*) filter (where status = 'failed')::int as failed,
            count(*) filter (where status = 'cancelled')::int as cancelled
       from flow_instances where flow_id = $1 and ($2::int is null or version = $2)`,
    [flowId, v],
  );
  const rows = await scope.query<{
    node_id: string;
    node_type: string;
    entered: number;
    left: number;
    failed: number;
    converted: number;
    median_ms: number | null;
  }>(
    `select r.node_id, min(r.node_type) as node_type, count(*)::int as entered,
            count(r.left_at)::int as left, count(*) filter (where r.status = 'failed')::int as failed,
            count(distinct r.instance_id) filter (where i.status = 'completed')::int as converted,
            percentile_cont(0.5) within group (order by extract(epoch from (r.left_at - r.entered_at)) * 1000)
              filter (where r.left_at is not null) as median_ms
       from flow_node_runs r join flow_instances i on i.id = r.instance_id
      where r.flow_id = $1 and ($2::int is null or r.version = $2)
      group by r.node_id order by min(r.id)`,
    [flowId, v],
  );
  return {
    version: v,
    instances: counts as {
      total: number;
      running: number;
      waiting: number;
      completed: number;
      failed: number;
      cancelled: number;
    },
    nodes: rows.map((r) => ({
      nodeId: r.node_id,
      type: r.node_type,
      entered: r.entered,
      left: r.left,
      converted: r.converted,
      failed: r.failed,
      medianMs: r.median_ms === null ? null : Math.round(Number(r.median_ms)),
    })),
  };
}

/**
 * Walks the graph for a sample customer without any effect: conditions are evaluated on the real
 * customer, waits are assumed to elapse, approvals/tasks/event waits take `choices[nodeId]` or
 * their first outcome, actions say what they would do.
 */
export async function dryRun(
  scope: Scope,
  platform: Platform,
  flowId: string,
  input: {
    customerId?: string | undefined;
    event?: { type: string; payload: Record<string, unknown> } | undefined;
    vars?: Record<string, unknown> | undefined;
    version?: number | undefined;
    choices?: Record<string, string> | undefined;
  },
) {
  const flow = await flowRow(scope, flowId);
  let def: FlowDefinition = flowDefinitionSchema.parse(flow.draft);
  if (input.version) {
    const [v] = await scope.query<{ definition: FlowDefinition }>(
      "select definition from flow_versions where flow_id = $1 and version = $2",
      [flowId, input.version],
    );
    if (!v) throw notFound("flow version");
    def = v.definition;
  }
  const customer = input.customerId ? await customerFacts(scope, input.customerId) : null;
  if (input.customerId && !customer) throw notFound("customer");
  const g = graphOf(def);
  const vars: Record<string, unknown> = {
    ...((def.settings?.variables as Record<string, unknown>) ?? {}),
    ...(input.vars ?? {}),
  };
  const event = input.event ? { type: input.event.type, ...input.event.payload } : null;
  const ev = (src: string) => evalExpr(compiled(src), { customer, event, vars });
  const triggers = def.nodes.filter((n) => n.type === "trigger");
  const start =
    (input.event && triggers.find((t) => t.params.event === input.event?.type)) ||
    triggers.find((t) => t.params.event === "manual") ||
    triggers[0];
  if (!start) throw new AppError("invalid_definition", "the flow has no trigger", { nodeIds: [] });
  const path: string[] = [];
  const steps: Array<{ nodeId: string; type: string; outcome: string | null; wouldDo: string }> = [];
  const queue = [start.id];
  const joined = new Set<string>();
  let endedBy: "end" | "limit" | "dead_end" | "error" = "dead_end";
  let budget = 200;
  while (queue.length) {
    if (budget-- <= 0) {
      endedBy = "limit";
      break;
    }
    const id = queue.shift()!;
    const node = g.nodes.get(id);
    if (!node) {
      endedBy = "error";
      break;
    }
    if (node.type === "join" && joined.has(id)) continue;
    path.push(id);
    const p = node.params as Record<string, unknown>;
    let outcome: string | undefined;
    let wouldDo = "";
    const choose = (fallback: string) => input.choices?.[id] ?? fallback;
    switch (node.type) {
      case "trigger":
        wouldDo = `start on ${String(p.event)}${p.tag ? ` (tag ${String(p.tag)})` : ""}`;
        break;
      case "condition":
        if (typeof p.expression === "string") {
          outcome = truthy(ev(p.expression)) ? "true" : "false";
          wouldDo = `${p.expression} → ${outcome}`;
        } else {
          const b = (p.branches as Array<{ name: string; expression: string }>).find((x) =>
            truthy(ev(x.expression)),
          );
          outcome = b?.name ?? "default";
          wouldDo = `branch ${outcome}`;
        }
        break;
      case "wait":
        if (typeof p.event === "string") {
          outcome = choose("event");
          wouldDo = `wait for ${p.event} (timeout ${String(p.timeout)}) → ${outcome}`;
        } else
          wouldDo = typeof p.duration === "string" ? `wait ${p.duration}` : `wait until ${String(p.until)}`;
        break;
      case "action": {
        const def2 = flowActions(platform).get(String(p.action));
        const { action: _a, retry: _r, ...params } = p;
        const parsed = def2?.params.safeParse(params);
        wouldDo = def2
          ? parsed?.success
            ? (def2.describe?.(parsed.data) ?? def2.title)
            : "invalid params"
          : `unknown action ${String(p.action)}`;
        // An action with outcomes (a sub-flow waited for): the chosen one, else `completed` when
        // there is such an edge, else the unlabelled edge.
        const outcomes = parsed?.success ? (def2?.outcomes?.(parsed.data) ?? []) : [];
        if (outcomes.length) {
          const labels = new Set((g.out.get(id) ?? []).map((e) => e.when ?? ""));
          const picked = choose(outcomes.find((o) => labels.has(o)) ?? "");
          outcome = picked || undefined;
          wouldDo += picked ? ` → ${picked}` : "";
        }
        break;
      }
      case "approval":
        outcome = choose("approved");
        wouldDo = `approval "${String(p.title)}" → ${outcome}`;
        break;
      case "task":
        outcome = choose(((p.outcomes as string[] | undefined) ?? ["done"])[0]!);
        wouldDo = `task "${String(p.title)}" → ${outcome}`;
        if ((g.out.get(id) ?? []).every((e) => e.when !== outcome)) outcome = undefined;
        break;
      case "parallel":
        wouldDo = "split into branches";
        break;
      case "join":
        wouldDo = "join branches";
        joined.add(id);
        break;
      case "end":
        wouldDo = "end";
        endedBy = "end";
        break;
    }
    steps.push({ nodeId: id, type: node.type, outcome: outcome ?? null, wouldDo });
    const outs = g.out.get(id) ?? [];
    if (node.type === "parallel") queue.push(...outs.map((e) => e.to));
    else {
      const e = outs.find((x) => (x.when ?? "") === (outcome ?? ""));
      if (e) queue.push(e.to);
    }
  }
  void flowTriggerEvents;
  return { path, steps, endedBy };
}

/** Which live instances would move where when migrated to `toVersion`. */
export async function migrationPlan(
  scope: Scope,
  flowId: string,
  input: {
    toVersion: number;
    fromVersion?: number | undefined;
    mapping?: Record<string, string> | undefined;
  },
) {
  await flowRow(scope, flowId);
  const [target] = await scope.query<{ definition: FlowDefinition }>(
    "select definition from flow_versions where flow_id = $1 and version = $2",
    [flowId, input.toVersion],
  );
  if (!target) throw notFound("flow version");
  const g = graphOf(target.definition);
  const rows = await scope.query<{
    id: string;
    version: number;
    tokens: Array<{ id: string; node_id: string }> | null;
  }>(
    `select i.id, i.version,
       (select json_agg(json_build_object('id', t.id, 'node_id', t.node_id) order by t.created_at) from flow_tokens t
         where t.instance_id = i.id and t.status in ('ready', 'running', 'waiting')) as tokens
       from flow_instances i
      where i.flow_id = $1 and i.status in ('running', 'waiting') and i.version <> $2 and ($3::int is null or i.version = $3)
      order by i.started_at limit 10000`,
    [flowId, input.toVersion, input.fromVersion ?? null],
  );
  const moves: Array<{
    instanceId: string;
    fromVersion: number;
    from: string[];
    to: string[];
    tokens: Array<[string, string]>;
  }> = [];
  const blocked: Array<{ instanceId: string; nodeId: string; reason: string }> = [];
  const oldGraphs = new Map<number, ReturnType<typeof graphOf>>();
  for (const r of rows) {
    let old = oldGraphs.get(r.version);
    if (!old) {
      const [v] = await scope.query<{ definition: FlowDefinition }>(
        "select definition from flow_versions where flow_id = $1 and version = $2",
        [flowId, r.version],
      );
      old = graphOf(v!.definition);
      oldGraphs.set(r.version, old);
    }
    const tokens = r.tokens ?? [];
    const to: string[] = [];
    let ok = true;
    for (const t of tokens) {
      const mapped = input.mapping?.[t.node_id] ?? t.node_id;
      const node = g.nodes.get(mapped);
      if (!node) {
        blocked.push({
          instanceId: r.id,
          nodeId: t.node_id,
          reason: `no node ${mapped} in version ${input.toVersion}`,
        });
        ok = false;
      } else if (node.type !== old.nodes.get(t.node_id)?.type) {
        blocked.push({
          instanceId: r.id,
          nodeId: t.node_id,
          reason: `${mapped} is a ${node.type} in version ${input.toVersion}`,
        });
        ok = false;
      } else to.push(mapped);
    }
    if (ok)
      moves.push({
        instanceId: r.id,
        fromVersion: r.version,
        from: tokens.map((t) => t.node_id),
        to,
        tokens: tokens.map((t, i) => [t.id, to[i]!]),
      });
  }
  return { toVersion: input.toVersion, moves, blocked };
}

/**
 * Moves the instances the plan allows to `toVersion`: each token keeps its step, so its pending timer,
 * task or action still matches it; a wait at a renamed node keeps its wake time.
 */
export async function migrateInstances(
  scope: Scope,
  flowId: string,
  input: {
    toVersion: number;
    fromVersion?: number | undefined;
    mapping?: Record<string, string> | undefined;
  },
) {
  const plan = await migrationPlan(scope, flowId, input);
  let migrated = 0;
  for (const m of plan.moves) {
    const [locked] = await scope.query<{ status: string }>(
      "select status from flow_instances where id = $1 for update",
      [m.instanceId],
    );
    if (!locked || (locked.status !== "running" && locked.status !== "waiting")) continue;
    for (const [tokenId, nodeId] of m.tokens) {
      await scope.query("update flow_tokens set node_id = $2, updated_at = now() where id = $1", [
        tokenId,
        nodeId,
      ]);
    }
    await scope.query(
      "update flow_instances set version = $2, rev = rev + 1, updated_at = now() where id = $1",
      [m.instanceId, input.toVersion],
    );
    migrated++;
  }
  return {
    toVersion: plan.toVersion,
    moves: plan.moves.map(({ tokens: _t, ...rest }) => rest),
    blocked: plan.blocked,
    migrated,
  };
}
