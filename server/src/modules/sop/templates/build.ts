import type {
  FlowDefinition,
  FlowEdge,
  FlowNode,
  FlowSettings,
  FlowTemplateCategory,
  FlowTemplateIndustry,
} from "@siyu/contracts";

/** A template as the catalog holds it (the DTO without nothing computed). */
export interface FlowTemplate {
  key: string;
  name: string;
  description: string;
  category: FlowTemplateCategory;
  industry: FlowTemplateIndustry;
  steps: string[];
  trigger: string;
  uses: string[];
  definition: FlowDefinition;
}

const colWidth = 260;
const laneHeight = 150;

/**
 * Builds a definition laid out left to right: each node sits in a column (`col`) and a lane (`lane`,
 * 0 the main path, ±1 branches above and below), so an installed template reads well on the canvas.
 */
export function graph(
  nodes: Array<{
    id: string;
    type: FlowNode["type"];
    label: string;
    params?: Record<string, unknown>;
    col: number;
    lane?: number;
  }>,
  edges: Array<[from: string, to: string, when?: string]>,
  settings?: Partial<FlowSettings>,
): FlowDefinition {
  return {
    nodes: nodes.map((n) => ({
      id: n.id,
      type: n.type,
      label: n.label,
      params: n.params ?? {},
      position: { x: 60 + n.col * colWidth, y: 240 + (n.lane ?? 0) * laneHeight },
    })),
    edges: edges.map(([from, to, when]): FlowEdge => ({ from, to, ...(when ? { when } : {}) })),
    ...(settings
      ? {
          settings: {
            reentry: settings.reentry ?? { mode: "once" },
            variables: settings.variables ?? {},
          },
        }
      : {}),
  };
}
