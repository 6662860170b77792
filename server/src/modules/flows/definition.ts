import {
  checkExpr,
  type FlowDefinition,
  type FlowEdge,
  type FlowNode,
  type FlowValidationError,
  flowNodeParamsSchemas,
  flowNodeTypes,
  flowSettingsSchema,
  flowTriggerKinds,
} from "@siyu/contracts";
import type { z } from "zod";
import type { FlowActionDefinition } from "./actions/registry.ts";

/** Node types that pause a token: a cycle through one of them is a loop in time, not a hot loop. */
const pausing = new Set(["wait", "approval", "task"]);

export interface Graph {
  def: FlowDefinition;
  nodes: Map<string, FlowNode>;
  out: Map<string, FlowEdge[]>;
  inc: Map<string, FlowEdge[]>;
}

export function graphOf(def: FlowDefinition): Graph {
  const nodes = new Map(def.nodes.map((n) => [n.id, n]));
  const out = new Map<string, FlowEdge[]>();
  const inc = new Map<string, FlowEdge[]>();
  for (const e of def.edges) {
    out.set(e.from, [...(out.get(e.from) ?? []), e]);
    inc.set(e.to, [...(inc.get(e.to) ?? []), e]);
  }
  return { def, nodes, out, inc };
}

const zodMessage = (err: z.ZodError) =>
  err.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "params"}: ${i.message}`)
    .join("; ");

/**
 * Publish-time checks. Every error names the node (or edge) at fault, so the designer can mark it and
 * a refused publish lists them in `details.nodeIds`.
 */
export function validateDefinition(
  def: FlowDefinition,
  actions: ReadonlyMap<string, FlowActionDefinition<unknown>>,
  triggerEvents: readonly string[],
): FlowValidationError[] {
  const errors: FlowValidationError[] = [];
  const add = (code: string, message: string, nodeId?: string, edge?: FlowEdge) =>
    errors.push({ code, message, ...(nodeId ? { nodeId } : {}), ...(edge ? { edge } : {}) });
  const settings = flowSettingsSchema.safeParse(def.settings ?? {});
  if (!settings.success) add("bad_settings", zodMessage(settings.error));
  const varNames = Object.keys(settings.success ? settings.data.variables : {});

  const seen = new Set<string>();
  for (const n of def.nodes) {
    if (seen.has(n.id)) add("duplicate_node", `node id ${n.id} is used twice`, n.id);
    seen.add(n.id);
  }
  const g = graphOf(def);
  if (def.nodes.length === 0) add("empty", "the flow has no nodes");

  for (const e of def.edges) {
    if (!g.nodes.has(e.from)) add("dangling_edge", `edge from unknown node ${e.from}`, e.from, e);
    if (!g.nodes.has(e.to)) add("dangling_edge", `edge to unknown node ${e.to}`, e.to, e);
  }
  const expr = (nodeId: string, src: unknown, what: string) => {
    if (typeof src !== "string") return;
    const problem = checkExpr(src);
    if (problem) add("bad_expression", `${what}: ${problem.message} (at ${problem.pos})`, nodeId);
  };

  const triggers = def.nodes.filter((n) => n.type === "trigger");
  if (def.nodes.length && triggers.length === 0) add("no_trigger", "a flow needs a trigger node");

  for (const n of def.nodes) {
    if (!(flowNodeTypes as readonly string[]).includes(n.type)) {
      add("unknown_node_type", `unknown node type ${n.type}`, n.id);
      continue;
    }
    const type = n.type as keyof typeof flowNodeParamsSchemas;
    const parsed = flowNodeParamsSchemas[type].safeParse(n.params ?? {});
    if (!parsed.success) {
      add("bad_params", `${n.type} ${n.id}: ${zodMessage(parsed.error)}`, n.id);
      continue;
    }
    const p = parsed.data as Record<string, unknown>;
    const outs = g.out.get(n.id) ?? [];
    const ins = g.inc.get(n.id) ?? [];
    const whens = outs.map((e) => e.when ?? "");
    const need = (w: string) => {
      if (!whens.includes(w)) add("missing_edge", `${n.type} ${n.id} needs an outgoing edge "${w}"`, n.id);
    };
    const only = (allowed: string[]) => {
      for (const e of outs) {
        if (!allowed.includes(e.when ?? ""))
          add("bad_edge", `${n.type} ${n.id} has no outcome "${e.when ?? "(none)"}"`, n.id, e);
      }
    };
    const single = () => {
      if (whens.filter((w) => w === "").length > 1)
        add("ambiguous_edges", `${n.type} ${n.id} has several unlabelled outgoing edges`, n.id);
    };
    switch (type) {
      case "trigger": {
        const ev = String(p.event);
        if (!(flowTriggerKinds as readonly string[]).includes(ev) && !triggerEvents.includes(ev))
          add("unknown_event", `trigger ${n.id}: unknown event ${ev}`, n.id);
        if (ev === "schedule" && (typeof p.cron !== "string" || !cronOk(p.cron)))
          add("bad_params", `trigger ${n.id}: schedule needs a 5-field cron`, n.id);
        if (ev === "segment_entry" && !p.segmentId)
          add("bad_params", `trigger ${n.id}: segment_entry needs segmentId`, n.id);
        expr(n.id, p.filter, "filter");
        if (ins.length) add("trigger_has_input", `trigger ${n.id} cannot have incoming edges`, n.id);
        only([""]);
        single();
        if (!outs.length) add("missing_edge", `trigger ${n.id} leads nowhere`, n.id);
        break;
      }
      case "condition": {
        if ("expression" in p) {
          expr(n.id, p.expression, "expression");
          only(["true", "false", "error"]);
          need("true");
        } else {
          const names = (p.branches as Array<{ name: string; expression: string }>).map((b) => b.name);
          for (const b of p.branches as Array<{ name: string; expression: string }>)
            expr(n.id, b.expression, `branch ${b.name}`);
          only([...names, "default", "error"]);
          if (!outs.length) add("missing_edge", `condition ${n.id} leads nowhere`, n.id);
        }
        break;
      }
      case "wait": {
        if ("event" in p) {
          if (!triggerEvents.includes(String(p.event)))
            add("unknown_event", `wait ${n.id}: unknown event ${String(p.event)}`, n.id);
          expr(n.id, p.filter, "filter");
          only(["event", "timeout"]);
          need("event");
          need("timeout");
        } else {
          if ("until" in p && Number.isNaN(Date.parse(String(p.until)))) expr(n.id, p.until, "until");
          only([""]);
          single();
          if (!outs.length) add("missing_edge", `wait ${n.id} leads nowhere`, n.id);
        }
        break;
      }
      case "action": {
        const action = actions.get(String(p.action));
        if (!action) {
          add("unknown_action", `action ${n.id}: unknown action ${String(p.action)}`, n.id);
          break;
        }
        const { action: _a, retry: _r, onBlocked: _b, ...rest } = p;
        const ap = action.params.safeParse(rest);
        if (!ap.success)
          add("bad_params", `action ${n.id} (${action.action}): ${zodMessage(ap.error)}`, n.id);
        else for (const src of action.expressions?.(ap.data) ?? []) expr(n.id, src, action.action);
        // Outcomes of the action (a sub-flow waited for: completed / failed / cancelled / timeout).
        const extra = ap.success ? (action.outcomes?.(ap.data) ?? []) : [];
        only(["", "error", ...(action.guard ? ["blocked"] : []), ...extra]);
        single();
        break;
      }
      case "approval": {
        for (const t of (p.thresholds as Array<{ when: string }> | undefined) ?? [])
          expr(n.id, t.when, "threshold");
        only(["approved", "rejected", "escalated", "error"]);
        need("approved");
        need("rejected");
        break;
      }
      case "task": {
        const outcomes = (p.outcomes as string[] | undefined) ?? ["done"];
        only([...outcomes, ...(outcomes.length === 1 ? [""] : []), "escalated", "error"]);
        if (!outs.length) add("missing_edge", `task ${n.id} leads nowhere`, n.id);
        break;
      }
      case "parallel":
        only([""]);
        if (outs.length < 2) add("missing_edge", `parallel ${n.id} needs two or more outgoing edges`, n.id);
        break;
      case "join":
        only([""]);
        single();
        if (ins.length < 2) add("missing_edge", `join ${n.id} needs two or more incoming edges`, n.id);
        if (!outs.length) add("missing_edge", `join ${n.id} leads nowhere`, n.id);
        break;
      case "end":
        if (outs.length) add("bad_edge", `end ${n.id} cannot have outgoing edges`, n.id);
        break;
    }
  }
  void varNames;

  // Reachability from the triggers.
  const reached = new Set<string>();
  const stack = triggers.map((t) => t.id);
  while (stack.length) {
    const id = stack.pop()!;
    if (reached.has(id)) continue;
    reached.add(id);
    for (const e of g.out.get(id) ?? []) if (g.nodes.has(e.to)) stack.push(e.to);
  }
  for (const n of def.nodes) {
    if (!reached.has(n.id)) add("unreachable", `node ${n.id} cannot be reached from a trigger`, n.id);
  }

  // Cycles that pass no wait/approval/task would spin without end: strongly connected components.
  for (const comp of stronglyConnected(g)) {
    const looping = comp.length > 1 || (g.out.get(comp[0]!) ?? []).some((e) => e.to === comp[0]);
    if (!looping) continue;
    if (comp.some((id) => pausing.has(g.nodes.get(id)?.type ?? ""))) continue;
    for (const id of comp) add("cycle_without_wait", `node ${id} is on a cycle with no wait`, id);
  }
  return errors;
}

function stronglyConnected(g: Graph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const on = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const e of g.out.get(v) ?? []) {
      const w = e.to;
      if (!g.nodes.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      out.push(comp);
    }
  };
  for (const id of g.nodes.keys()) if (!idx.has(id)) visit(id);
  return out;
}

/** A 5-field cron whose fields are `*`, numbers, ranges, lists and steps. */
export function cronOk(cron: string): boolean {
  const f = cron.trim().split(/\s+/);
  return f.length === 5 && f.every((x) => /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/.test(x));
}

/** Does `cron` fire at minute `d` (fields read in the given parts)? */
export function cronMatches(
  cron: string,
  d: { minute: number; hour: number; day: number; month: number; weekday: number },
): boolean {
  const [mi, h, dom, mo, dow] = cron.trim().split(/\s+/);
  const field = (spec: string, v: number, lo: number, hi: number) =>
    spec.split(",").some((part) => {
      const [range, stepText] = part.split("/");
      const step = Number(stepText ?? 1);
      let a = lo;
      let b = hi;
      if (range !== "*") {
        const [x, y] = range!.split("-");
        a = Number(x);
        b = y === undefined ? (stepText ? hi : a) : Number(y);
      }
      return v >= a && v <= b && (v - a) % step === 0;
    });
  return (
    field(mi!, d.minute, 0, 59) &&
    field(h!, d.hour, 0, 23) &&
    field(dom!, d.day, 1, 31) &&
    field(mo!, d.month, 1, 12) &&
    (field(dow!, d.weekday, 0, 7) || (d.weekday === 0 && field(dow!, 7, 0, 7)))
  );
}
