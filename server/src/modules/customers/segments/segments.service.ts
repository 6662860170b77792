import type {
  SegmentDto,
  SegmentExpr,
  SegmentKind,
  SegmentMember,
  SegmentPreview,
  SegmentWarning,
} from "@siyu/contracts";
import type { Actor, AuditLog } from "../../../platform/audit/audit.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { AppError, notFound } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import { type CompileOptions, compileCondition } from "./compile.ts";
import { parseSegment, printSegment, validateSegmentAst } from "./parse.ts";

/** Customers a segment may ever contain: not merged into another profile, not deleted. */
const live = (alias: string) => `${alias}.merged_into IS NULL AND ${alias}.deleted_at IS NULL`;

interface SegmentRow {
  id: string;
  name: string;
  expression: string;
  ast: SegmentExpr;
  kind: SegmentKind;
  member_count: number | null;
  counted_at: Date | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

const columns =
  "id, name, expression, ast, kind, member_count, counted_at, created_by, created_at, updated_at";

const toDto = (r: SegmentRow): SegmentDto => ({
  id: r.id,
  name: r.name,
  expression: r.expression,
  ast: r.ast,
  kind: r.kind,
  memberCount: r.member_count,
  countedAt: r.counted_at ? r.counted_at.toISOString() : null,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/**
 * Reads an expression from the text a user typed or the tree the builder sent. Text is kept as
 * written; a tree is stored with its canonical text.
 */
export function readExpression(input: { expression?: string; ast?: unknown }): {
  expression: string;
  ast: SegmentExpr;
} {
  if (input.expression !== undefined)
    return { expression: input.expression.trim(), ast: parseSegment(input.expression) };
  if (input.ast !== undefined) {
    const ast = validateSegmentAst(input.ast);
    return { expression: printSegment(ast), ast };
  }
  throw new AppError("invalid_expression", "expression or ast is required", {
    position: 0,
    expected: ["expression"],
  });
}

async function load(scope: Scope, id: string): Promise<SegmentRow> {
  const [row] = await scope.query<SegmentRow>(
    `SELECT ${columns} FROM segments WHERE id = $1 AND deleted_at IS NULL`,
    [id],
  );
  if (!row) throw notFound("segment");
  return row;
}

/** Counts the live customers matching a tree (no segment needed). */
export async function countMatching(
  scope: Scope,
  ast: SegmentExpr,
): Promise<{ count: number; warnings: SegmentWarning[] }> {
  const cond = await compileCondition(scope, ast, { alias: "c", firstParam: 1 });
  const [row] = await scope.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM customers c WHERE ${live("c")} AND ${cond.sql}`,
    cond.params,
  );
  return { count: Number(row?.n ?? 0), warnings: cond.warnings };
}

/** Re-takes a segment's count; for a snapshot, first re-freezes its membership in one INSERT … SELECT. */
async function recount(scope: Scope, row: { id: string; kind: SegmentKind; ast: SegmentExpr }) {
  let count: number;
  let warnings: SegmentWarning[];
  if (row.kind === "snapshot") {
    await scope.query("DELETE FROM segment_members WHERE segment_id = $1", [row.id]);
    const cond = await compileCondition(scope, row.ast, { alias: "c", firstParam: 3 });
    const inserted = await scope.query<{ n: string | number }>(
      `WITH ins AS (
         INSERT INTO segment_members (tenant_id, segment_id, customer_id)
         SELECT $1::text, $2::text, c.id FROM customers c WHERE ${live("c")} AND ${cond.sql}
         RETURNING 1)
       SELECT count(*) AS n FROM ins`,
      [scope.tenantId, row.id, ...cond.params],
    );
    count = Number(inserted[0]?.n ?? 0);
    warnings = cond.warnings;
  } else {
    await scope.query("DELETE FROM segment_members WHERE segment_id = $1", [row.id]);
    ({ count, warnings } = await countMatching(scope, row.ast));
  }
  const [updated] = await scope.query<SegmentRow>(
    `UPDATE segments SET member_count = $2, counted_at = now() WHERE id = $1 RETURNING ${columns}`,
    [row.id, count],
  );
  return { segment: toDto(updated!), warnings };
}

export async function listSegments(scope: Scope, q: { limit: number; cursor?: string }) {
  const rows = await scope.query<SegmentRow>(
    `SELECT ${columns} FROM segments WHERE deleted_at IS NULL AND ($2::text IS NULL OR id < $2)
      ORDER BY id DESC LIMIT $1`,
    [q.limit + 1, q.cursor ?? null],
  );
  const items = rows.slice(0, q.limit).map(toDto);
  return { items, nextCursor: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null };
}

export async function getSegment(scope: Scope, id: string): Promise<SegmentDto> {
  return toDto(await load(scope, id));
}

export async function createSegment(
  scope: Scope,
  audit: AuditLog,
  actor: Actor,
  input: { name: string; expression?: string; ast?: unknown; kind?: SegmentKind },
): Promise<SegmentDto & { warnings: SegmentWarning[] }> {
  const { expression, ast } = readExpression(input);
  const id = newId("seg");
  const kind = input.kind ?? "dynamic";
  await scope.query(
    `INSERT INTO segments (id, tenant_id, name, expression, ast, kind, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [id, scope.tenantId, input.name, expression, JSON.stringify(ast), kind, actor.userId ?? null],
  );
  const { segment, warnings } = await recount(scope, { id, kind, ast });
  await audit.record(scope, actor, {
    action: "segment.created",
    targetType: "segment",
    targetId: id,
    data: { name: input.name, kind, expression },
  });
  return { ...segment, warnings };
}

export async function updateSegment(
  scope: Scope,
  audit: AuditLog,
  actor: Actor,
  id: string,
  input: { name?: string; expression?: string; ast?: unknown; kind?: SegmentKind },
): Promise<SegmentDto & { warnings: SegmentWarning[] }> {
  const before = await load(scope, id);
  const changed = input.expression !== undefined || input.ast !== undefined;
  const next = changed ? readExpression(input) : { expression: before.expression, ast: before.ast };
  const kind = input.kind ?? before.kind;
  await scope.query(
    `UPDATE segments SET name = $2, expression = $3, ast = $4, kind = $5, updated_at = now() WHERE id = $1`,
    [id, input.name ?? before.name, next.expression, JSON.stringify(next.ast), kind],
  );
  let result: { segment: SegmentDto; warnings: SegmentWarning[] };
  if (changed || kind !== before.kind) result = await recount(scope, { id, kind, ast: next.ast });
  else result = { segment: await getSegment(scope, id), warnings: [] };
  await audit.record(scope, actor, {
    action: "segment.updated",
    targetType: "segment",
    targetId: id,
    data: { name: input.name, kind: input.kind, expression: changed ? next.expression : undefined },
  });
  return { ...result.segment, warnings: result.warnings };
}

export async function deleteSegment(scope: Scope, audit: AuditLog, actor: Actor, id: string): Promise<void> {
  const rows = await scope.query(
    "UPDATE segments SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id",
    [id],
  );
  if (!rows.length) throw notFound("segment");
  await scope.query("DELETE FROM segment_members WHERE segment_id = $1", [id]);
  await audit.record(scope, actor, { action: "segment.deleted", targetType: "segment", targetId: id });
}

/** Recounts a segment now (and re-freezes a snapshot's membership). */
export async function refreshSegment(scope: Scope, audit: AuditLog, actor: Actor, id: string) {
  const row = await load(scope, id);
  const result = await recount(scope, row);
  await audit.record(scope, actor, {
    action: "segment.refreshed",
    targetType: "segment",
    targetId: id,
    data: { memberCount: result.segment.memberCount },
  });
  return { ...result.segment, warnings: result.warnings };
}

/**
 * The condition "customer `alias` is in segment `segmentId`", for other queries over
 * `customers <alias>` (customer list, mass sends, campaigns). Dynamic: the compiled expression;
 * snapshot: membership in the frozen set. The caller adds `merged_into/deleted_at` filters.
 */
export async function segmentWhere(
  scope: Scope,
  segmentId: string,
  options: CompileOptions = {},
): Promise<{ sql: string; params: unknown[]; warnings: SegmentWarning[] }> {
  const alias = options.alias ?? "c";
  const first = options.firstParam ?? 1;
  const row = await load(scope, segmentId);
  if (row.kind === "snapshot") {
    if (!/^[a-z_][a-z0-9_]*$/i.test(alias)) throw new Error(`invalid alias ${alias}`);
    return {
      sql: `${alias}.id IN (SELECT m.customer_id FROM segment_members m WHERE m.segment_id = $${first})`,
      params: [segmentId],
      warnings: [],
    };
  }
  return compileCondition(scope, row.ast, { alias, firstParam: first });
}

interface MemberRow {
  id: string;
  name: string;
  tag_ids: string[];
}
const toMember = (r: MemberRow): SegmentMember => ({ id: r.id, name: r.name, tags: r.tag_ids });

/** Live customers matching a condition, newest first, keyset-paged on id. */
async function pageCustomers(
  scope: Scope,
  cond: { sql: string; params: unknown[] },
  q: { limit: number; cursor?: string | undefined },
) {
  const n = cond.params.length;
  const rows = await scope.query<MemberRow>(
    `SELECT c.id, c.name,
            ARRAY(SELECT t.id FROM unnest(c.tag_nums) WITH ORDINALITY AS u(num, ord)
                    JOIN tags t ON t.num = u.num ORDER BY u.ord) AS tag_ids
       FROM customers c
      WHERE ${live("c")} AND ${cond.sql} AND ($${n + 2}::text IS NULL OR c.id < $${n + 2})
      ORDER BY c.id DESC LIMIT $${n + 1}`,
    [...cond.params, q.limit + 1, q.cursor ?? null],
  );
  const items = rows.slice(0, q.limit).map(toMember);
  return { items, nextCursor: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null };
}

/** One page of a segment's members (`{id, name, tags}`), newest first. */
export async function segmentMembers(scope: Scope, segmentId: string, q: { limit: number; cursor?: string }) {
  return pageCustomers(scope, await segmentWhere(scope, segmentId), q);
}

/** One page of a segment's member ids, newest first (for mass sends, campaigns). */
export async function segmentMemberIds(
  scope: Scope,
  segmentId: string,
  q: { limit: number; cursor?: string },
): Promise<{ ids: string[]; nextCursor: string | null }> {
  const page = await segmentMembers(scope, segmentId, q);
  return { ids: page.items.map((m) => m.id), nextCursor: page.nextCursor };
}

/** Count and first 20 members of an unsaved expression. */
export async function previewSegment(
  scope: Scope,
  input: { expression?: string; ast?: unknown },
): Promise<SegmentPreview> {
  const { expression, ast } = readExpression(input);
  const { count, warnings } = await countMatching(scope, ast);
  const cond = await compileCondition(scope, ast);
  const sample = await pageCustomers(scope, cond, { limit: 20 });
  return { count, sample: sample.items, expression, ast, warnings };
}

/**
 * Which customers are in a segment now, for reactions to membership (flows' segment-entry triggers):
 * of `ids` when given (the customers an event touched), else every member in id order after `after`.
 * At most `limit` ids; null when the segment does not exist (deleted).
 */
export async function segmentMatchIds(
  scope: Scope,
  segmentId: string,
  q: { ids?: readonly string[] | undefined; after?: string | null | undefined; limit: number },
): Promise<string[] | null> {
  const [row] = await scope.query<{ id: string }>(
    "SELECT id FROM segments WHERE id = $1 AND deleted_at IS NULL",
    [segmentId],
  );
  if (!row) return null;
  if (q.ids && q.ids.length === 0) return [];
  const w = await segmentWhere(scope, segmentId, { alias: "c", firstParam: 4 });
  const rows = await scope.query<{ id: string }>(
    `SELECT c.id FROM customers c
      WHERE ${live("c")} AND ($1::text[] IS NULL OR c.id = ANY($1::text[])) AND ($2::text IS NULL OR c.id > $2)
        AND (${w.sql})
      ORDER BY c.id LIMIT $3`,
    [q.ids ?? null, q.after ?? null, q.limit, ...w.params],
  );
  return rows.map((r) => r.id);
}
