import type { SegmentExpr } from "@siyu/contracts";
import { describe, expect, it } from "vitest";
import { AppError } from "../../../platform/errors.ts";
import { parseSegment, printSegment, validateSegmentAst } from "./parse.ts";

/** The error a parse throws, with its details. */
function parseError(text: string) {
  try {
    parseSegment(text);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    expect(e.code).toBe("invalid_expression");
    expect(e.status).toBe(400);
    return { message: e.message, ...(e.details as { position: number; expected: string[] }) };
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

describe("parseSegment", () => {
  it("parses the full example from the spec with precedence AND over OR", () => {
    const ast = parseSegment(
      'tag("VIP") AND NOT tag("流失") AND (attr.city = "上海" OR attr.age >= 30) AND has_event("order.paid", 30d) AND count_event("order.paid", 90d) >= 3',
    );
    expect(ast).toEqual({
      type: "and",
      items: [
        { type: "tag", name: "VIP" },
        { type: "not", item: { type: "tag", name: "流失" } },
        {
          type: "or",
          items: [
            { type: "compare", field: "attr.city", op: "=", value: "上海" },
            { type: "compare", field: "attr.age", op: ">=", value: 30 },
          ],
        },
        { type: "has_event", event: "order.paid", within: "30d" },
        { type: "count_event", event: "order.paid", within: "90d", op: ">=", value: 3 },
      ],
    } satisfies SegmentExpr);
  });

  it("binds AND tighter than OR, and accepts symbols and any keyword case", () => {
    expect(parseSegment('tag("a") or tag("b") AND tag("c")')).toEqual({
      type: "or",
      items: [
        { type: "tag", name: "a" },
        {
          type: "and",
          items: [
            { type: "tag", name: "b" },
            { type: "tag", name: "c" },
          ],
        },
      ],
    });
    expect(parseSegment('!tag("a") && tag("b") || Tag("c")')).toEqual(
      parseSegment('NOT tag("a") AND tag("b") OR tag("c")'),
    );
    expect(parseSegment('not TAG("a") aNd tag("b")')).toEqual(parseSegment('NOT tag("a") AND tag("b")'));
  });

  it("flattens nested groups of the same operator", () => {
    expect(parseSegment('(tag("a") AND (tag("b") AND tag("c"))) AND tag("d")')).toEqual({
      type: "and",
      items: ["a", "b", "c", "d"].map((name) => ({ type: "tag", name })),
    });
  });

  it("parses every predicate form", () => {
    expect(parseSegment('name contains "张"')).toEqual({ type: "contains", field: "name", value: "张" });
    expect(parseSegment('attr.level in ["gold", "silver"]')).toEqual({
      type: "in",
      field: "attr.level",
      values: ["gold", "silver"],
    });
    expect(parseSegment("attr.size in [1, 2.5, -3]")).toEqual({
      type: "in",
      field: "attr.size",
      values: [1, 2.5, -3],
    });
    expect(parseSegment("exists(attr.birthday)")).toEqual({ type: "exists", field: "attr.birthday" });
    expect(parseSegment("created_at within 7d")).toEqual({
      type: "within",
      field: "created_at",
      duration: "7d",
    });
    expect(parseSegment('created_at >= "2024-01-31"')).toEqual({
      type: "compare",
      field: "created_at",
      op: ">=",
      value: "2024-01-31",
    });
    expect(parseSegment("attr.vip = TRUE")).toEqual({
      type: "compare",
      field: "attr.vip",
      op: "=",
      value: true,
    });
    expect(parseSegment('has_event("form.submitted")')).toEqual({
      type: "has_event",
      event: "form.submitted",
      within: null,
    });
    expect(parseSegment('count_event("x", 12h) < 2')).toMatchObject({ within: "12h", op: "<", value: 2 });
    expect(parseSegment('source != "youzan"')).toMatchObject({ op: "!=" });
    expect(parseSegment('lifecycle_stage == "lead"')).toMatchObject({ op: "=" });
  });

  it("reads escapes in strings and keeps injection-looking text as plain data", () => {
    expect(parseSegment(String.raw`tag("say \"hi\" \\ now")`)).toEqual({
      type: "tag",
      name: 'say "hi" \\ now',
    });
    expect(parseSegment(`tag("x') or 1=1 --")`)).toEqual({ type: "tag", name: "x') or 1=1 --" });
    expect(parseSegment(`attr.city = "'; drop table customers; --"`)).toMatchObject({
      value: "'; drop table customers; --",
    });
  });

  it("reports malformed input with its position and what was expected", () => {
    expect(parseError("")).toMatchObject({ message: "empty expression", position: 0 });
    expect(parseError("   ")).toMatchObject({ message: "empty expression" });
    expect(parseError('(tag("a") AND tag("b")')).toMatchObject({
      position: 22,
      expected: [")", "AND", "OR"],
    });
    expect(parseError('tag("a"))')).toMatchObject({ message: 'unbalanced ")"', position: 8 });
    expect(parseError('tag("abc')).toMatchObject({ message: "unterminated string", position: 4 });
    expect(parseError('tagz("a")')).toMatchObject({ message: "unknown function tagz()", position: 0 });
    expect(parseError('city = "x"')).toMatchObject({ message: "unknown field city", position: 0 });
    expect(parseError('attr.City = "x"').position).toBe(5);
    expect(parseError('attr.city ~ "x"')).toMatchObject({
      message: 'unexpected character "~"',
      position: 10,
    });
    expect(parseError('attr.city like "x"')).toMatchObject({ position: 10 });
    expect(parseError('attr.city like "x"').expected).toContain("contains");
    expect(parseError('tag("a") tag("b")')).toMatchObject({ position: 9, expected: ["AND", "OR", ")"] });
    expect(parseError('tag("a") AND')).toMatchObject({ position: 12 });
    expect(parseError("tag(VIP)")).toMatchObject({ position: 4, expected: ["a tag name in double quotes"] });
    expect(parseError('has_event("x", 30days)').position).toBe(15);
    expect(parseError('has_event("x", 0d)').position).toBe(15);
    expect(parseError('count_event("x") >= 1.5').position).toBe(20);
    expect(parseError('count_event("x")').expected).toEqual(["a comparison (= != > >= < <=)"]);
    expect(parseError(String.raw`tag("a\q")`).position).toBe(6);
    expect(parseError('tag("")').message).toBe("empty tag name");
    expect(parseError("attr.age >").position).toBe(10);
  });

  it("enforces field, operator and value rules", () => {
    expect(parseError("name = 3").message).toBe("name compares with a string");
    expect(parseError('email > "a"').message).toContain("email takes");
    expect(parseError('created_at = "2024-01-01"').message).toContain("created_at takes");
    expect(parseError('created_at > "yesterday"').message).toContain("date string");
    expect(parseError('created_at > "2024-13-45"').message).toContain("date string");
    expect(parseError("attr.vip > true").message).toContain("cannot compare with true/false");
    expect(parseError('attr.x in ["a", 1]').message).toContain("all strings or all numbers");
    expect(parseError("attr.since within 3d").message).toBe("within applies to created_at only");
    expect(parseError("exists(created_at)").message).toContain("not useful");
  });

  it("limits length, depth and size", () => {
    expect(parseError(`tag("${"x".repeat(4000)}")`).message).toContain("longer than 4000");
    const deep = `${"(".repeat(21)}tag("a")${")".repeat(21)}`;
    expect(parseError(deep).message).toContain("too deep");
    expect(parseSegment(`${"(".repeat(20)}tag("a")${")".repeat(20)}`)).toEqual({ type: "tag", name: "a" });
    expect(parseError(`${"NOT ".repeat(21)}tag("a")`).message).toContain("too deep");
    const many = Array.from({ length: 101 }, (_, i) => `tag("t${i}")`).join(" OR ");
    expect(parseError(many).message).toContain("too large");
    expect(parseSegment(Array.from({ length: 100 }, (_, i) => `tag("t${i}")`).join(" OR "))).toMatchObject({
      type: "or",
    });
  });
});

describe("printSegment", () => {
  const samples = [
    'tag("VIP") AND NOT tag("流失") AND (attr.city = "上海" OR attr.age >= 30) AND has_event("order.paid", 30d) AND count_event("order.paid", 90d) >= 3',
    'NOT (tag("a") OR tag("b")) OR (attr.x != -1.5 AND name contains "50%_off")',
    String.raw`tag("q\"uote\\") AND attr.tier in ["a", "b"] AND attr.n in [1, 2]`,
    'exists(attr.birthday) AND created_at within 7d AND created_at < "2024-01-01T08:00:00+08:00"',
    'NOT NOT has_event("x") AND attr.vip = false',
  ];
  it.each(samples)("round-trips %s", (text) => {
    const ast = parseSegment(text);
    const printed = printSegment(ast);
    expect(parseSegment(printed)).toEqual(ast);
    expect(printSegment(parseSegment(printed))).toBe(printed);
  });

  it("prints canonical text", () => {
    expect(printSegment(parseSegment('tag("a") && !(tag("b") || attr.x>=2)'))).toBe(
      'tag("a") AND NOT (tag("b") OR attr.x >= 2)',
    );
  });
});

describe("validateSegmentAst", () => {
  it("accepts a builder tree and rejects bad shapes and rules with a path", () => {
    const ast = {
      type: "and",
      items: [
        { type: "tag", name: "a" },
        { type: "exists", field: "attr.b" },
      ],
    };
    expect(validateSegmentAst(ast)).toEqual(ast);
    expect(() => validateSegmentAst({ type: "tag" })).toThrow(AppError);
    expect(() => validateSegmentAst({ type: "compare", field: "attr.Bad", op: "=", value: 1 })).toThrow(
      AppError,
    );
    try {
      validateSegmentAst({ type: "not", item: { type: "compare", field: "name", op: ">", value: "x" } });
      throw new Error("should fail");
    } catch (err) {
      expect((err as AppError).code).toBe("invalid_expression");
      expect((err as AppError).details).toMatchObject({ path: ["item"] });
    }
    let deep: unknown = { type: "tag", name: "a" };
    for (let i = 0; i < 21; i++) deep = { type: "not", item: deep };
    expect(() => validateSegmentAst(deep)).toThrow(/too deep/);
  });
});
