/**
 * The flow expression language: a small, safe language for conditions, thresholds and computed
 * values in flow definitions. Parsed here (shared by the server's publish-time validation and the
 * designer), evaluated by walking the tree — never `eval`. Member access reads own properties only,
 * so `__proto__`/`constructor` lead nowhere.
 *
 *   customer.attributes.city == "上海" and hasTag("VIP")
 *   event.amount > 50000 or vars.retries >= 3
 *   "VIP" in customer.tags && !(customer.stage == "churned")
 *
 * Operators: `or ||`, `and &&`, `not !`, `== = != < <= > >=`, `in` (array element or substring),
 * `+ - * / %`, unary `-`, `.name`, `[expr]`, `(…)`, array literals `[a, b]`.
 * Literals: numbers, "strings" / 'strings', true, false, null.
 */

export type ExprNode =
  | { k: "lit"; v: unknown }
  | { k: "id"; name: string }
  | { k: "member"; obj: ExprNode; prop: string }
  | { k: "index"; obj: ExprNode; index: ExprNode }
  | { k: "call"; fn: string; args: ExprNode[] }
  | { k: "array"; items: ExprNode[] }
  | { k: "unary"; op: "!" | "-"; arg: ExprNode }
  | { k: "binary"; op: string; left: ExprNode; right: ExprNode };

export class ExprError extends Error {
  readonly pos: number;
  constructor(message: string, pos: number) {
    super(message);
    this.name = "ExprError";
    this.pos = pos;
  }
}

/** Identifiers an expression may start from. */
export const exprRoots = ["customer", "event", "vars", "instance", "task"] as const;

/** Functions an expression may call, with their arity range. */
export const exprFunctions: Record<string, [number, number]> = {
  hasTag: [1, 1],
  len: [1, 1],
  lower: [1, 1],
  upper: [1, 1],
  contains: [2, 2],
  startsWith: [2, 2],
  number: [1, 1],
  string: [1, 1],
  /** Milliseconds since the epoch of an ISO time (or now with no argument). */
  date: [0, 1],
  now: [0, 0],
  /** Milliseconds of an ISO-8601 duration. */
  duration: [1, 1],
  days: [1, 1],
  hours: [1, 1],
  minutes: [1, 1],
  coalesce: [1, 10],
  exists: [1, 1],
  min: [1, 10],
  max: [1, 10],
};

type Tok = { t: "num" | "str" | "id" | "op" | "eof"; v: string; pos: number };

const ops = [
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "<",
  ">",
  "=",
  "!",
  "+",
  "-",
  "*",
  "/",
  "%",
  "(",
  ")",
  "[",
  "]",
  ".",
  ",",
];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(src[i + 1] ?? ""))) {
      const m = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i))!;
      out.push({ t: "num", v: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = "";
      while (j < src.length && src[j] !== c) {
        if (src[j] === "\\" && j + 1 < src.length) {
          const e = src[j + 1]!;
          s += e === "n" ? "\n" : e === "t" ? "\t" : e;
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new ExprError("unterminated string", i);
      out.push({ t: "str", v: s, pos: i });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_$\u4e00-\u9fff]/.test(c)) {
      const m = /^[A-Za-z_$\u4e00-\u9fff][A-Za-z0-9_$\u4e00-\u9fff]*/.exec(src.slice(i))!;
      out.push({ t: "id", v: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    const op = ops.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprError(`unexpected character "${c}"`, i);
    out.push({ t: "op", v: op, pos: i });
    i += op.length;
  }
  out.push({ t: "eof", v: "", pos: src.length });
  return out;
}

const maxLength = 2000;
const maxDepth = 64;

/** Parses an expression; throws ExprError with the position of the problem. */
export function parseExpr(src: string): ExprNode {
  if (src.length > maxLength) throw new ExprError(`longer than ${maxLength} characters`, maxLength);
  const toks = tokenize(src);
  let p = 0;
  let depth = 0;
  const peek = () => toks[p]!;
  const isOp = (v: string) => peek().t === "op" && peek().v === v;
  const isWord = (v: string) => peek().t === "id" && peek().v === v;
  const expect = (v: string) => {
    if (!isOp(v)) throw new ExprError(`expected "${v}"`, peek().pos);
    p++;
  };
  const enter = () => {
    if (++depth > maxDepth) throw new ExprError("nested too deeply", peek().pos);
  };

  function or(): ExprNode {
    let left = and();
    while (isOp("||") || isWord("or")) {
      p++;
      left = { k: "binary", op: "||", left, right: and() };
    }
    return left;
  }
  function and(): ExprNode {
    let left = not();
    while (isOp("&&") || isWord("and")) {
      p++;
      left = { k: "binary", op: "&&", left, right: not() };
    }
    return left;
  }
  function not(): ExprNode {
    if (isOp("!") || isWord("not")) {
      p++;
      enter();
      const arg = not();
      depth--;
      return { k: "unary", op: "!", arg };
    }
    return cmp();
  }
  function cmp(): ExprNode {
    const left = add();
    const t = peek();
    const op =
      t.t === "op" && ["==", "=", "!=", "<", "<=", ">", ">="].includes(t.v)
        ? t.v === "="
          ? "=="
          : t.v
        : t.t === "id" && t.v === "in"
          ? "in"
          : null;
    if (!op) return left;
    p++;
    return { k: "binary", op, left, right: add() };
  }
  function add(): ExprNode {
    let left = mul();
    while (isOp("+") || isOp("-")) {
      const op = toks[p++]!.v;
      left = { k: "binary", op, left, right: mul() };
    }
    return left;
  }
  function mul(): ExprNode {
    let left = unary();
    while (isOp("*") || isOp("/") || isOp("%")) {
      const op = toks[p++]!.v;
      left = { k: "binary", op, left, right: unary() };
    }
    return left;
  }
  function unary(): ExprNode {
    if (isOp("-")) {
      p++;
      enter();
      const arg = unary();
      depth--;
      return { k: "unary", op: "-", arg };
    }
    return postfix();
  }
  function postfix(): ExprNode {
    let node = primary();
    for (;;) {
      if (isOp(".")) {
        p++;
        const t = peek();
        if (t.t !== "id") throw new ExprError("expected a name after '.'", t.pos);
        p++;
        node = { k: "member", obj: node, prop: t.v };
      } else if (isOp("[")) {
        p++;
        enter();
        const index = or();
        depth--;
        expect("]");
        node = { k: "index", obj: node, index };
      } else if (isOp("(")) {
        const at = peek().pos;
        if (node.k !== "id") throw new ExprError("only named functions can be called", at);
        const range = Object.hasOwn(exprFunctions, node.name) ? exprFunctions[node.name] : undefined;
        if (!range) throw new ExprError(`unknown function ${node.name}`, at);
        p++;
        const args: ExprNode[] = [];
        enter();
        if (!isOp(")")) {
          args.push(or());
          while (isOp(",")) {
            p++;
            args.push(or());
          }
        }
        depth--;
        expect(")");
        if (args.length < range[0] || args.length > range[1])
          throw new ExprError(`${node.name} takes ${range[0]}–${range[1]} arguments`, at);
        node = { k: "call", fn: node.name, args };
      } else return node;
    }
  }
  function primary(): ExprNode {
    const t = peek();
    if (t.t === "num") {
      p++;
      return { k: "lit", v: Number(t.v) };
    }
    if (t.t === "str") {
      p++;
      return { k: "lit", v: t.v };
    }
    if (t.t === "id") {
      p++;
      if (t.v === "true") return { k: "lit", v: true };
      if (t.v === "false") return { k: "lit", v: false };
      if (t.v === "null") return { k: "lit", v: null };
      if (["and", "or", "not", "in"].includes(t.v)) throw new ExprError(`unexpected "${t.v}"`, t.pos);
      return { k: "id", name: t.v };
    }
    if (isOp("(")) {
      p++;
      enter();
      const e = or();
      depth--;
      expect(")");
      return e;
    }
    if (isOp("[")) {
      p++;
      enter();
      const items: ExprNode[] = [];
      if (!isOp("]")) {
        items.push(or());
        while (isOp(",")) {
          p++;
          items.push(or());
        }
      }
      depth--;
      expect("]");
      return { k: "array", items };
    }
    throw new ExprError(t.t === "eof" ? "unexpected end of expression" : `unexpected "${t.v}"`, t.pos);
  }

  const ast = or();
  if (peek().t !== "eof") throw new ExprError(`unexpected "${peek().v}"`, peek().pos);
  return ast;
}

/** Root identifiers the expression reads (for unknown-identifier checks). */
export function exprIdentifiers(ast: ExprNode, out = new Set<string>()): Set<string> {
  switch (ast.k) {
    case "id":
      out.add(ast.name);
      break;
    case "member":
      exprIdentifiers(ast.obj, out);
      break;
    case "index":
      exprIdentifiers(ast.obj, out);
      exprIdentifiers(ast.index, out);
      break;
    case "call":
      for (const a of ast.args) exprIdentifiers(a, out);
      break;
    case "array":
      for (const a of ast.items) exprIdentifiers(a, out);
      break;
    case "unary":
      exprIdentifiers(ast.arg, out);
      break;
    case "binary":
      exprIdentifiers(ast.left, out);
      exprIdentifiers(ast.right, out);
      break;
  }
  return out;
}

/** Null when `src` parses and reads only allowed roots; else the problem. */
export function checkExpr(
  src: string,
  roots: readonly string[] = exprRoots,
): { message: string; pos: number } | null {
  try {
    const ast = parseExpr(src);
    for (const id of exprIdentifiers(ast)) {
      if (!roots.includes(id)) return { message: `unknown identifier ${id}`, pos: src.indexOf(id) };
    }
    return null;
  } catch (err) {
    if (err instanceof ExprError) return { message: err.message, pos: err.pos };
    throw err;
  }
}

/** Milliseconds of an ISO-8601 duration (`P1DT2H`, `PT10M`, `P2W`); months are 30 days, years 365. */
export function durationMs(iso: string): number {
  const m = isoDurationRe.exec(iso);
  if (!m) throw new Error(`not an ISO-8601 duration: ${iso}`);
  const n = (i: number) => Number(m[i] ?? 0);
  const days = n(1) * 365 + n(2) * 30 + n(3) * 7 + n(4);
  return Math.round(((days * 24 + n(5)) * 60 + n(6)) * 60_000 + n(7) * 1000);
}
export const isoDurationRe =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export interface ExprScope {
  customer?: unknown;
  event?: unknown;
  vars?: unknown;
  instance?: unknown;
  task?: unknown;
  /** Clock for now()/date() (tests, dry runs). */
  now?: number;
}

function get(obj: unknown, key: unknown): unknown {
  if (obj === null || obj === undefined) return undefined;
  if (Array.isArray(obj)) {
    if (key === "length") return obj.length;
    return typeof key === "number" ? obj[key] : undefined;
  }
  if (typeof obj === "string") return key === "length" ? obj.length : undefined;
  if (typeof obj !== "object") return undefined;
  const k = String(key);
  return Object.hasOwn(obj, k) ? (obj as Record<string, unknown>)[k] : undefined;
}

const asNum = (v: unknown): number => {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  return Number.NaN;
};

function eq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null) return b === undefined || b === null;
  if (typeof a === "number" || typeof b === "number") return asNum(a) === asNum(b);
  return false;
}

function compare(a: unknown, b: unknown): number | null {
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  const x = asNum(a);
  const y = asNum(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return null;
  return x - y;
}

export const truthy = (v: unknown) =>
  !(v === false || v === null || v === undefined || v === 0 || v === "" || Number.isNaN(v));

/** Evaluates a parsed expression against a scope; never throws for missing data (it reads as null). */
export function evalExpr(ast: ExprNode, scope: ExprScope): unknown {
  const now = scope.now ?? Date.now();
  const ev = (n: ExprNode): unknown => {
    switch (n.k) {
      case "lit":
        return n.v;
      case "id":
        return (exprRoots as readonly string[]).includes(n.name)
          ? scope[n.name as keyof ExprScope]
          : undefined;
      case "member":
        return get(ev(n.obj), n.prop);
      case "index":
        return get(ev(n.obj), ev(n.index));
      case "array":
        return n.items.map(ev);
      case "unary":
        return n.op === "!" ? !truthy(ev(n.arg)) : -asNum(ev(n.arg));
      case "binary": {
        if (n.op === "&&") return truthy(ev(n.left)) && truthy(ev(n.right));
        if (n.op === "||") return truthy(ev(n.left)) || truthy(ev(n.right));
        const a = ev(n.left);
        const b = ev(n.right);
        switch (n.op) {
          case "==":
            return eq(a, b);
          case "!=":
            return !eq(a, b);
          case "<":
          case "<=":
          case ">":
          case ">=": {
            const c = compare(a, b);
            if (c === null) return false;
            return n.op === "<" ? c < 0 : n.op === "<=" ? c <= 0 : n.op === ">" ? c > 0 : c >= 0;
          }
          case "in":
            if (Array.isArray(b)) return b.some((x) => eq(x, a));
            if (typeof b === "string") return typeof a === "string" && b.includes(a);
            return false;
          case "+":
            if (typeof a === "string" || typeof b === "string") return `${a ?? ""}${b ?? ""}`;
            return asNum(a) + asNum(b);
          case "-":
            return asNum(a) - asNum(b);
          case "*":
            return asNum(a) * asNum(b);
          case "/":
            return asNum(a) / asNum(b);
          case "%":
            return asNum(a) % asNum(b);
        }
        return undefined;
      }
      case "call": {
        const args = n.args.map(ev);
        const [a, b] = args;
        switch (n.fn) {
          case "hasTag": {
            const tags = get(scope.customer, "tags");
            return Array.isArray(tags) && tags.includes(a);
          }
          case "len":
            return Array.isArray(a) || typeof a === "string" ? a.length : 0;
          case "lower":
            return typeof a === "string" ? a.toLowerCase() : a;
          case "upper":
            return typeof a === "string" ? a.toUpperCase() : a;
          case "contains":
            return Array.isArray(a)
              ? a.some((x) => eq(x, b))
              : typeof a === "string" && typeof b === "string" && a.includes(b);
          case "startsWith":
            return typeof a === "string" && typeof b === "string" && a.startsWith(b);
          case "number":
            return asNum(a);
          case "string":
            return a === null || a === undefined ? "" : String(a);
          case "date":
            return args.length === 0 ? now : typeof a === "string" ? Date.parse(a) : asNum(a);
          case "now":
            return now;
          case "duration":
            try {
              return durationMs(String(a));
            } catch {
              return Number.NaN;
            }
          case "days":
            return asNum(a) * 86_400_000;
          case "hours":
            return asNum(a) * 3_600_000;
          case "minutes":
            return asNum(a) * 60_000;
          case "coalesce":
            return args.find((x) => x !== null && x !== undefined) ?? null;
          case "exists":
            return a !== null && a !== undefined;
          case "min":
            return Math.min(...args.map(asNum));
          case "max":
            return Math.max(...args.map(asNum));
        }
        return undefined;
      }
    }
  };
  return ev(ast);
}
