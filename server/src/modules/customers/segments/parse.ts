import {
  type SegmentCompareOp,
  type SegmentExpr,
  type SegmentPredicate,
  type SegmentValue,
  segmentExprSchema,
  segmentLimits,
  segmentStandardFields,
} from "@siyu/contracts";
import { AppError } from "../../../platform/errors.ts";
import { isDateOrDateTime } from "../dates.ts";

/**
 * Text → AST for the segment language (grammar below), and AST → canonical text.
 *
 *   expr      := and (("OR" | "||") and)*
 *   and       := unary (("AND" | "&&") unary)*
 *   unary     := ("NOT" | "!") unary | "(" expr ")" | predicate
 *   predicate := tag(STR) | has_event(STR [, DUR]) | count_event(STR [, DUR]) CMP INT | exists(FIELD)
 *              | FIELD CMP value | FIELD contains STR | FIELD in [value, …] | created_at within DUR
 *
 * Keywords are case-insensitive. Every error is `invalid_expression` with `details.position` (0-based
 * character offset) and `details.expected` (what the parser would have accepted there).
 */

type TokenKind = "lparen" | "rparen" | "lbracket" | "rbracket" | "comma" | "op" | "and" | "or" | "not";
type Token =
  | { kind: TokenKind; pos: number; text: string }
  | { kind: "string"; pos: number; text: string; value: string }
  | { kind: "number"; pos: number; text: string; value: number }
  | { kind: "duration"; pos: number; text: string; value: string }
  | { kind: "ident"; pos: number; text: string }
  | { kind: "eof"; pos: number; text: string };

const fail = (message: string, position: number, expected: string[]): never => {
  throw new AppError("invalid_expression", message, { position, expected });
};

const describe = (t: Token) => (t.kind === "eof" ? "the end of the expression" : `"${t.text}"`);

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    const two = src.slice(i, i + 2);
    if (ch === "(" || ch === ")" || ch === "[" || ch === "]" || ch === ",") {
      const kind = (
        { "(": "lparen", ")": "rparen", "[": "lbracket", "]": "rbracket", ",": "comma" } as const
      )[ch];
      tokens.push({ kind, pos: start, text: ch });
      i++;
    } else if (two === "&&") {
      tokens.push({ kind: "and", pos: start, text: two });
      i += 2;
    } else if (two === "||") {
      tokens.push({ kind: "or", pos: start, text: two });
      i += 2;
    } else if (two === "!=" || two === ">=" || two === "<=" || two === "==" || two === "<>") {
      tokens.push({ kind: "op", pos: start, text: two === "==" ? "=" : two === "<>" ? "!=" : two });
      i += 2;
    } else if (ch === "=" || ch === ">" || ch === "<") {
      tokens.push({ kind: "op", pos: start, text: ch });
      i++;
    } else if (ch === "!") {
      tokens.push({ kind: "not", pos: start, text: ch });
      i++;
    } else if (ch === '"') {
      let value = "";
      i++;
      for (;;) {
        if (i >= src.length) fail("unterminated string", start, ['"']);
        const c = src[i]!;
        if (c === '"') break;
        if (c === "\\") {
          const next = src[i + 1];
          const escapes: Record<string, string> = { '"': '"', "\\": "\\", n: "\n", t: "\t" };
          if (next === undefined || escapes[next] === undefined)
            fail(`unknown escape \\${next ?? ""} in string`, i, ['\\"', "\\\\", "\\n", "\\t"]);
          value += escapes[next as string];
          i += 2;
        } else {
          value += c;
          i++;
        }
      }
      i++;
      if (value.length > segmentLimits.maxString)
        fail(`string longer than ${segmentLimits.maxString} characters`, start, ["a shorter string"]);
      tokens.push({ kind: "string", pos: start, text: src.slice(start, i), value });
    } else if (/[0-9]/.test(ch) || (ch === "-" && /[0-9]/.test(src[i + 1] ?? ""))) {
      const m = /^-?[0-9]+(\.[0-9]+)?([dh](?![A-Za-z0-9_]))?/.exec(src.slice(i))!;
      const raw = m[0];
      i += raw.length;
      if (/[A-Za-z_]/.test(src[i] ?? ""))
        fail("malformed number", start, ["a number", "a duration such as 30d"]);
      if (m[2]) {
        if (raw.startsWith("-") || m[1] || !/^[1-9][0-9]{0,5}[dh]$/.test(raw))
          fail(`invalid duration ${raw}`, start, ["a duration such as 30d or 12h (1 to 999999)"]);
        tokens.push({ kind: "duration", pos: start, text: raw, value: raw });
      } else {
        const value = Number(raw);
        if (!Number.isFinite(value) || raw.replace(/[-.]/g, "").length > 18)
          fail("number out of range", start, ["a smaller number"]);
        tokens.push({ kind: "number", pos: start, text: raw, value });
      }
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]*)*/.exec(src.slice(i))!;
      const word = m[0];
      i += word.length;
      const lower = word.toLowerCase();
      if (lower === "and") tokens.push({ kind: "and", pos: start, text: word });
      else if (lower === "or") tokens.push({ kind: "or", pos: start, text: word });
      else if (lower === "not") tokens.push({ kind: "not", pos: start, text: word });
      else tokens.push({ kind: "ident", pos: start, text: word });
    } else {
      fail(`unexpected character "${ch}"`, start, ["a predicate", "AND", "OR", "NOT", "(", ")"]);
    }
  }
  tokens.push({ kind: "eof", pos: src.length, text: "" });
  return tokens;
}

const predicateStarts = ["tag(…)", "has_event(…)", "count_event(…)", "exists(…)", "a field", "NOT", "("];
const fieldNames = [...segmentStandardFields, "attr.<key>"];
const textFields = new Set(["name", "email", "source", "lifecycle_stage"]);

/**
 * Why `op value` cannot apply to `field` (null when it can). Shared by the parser and by
 * `validateSegmentAst`, so text typed by a user and a tree sent by the builder obey the same rules.
 */
export function fieldRuleError(
  field: string,
  op: SegmentCompareOp | "contains" | "in" | "exists" | "within",
  value?: SegmentValue | Array<string | number>,
): string | null {
  const isAttr = field.startsWith("attr.");
  if (!isAttr && !(segmentStandardFields as readonly string[]).includes(field))
    return `unknown field ${field}`;
  if (op === "exists")
    return field === "created_at" || field === "name" ? `exists() is not useful on ${field}` : null;
  if (field === "created_at") {
    if (op === "within") return null;
    if (op === "=" || op === "!=" || op === "contains" || op === "in")
      return "created_at takes >, >=, <, <= with a date, or within <duration>";
    if (typeof value !== "string" || !isDate(value))
      return 'created_at compares with a date string such as "2024-01-31"';
    return null;
  }
  if (op === "within") return "within applies to created_at only";
  if (op === "contains") return typeof value === "string" ? null : "contains takes a string";
  if (op === "in") {
    const list = value as Array<string | number>;
    const strings = list.every((v) => typeof v === "string");
    const numbers = list.every((v) => typeof v === "number");
    if (textFields.has(field)) return strings ? null : `${field} in […] takes strings`;
    return strings || numbers ? null : "in […] takes all strings or all numbers";
  }
  if (textFields.has(field)) {
    if (op !== "=" && op !== "!=") return `${field} takes =, !=, contains, in or exists()`;
    return typeof value === "string" ? null : `${field} compares with a string`;
  }
  if (typeof value === "boolean" && op !== "=" && op !== "!=") return `${op} cannot compare with true/false`;
  return null;
}

/** A real calendar date (and time): PostgreSQL refuses 30 February and year 0 that Date.parse takes. */
function isDate(s: string): boolean {
  return isDateOrDateTime(s);
}

class Parser {
  private i = 0;
  private predicates = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    return this.tokens[this.i++]!;
  }
  private expect<K extends Token["kind"]>(kind: K, expected: string, context: string): Token & { kind: K } {
    const t = this.next();
    if (t.kind !== kind) fail(`expected ${expected} ${context}, found ${describe(t)}`, t.pos, [expected]);
    return t as Token & { kind: K };
  }

  parseAll(): SegmentExpr {
    const expr = this.parseOr(0);
    const t = this.peek();
    if (t.kind !== "eof") {
      const expected = t.kind === "rparen" ? ["AND", "OR", "the end"] : ["AND", "OR", ")"];
      fail(
        t.kind === "rparen" ? `unbalanced ")"` : `expected AND or OR before ${describe(t)}`,
        t.pos,
        expected,
      );
    }
    return expr;
  }

  private parseOr(depth: number): SegmentExpr {
    const items = [this.parseAnd(depth)];
    while (this.peek().kind === "or") {
      this.next();
      items.push(this.parseAnd(depth));
    }
    return join("or", items);
  }

  private parseAnd(depth: number): SegmentExpr {
    const items = [this.parseUnary(depth)];
    while (this.peek().kind === "and") {
      this.next();
      items.push(this.parseUnary(depth));
    }
    return join("and", items);
  }

  private parseUnary(depth: number): SegmentExpr {
    const t = this.peek();
    if (t.kind === "not" || t.kind === "lparen") {
      if (depth + 1 > segmentLimits.maxDepth)
        fail(`expression too deep (more than ${segmentLimits.maxDepth} levels)`, t.pos, [
          "a shallower expression",
        ]);
      this.next();
      if (t.kind === "not") return { type: "not", item: this.parseUnary(depth + 1) };
      const inner = this.parseOr(depth + 1);
      const close = this.next();
      if (close.kind !== "rparen")
        fail(`expected ")" to close "(" at ${t.pos}, found ${describe(close)}`, close.pos, [
          ")",
          "AND",
          "OR",
        ]);
      return inner;
    }
    if (++this.predicates > segmentLimits.maxPredicates)
      fail(`expression too large (more than ${segmentLimits.maxPredicates} predicates)`, t.pos, [
        "fewer predicates",
      ]);
    return this.parsePredicate();
  }

  private parsePredicate(): SegmentPredicate {
    const t = this.next();
    if (t.kind !== "ident") return fail(`expected a predicate, found ${describe(t)}`, t.pos, predicateStarts);
    const word = t.text.toLowerCase();
    if (this.peek().kind === "lparen") {
      this.next();
      const context = `in ${word}(…)`;
      if (word === "tag") {
        const name = this.expect("string", "a tag name in double quotes", context).value;
        this.expect("rparen", ")", context);
        if (!name.trim()) fail("empty tag name", t.pos, ["a tag name"]);
        return { type: "tag", name };
      }
      if (word === "has_event" || word === "count_event") {
        const event = this.expect("string", "an event type in double quotes", context).value;
        if (!event) fail("empty event type", t.pos, ['an event type such as "order.paid"']);
        let within: string | null = null;
        if (this.peek().kind === "comma") {
          this.next();
          within = this.expect("duration", "a duration such as 30d", context).value;
        }
        this.expect("rparen", ")", context);
        if (word === "has_event") return { type: "has_event", event, within };
        const op = this.expect("op", "a comparison (= != > >= < <=)", "after count_event(…)").text;
        const n = this.next();
        if (n.kind !== "number" || !Number.isInteger(n.value) || n.value < 0 || n.value > 1_000_000_000)
          fail(`expected a whole number after count_event(…) ${op}, found ${describe(n)}`, n.pos, [
            "a whole number",
          ]);
        return {
          type: "count_event",
          event,
          within,
          op: op as SegmentCompareOp,
          value: (n as { value: number }).value,
        };
      }
      if (word === "exists") {
        const f = this.expect("ident", "a field", context);
        const field = this.field(f);
        const err = fieldRuleError(field, "exists");
        if (err) fail(err, f.pos, ["attr.<key>", "email", "source", "lifecycle_stage"]);
        this.expect("rparen", ")", context);
        return { type: "exists", field };
      }
      return fail(`unknown function ${t.text}()`, t.pos, ["tag", "has_event", "count_event", "exists"]);
    }
    const field = this.field(t);
    const opTok = this.next();
    if (opTok.kind === "op") {
      const op = opTok.text as SegmentCompareOp;
      const v = this.next();
      const value = literal(v);
      if (value === undefined)
        return fail(`expected a value after ${field} ${op}, found ${describe(v)}`, v.pos, [
          "a string",
          "a number",
          "true",
          "false",
        ]);
      const err = fieldRuleError(field, op, value);
      if (err)
        fail(err, opTok.pos, [field === "created_at" ? "a date string" : "a valid operator and value"]);
      return { type: "compare", field, op, value };
    }
    const opWord = opTok.kind === "ident" ? opTok.text.toLowerCase() : "";
    if (opWord === "contains") {
      const v = this.expect("string", "a string", `after ${field} contains`);
      const err = fieldRuleError(field, "contains", v.value);
      if (err || !v.value)
        fail(err ?? "contains needs a non-empty string", opTok.pos, ["a non-empty string"]);
      return { type: "contains", field, value: v.value };
    }
    if (opWord === "in") {
      this.expect("lbracket", "[", `after ${field} in`);
      const values: Array<string | number> = [];
      for (;;) {
        const v = this.next();
        if (v.kind !== "string" && v.kind !== "number")
          fail(`expected a string or number in the list, found ${describe(v)}`, v.pos, [
            "a string",
            "a number",
          ]);
        values.push((v as { value: string | number }).value);
        if (values.length > 500) fail("list longer than 500 values", v.pos, ["a shorter list"]);
        const sep = this.next();
        if (sep.kind === "rbracket") break;
        if (sep.kind !== "comma")
          fail(`expected "," or "]" in the list, found ${describe(sep)}`, sep.pos, [",", "]"]);
      }
      const err = fieldRuleError(field, "in", values);
      if (err) fail(err, opTok.pos, ["a list of one type"]);
      return { type: "in", field, values };
    }
    if (opWord === "within") {
      const d = this.expect("duration", "a duration such as 7d", `after ${field} within`);
      const err = fieldRuleError(field, "within");
      if (err) fail(err, opTok.pos, ["created_at"]);
      return { type: "within", field, duration: d.value };
    }
    return fail(`expected an operator after ${field}, found ${describe(opTok)}`, opTok.pos, [
      "=",
      "!=",
      ">",
      ">=",
      "<",
      "<=",
      "contains",
      "in",
      ...(field === "created_at" ? ["within"] : []),
    ]);
  }

  private field(t: Token): string {
    const name = t.text;
    if ((segmentStandardFields as readonly string[]).includes(name)) return name;
    if (name.startsWith("attr.")) {
      const key = name.slice(5);
      if (/^[a-z][a-z0-9_]{0,63}$/.test(key)) return name;
      return fail(`invalid attribute key "${key}" (lower case letters, digits, _)`, t.pos + 5, [
        "attr.<key>",
      ]);
    }
    if (/^(tag|has_event|count_event|exists)$/i.test(name))
      return fail(`expected "(" after ${name}`, t.pos + name.length, ["("]);
    return fail(`unknown field ${name}`, t.pos, fieldNames);
  }
}

function literal(t: Token): SegmentValue | undefined {
  if (t.kind === "string" || t.kind === "number") return t.value;
  if (t.kind === "ident" && /^(true|false)$/i.test(t.text)) return t.text.toLowerCase() === "true";
  return undefined;
}

/** Joins children, flattening nested nodes of the same kind so `(a AND b) AND c` is one AND. */
function join(type: "and" | "or", items: SegmentExpr[]): SegmentExpr {
  if (items.length === 1) return items[0]!;
  return { type, items: items.flatMap((x) => (x.type === type ? x.items : [x])) };
}

/** Parses segment text into its AST; throws `invalid_expression` with position and expectations. */
export function parseSegment(text: string): SegmentExpr {
  if (text.length > segmentLimits.maxLength)
    fail(`expression longer than ${segmentLimits.maxLength} characters`, segmentLimits.maxLength, [
      "a shorter expression",
    ]);
  const tokens = tokenize(text);
  if (tokens.length === 1) fail("empty expression", 0, predicateStarts);
  return new Parser(tokens).parseAll();
}

/**
 * Checks a tree that did not come from the parser (the web builder sends JSON): its shape, the
 * limits, and the field/operator rules. Errors carry `details.path` instead of a position.
 */
export function validateSegmentAst(input: unknown): SegmentExpr {
  const parsed = segmentExprSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError("invalid_expression", `invalid expression tree: ${issue?.message ?? "bad shape"}`, {
      path: issue?.path ?? [],
      expected: ["a segment expression tree"],
    });
  }
  let predicates = 0;
  const walk = (e: SegmentExpr, depth: number, path: Array<string | number>) => {
    const bad = (message: string, expected: string[]) => {
      throw new AppError("invalid_expression", message, { path, expected });
    };
    if (depth > segmentLimits.maxDepth)
      bad(`expression too deep (more than ${segmentLimits.maxDepth} levels)`, ["a shallower expression"]);
    if (e.type === "and" || e.type === "or") {
      for (const [i, x] of e.items.entries()) walk(x, depth + 1, [...path, "items", i]);
      return;
    }
    if (e.type === "not") return walk(e.item, depth + 1, [...path, "item"]);
    if (++predicates > segmentLimits.maxPredicates)
      bad(`expression too large (more than ${segmentLimits.maxPredicates} predicates)`, ["fewer predicates"]);
    let err: string | null = null;
    if (e.type === "compare") err = fieldRuleError(e.field, e.op, e.value);
    else if (e.type === "contains") err = fieldRuleError(e.field, "contains", e.value);
    else if (e.type === "in") err = fieldRuleError(e.field, "in", e.values);
    else if (e.type === "exists") err = fieldRuleError(e.field, "exists");
    else if (e.type === "within") err = fieldRuleError(e.field, "within");
    if (err) bad(err, ["a valid operator and value"]);
  };
  walk(parsed.data, 0, []);
  return parsed.data;
}

const quote = (s: string) =>
  `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\t/g, "\\t")}"`;
const value = (v: SegmentValue) => (typeof v === "string" ? quote(v) : String(v));

/** AST → canonical text: `parseSegment(printSegment(ast))` gives back the same tree. */
export function printSegment(e: SegmentExpr): string {
  switch (e.type) {
    case "and":
      return e.items.map((x) => (x.type === "or" ? `(${printSegment(x)})` : printSegment(x))).join(" AND ");
    case "or":
      return e.items.map((x) => (x.type === "and" ? `(${printSegment(x)})` : printSegment(x))).join(" OR ");
    case "not":
      return e.item.type === "and" || e.item.type === "or"
        ? `NOT (${printSegment(e.item)})`
        : `NOT ${printSegment(e.item)}`;
    case "tag":
      return `tag(${quote(e.name)})`;
    case "has_event":
      return `has_event(${quote(e.event)}${e.within ? `, ${e.within}` : ""})`;
    case "count_event":
      return `count_event(${quote(e.event)}${e.within ? `, ${e.within}` : ""}) ${e.op} ${e.value}`;
    case "compare":
      return `${e.field} ${e.op} ${value(e.value)}`;
    case "contains":
      return `${e.field} contains ${quote(e.value)}`;
    case "in":
      return `${e.field} in [${e.values.map(value).join(", ")}]`;
    case "exists":
      return `exists(${e.field})`;
    case "within":
      return `${e.field} within ${e.duration}`;
  }
}
