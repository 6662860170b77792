import { type ExprNode, type FlowDefinition, parseExpr } from "@siyu/contracts";
import type { Scope } from "../../../platform/db/index.ts";
import { notFound } from "../../../platform/errors.ts";
import { type Graph, graphOf } from "../definition.ts";

// Published versions never change: each process keeps the graphs it runs (bounded).
const graphs = new Map<string, Graph>();
const exprs = new Map<string, ExprNode>();

export async function loadGraph(scope: Scope, flowId: string, version: number): Promise<Graph> {
  const key = `${scope.tenantId}:${flowId}:${version}`;
  const hit = graphs.get(key);
  if (hit) return hit;
  const [row] = await scope.query<{ definition: FlowDefinition }>(
    "select definition from flow_versions where flow_id = $1 and version = $2",
    [flowId, version],
  );
  if (!row) throw notFound("flow version");
  const g = graphOf(row.definition);
  if (graphs.size > 2000) graphs.clear();
  graphs.set(key, g);
  return g;
}

/** Parsed once per process; expressions were checked at publish. */
export function compiled(src: string): ExprNode {
  let ast = exprs.get(src);
  if (!ast) {
    ast = parseExpr(src);
    if (exprs.size > 5000) exprs.clear();
    exprs.set(src, ast);
  }
  return ast;
}
