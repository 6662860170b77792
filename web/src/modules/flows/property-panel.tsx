import { DeleteOutlined, LinkOutlined } from "@ant-design/icons";
import { Alert, Button, Collapse, Divider, Empty, Flex, Form, Input, Select, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useWhenLabel } from "./flow-canvas.tsx";
import type { CanvasEdge, CanvasNode, FlowNodeData } from "./flow-graph.ts";
import type { FlowCatalog } from "./flows.api.ts";
import { actionLabel } from "./node-summary.ts";
import { hasInput, hasOutput, lookOf, outcomesOf } from "./node-types.tsx";
import { initialValue, type JsonSchema, SchemaForm } from "./schema-form.tsx";
import { WebhookTriggerPanel } from "./webhook-panel.tsx";

type Obj = Record<string, unknown>;

export interface PanelProps {
  /** The flow being edited (webhook triggers show their URL). */
  flowId?: string;
  nodes: CanvasNode[];
  edges: CanvasEdge[];
  catalog: FlowCatalog;
  readOnly: boolean;
  errors?: Map<string, string[]>;
  onNodeData: (id: string, data: FlowNodeData) => void;
  onDeleteNode: (id: string) => void;
  onEdgeWhen: (edgeId: string, when: string) => void;
  onDeleteEdge: (edgeId: string) => void;
  onAddEdge: (from: string, to: string) => void;
}

/** Properties of the selected node (or edge), generated from the catalog's params JSON Schemas. */
export function PropertyPanel(props: PanelProps & { nodeId: string | null; edgeId: string | null }) {
  const { t } = useTranslation();
  const node = props.nodes.find((n) => n.id === props.nodeId);
  const edge = props.edges.find((e) => e.id === props.edgeId);
  if (node) return <NodePanel key={node.id} {...props} node={node} />;
  if (edge) return <EdgePanel {...props} edge={edge} />;
  return (
    <Empty
      image={Empty.PRESENTED_IMAGE_SIMPLE}
      description={t("flows.panel.nothingSelected")}
      data-testid="flow-panel-empty"
    />
  );
}

function nodeName(t: (k: string) => string, n: CanvasNode | undefined, id: string) {
  if (!n) return id;
  return `${n.data.label || t(`flows.types.${n.data.type}`)} (${n.id})`;
}

function NodePanel({ node, ...p }: PanelProps & { node: CanvasNode }) {
  const { t } = useTranslation();
  const whenLabel = useWhenLabel();
  const [target, setTarget] = useState<string>();
  const { type, params } = node.data;
  const look = lookOf(type);
  const info = p.catalog.nodeTypes.find((n) => n.type === type);
  const nodeSchema = (info?.paramsSchema ?? {}) as JsonSchema;
  const set = (patch: Partial<FlowNodeData>) => p.onNodeData(node.id, { ...node.data, ...patch });
  const setParams = (next: Obj) => set({ params: next });
  const ctx = {
    nodeType: type,
    triggerEvents: p.catalog.triggerEvents,
    params,
    testId: "prop",
  };
  const outs = p.edges.filter((e) => e.source === node.id);
  const options = outcomesOf(type, params);
  const errors = p.errors?.get(node.id);

  let form: React.ReactNode;
  if (type === "action") {
    const actionName = typeof params.action === "string" ? params.action : undefined;
    const action = p.catalog.actions.find((a) => a.action === actionName);
    const { action: _a, retry, ...rest } = params;
    const retrySchema: JsonSchema = {
      type: "object",
      properties: { retry: (nodeSchema.properties?.retry ?? {}) as JsonSchema },
    };
    form = (
      <>
        <Form.Item label={t("flows.fields.action")} required style={{ marginBottom: 12 }}>
          <Select
            value={actionName}
            data-testid="prop-action"
            showSearch={{ optionFilterProp: "label" }}
            onChange={(a: string) => {
              const next = p.catalog.actions.find((x) => x.action === a);
              const init = next ? (initialValue(next.paramsSchema as JsonSchema) as Obj) : {};
              setParams({ action: a, ...init, ...(retry ? { retry } : {}) });
            }}
            options={p.catalog.actions.map((a) => ({
              value: a.action,
              label: actionLabel(t, a.action, a.title),
            }))}
          />
        </Form.Item>
        {action ? (
          <SchemaForm
            schema={action.paramsSchema as JsonSchema}
            value={rest}
            ctx={{ ...ctx, action: action.action }}
            onChange={(v) => setParams({ action: actionName, ...v, ...(retry ? { retry } : {}) })}
          />
        ) : null}
        <Collapse
          size="small"
          ghost
          items={[
            {
              key: "retry",
              label: t("flows.panel.advanced"),
              children: (
                <SchemaForm
                  schema={retrySchema}
                  value={retry ? { retry } : {}}
                  ctx={ctx}
                  onChange={(v) => setParams({ ...params, retry: v.retry })}
                />
              ),
            },
          ]}
        />
      </>
    );
  } else {
    form = <SchemaForm schema={nodeSchema} value={params} ctx={ctx} onChange={setParams} />;
  }

  return (
    <div data-testid="flow-panel" data-node-id={node.id}>
      <Flex align="center" gap={8} style={{ marginBottom: 12 }}>
        <span style={{ color: look.color, fontSize: 18 }}>{look.icon}</span>
        <Typography.Title level={5} style={{ margin: 0 }}>
          {t(`flows.types.${type}`, { defaultValue: type })}
        </Typography.Title>
        <Typography.Text type="secondary" copyable style={{ marginLeft: "auto", fontSize: 12 }}>
          {node.id}
        </Typography.Text>
      </Flex>
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
        {t(`flows.typeHelp.${type}`, { defaultValue: "" })}
      </Typography.Paragraph>
      {errors ? (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 12 }}
          title={errors.map((e) => <div key={e}>{e}</div>)}
        />
      ) : null}
      {type === "trigger" && params.event === "webhook" && p.flowId ? (
        <WebhookTriggerPanel flowId={p.flowId} nodeId={node.id} readOnly={p.readOnly} />
      ) : null}
      {type === "trigger" && params.event === "segment_entry" ? (
        <Typography.Paragraph type="secondary" style={{ fontSize: 12 }} data-testid="prop-segment-hint">
          {t("flows.webhook.segmentHint")}
        </Typography.Paragraph>
      ) : null}
      <fieldset disabled={p.readOnly} style={{ border: 0, padding: 0, margin: 0, minWidth: 0 }}>
        <Form layout="vertical" size="small" component="div">
          <Form.Item label={t("flows.fields.label")} style={{ marginBottom: 12 }}>
            <Input
              value={node.data.label ?? ""}
              placeholder={t("flows.panel.labelPlaceholder")}
              data-testid="prop-label"
              onChange={(e) => set({ label: e.target.value || undefined })}
            />
          </Form.Item>
          {form}
        </Form>
        {hasOutput(type) ? (
          <>
            <Divider style={{ margin: "8px 0" }} titlePlacement="start" plain>
              {t("flows.panel.outgoing")}
            </Divider>
            <Flex vertical gap={6} data-testid="prop-outgoing">
              {outs.map((e) => (
                <Flex key={e.id} gap={6} align="center">
                  <span style={{ flex: 1, fontSize: 12 }}>
                    →{" "}
                    {nodeName(
                      t,
                      p.nodes.find((n) => n.id === e.target),
                      e.target,
                    )}
                  </span>
                  <Select
                    size="small"
                    style={{ width: 110 }}
                    value={e.data?.when ?? ""}
                    data-testid={`prop-edge-when-${e.target}`}
                    onChange={(w: string) => p.onEdgeWhen(e.id, w)}
                    options={[...new Set([...options, e.data?.when ?? ""])].map((o) => ({
                      value: o,
                      label: whenLabel(o) || t("flows.when.next"),
                    }))}
                  />
                  <Button
                    size="small"
                    type="text"
                    danger
                    icon={<DeleteOutlined />}
                    onClick={() => p.onDeleteEdge(e.id)}
                  />
                </Flex>
              ))}
              {!p.readOnly ? (
                <Flex gap={6}>
                  <Select
                    size="small"
                    style={{ flex: 1 }}
                    placeholder={t("flows.panel.connectTo")}
                    value={target}
                    onChange={setTarget}
                    data-testid="prop-connect-target"
                    options={p.nodes
                      .filter((n) => n.id !== node.id && hasInput(n.data.type))
                      .map((n) => ({ value: n.id, label: nodeName(t, n, n.id) }))}
                  />
                  <Button
                    size="small"
                    icon={<LinkOutlined />}
                    disabled={!target}
                    data-testid="prop-connect"
                    onClick={() => {
                      if (target) p.onAddEdge(node.id, target);
                      setTarget(undefined);
                    }}
                  >
                    {t("flows.panel.connect")}
                  </Button>
                </Flex>
              ) : null}
            </Flex>
          </>
        ) : null}
        {!p.readOnly ? (
          <Button
            danger
            block
            size="small"
            icon={<DeleteOutlined />}
            style={{ marginTop: 16 }}
            data-testid="prop-delete-node"
            onClick={() => p.onDeleteNode(node.id)}
          >
            {t("flows.panel.deleteNode")}
          </Button>
        ) : null}
      </fieldset>
    </div>
  );
}

function EdgePanel({ edge, ...p }: PanelProps & { edge: CanvasEdge }) {
  const { t } = useTranslation();
  const whenLabel = useWhenLabel();
  const source = p.nodes.find((n) => n.id === edge.source);
  const target = p.nodes.find((n) => n.id === edge.target);
  const options = source ? outcomesOf(source.data.type, source.data.params) : [""];
  return (
    <div data-testid="flow-edge-panel">
      <Typography.Title level={5} style={{ marginTop: 0 }}>
        {t("flows.panel.edge")}
      </Typography.Title>
      <Typography.Paragraph>
        {nodeName(t, source, edge.source)} → {nodeName(t, target, edge.target)}
      </Typography.Paragraph>
      <Form layout="vertical" size="small" component="div" disabled={p.readOnly}>
        <Form.Item label={t("flows.panel.when")} help={t("flows.panel.whenHelp")}>
          <Select
            value={edge.data?.when ?? ""}
            data-testid="edge-when"
            onChange={(w: string) => p.onEdgeWhen(edge.id, w)}
            options={[...new Set([...options, edge.data?.when ?? ""])].map((o) => ({
              value: o,
              label: whenLabel(o) || t("flows.when.next"),
            }))}
          />
        </Form.Item>
      </Form>
      {!p.readOnly ? (
        <Button danger block size="small" icon={<DeleteOutlined />} onClick={() => p.onDeleteEdge(edge.id)}>
          {t("flows.panel.deleteEdge")}
        </Button>
      ) : null}
    </div>
  );
}
