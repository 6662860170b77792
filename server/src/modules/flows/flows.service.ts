import {
  type FlowDefinition,
  type FlowDetailDto,
  type FlowDto,
  type FlowValidationError,
  type FlowVersionDto,
  flowDefinitionSchema,
} from "@siyu/contracts";
import type { Actor, AuditLog } from "../../platform/audit/audit.ts";
import type { Scope } from "../../platform/db/index.ts";
import { AppError, notFound } from "../../platform/errors.ts";
import { newId } from "../../platform/ids/ids.ts";
import type { Platform } from "../../platform/platform.ts";
import { flowActions, flowTriggerEvents } from "./actions/registry.ts";
import { validateDefinition } from "./definition.ts";
import { syncSegmentMembership } from "./engine/segment-triggers.ts";
import { syncWebhooks } from "./webhooks.service.ts";

export interface FlowRow {
  id: string;
  name: string;
  description: string;
  status: "draft" | "active" | "archived";
  draft: FlowDefinition;
  draft_version: number;
  published_version: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface Caller {
  platform: Platform;
  actor: Actor;
  audit: AuditLog;
}

const columns =
  "id, name, description, status, draft, draft_version, published_version, created_at, updated_at";

export function toFlowDto(r: FlowRow): FlowDto {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    status: r.status,
    version: r.draft_version,
    publishedVersion: r.published_version,
    hasUnpublishedChanges: r.published_version !== r.draft_version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export async function flowRow(scope: Scope, id: string, lock = false): Promise<FlowRow> {
  const [row] = await scope.query<FlowRow>(
    `select ${columns} from flows where id = $1${lock ? " for update" : ""}`,
    [id],
  );
  if (!row) throw notFound("flow");
  return row;
}

export async function createFlow(
  scope: Scope,
  c: Caller,
  input: { name: string; description?: string | undefined; definition: FlowDefinition },
): Promise<FlowDto> {
  const id = newId("flw");
  const [row] = await scope.query<FlowRow>(
    `insert into flows (id, tenant_id, name, description, draft, created_by) values ($1, $2, $3, $4, $5, $6)
     returning ${columns}`,
    [
      id,
      scope.tenantId,
      input.name,
      input.description ?? "",
      JSON.stringify(input.definition),
      c.actor.userId ?? null,
    ],
  );
  await c.audit.record(scope, c.actor, {
    action: "flow.created",
    targetType: "flow",
    targetId: id,
    data: { name: input.name },
  });
  return toFlowDto(row!);
}

/** Saves a new draft: the next version number once the published one is behind it. */
export async function saveDraft(
  scope: Scope,
  c: Caller,
  id: string,
  input: { name?: string | undefined; description?: string | undefined; definition: FlowDefinition },
): Promise<FlowDto> {
  const row = await flowRow(scope, id, true);
  if (row.status === "archived") throw new AppError("invalid_state", "the flow is archived");
  const next =
    row.published_version !== null && row.draft_version === row.published_version
      ? row.draft_version + 1
      : row.draft_version;
  const [updated] = await scope.query<FlowRow>(
    `update flows set draft = $2, draft_version = $3, name = coalesce($4, name), description = coalesce($5, description),
       updated_at = now() where id = $1 returning ${columns}`,
    [id, JSON.stringify(input.definition), next, input.name ?? null, input.description ?? null],
  );
  await c.audit.record(scope, c.actor, {
    action: "flow.draft_saved",
    targetType: "flow",
    targetId: id,
    data: { version: next },
  });
  return toFlowDto(updated!);
}

export function validateFor(platform: Platform, def: FlowDefinition): FlowValidationError[] {
  return validateDefinition(def, flowActions(platform), flowTriggerEvents(platform));
}

/** The sub-flows `def` starts: node id, target flow id, and whether it waits for it. */
function subflowStarts(def: FlowDefinition): Array<{ nodeId: string; flowId: string; wait: boolean }> {
  return def.nodes.flatMap((n) =>
    n.type === "action" && n.params.action === "flow.start" && typeof n.params.flowId === "string"
      ? [{ nodeId: n.id, flowId: n.params.flowId, wait: n.params.wait === true }]
      : [],
  );
}

/**
 * The checks that need the tenant's other flows: every `flow.start` names an existing flow, and no
 * chain of sub-flows waited for leads back to this flow (the others read at their published
 * version), which would nest until the run-time depth limit refuses it.
 */
export async function subflowErrors(
  scope: Scope,
  flowId: string,
  def: FlowDefinition,
): Promise<FlowValidationError[]> {
  const starts = subflowStarts(def);
  if (!starts.length) return [];
  const errors: FlowValidationError[] = [];
  const known = new Set(
    (
      await scope.query<{ id: string }>("select id from flows where id = any($1::text[])", [
        [...new Set(starts.map((s) => s.flowId))],
      ])
    ).map((r) => r.id),
  );
  for (const s of starts)
    if (!known.has(s.flowId))
      errors.push({
        code: "unknown_flow",
        message: `action ${s.nodeId}: no flow ${s.flowId}`,
        nodeId: s.nodeId,
      });
  // Breadth-first over "waits for" links; each reached flow remembers the path from the node.
  for (const s of starts.filter((x) => x.wait && known.has(x.flowId))) {
    const seen = new Set<string>();
    let frontier = [{ flow: s.flowId, path: [s.flowId] }];
    let cycle: string[] | null = null;
    while (frontier.length && !cycle && seen.size < 200) {
      const hit = frontier.find((f) => f.flow === flowId);
      if (hit) {
        cycle = hit.path;
        break;
      }
      for (const f of frontier) seen.add(f.flow);
      const rows = await scope.query<{ id: string; definition: FlowDefinition }>(
        `select f.id, v.definition from flows f
           join flow_versions v on v.flow_id = f.id and v.version = f.published_version
          where f.id = any($1::text[])`,
        [frontier.map((f) => f.flow)],
      );
      const next: typeof frontier = [];
      for (const r of rows) {
        const from = frontier.find((f) => f.flow === r.id)!;
        for (const t of subflowStarts(r.definition))
          if (t.wait && !seen.has(t.flowId)) next.push({ flow: t.flowId, path: [...from.path, t.flowId] });
      }
      frontier = next;
    }
    if (cycle)
      errors.push({
        code: "subflow_cycle",
        message: `action ${s.nodeId}: the sub-flows waited for lead back to this flow (${[flowId, ...cycle].join(" → ")})`,
        nodeId: s.nodeId,
      });
  }
  return errors;
}

/** Every publish-time check of a flow's definition: the graph's and the sub-flow links'. */
export async function validateFlow(
  scope: Scope,
  platform: Platform,
  flowId: string,
  def: FlowDefinition,
): Promise<FlowValidationError[]> {
  return [...validateFor(platform, def), ...(await subflowErrors(scope, flowId, def))];
}

export function validationReport(errors: FlowValidationError[]) {
  const nodeIds = [...new Set(errors.flatMap((e) => (e.nodeId ? [e.nodeId] : [])))];
  return { valid: errors.length === 0, errors, nodeIds };
}

/** Publishes the draft as a version (400 invalid_definition naming the nodes at fault). */
export async function publishFlow(scope: Scope, c: Caller, id: string): Promise<{ version: number }> {
  const row = await flowRow(scope, id, true);
  if (row.status === "archived") throw new AppError("invalid_state", "the flow is archived");
  const def = flowDefinitionSchema.parse(row.draft);
  const errors = await validateFlow(scope, c.platform, id, def);
  if (errors.length) {
    const report = validationReport(errors);
    throw new AppError(
      "invalid_definition",
      `the definition is invalid: ${errors
        .slice(0, 3)
        .map((e) => e.message)
        .join("; ")}`,
      { nodeIds: report.nodeIds, errors },
    );
  }
  if (row.published_version === row.draft_version) return { version: row.draft_version };
  const version = row.draft_version;
  await scope.query(
    "insert into flow_versions (tenant_id, flow_id, version, definition, published_by) values ($1, $2, $3, $4, $5)",
    [scope.tenantId, id, version, JSON.stringify(def), c.actor.userId ?? null],
  );
  await scope.query(
    "update flows set published_version = $2, status = 'active', updated_at = now() where id = $1",
    [id, version],
  );
  // Before the trigger index is replaced: it tells which segment-entry triggers are unchanged.
  await syncSegmentMembership(c.platform, scope, id, def);
  await syncTriggers(scope, id, version, def);
  await syncWebhooks(c.platform, scope, id, def);
  await c.audit.record(scope, c.actor, {
    action: "flow.published",
    targetType: "flow",
    targetId: id,
    data: { version },
  });
  return { version };
}

/** The trigger index of the flow's live version (empty when archived). */
export async function syncTriggers(
  scope: Scope,
  flowId: string,
  version: number,
  def: FlowDefinition | null,
) {
  await scope.query("delete from flow_triggers where flow_id = $1", [flowId]);
  const triggers = def?.nodes.filter((n) => n.type === "trigger") ?? [];
  if (!triggers.length) return;
  await scope.query(
    `insert into flow_triggers (tenant_id, flow_id, version, node_id, event, params)
     select $1, $2, $3, x.node, x.event, x.params::jsonb from unnest($4::text[], $5::text[], $6::text[]) as x(node, event, params)`,
    [
      scope.tenantId,
      flowId,
      version,
      triggers.map((t) => t.id),
      triggers.map((t) => String(t.params.event)),
      triggers.map((t) => JSON.stringify(t.params)),
    ],
  );
}

export async function archiveFlow(scope: Scope, c: Caller, id: string): Promise<FlowDto> {
  await flowRow(scope, id, true);
  const [row] = await scope.query<FlowRow>(
    `update flows set status = 'archived', archived_at = now(), updated_at = now() where id = $1 returning ${columns}`,
    [id],
  );
  await syncSegmentMembership(c.platform, scope, id, null);
  await syncTriggers(scope, id, 0, null);
  await c.audit.record(scope, c.actor, {
    action: "flow.archived",
    targetType: "flow",
    targetId: id,
    data: {},
  });
  return toFlowDto(row!);
}

export async function listFlows(
  scope: Scope,
  q: { limit: number; cursor?: string | undefined; status?: string | undefined },
) {
  const params: unknown[] = [q.limit + 1];
  const where = ["true"];
  if (q.status) {
    params.push(q.status);
    where.push(`status = $${params.length}`);
  } else where.push("status <> 'archived'");
  const cur = q.cursor ? /^(.+)_(flw_.+)$/.exec(q.cursor) : null;
  if (cur) {
    params.push(cur[1], cur[2]);
    where.push(`(updated_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  const rows = await scope.query<FlowRow>(
    `select ${columns} from flows where ${where.join(" and ")} order by updated_at desc, id desc limit $1`,
    params,
  );
  const items = rows.slice(0, q.limit).map(toFlowDto);
  const last = rows[q.limit - 1];
  return {
    items,
    nextCursor: rows.length > q.limit && last ? `${last.updated_at.toISOString()}_${last.id}` : null,
  };
}

export async function getFlow(scope: Scope, id: string): Promise<FlowDetailDto> {
  const row = await flowRow(scope, id);
  const versions = await scope.query<{ version: number; published_at: Date }>(
    "select version, published_at from flow_versions where flow_id = $1 order by version desc",
    [id],
  );
  return {
    ...toFlowDto(row),
    definition: row.draft,
    versions: versions.map((v) => ({ version: v.version, publishedAt: v.published_at.toISOString() })),
  };
}

export async function getVersion(scope: Scope, id: string, version: number): Promise<FlowVersionDto> {
  await flowRow(scope, id);
  const [v] = await scope.query<{
    version: number;
    definition: FlowDefinition;
    published_at: Date;
    published_by: string | null;
  }>(
    "select version, definition, published_at, published_by from flow_versions where flow_id = $1 and version = $2",
    [id, version],
  );
  if (!v) throw notFound("flow version");
  return {
    version: v.version,
    definition: v.definition,
    publishedAt: v.published_at.toISOString(),
    publishedBy: v.published_by,
  };
}
