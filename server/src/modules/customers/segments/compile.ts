import type { SegmentExpr, SegmentPredicate, SegmentWarning } from "@siyu/contracts";
import type { Scope } from "../../../platform/db/index.ts";

/**
 * Compiles a segment tree into a SQL condition over `customers <alias>`: a WHERE fragment whose
 * every literal is a bind parameter. The caller adds the rest of the query (including
 * `merged_into IS NULL AND deleted_at IS NULL`) and appends `params` after its own.
 *
 * Semantics are two-valued: a predicate on a missing attribute is false, so `NOT p` is exactly the
 * customers `p` does not match (`attr.city != "上海"` includes customers with no city).
 *
 * Dates and times without an offset are read in the tenant's time zone (`tenants.timezone`,
 * default Asia/Shanghai), whatever the database session's TimeZone is.
 *
 * Tags are matched by name (case-insensitively, like the unique index on tags) and resolved to the
 * numbers (`tags.num`) of the scope's tenant; an unknown tag is simply false and is reported in
 * `warnings`. Tag tests in one AND become one `tag_nums @> nums` (GIN) plus one
 * `NOT tag_nums && nums`; in one OR, `tag_nums && nums` plus `NOT tag_nums @> nums`.
 */
export interface CompileOptions {
  alias?: string;
  /** Number of the first bind parameter ($n) this fragment may use. */
  firstParam?: number;
}

export interface CompiledCondition {
  sql: string;
  params: unknown[];
  warnings: SegmentWarning[];
}

/**
 * A compiled piece: its SQL, whether it can be NULL (so NOT must coalesce it), and whether it is a
 * join of several pieces (so it needs parentheses inside another join).
 */
type Piece = { sql: string; nullable: boolean; join?: boolean };
const TRUE: Piece = { sql: "true", nullable: false };
const FALSE: Piece = { sql: "false", nullable: false };

const standardColumn: Record<string, string> = {
  name: "name",
  email: "email",
  source: "source",
  lifecycle_stage: "lifecycle_stage",
  created_at: "created_at",
};

export async function compileCondition(
  scope: Scope,
  ast: SegmentExpr,
  options: CompileOptions = {},
): Promise<CompiledCondition> {
  const alias = options.alias ?? "c";
  if (!/^[a-z_][a-z0-9_]*$/i.test(alias)) throw new Error(`invalid alias ${alias}`);
  const tagNums = await resolveTags(scope, collectTags(ast));
  const timeZone = usesLocalTime(ast) ? await tenantTimeZone(scope) : null;
  // Values get placeholders while compiling; branches may be pruned afterwards, so the $n numbers
  // are given at the end to the placeholders that survived, in order of appearance.
  const values: unknown[] = [];
  const param = (v: unknown, cast = "") => {
    values.push(v);
    return `⟦${values.length - 1}⟧${cast}`;
  };
  const c = (col: string) => `${alias}.${col}`;
  const warnings: SegmentWarning[] = [...tagNums.values()]
    .filter((t) => t.num === null)
    .map((t) => ({ code: "unknown_tag" as const, message: `tag "${t.name}" does not exist`, tag: t.name }));
  const numOf = (name: string) => tagNums.get(name.toLowerCase())?.num ?? null;

  const not = (p: Piece): Piece => {
    if (p === TRUE) return FALSE;
    if (p === FALSE) return TRUE;
    return { sql: `NOT ${p.nullable ? `coalesce(${p.sql}, false)` : `(${p.sql})`}`, nullable: false };
  };

  const predicate = (e: SegmentPredicate): Piece => {
    switch (e.type) {
      case "tag": {
        const num = numOf(e.name);
        return num === null
          ? FALSE
          : { sql: `${c("tag_nums")} @> ${param([num], "::int4[]")}`, nullable: false };
      }
      case "has_event":
        return { sql: `EXISTS (${eventsFrom(e.event, e.within)})`, nullable: false };
      case "count_event":
        return {
          sql: `(SELECT count(*) ${eventsFrom(e.event, e.within).slice("SELECT 1 ".length)}) ${e.op} ${param(e.value, "::bigint")}`,
          nullable: false,
        };
      case "exists": {
        if (!e.field.startsWith("attr.")) {
          const col = c(standardColumn[e.field]!);
          return { sql: `(${col} IS NOT NULL AND ${col} <> '')`, nullable: false };
        }
        const v = `${c("attributes")} -> ${param(e.field.slice(5))}`;
        return { sql: `coalesce(jsonb_typeof(${v}) NOT IN ('null'), false)`, nullable: false };
      }
      case "within":
        return {
          sql: `${c("created_at")} >= now() - ${param(interval(e.duration), "::interval")}`,
          nullable: false,
        };
      case "contains": {
        const pattern = `%${e.value.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
        return { sql: `${text(e.field)} ILIKE ${param(pattern)}`, nullable: true };
      }
      case "in":
        if (e.values.every((v) => typeof v === "number"))
          return numeric(e.field, (x) => `${x} = ANY(${param(e.values.map(String), "::numeric[]")})`);
        return { sql: `${text(e.field)} = ANY(${param(e.values.map(String), "::text[]")})`, nullable: true };
      case "compare": {
        const { field, op, value } = e;
        if (op === "!=") return not(predicate({ ...e, op: "=" }));
        if (field === "created_at") {
          // A date or a time without an offset is a wall-clock time in the tenant's zone (never the
          // session's): "created_at >= 2026-11-01" starts at midnight where the tenant is.
          if (typeof value === "string" && !hasOffset(value))
            return {
              sql: `${c("created_at")} ${op} (${param(value, "::timestamp")} AT TIME ZONE ${param(timeZone ?? defaultTimeZone, "::text")})`,
              nullable: false,
            };
          return { sql: `${c("created_at")} ${op} ${param(value, "::timestamptz")}`, nullable: false };
        }
        if (typeof value === "number")
          return numeric(field, (x) => `${x} ${op} ${param(String(value), "::numeric")}`);
        if (typeof value === "boolean")
          return {
            sql: `${c("attributes")} -> ${param(field.slice(5))} = to_jsonb(${param(value, "::boolean")})`,
            nullable: true,
          };
        // Text order uses byte order so ISO dates kept as strings compare as dates.
        const collate = op === "=" ? "" : ' COLLATE "C"';
        return { sql: `${text(field)}${collate} ${op} ${param(value, "::text")}`, nullable: true };
      }
    }
  };

  /** A text view of a field: a column, or an attribute's value as text. */
  const text = (field: string) =>
    field.startsWith("attr.")
      ? `(${c("attributes")} ->> ${param(field.slice(5))})`
      : c(standardColumn[field]!);

  /**
   * A numeric test on an attribute. CASE (not AND) guards the cast: PostgreSQL may evaluate AND's
   * operands in any order, and a string value must never reach `::numeric`.
   */
  const numeric = (field: string, test: (x: string) => string): Piece => {
    const key = param(field.slice(5));
    const v = `${c("attributes")} -> ${key}`;
    return {
      sql: `CASE WHEN jsonb_typeof(${v}) = 'number' THEN ${test(`(${c("attributes")} ->> ${key})::numeric`)} END`,
      nullable: true,
    };
  };

  const eventsFrom = (type: string, within: string | null) =>
    `SELECT 1 FROM customer_events e WHERE e.tenant_id = ${c("tenant_id")} AND e.customer_id = ${c("id")}` +
    ` AND e.type = ${param(type)}` +
    (within ? ` AND e.at >= now() - ${param(interval(within), "::interval")}` : "");

  const node = (e: SegmentExpr): Piece => {
    if (e.type === "not") return not(node(e.item));
    if (e.type !== "and" && e.type !== "or") return predicate(e);
    const isAnd = e.type === "and";
    const absorbing = isAnd ? FALSE : TRUE;
    const neutral = isAnd ? TRUE : FALSE;
    // Tag tests of this node are gathered into at most two array tests.
    const pos: number[] = [];
    const neg: number[] = [];
    const rest: SegmentExpr[] = [];
    for (const item of e.items) {
      const tag =
        item.type === "tag" ? item : item.type === "not" && item.item.type === "tag" ? item.item : null;
      if (!tag) {
        rest.push(item);
        continue;
      }
      const num = numOf(tag.name);
      const negated = item.type === "not";
      // Unknown tag: false, so `tag` absorbs an AND and `NOT tag` absorbs an OR; otherwise it drops out.
      if (num === null) {
        if (negated === isAnd) continue;
        return absorbing;
      }
      (negated ? neg : pos).push(num);
    }
    const pieces: Piece[] = [];
    if (pos.length)
      pieces.push({
        sql: `${c("tag_nums")} ${isAnd ? "@>" : "&&"} ${param(uniq(pos), "::int4[]")}`,
        nullable: false,
      });
    if (neg.length)
      pieces.push({
        sql: `NOT (${c("tag_nums")} ${isAnd ? "&&" : "@>"} ${param(uniq(neg), "::int4[]")})`,
        nullable: false,
      });
    for (const item of rest) {
      const p = node(item);
      if (p === absorbing) return absorbing;
      if (p !== neutral) pieces.push(p);
    }
    if (pieces.length === 0) return neutral;
    if (pieces.length === 1) return pieces[0]!;
    return {
      sql: pieces.map((p) => (p.join ? `(${p.sql})` : p.sql)).join(isAnd ? " AND " : " OR "),
      nullable: pieces.some((p) => p.nullable),
      join: true,
    };
  };

  const first = options.firstParam ?? 1;
  const params: unknown[] = [];
  const numbers = new Map<string, number>();
  const top = node(ast);
  const sql = (top === TRUE || top === FALSE ? top.sql : `(${top.sql})`).replace(
    /⟦(\d+)⟧/g,
    (_, i: string) => {
      let n = numbers.get(i);
      if (n === undefined) {
        n = first + params.length;
        numbers.set(i, n);
        params.push(values[Number(i)]);
      }
      return `$${n}`;
    },
  );
  return { sql, params, warnings };
}

const uniq = <T>(xs: T[]) => [...new Set(xs)];

/** Where a tenant has no zone of its own (the column's default too). */
export const defaultTimeZone = "Asia/Shanghai";

/** "2026-11-01T08:00:00+08:00" or "…Z": an instant; a bare date or time is wall-clock time. */
function hasOffset(value: string): boolean {
  return /[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value);
}

/** Whether the tree compares created_at with a wall-clock value (so the tenant's zone is needed). */
function usesLocalTime(e: SegmentExpr): boolean {
  if (e.type === "not") return usesLocalTime(e.item);
  if (e.type === "and" || e.type === "or") return e.items.some(usesLocalTime);
  return e.type === "compare" && e.field === "created_at";
}

async function tenantTimeZone(scope: Scope): Promise<string> {
  const [row] = await scope.query<{ timezone: string | null }>("SELECT timezone FROM tenants WHERE id = $1", [
    scope.tenantId,
  ]);
  const zone = row?.timezone;
  if (!zone) return defaultTimeZone;
  try {
    // Settings validate the zone; a bad one written around them must not turn counts into 500s.
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone;
  } catch {
    return defaultTimeZone;
  }
}

function interval(d: string): string {
  return `${d.slice(0, -1)} ${d.endsWith("d") ? "days" : "hours"}`;
}

/** lower(name) → name as written. */
function collectTags(e: SegmentExpr, out = new Map<string, string>()): Map<string, string> {
  if (e.type === "tag") out.set(e.name.toLowerCase(), e.name);
  else if (e.type === "not") collectTags(e.item, out);
  else if (e.type === "and" || e.type === "or") for (const x of e.items) collectTags(x, out);
  return out;
}

/** lower(name) → { name as written, id (null when the tenant has no such live tag) }. */
async function resolveTags(
  scope: Scope,
  names: Map<string, string>,
): Promise<Map<string, { name: string; num: number | null }>> {
  const map = new Map([...names].map(([lower, name]) => [lower, { name, num: null as number | null }]));
  if (names.size === 0) return map;
  const rows = await scope.query<{ num: number; lname: string }>(
    "SELECT num, lower(name) AS lname FROM tags WHERE lower(name) = ANY($1::text[]) AND deleted_at IS NULL",
    [[...names.keys()]],
  );
  for (const r of rows) {
    const t = map.get(r.lname);
    if (t) t.num = r.num;
  }
  return map;
}
