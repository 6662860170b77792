import type { EngagementRuleDto, EngagementRuleInput, FollowUpDto } from "@siyu/contracts";
import type { Actor } from "../../platform/audit/audit.ts";
import type { Scope } from "../../platform/db/index.ts";
import { AppError, notFound } from "../../platform/errors.ts";
import { newId } from "../../platform/ids/ids.ts";
import type { Platform } from "../../platform/platform.ts";
import { articleById } from "../content/index.ts";
import { customerNames } from "../customers/index.ts";
import { completeTask, type TaskRow } from "../tasks/index.ts";

export interface RuleRow {
  id: string;
  kind: EngagementRuleDto["kind"];
  name: string;
  enabled: boolean;
  config: Record<string, unknown>;
  fired: number;
  created_at: Date;
}

const ruleDto = (r: RuleRow): EngagementRuleDto => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  enabled: r.enabled,
  config: r.config,
  fired: r.fired,
  createdAt: r.created_at.toISOString(),
});

export async function listRules(scope: Scope): Promise<EngagementRuleDto[]> {
  const rows = await scope.query<RuleRow>(
    "select * from engagement_rules where deleted_at is null order by created_at, id",
  );
  return rows.map(ruleDto);
}

export async function saveRule(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  input: EngagementRuleInput,
  id?: string,
): Promise<EngagementRuleDto> {
  const { kind, name, enabled, ...config } = input;
  if (kind === "tag_sends_article") {
    await articleById(scope, (config as { articleId: string }).articleId).catch(() => {
      throw new AppError("bad_request", "unknown article");
    });
  }
  const [row] = id
    ? await scope.query<RuleRow>(
        `update engagement_rules set kind = $2, name = $3, enabled = $4, config = $5, updated_at = now()
          where id = $1 and deleted_at is null returning *`,
        [id, kind, name, enabled ?? true, JSON.stringify(config)],
      )
    : await scope.query<RuleRow>(
        `insert into engagement_rules (id, tenant_id, kind, name, enabled, config, created_by)
         values ($1, $2, $3, $4, $5, $6, $7) returning *`,
        [
          newId("egr"),
          scope.tenantId,
          kind,
          name,
          enabled ?? true,
          JSON.stringify(config),
          actor.userId ?? null,
        ],
      );
  if (!row) throw notFound("rule");
  await platform.audit.record(scope, actor, {
    action: id ? "engagement.rule_updated" : "engagement.rule_created",
    targetType: "engagement_rule",
    targetId: row.id,
    data: { kind, name, enabled: row.enabled, ...config },
  });
  return ruleDto(row);
}

export async function deleteRule(scope: Scope, platform: Platform, actor: Actor, id: string) {
  const [row] = await scope.query<{ name: string }>(
    "update engagement_rules set deleted_at = now() where id = $1 and deleted_at is null returning name",
    [id],
  );
  if (!row) throw notFound("rule");
  await platform.audit.record(scope, actor, {
    action: "engagement.rule_deleted",
    targetType: "engagement_rule",
    targetId: id,
    data: { name: row.name },
  });
}

/**
 * Open follow-ups of customers: the staff tasks (type `task`) about them — those cross-engine rules
 * made for the owner staff and those flows made — read from the tasks module's table, the same rows
 * the task inbox shows. `owner` is the WeCom member (userid) a task is for.
 */
export async function listFollowUps(
  scope: Scope,
  q: {
    status?: "open" | "done" | undefined;
    customerId?: string | undefined;
    owner?: string | undefined;
    limit: number;
  },
): Promise<FollowUpDto[]> {
  const rows = await scope.query<TaskRow>(
    `select t.* from tasks t
      where t.type = 'task' and t.customer_id is not null and t.status <> 'cancelled'
        and ($1::text is null or t.status = $1) and ($2::text is null or t.customer_id = $2)
        and ($3::text is null or t.staff_userid = $3)
      order by t.created_at desc, t.id desc limit $4`,
    [q.status === "done" ? "completed" : (q.status ?? null), q.customerId ?? null, q.owner ?? null, q.limit],
  );
  const names = await customerNames(scope, [...new Set(rows.map((r) => r.customer_id as string))]);
  return rows.map((r) => ({
    id: r.id,
    customerId: r.customer_id as string,
    customerName: names.get(r.customer_id as string) ?? null,
    ownerUserid: r.staff_userid,
    title: r.title,
    detail: r.description,
    source: r.source ?? (r.flow_id ? "flow" : "task"),
    status: r.status === "completed" ? "done" : "open",
    createdAt: r.created_at.toISOString(),
    doneAt: r.completed_at?.toISOString() ?? null,
  }));
}

/** Marks a follow-up done: completes its task (outcome `done`; a flow waiting on it moves on). */
export async function completeFollowUp(scope: Scope, platform: Platform, actor: Actor, id: string) {
  const [row] = await scope.query<TaskRow>(
    "select * from tasks where id = $1 and type = 'task' and customer_id is not null",
    [id],
  );
  if (!row) throw notFound("follow-up");
  if (row.status !== "open") return;
  const outcome = row.outcomes.includes("done") ? "done" : (row.outcomes[0] ?? "done");
  await completeTask(scope, platform, null, id, { outcome });
  await scope.query("update tasks set completed_by = $2 where id = $1", [id, actor.userId ?? null]);
  await platform.audit.record(scope, actor, {
    action: "engagement.follow_up_completed",
    targetType: "task",
    targetId: id,
    data: { customerId: row.customer_id, title: row.title },
  });
}
