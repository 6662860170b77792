import {
  Background,
  Controls,
  type Edge,
  Handle,
  MarkerType,
  MiniMap,
  type NodeProps,
  type OnConnect,
  type OnEdgesChange,
  type OnNodesChange,
  Position,
  ReactFlow,
  useReactFlow,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { createContext, type ReactNode, useContext, useMemo } from "react";
import { useTranslation } from "react-i18next";
import { shortDuration } from "./duration.ts";
import { type CanvasEdge, type CanvasNode, edgeKey, type Params } from "./flow-graph.ts";
import { hasInput, hasOutput, lookOf } from "./node-types.tsx";

export interface NodeStat {
  entered: number;
  left: number;
  converted: number;
  failed: number;
  medianMs: number | null;
}

/** What is drawn over the graph: validation errors, a dry-run path, funnel figures, live positions. */
export interface CanvasOverlay {
  errors?: Map<string, string[]>;
  /** Node id → the step numbers (1-based) at which a dry run passed it. */
  path?: Map<string, number[]>;
  pathEdges?: Set<string>;
  stats?: Map<string, NodeStat>;
  current?: Set<string>;
  summarize: (type: string, params: Params) => string;
}

const OverlayContext = createContext<CanvasOverlay>({ summarize: () => "" });

export const paletteMime = "application/x-siyu-flow-node";

function FlowNodeView({ id, data, selected }: NodeProps<CanvasNode>) {
  const { t } = useTranslation();
  const overlay = useContext(OverlayContext);
  const look = lookOf(data.type);
  const errors = overlay.errors?.get(id);
  const steps = overlay.path?.get(id);
  const stat = overlay.stats?.get(id);
  const current = overlay.current?.has(id);
  const border = errors
    ? "#ff4d4f"
    : steps
      ? "#1677ff"
      : current
        ? "#fa8c16"
        : selected
          ? look.color
          : "#d9d9d9";
  const units = {
    d: t("flows.unitsShort.d"),
    h: t("flows.unitsShort.h"),
    m: t("flows.unitsShort.m"),
    s: t("flows.unitsShort.s"),
  };
  return (
    <div
      className="siyu-flow-node"
      data-testid={`flow-node-${id}`}
      data-node-type={data.type}
      data-error={errors ? "true" : undefined}
      data-path={steps ? "true" : undefined}
      style={{
        width: 220,
        background: "#fff",
        border: `2px solid ${border}`,
        borderRadius: 10,
        boxShadow: errors
          ? "0 0 0 4px rgba(255,77,79,0.18)"
          : steps
            ? "0 0 0 4px rgba(22,119,255,0.18)"
            : selected
              ? "0 2px 10px rgba(0,0,0,0.15)"
              : "0 1px 3px rgba(0,0,0,0.08)",
        fontSize: 12,
        position: "relative",
      }}
    >
      {hasInput(data.type) ? (
        <Handle type="target" position={Position.Top} style={{ width: 10, height: 10 }} />
      ) : null}
      {steps ? (
        <div
          data-testid={`flow-node-step-${id}`}
          style={{
            position: "absolute",
            top: -10,
            right: -10,
            background: "#1677ff",
            color: "#fff",
            borderRadius: 10,
            padding: "0 7px",
            fontSize: 11,
            lineHeight: "20px",
          }}
        >
          {steps.join(",")}
        </div>
      ) : null}
      <div
        style={{
          display: "flex",
          alignItems: "center",
          gap: 6,
          padding: "6px 10px",
          borderBottom: "1px solid #f0f0f0",
          color: look.color,
          fontWeight: 600,
        }}
      >
        <span style={{ fontSize: 14 }}>{look.icon}</span>
        <span>{t(`flows.types.${data.type}`, { defaultValue: data.type })}</span>
        <span style={{ marginLeft: "auto", color: "#bfbfbf", fontWeight: 400, fontSize: 11 }}>{id}</span>
      </div>
      <div style={{ padding: "6px 10px", color: "#262626", wordBreak: "break-all" }}>
        {data.label ? <div style={{ fontWeight: 600 }}>{data.label}</div> : null}
        <div style={{ color: data.label ? "#8c8c8c" : "#262626" }}>
          {overlay.summarize(data.type, data.params) || "\u00a0"}
        </div>
      </div>
      {stat ? (
        <div
          data-testid={`flow-node-stats-${id}`}
          style={{
            display: "flex",
            flexWrap: "nowrap",
            gap: 3,
            padding: "4px 6px 6px",
            borderTop: "1px dashed #f0f0f0",
            whiteSpace: "nowrap",
            fontSize: 11,
          }}
        >
          <Badge color="#1677ff" text={`${t("flows.statsShort.entered")} ${stat.entered}`} />
          <Badge color="#52c41a" text={`${t("flows.statsShort.left")} ${stat.left}`} />
          <Badge color="#722ed1" text={`${t("flows.statsShort.converted")} ${stat.converted}`} />
          {stat.failed ? (
            <Badge color="#ff4d4f" text={`${t("flows.statsShort.failed")} ${stat.failed}`} />
          ) : null}
          <Badge
            color="#8c8c8c"
            text={`${t("flows.statsShort.median")} ${shortDuration(stat.medianMs, units)}`}
          />
        </div>
      ) : null}
      {errors ? (
        <div
          data-testid={`flow-node-error-${id}`}
          style={{
            background: "#fff1f0",
            color: "#cf1322",
            borderTop: "1px solid #ffccc7",
            borderRadius: "0 0 8px 8px",
            padding: "4px 10px",
          }}
        >
          {errors.map((e) => (
            <div key={e}>⚠ {e}</div>
          ))}
        </div>
      ) : null}
      {hasOutput(data.type) ? (
        <Handle type="source" position={Position.Bottom} style={{ width: 10, height: 10 }} />
      ) : null}
    </div>
  );
}

function Badge({ color, text }: { color: string; text: string }) {
  return (
    <span style={{ background: `${color}14`, color, borderRadius: 4, padding: "0 5px", lineHeight: "18px" }}>
      {text}
    </span>
  );
}

const nodeTypes = { flow: FlowNodeView };

const whenColor: Record<string, string> = {
  approved: "#52c41a",
  true: "#52c41a",
  event: "#52c41a",
  rejected: "#ff4d4f",
  false: "#ff4d4f",
  error: "#ff4d4f",
  timeout: "#fa8c16",
  escalated: "#fa8c16",
};

/** The label an edge shows for its `when`. */
export function useWhenLabel() {
  const { t } = useTranslation();
  return (when: string | undefined) => (when ? t(`flows.when.${when}`, { defaultValue: when }) : "");
}

export function FlowCanvas({
  nodes,
  edges,
  onNodesChange,
  onEdgesChange,
  onConnect,
  onDropType,
  readOnly,
  overlay,
  height,
  children,
  onPaneClick,
}: {
  nodes: CanvasNode[];
  edges: CanvasEdge[];
  onNodesChange?: OnNodesChange<CanvasNode>;
  onEdgesChange?: OnEdgesChange<CanvasEdge>;
  onConnect?: OnConnect;
  onDropType?: (type: string, position: { x: number; y: number }) => void;
  readOnly?: boolean;
  overlay: CanvasOverlay;
  height: number | string;
  children?: ReactNode;
  onPaneClick?: () => void;
}) {
  const whenLabel = useWhenLabel();
  const flow = useReactFlow();
  const shownEdges = useMemo(
    (): Edge[] =>
      edges.map((e) => {
        const when = e.data?.when;
        const onPath = overlay.pathEdges?.has(edgeKey(e.source, e.target));
        const color = onPath ? "#1677ff" : (when && whenColor[when]) || "#8c8c8c";
        return {
          ...e,
          label: whenLabel(when) || undefined,
          animated: onPath,
          markerEnd: { type: MarkerType.ArrowClosed, color },
          style: {
            stroke: color,
            strokeWidth: onPath || e.selected ? 3 : 1.6,
            strokeDasharray: when === "error" ? "5 4" : undefined,
          },
          labelStyle: { fill: color, fontWeight: 600, fontSize: 12 },
          labelBgStyle: { fill: "#fff" },
          labelBgPadding: [6, 3] as [number, number],
          labelBgBorderRadius: 4,
        };
      }),
    [edges, overlay.pathEdges, whenLabel],
  );
  return (
    <OverlayContext.Provider value={overlay}>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: the drop zone of the palette's drag; the palette also adds on click */}
      <div
        style={{ height, width: "100%", background: "#fafafa", borderRadius: 8, border: "1px solid #f0f0f0" }}
        data-testid="flow-canvas"
        onDragOver={(e) => {
          if (readOnly) return;
          e.preventDefault();
          e.dataTransfer.dropEffect = "move";
        }}
        onDrop={(e) => {
          if (readOnly || !onDropType) return;
          const type = e.dataTransfer.getData(paletteMime) || e.dataTransfer.getData("text/plain");
          if (!type) return;
          e.preventDefault();
          onDropType(type, flow.screenToFlowPosition({ x: e.clientX - 110, y: e.clientY - 30 }));
        }}
      >
        <ReactFlow<CanvasNode, Edge>
          nodes={nodes}
          edges={shownEdges}
          nodeTypes={nodeTypes}
          onNodesChange={readOnly ? undefined : onNodesChange}
          onEdgesChange={readOnly ? undefined : (onEdgesChange as unknown as OnEdgesChange<Edge>)}
          onConnect={readOnly ? undefined : onConnect}
          onPaneClick={onPaneClick}
          nodesDraggable={!readOnly}
          nodesConnectable={!readOnly}
          elementsSelectable
          deleteKeyCode={readOnly ? null : ["Backspace", "Delete"]}
          fitView
          fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
          minZoom={0.2}
          proOptions={{ hideAttribution: true }}
        >
          <Background gap={16} />
          <Controls showInteractive={false} />
          <MiniMap pannable zoomable style={{ width: 140, height: 90 }} />
          {children}
        </ReactFlow>
      </div>
    </OverlayContext.Provider>
  );
}
