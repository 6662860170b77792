import type { SegmentExpr } from "@siyu/contracts";
import type { Scope } from "../../platform/db/index.ts";
import { printSegment } from "./segments/index.ts";

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
