import type { SegmentExpr } from "@siyu/contracts";
import type { Actor } from "../../platform/audit/audit.ts";
import type { Scope } from "../../platform/db/index.ts";
import { AppError } from "../../platform/errors.ts";
import type { Platform } from "../../platform/platform.ts";
import { printSegment } from "./segments/index.ts";
import { cleanTagName } from "./tags.service.ts";

/** Returns the tree with every `tag(old)` (case-insensitive) renamed, or null when nothing changed. */
function renameIn(e: SegmentExpr, from: string, to: string): SegmentExpr | null {
  switch (e.type) {
    case "tag":
      return e.name.toLowerCase() === from.toLowerCase() ? { ...e, name: to } : null;
    case "and":
    case "or": {
      const items = e.items.map((i) => renameIn(i, from, to));
      return items.some((i) => i !== null) ? { ...e, items: items.map((i, n) => i ?? e.items[n]!) } : null;
    }
    case "not": {
      const item = renameIn(e.item, from, to);
      return item ? { ...e, item } : null;
    }
    default:
      return null;
  }
}

/**
 * Expressions name tags, so a rename rewrites the segments and tag rules that use the tag: they keep
 * meaning the same customers.
 */
export async function renameTagInExpressions(scope: Scope, from: string, to: string): Promise<number> {
  let changed = 0;
  for (const table of ["segments", "tag_rules"] as const) {
    const rows = await scope.query<{ id: string; ast: SegmentExpr }>(
      `select id, ast from ${table} where deleted_at is null`,
    );
    for (const row of rows) {
      const ast = renameIn(row.ast, from, to);
      if (!ast) continue;
      await scope.query(`update ${table} set ast = $2, expression = $3, updated_at = now() where id = $1`, [
        row.id,
        JSON.stringify(ast),
        printSegment(ast),
      ]);
      changed++;
    }
  }
  return changed;
}

/**
 * Renames a tag, keeping its id (customers keep it) and rewriting the segments and tag rules that
 * name it. For other modules (a corp tag renamed in WeCom). Returns null when the tag no longer
 * exists or already has that name; throws `conflict` when another tag has the name.
 */
export async function renameTag(
  scope: Scope,
  writer: { platform: Platform; actor: Actor },
  input: { id: string; name: string },
): Promise<{ before: string; after: string } | null> {
  const name = cleanTagName(input.name);
  const [tag] = await scope.query<{ id: string; name: string }>(
    "select id, name from tags where id = $1 and deleted_at is null for update",
    [input.id],
  );
  if (!tag || tag.name === name) return null;
  if (name.toLowerCase() !== tag.name.toLowerCase()) {
    const taken = await scope.query(
      "select 1 from tags where lower(name) = lower($1) and deleted_at is null and id <> $2",
      [name, tag.id],
    );
    if (taken.length) throw new AppError("conflict", "a tag with this name exists");
  }
  await renameTagInExpressions(scope, tag.name, name);
  await scope.query("update tags set name = $2 where id = $1", [tag.id, name]);
  await writer.platform.audit.record(scope, writer.actor, {
    action: "tag.updated",
    targetType: "tag",
    targetId: tag.id,
    data: { before: { name: tag.name }, after: { name } },
  });
  return { before: tag.name, after: name };
}
