import type { AssigneeRule, TaskDto } from "@siyu/contracts";
import type { Scope } from "../../platform/db/index.ts";
import { AppError, forbidden, notFound } from "../../platform/errors.ts";
import type { AuthContext } from "../../platform/http/auth-context.ts";
import { newId } from "../../platform/ids/ids.ts";
import type { Platform } from "../../platform/platform.ts";
import { managersOf } from "../iam/index.ts";

export interface TaskRow {
  id: string;
  type: "approval" | "task";
  title: string;
  description: string;
  customer_id: string | null;
  flow_id: string | null;
  flow_instance_id: string | null;
  node_id: string | null;
  token_id: string | null;
  step: number | null;
  status: "open" | "completed" | "cancelled";
  assignee_user_ids: string[];
  assignee_roles: string[];
  outcomes: string[];
  mode: "any" | "all";
  required: number;
  decisions: Array<{ userId: string | null; outcome: string; comment: string | null; at: string }>;
  outcome: string | null;
  comment: string | null;
  escalated: boolean;
  due_at: Date | null;
  created_at: Date;
  completed_at: Date | null;
  /** Outside flows: what made the task (`oa_message`: a cross-engine rule); null for flow tasks. */
  source: string | null;
  source_key: string | null;
  /** The WeCom member the task is for (follow-ups of owner staff), when it came from one. */
  staff_userid: string | null;
}

export function toTaskDto(r: TaskRow): TaskDto {
  return {
    id: r.id,
    type: r.type,
    title: r.title,
    description: r.description,
    customerId: r.customer_id,
    flowInstanceId: r.flow_instance_id,
    flowId: r.flow_id,
    nodeId: r.node_id,
    status: r.status,
    assigneeUserIds: r.assignee_user_ids,
    assigneeRoles: r.assignee_roles,
    outcomes: r.outcomes,
    outcome: r.outcome,
    comment: r.comment,
    decisions: r.decisions,
    escalated: r.escalated,
    dueAt: r.due_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    completedAt: r.completed_at?.toISOString() ?? null,
    // Flow tasks carry no `source` column value: their instance says where they came from.
    source: r.source ?? (r.flow_instance_id ? "flow" : "manual"),
    staffUserid: r.staff_userid,
  };
}

/**
 * Hooks run inside the transaction that completes (or escalates) a task, once per completion: the
 * flow engine moves the waiting instance on in that same transaction.
 */
export interface TaskHooks {
  onCompleted: Array<(scope: Scope, task: TaskRow) => Promise<void>>;
}
const hooks = new WeakMap<Platform, TaskHooks>();
export function taskHooks(platform: Platform): TaskHooks {
  let h = hooks.get(platform);
  if (!h) {
    h = { onCompleted: [] };
    hooks.set(platform, h);
  }
  return h;
}

export interface Assignees {
  userIds: string[];
  roles: string[];
}

/** Resolves an assignee rule; `owners` are the customer's owner staff. Nobody found → admins. */
export async function resolveAssignees(
  scope: Scope,
  rule: AssigneeRule,
  owners: string[],
): Promise<Assignees> {
  let a: Assignees = { userIds: [], roles: [] };
  if ("role" in rule) a.roles = [rule.role];
  else if ("userId" in rule) a.userIds = [rule.userId];
  else if ("userIds" in rule) a.userIds = [...new Set(rule.userIds)];
  else if ("owner" in rule) a.userIds = owners;
  else if ("managerOf" in rule)
    a.userIds = await managersOf(scope, rule.managerOf === "owner" ? owners : [rule.managerOf]);
  if (!a.userIds.length && !a.roles.length) a = { userIds: [], roles: ["admin"] };
  return a;
}

export interface NewTask {
  type: "approval" | "task";
  title: string;
  description?: string | undefined;
  customerId?: string | null | undefined;
  flowId?: string | null;
  flowInstanceId?: string | null;
  nodeId?: string | null;
  tokenId?: string | null;
  step?: number | null;
  assignees: Assignees;
  outcomes?: string[];
  mode?: "any" | "all";
  required?: number;
  dueAt?: Date | null;
  /** Tasks made outside flows (a cross-engine rule): what made it. */
  source?: string | null;
  /** At most one task per key (a redelivered event creates nothing). */
  sourceKey?: string | null;
  /** The WeCom member it is for (shown in the sidebar). */
  staffUserid?: string | null;
}

/**
 * Creates a task unless one exists for the same flow visit (token, step) or the same `sourceKey`:
 * returns null then (nothing created).
 */
export async function insertTask(scope: Scope, t: NewTask): Promise<TaskRow | null> {
  const [row] = await scope.query<TaskRow>(
    `insert into tasks (id, tenant_id, type, title, description, customer_id, flow_id, flow_instance_id, node_id,
       token_id, step, assignee_user_ids, assignee_roles, outcomes, mode, required, due_at, source, source_key,
       staff_userid)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
     on conflict do nothing returning *`,
    [
      newId("tsk"),
      scope.tenantId,
      t.type,
      t.title,
      t.description ?? "",
      t.customerId ?? null,
      t.flowId ?? null,
      t.flowInstanceId ?? null,
      t.nodeId ?? null,
      t.tokenId ?? null,
      t.step ?? null,
      t.assignees.userIds,
      t.assignees.roles,
      t.outcomes ?? (t.type === "approval" ? ["approved", "rejected"] : ["done"]),
      t.mode ?? "any",
      t.required ?? 1,
      t.dueAt ?? null,
      t.source ?? null,
      t.sourceKey ?? null,
      t.staffUserid ?? null,
    ],
  );
  return row ?? null;
}

/** Creates a task; for a flow visit (token, step) at most one ever (a retry returns the first). */
export async function createTask(scope: Scope, t: NewTask): Promise<TaskRow> {
  const row = await insertTask(scope, t);
  if (row) return row;
  const [existing] = await scope.query<TaskRow>("select * from tasks where token_id = $1 and step = $2", [
    t.tokenId,
    t.step,
  ]);
  return existing!;
}

/** The roles a caller answers tasks for: an owner also takes what is assigned to admins. */
function taskRoles(auth: AuthContext): string[] {
  const roles: string[] = [...auth.roles];
  if (roles.includes("owner")) roles.push("admin");
  return roles;
}

export function canSee(auth: AuthContext, r: TaskRow): boolean {
  if (auth.permissions.has("tasks.manage")) return true;
  const roles = taskRoles(auth);
  return (
    (auth.userId !== null && r.assignee_user_ids.includes(auth.userId)) ||
    r.assignee_roles.some((role) => roles.includes(role))
  );
}

export async function listTasks(
  scope: Scope,
  auth: AuthContext,
  q: {
    status?: string | undefined;
    scope: "mine" | "all";
    customerId?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  },
) {
  const params: unknown[] = [q.limit + 1];
  const where: string[] = ["true"];
  if (q.status) {
    params.push(q.status);
    where.push(`status = $${params.length}`);
  }
  if (q.customerId) {
    params.push(q.customerId);
    where.push(`customer_id = $${params.length}`);
  }
  if (q.scope === "all") {
    if (!auth.permissions.has("tasks.manage")) throw forbidden("permission tasks.manage required");
  } else {
    params.push(auth.userId ? [auth.userId] : [], taskRoles(auth));
    where.push(
      `(assignee_user_ids && $${params.length - 1}::text[] or assignee_roles && $${params.length}::text[])`,
    );
  }
  const cur = q.cursor ? /^(.+)_(tsk_.+)$/.exec(q.cursor) : null;
  if (cur) {
    params.push(cur[1], cur[2]);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  const rows = await scope.query<TaskRow>(
    `select * from tasks where ${where.join(" and ")} order by created_at desc, id desc limit $1`,
    params,
  );
  const last = rows[q.limit - 1];
  return {
    items: rows.slice(0, q.limit).map(toTaskDto),
    nextCursor: rows.length > q.limit && last ? `${last.created_at.toISOString()}_${last.id}` : null,
  };
}

export async function getTask(scope: Scope, auth: AuthContext, id: string): Promise<TaskRow> {
  const [row] = await scope.query<TaskRow>("select * from tasks where id = $1", [id]);
  if (!row || !canSee(auth, row)) throw notFound("task");
  return row;
}

/**
 * Records a decision. `any`: it completes the task. `all`: a rejection (or any outcome but the first,
 * "approved") completes it at once; otherwise it completes when `required` distinct people approved.
 * Completion runs the hooks (the flow moves on) in this transaction.
 */
export async function completeTask(
  scope: Scope,
  platform: Platform,
  auth: AuthContext | null,
  id: string,
  input: { outcome: string; comment?: string | undefined },
): Promise<TaskRow> {
  const [row] = await scope.query<TaskRow>("select * from tasks where id = $1 for update", [id]);
  if (!row || (auth && !canSee(auth, row))) throw notFound("task");
  if (row.status !== "open") throw new AppError("invalid_state", `the task is ${row.status}`);
  if (!row.outcomes.includes(input.outcome))
    throw new AppError("validation_failed", `outcome must be one of ${row.outcomes.join(", ")}`, {
      field: "outcome",
      allowed: row.outcomes,
    });
  const userId = auth?.userId ?? null;
  if (userId && row.decisions.some((d) => d.userId === userId))
    throw new AppError("conflict", "you have decided on this task already");
  const decisions = [
    ...row.decisions,
    { userId, outcome: input.outcome, comment: input.comment ?? null, at: new Date().toISOString() },
  ];
  const positive = row.outcomes[0];
  const done =
    row.mode === "any" ||
    input.outcome !== positive ||
    decisions.filter((d) => d.outcome === positive).length >= row.required;
  const [updated] = await scope.query<TaskRow>(
    `update tasks set decisions = $2, status = case when $3 then 'completed' else status end,
       outcome = case when $3 then $4 else outcome end, comment = case when $3 then $5 else comment end,
       completed_by = case when $3 then $6 else completed_by end, completed_at = case when $3 then now() else null end
     where id = $1 returning *`,
    [id, JSON.stringify(decisions), done, input.outcome, input.comment ?? null, userId],
  );
  if (done) for (const h of taskHooks(platform).onCompleted) await h(scope, updated!);
  return updated!;
}

/**
 * Reassigns an open task (escalation), with the WeCom member it is for now (`staffUserid`, null when
 * the new assignees are no single member); returns null when it is no longer open.
 */
export async function reassignTask(
  scope: Scope,
  id: string,
  to: Assignees,
  staffUserid: string | null,
): Promise<TaskRow | null> {
  const [row] = await scope.query<TaskRow>(
    `update tasks set assignee_user_ids = $2, assignee_roles = $3, staff_userid = $4, escalated = true
      where id = $1 and status = 'open' returning *`,
    [id, to.userIds, to.roles, staffUserid],
  );
  return row ?? null;
}

/** Cancels a flow's open tasks (instance cancelled, branch left by escalation). */
export async function cancelTasks(
  scope: Scope,
  where: { instanceId?: string; taskId?: string },
): Promise<void> {
  if (where.taskId)
    await scope.query(
      "update tasks set status = 'cancelled', completed_at = now() where id = $1 and status = 'open'",
      [where.taskId],
    );
  if (where.instanceId)
    await scope.query(
      "update tasks set status = 'cancelled', completed_at = now() where flow_instance_id = $1 and status = 'open'",
      [where.instanceId],
    );
}
