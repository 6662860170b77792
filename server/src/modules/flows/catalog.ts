import { flowNodeParamsSchemas, flowNodeTypes } from "@siyu/contracts";
import { z } from "zod";
import type { Platform } from "../../platform/platform.ts";
import { flowActions, flowTriggerEvents } from "./actions/registry.ts";

/** Outcome edges (`when`) each node type may have; null = named by its params (branches, outcomes). */
export const nodeOutcomes: Record<string, string[] | null> = {
  trigger: [],
  condition: null,
  wait: ["event", "timeout"],
  // `blocked`: guarded actions; completed/failed/cancelled/timeout: `flow.start` with `wait`.
  action: ["error", "blocked", "completed", "failed", "cancelled", "timeout"],
  approval: ["approved", "rejected", "escalated", "error"],
  task: null,
  parallel: [],
  join: [],
  end: [],
};

function jsonSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  } catch {
    return {};
  }
}

/** The node type catalog: type → params JSON Schema, actions with theirs, events triggers know. */
export function nodeCatalog(platform: Platform) {
  return {
    nodeTypes: flowNodeTypes.map((type) => ({
      type,
      paramsSchema: jsonSchema(flowNodeParamsSchemas[type]),
      outcomes: nodeOutcomes[type] ?? null,
    })),
    actions: [...flowActions(platform).values()].map((a) => ({
      action: a.action,
      title: a.title,
      paramsSchema: jsonSchema(a.params),
      kind: a.kind,
    })),
    triggerEvents: [...flowTriggerEvents(platform), "schedule", "segment_entry", "webhook", "manual"],
  };
}
