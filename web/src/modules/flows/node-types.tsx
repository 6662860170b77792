import {
  AuditOutlined,
  BranchesOutlined,
  CheckSquareOutlined,
  ClockCircleOutlined,
  ForkOutlined,
  MergeCellsOutlined,
  PlayCircleOutlined,
  StopOutlined,
  ThunderboltOutlined,
} from "@ant-design/icons";
import { type FlowNodeType, flowNodeTypes } from "@siyu/contracts";
import type { ReactNode } from "react";

/** How each node type looks on the canvas and in the palette (labels live in i18n `flows.types`). */
export const nodeLook: Record<FlowNodeType, { icon: ReactNode; color: string }> = {
  trigger: { icon: <PlayCircleOutlined />, color: "#07c160" },
  condition: { icon: <BranchesOutlined />, color: "#fa8c16" },
  wait: { icon: <ClockCircleOutlined />, color: "#722ed1" },
  action: { icon: <ThunderboltOutlined />, color: "#1677ff" },
  approval: { icon: <AuditOutlined />, color: "#eb2f96" },
  task: { icon: <CheckSquareOutlined />, color: "#13c2c2" },
  parallel: { icon: <ForkOutlined />, color: "#597ef7" },
  join: { icon: <MergeCellsOutlined />, color: "#597ef7" },
  end: { icon: <StopOutlined />, color: "#8c8c8c" },
};

export const paletteTypes: readonly FlowNodeType[] = flowNodeTypes;

export const isNodeType = (type: string): type is FlowNodeType =>
  (flowNodeTypes as readonly string[]).includes(type);

export const lookOf = (type: string) =>
  isNodeType(type) ? nodeLook[type] : { icon: <ThunderboltOutlined />, color: "#bfbfbf" };

/** Whether a node of this type has an incoming / outgoing handle. */
export const hasInput = (type: string) => type !== "trigger";
export const hasOutput = (type: string) => type !== "end";

/**
 * The `when` values an edge out of this node may carry, given its params; "" is the normal way on.
 * Mirrors the engine's publish checks (server/src/modules/flows/definition.ts), so the edge panel
 * never offers an outcome that publish refuses.
 */
export function outcomesOf(type: string, params: Record<string, unknown>): string[] {
  switch (type) {
    case "condition": {
      const branches = params.branches as Array<{ name?: string }> | undefined;
      if (Array.isArray(branches))
        return [...branches.map((b) => b.name ?? "").filter(Boolean), "default", "error"];
      return ["true", "false", "error"];
    }
    case "wait":
      return "event" in params ? ["event", "timeout"] : [""];
    case "action":
      // A sub-flow waited for ends one of these ways (mirrors `flow.start`'s `outcomes`).
      if (params.action === "flow.start" && params.wait === true)
        return [
          "",
          "completed",
          "failed",
          "cancelled",
          ...(typeof params.timeout === "string" ? ["timeout"] : []),
          "error",
        ];
      return ["", "error"];
    case "approval":
      return ["approved", "rejected", "escalated", "error"];
    case "task": {
      const outcomes = (params.outcomes as string[] | undefined)?.filter(Boolean) ?? ["done"];
      return [...(outcomes.length === 1 ? [""] : []), ...outcomes, "escalated", "error"];
    }
    case "end":
      return [];
    default:
      return [""];
  }
}

/** The `when` a new edge from this node gets: the first outcome no other edge from it uses yet. */
export function defaultWhen(type: string, params: Record<string, unknown>, used: string[]): string {
  const options = outcomesOf(type, params).filter((o) => o !== "error" && o !== "escalated");
  return options.find((o) => !used.includes(o)) ?? options[0] ?? "";
}

/** Default params of a new node, so it starts close to valid and the form shows the usual choice. */
export function defaultParams(type: FlowNodeType): Record<string, unknown> {
  switch (type) {
    case "trigger":
      return { event: "customer.tag_added" };
    case "condition":
      return { expression: "" };
    case "wait":
      return { duration: "P1D" };
    case "action":
      return { action: "customer.add_tag" };
    case "approval":
      return { title: "", assignee: { role: "admin" }, mode: "any" };
    case "task":
      return { title: "", assignee: { owner: true } };
    case "join":
      return { mode: "all" };
    case "end":
      return { status: "completed" };
    default:
      return {};
  }
}
