/**
 * The visual builder's model and its translation to the segment language of docs/customers-api.md:
 * `tag("VIP") AND NOT tag("流失") AND (attr.city = "上海" OR attr.age >= 30)
 *  AND has_event("order.paid", 30d) AND count_event("order.paid", 90d) >= 3`.
 */

export type Comparison = "=" | "!=" | ">" | ">=" | "<" | "<=" | "contains" | "exists";
export const comparisons: Comparison[] = ["=", "!=", ">", ">=", "<", "<=", "contains", "exists"];

/** `uid` only keys the rows on screen (stable across edits); it is not part of the expression. */
export type Condition = { uid: number } & (
  | { kind: "tag"; negate: boolean; tag: string }
  | { kind: "attr"; field: string; op: Comparison; value: string }
  | { kind: "event"; negate: boolean; event: string; days: number }
  | { kind: "count"; event: string; days: number; op: ">=" | ">" | "<" | "<=" | "="; n: number }
);

let seq = 0;
export const nextUid = () => ++seq;

export type Junction = "AND" | "OR";

export interface Group {
  uid: number;
  kind: "group";
  junction: Junction;
  items: (Condition | Group)[];
}

export type Node = Condition | Group;

export const emptyGroup = (junction: Junction = "AND"): Group => ({
  uid: nextUid(),
  kind: "group",
  junction,
  items: [],
});

export function newCondition(kind: Condition["kind"]): Condition {
  switch (kind) {
    case "tag":
      return { uid: nextUid(), kind, negate: false, tag: "" };
    case "attr":
      return { uid: nextUid(), kind, field: "", op: "=", value: "" };
    case "event":
      return { uid: nextUid(), kind, negate: false, event: "order.paid", days: 30 };
    case "count":
      return { uid: nextUid(), kind, event: "order.paid", days: 90, op: ">=", n: 3 };
  }
}

const quote = (s: string) => JSON.stringify(s);

/** A literal as the user typed it: numbers and booleans bare, everything else quoted. */
function literal(value: string): string {
  const v = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(v) || v === "true" || v === "false") return v;
  return quote(value);
}

/** Text of one condition, or "" while it is incomplete (left out of the expression). */
export function conditionText(c: Condition): string {
  switch (c.kind) {
    case "tag":
      return c.tag ? `${c.negate ? "NOT " : ""}tag(${quote(c.tag)})` : "";
    case "attr":
      if (!c.field) return "";
      if (c.op === "exists") return `exists(${c.field})`;
      return `${c.field} ${c.op} ${literal(c.value)}`;
    case "event":
      return c.event ? `${c.negate ? "NOT " : ""}has_event(${quote(c.event)}, ${c.days}d)` : "";
    case "count":
      return c.event ? `count_event(${quote(c.event)}, ${c.days}d) ${c.op} ${c.n}` : "";
  }
}

export function toExpression(node: Node, nested = false): string {
  if (node.kind !== "group") return conditionText(node);
  const parts = node.items.map((item) => toExpression(item, true)).filter(Boolean);
  if (parts.length === 0) return "";
  const text = parts.join(` ${node.junction} `);
  return nested && parts.length > 1 ? `(${text})` : text;
}

// ---- parsing back, for the subset the builder writes (anything else stays in text mode) ----

type Token = { kind: "word" | "string" | "number" | "op" | "punct" | "duration"; text: string };

function tokenize(src: string): Token[] | null {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      let raw = '"';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === "\\") {
          raw += src[j]! + (src[j + 1] ?? "");
          j += 2;
        } else raw += src[j++]!;
      }
      if (j >= src.length) return null;
      tokens.push({ kind: "string", text: JSON.parse(`${raw}"`) as string });
      i = j + 1;
      continue;
    }
    const two = src.slice(i, i + 2);
    if ([">=", "<=", "!=", "&&", "||"].includes(two)) {
      tokens.push({ kind: "op", text: two === "&&" ? "AND" : two === "||" ? "OR" : two });
      i += 2;
      continue;
    }
    if ("=<>".includes(ch)) {
      tokens.push({ kind: "op", text: ch });
      i++;
      continue;
    }
    if (ch === "!") {
      tokens.push({ kind: "word", text: "NOT" });
      i++;
      continue;
    }
    if ("(),".includes(ch)) {
      tokens.push({ kind: "punct", text: ch });
      i++;
      continue;
    }
    const m = /^(-?\d+(?:\.\d+)?)([dh])?\b/.exec(src.slice(i)) ?? /^[A-Za-z_][\w.]*/.exec(src.slice(i));
    if (!m) return null;
    if (/^-?\d/.test(m[0])) tokens.push({ kind: m[2] ? "duration" : "number", text: m[0] });
    else {
      const upper = m[0].toUpperCase();
      tokens.push({ kind: "word", text: ["AND", "OR", "NOT"].includes(upper) ? upper : m[0] });
    }
    i += m[0].length;
  }
  return tokens;
}

/** Parses what the builder can show; returns null for anything else (the builder then stays in text mode). */
export function parseExpression(src: string): Group | null {
  if (!src.trim()) return emptyGroup();
  const lexed = tokenize(src);
  if (!lexed) return null;
  const tokens: Token[] = lexed;
  let pos = 0;
  const peek = () => tokens[pos];
  const eat = (text: string) => {
    if (peek()?.text === text) {
      pos++;
      return true;
    }
    return false;
  };
  const expect = (text: string) => {
    if (!eat(text)) throw new Error(text);
  };
  const days = (t: Token | undefined) => {
    if (t?.kind !== "duration" || !t.text.endsWith("d")) throw new Error("duration");
    return Number(t.text.slice(0, -1));
  };
  const str = () => {
    const t = tokens[pos++];
    if (t?.kind !== "string") throw new Error("string");
    return t.text;
  };

  function group(): Group {
    const items: Node[] = [primary()];
    let junction: Junction | null = null;
    while (peek()?.text === "AND" || peek()?.text === "OR") {
      const j = tokens[pos++]!.text as Junction;
      if (junction && junction !== j) throw new Error("mixed");
      junction = j;
      items.push(primary());
    }
    return { uid: nextUid(), kind: "group", junction: junction ?? "AND", items };
  }

  function primary(): Node {
    if (eat("(")) {
      const g = group();
      expect(")");
      return g;
    }
    const negate = eat("NOT");
    const t = tokens[pos++];
    if (t?.kind !== "word") throw new Error("word");
    if (t.text === "tag") {
      expect("(");
      const tag = str();
      expect(")");
      return { uid: nextUid(), kind: "tag", negate, tag };
    }
    if (t.text === "has_event") {
      expect("(");
      const event = str();
      expect(",");
      const d = days(tokens[pos++]);
      expect(")");
      return { uid: nextUid(), kind: "event", negate, event, days: d };
    }
    if (negate) throw new Error("negate");
    if (t.text === "count_event") {
      expect("(");
      const event = str();
      expect(",");
      const d = days(tokens[pos++]);
      expect(")");
      const op = tokens[pos++];
      const n = tokens[pos++];
      if (op?.kind !== "op" || op.text === "!=" || !n || n.kind !== "number") throw new Error("count");
      return { uid: nextUid(), kind: "count", event, days: d, op: op.text as ">=", n: Number(n.text) };
    }
    if (t.text === "exists") {
      expect("(");
      const f = tokens[pos++];
      expect(")");
      if (f?.kind !== "word") throw new Error("field");
      return { uid: nextUid(), kind: "attr", field: f.text, op: "exists", value: "" };
    }
    const op = tokens[pos++];
    if (!op || !(op.kind === "op" || op.text === "contains")) throw new Error("op");
    const v = tokens[pos++];
    if (
      !v ||
      (!["string", "number"].includes(v.kind) && !(v.kind === "word" && /^(true|false)$/.test(v.text)))
    )
      throw new Error("value");
    return { uid: nextUid(), kind: "attr", field: t.text, op: op.text as Comparison, value: v.text };
  }

  try {
    const g = group();
    if (pos !== tokens.length) return null;
    // Round-trip check by tokens: what the builder would write must mean exactly what was typed (a quoted
    // "30" would become the number 30, for instance); otherwise the expression stays in text mode.
    return JSON.stringify(tokenize(toExpression(g))) === JSON.stringify(tokens) ? g : null;
  } catch {
    return null;
  }
}
