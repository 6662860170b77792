import type { FlowTemplateDto } from "@siyu/contracts";
import type { Scope } from "../../../platform/db/index.ts";
import { notFound } from "../../../platform/errors.ts";
import { type Caller, createFlow } from "../../flows/index.ts";
import { type FlowTemplate, findTemplate, flowTemplates } from "../templates/index.ts";

export interface InstalledTemplate {
  flowId: string;
  name: string;
  status: "draft" | "active" | "archived";
  version: number;
  templateKey: string;
}

export function listTemplates(): FlowTemplateDto[] {
  return flowTemplates.map(toDto);
}

export function getTemplate(key: string): FlowTemplateDto {
  const t = findTemplate(key);
  if (!t) throw notFound("flow template");
  return toDto(t);
}

/** A copy, so a caller changing the definition never changes the catalog. */
function toDto(t: FlowTemplate): FlowTemplateDto {
  return structuredClone({ ...t });
}

/**
 * Installs a template as a new draft flow (then edited in the designer and published as any flow),
 * and records which template it came from.
 */
export async function installTemplate(
  scope: Scope,
  c: Caller,
  key: string,
  options: { name?: string | undefined; source?: "user" | "demo" } = {},
): Promise<InstalledTemplate> {
  const t = findTemplate(key);
  if (!t) throw notFound("flow template");
  const flow = await createFlow(scope, c, {
    name: options.name ?? t.name,
    description: t.description,
    definition: structuredClone(t.definition),
  });
  await scope.query(
    `insert into flow_template_installs (tenant_id, flow_id, template_key, source, installed_by)
     values ($1, $2, $3, $4, $5)`,
    [scope.tenantId, flow.id, key, options.source ?? "user", c.actor.userId ?? null],
  );
  await c.audit.record(scope, c.actor, {
    action: "flow.template_installed",
    targetType: "flow",
    targetId: flow.id,
    data: { templateKey: key },
  });
  return { flowId: flow.id, name: flow.name, status: flow.status, version: flow.version, templateKey: key };
}

/** How many flows each template was installed as, and the newest of them. */
export async function installCounts(
  scope: Scope,
): Promise<Map<string, { installs: number; lastFlowId: string }>> {
  const rows = await scope.query<{ template_key: string; installs: number; last_flow_id: string }>(
    `select template_key, count(*)::int as installs,
            (array_agg(flow_id order by installed_at desc))[1] as last_flow_id
       from flow_template_installs group by template_key`,
  );
  return new Map(rows.map((r) => [r.template_key, { installs: r.installs, lastFlowId: r.last_flow_id }]));
}
