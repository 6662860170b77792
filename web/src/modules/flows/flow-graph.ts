import type { FlowDefinition, FlowEdge, FlowNode, FlowNodeType } from "@siyu/contracts";
import type { Edge, Node } from "@xyflow/react";
import { defaultParams } from "./node-types.tsx";

export type Params = Record<string, unknown>;
export type FlowNodeData = { type: string; params: Params; label?: string };
export type CanvasNode = Node<FlowNodeData, "flow">;
export type CanvasEdge = Edge<{ when?: string }>;

export const edgeKey = (from: string, to: string) => `${from}->${to}`;

let edgeSeq = 0;
export function newEdgeId(from: string, to: string): string {
  edgeSeq += 1;
  return `e-${from}-${to}-${Date.now().toString(36)}-${edgeSeq}`;
}

/** A readable unique id: `approval_2`. */
export function newNodeId(type: string, existing: ReadonlyArray<{ id: string }>): string {
  const ids = new Set(existing.map((n) => n.id));
  for (let i = 1; ; i++) {
    const id = `${type}_${i}`;
    if (!ids.has(id)) return id;
  }
}

export function newNode(
  type: FlowNodeType,
  position: { x: number; y: number },
  existing: CanvasNode[],
): CanvasNode {
  return {
    id: newNodeId(type, existing),
    type: "flow",
    position,
    data: { type, params: defaultParams(type) },
  };
}

/** Positions for nodes saved without any (drafts made through the API): layers by distance from a trigger. */
function autoLayout(def: FlowDefinition): Map<string, { x: number; y: number }> {
  const depth = new Map<string, number>();
  const queue = def.nodes.filter((n) => n.type === "trigger").map((n) => n.id);
  for (const id of queue) depth.set(id, 0);
  while (queue.length) {
    const id = queue.shift() as string;
    for (const e of def.edges.filter((x) => x.from === id)) {
      if (!depth.has(e.to)) {
        depth.set(e.to, (depth.get(id) ?? 0) + 1);
        queue.push(e.to);
      }
    }
  }
  const perLayer = new Map<number, number>();
  const out = new Map<string, { x: number; y: number }>();
  for (const n of def.nodes) {
    const d = depth.get(n.id) ?? 0;
    const col = perLayer.get(d) ?? 0;
    perLayer.set(d, col + 1);
    out.set(n.id, { x: 80 + col * 260, y: 40 + d * 150 });
  }
  return out;
}

export function toCanvas(def: FlowDefinition): { nodes: CanvasNode[]; edges: CanvasEdge[] } {
  const layout = autoLayout(def);
  return {
    nodes: def.nodes.map((n) => ({
      id: n.id,
      type: "flow",
      position: n.position ?? layout.get(n.id) ?? { x: 0, y: 0 },
      data: { type: n.type, params: { ...(n.params ?? {}) }, label: n.label },
    })),
    edges: def.edges.map((e) => ({
      id: newEdgeId(e.from, e.to),
      source: e.from,
      target: e.to,
      data: { when: e.when },
    })),
  };
}

export function toDefinition(
  nodes: CanvasNode[],
  edges: CanvasEdge[],
  settings?: FlowDefinition["settings"],
): FlowDefinition {
  const def: FlowDefinition = {
    nodes: nodes.map(
      (n): FlowNode => ({
        id: n.id,
        type: n.data.type,
        params: n.data.params,
        position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
        ...(n.data.label ? { label: n.data.label } : {}),
      }),
    ),
    edges: edges.map(
      (e): FlowEdge => ({ from: e.source, to: e.target, ...(e.data?.when ? { when: e.data.when } : {}) }),
    ),
  };
  if (settings) def.settings = settings;
  return def;
}

/** Node ids in a walk from the triggers (for charts that follow the flow's order). */
export function orderedNodeIds(def: FlowDefinition): string[] {
  const seen: string[] = [];
  const queue = def.nodes.filter((n) => n.type === "trigger").map((n) => n.id);
  while (queue.length) {
    const id = queue.shift() as string;
    if (seen.includes(id)) continue;
    seen.push(id);
    for (const e of def.edges.filter((x) => x.from === id)) queue.push(e.to);
  }
  for (const n of def.nodes) if (!seen.includes(n.id)) seen.push(n.id);
  return seen;
}
