import type { SegmentExpr } from "@siyu/contracts";
import type { Actor } from "../../../platform/audit/audit.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { notFound } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { addTags, removeTagIds, type Writer } from "../customers.service.ts";
import { compileCondition, parseSegment, printSegment } from "../segments/index.ts";
import { ensureTags, tagsByIds } from "../tags.service.ts";
import { recordCustomerEvents } from "../timeline.ts";

export interface TagRuleRow {
  id: string;
  name: string;
  tag_id: string;
  expression: string;
  ast: SegmentExpr;
  enabled: boolean;
  last_run_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const columns = "id, name, tag_id, expression, ast, enabled, last_run_at, created_at, updated_at";

export async function toRuleDtos(scope: Scope, rows: TagRuleRow[]) {
  const tags = await tagsByIds(
    scope,
    rows.map((r) => r.tag_id),
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    tag: tags.get(r.tag_id)?.name ?? "",
    tagId: r.tag_id,
    expression: r.expression,
    enabled: r.enabled,
    lastRunAt: r.last_run_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }));
}

export async function listRules(scope: Scope, onlyEnabled = false): Promise<TagRuleRow[]> {
  return scope.query<TagRuleRow>(
    `select ${columns} from tag_rules where deleted_at is null ${onlyEnabled ? "and enabled" : ""} order by created_at`,
  );
}

export async function getRule(scope: Scope, id: string): Promise<TagRuleRow> {
  const [row] = await scope.query<TagRuleRow>(
    `select ${columns} from tag_rules where id = $1 and deleted_at is null`,
    [id],
  );
  if (!row) throw notFound("tag rule");
  return row;
}

export async function saveRule(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  input: { id?: string; name?: string; tag?: string; expression?: string; enabled?: boolean },
): Promise<TagRuleRow> {
  const before = input.id ? await getRule(scope, input.id) : undefined;
  const ast = input.expression !== undefined ? parseSegment(input.expression) : before!.ast;
  // Compiling once now reports problems (such as unknown fields) at save time, not at the first event.
  await compileCondition(scope, ast);
  const tagId = input.tag ? (await ensureTags(scope, [input.tag]))[0]!.id : before!.tag_id;
  const id = before?.id ?? newId("tgr");
  const values = [
    id,
    scope.tenantId,
    input.name ?? before?.name ?? "",
    tagId,
    printSegment(ast),
    JSON.stringify(ast),
    input.enabled ?? before?.enabled ?? true,
    actor.userId ?? null,
  ];
  if (before) {
    await scope.query(
      "update tag_rules set name = $3, tag_id = $4, expression = $5, ast = $6, enabled = $7, updated_at = now() where id = $1 and tenant_id = $2",
      values.slice(0, 7),
    );
  } else {
    await scope.query(
      "insert into tag_rules (id, tenant_id, name, tag_id, expression, ast, enabled, created_by) values ($1, $2, $3, $4, $5, $6, $7, $8)",
      values,
    );
  }
  await platform.audit.record(scope, actor, {
    action: before ? "tag_rule.updated" : "tag_rule.created",
    targetType: "tag_rule",
    targetId: id,
    data: { expression: printSegment(ast) },
  });
  return getRule(scope, id);
}

/** Re-evaluates one rule for one customer: adds its tag when the condition holds, removes what it added when not. */
export async function evaluateRuleFor(
  scope: Scope,
  w: Writer,
  rule: TagRuleRow,
  customerId: string,
): Promise<"added" | "removed" | null> {
  const tag = (await tagsByIds(scope, [rule.tag_id])).get(rule.tag_id);
  if (!tag) return null;
  const cond = await compileCondition(scope, rule.ast, { alias: "c", firstParam: 2 });
  const [row] = await scope.query<{ matches: boolean; tagged: boolean; owned: boolean }>(
    `select (${cond.sql}) as matches, c.tag_nums @> array[$${cond.params.length + 2}]::int4[] as tagged,
            exists (select 1 from tag_rule_assignments a where a.rule_id = $${cond.params.length + 3} and a.customer_id = c.id) as owned
       from customers c where c.id = $1 and c.merged_into is null and c.deleted_at is null`,
    [customerId, ...cond.params, tag.num, rule.id],
  );
  if (!row) return null;
  if (row.matches && !row.tagged) {
    await addTags(scope, { ...w, cause: "rule" }, customerId, [tag.name], rule.id);
    await scope.query(
      "insert into tag_rule_assignments (tenant_id, rule_id, customer_id) values ($1, $2, $3) on conflict do nothing",
      [scope.tenantId, rule.id, customerId],
    );
    return "added";
  }
  if (!row.matches && row.tagged && row.owned) {
    await removeTagIds(scope, { ...w, cause: "rule" }, customerId, [rule.tag_id], rule.id);
    await scope.query("delete from tag_rule_assignments where rule_id = $1 and customer_id = $2", [
      rule.id,
      customerId,
    ]);
    return "removed";
  }
  return null;
}

/**
 * Runs a rule over every customer in two set-based statements (used on save, on "run now" and by
 * the nightly re-check that catches conditions which become false with time, such as "3 orders in
 * 90 days").
 */
export async function runRule(
  scope: Scope,
  w: Writer,
  ruleId: string,
  options: { customerIds?: string[] } = {},
): Promise<{ added: number; removed: number }> {
  const rule = await getRule(scope, ruleId);
  if (!rule.enabled) return { added: 0, removed: 0 };
  const tag = (await tagsByIds(scope, [rule.tag_id])).get(rule.tag_id);
  if (!tag) return { added: 0, removed: 0 };
  // Optionally only some customers (those an import batch touched); null means everyone.
  const only = options.customerIds ?? null;
  const toAdd = await compileCondition(scope, rule.ast, { alias: "c", firstParam: 3 });
  const added = await scope.query<{ id: string }>(
    `update customers c set tag_nums = c.tag_nums || array[$1]::int4[], updated_at = now()
      where c.merged_into is null and c.deleted_at is null and not (c.tag_nums @> array[$1]::int4[])
        and ($2::text[] is null or c.id = any($2::text[])) and (${toAdd.sql}) returning c.id`,
    [tag.num, only, ...toAdd.params],
  );
  const toRemove = await compileCondition(scope, rule.ast, { alias: "c", firstParam: 4 });
  const removed = await scope.query<{ id: string }>(
    `update customers c set tag_nums = array_remove(c.tag_nums, $1::int4), updated_at = now()
      where c.id in (select customer_id from tag_rule_assignments where rule_id = $2)
        and ($3::text[] is null or c.id = any($3::text[]))
        and c.tag_nums @> array[$1]::int4[] and not coalesce((${toRemove.sql}), false) returning c.id`,
    [tag.num, rule.id, only, ...toRemove.params],
  );
  if (added.length) {
    await scope.query(
      "insert into tag_rule_assignments (tenant_id, rule_id, customer_id) select $1, $2, unnest($3::text[]) on conflict do nothing",
      [scope.tenantId, rule.id, added.map((r) => r.id)],
    );
  }
  if (removed.length) {
    await scope.query(
      "delete from tag_rule_assignments where rule_id = $1 and customer_id = any($2::text[])",
      [rule.id, removed.map((r) => r.id)],
    );
  }
  // One fact (and event) per customer, written with one insert each however many the rule tagged.
  const data = { tagId: rule.tag_id, tag: tag.name, cause: "rule", ruleId: rule.id };
  await recordCustomerEvents(
    scope,
    w.platform.events,
    [
      ...added.map((r) => ({ customerId: r.id, type: "customer.tag_added", data })),
      ...removed.map((r) => ({ customerId: r.id, type: "customer.tag_removed", data })),
    ],
    { publish: true },
  );
  if (!only) await scope.query("update tag_rules set last_run_at = now() where id = $1", [rule.id]);
  return { added: added.length, removed: removed.length };
}
