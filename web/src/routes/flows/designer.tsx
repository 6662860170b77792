import {
  CheckCircleOutlined,
  CloudUploadOutlined,
  ExperimentOutlined,
  HistoryOutlined,
  SaveOutlined,
  SettingOutlined,
} from "@ant-design/icons";
import type { FlowDefinition, FlowValidationError } from "@siyu/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import {
  addEdge,
  type Connection,
  type NodeChange,
  ReactFlowProvider,
  useEdgesState,
  useNodesState,
  useReactFlow,
} from "@xyflow/react";
import {
  Alert,
  App,
  Button,
  Card,
  Flex,
  Form,
  Modal,
  Segmented,
  Select,
  Skeleton,
  Tabs,
  Tooltip,
  Typography,
} from "antd";
import { useCallback, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams, useSearchParams } from "react-router";
import { ApiError } from "../../api/client.ts";
import { hasPermission, useMe } from "../../modules/auth/auth.api.ts";
import { DryRunPanel } from "../../modules/flows/dry-run-panel.tsx";
import { DurationInput, useUsers } from "../../modules/flows/field-widgets.tsx";
import { type CanvasOverlay, FlowCanvas } from "../../modules/flows/flow-canvas.tsx";
import {
  type CanvasEdge,
  type CanvasNode,
  edgeKey,
  newEdgeId,
  newNode,
  type Params,
  toCanvas,
  toDefinition,
} from "../../modules/flows/flow-graph.ts";
import { FlowStatus } from "../../modules/flows/flow-status.tsx";
import {
  type FlowCatalog,
  type FlowDetail,
  type FlowDryRunResult,
  flowsKey,
  publishFlow,
  saveFlow,
  useFlow,
  useFlowCatalog,
  useFlowVersion,
  validateFlow,
} from "../../modules/flows/flows.api.ts";
import { MonitorTab } from "../../modules/flows/monitor-tab.tsx";
import { NodePalette } from "../../modules/flows/node-palette.tsx";
import { summarize } from "../../modules/flows/node-summary.ts";
import { defaultWhen, isNodeType } from "../../modules/flows/node-types.tsx";
import { PropertyPanel } from "../../modules/flows/property-panel.tsx";
import { groupErrors } from "../../modules/flows/validation-text.ts";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

const canvasHeight = "max(460px, calc(100vh - 350px))";

/** `want`, or the first place to its right that no node covers (a node is about 220 × 90). */
function freeSpot(nodes: CanvasNode[], want: { x: number; y: number }) {
  const spot = { ...want };
  const taken = () =>
    nodes.some((n) => Math.abs(n.position.x - spot.x) < 240 && Math.abs(n.position.y - spot.y) < 110);
  for (let i = 0; i < 20 && taken(); i++) spot.x += 260;
  return spot;
}

function useSummarize(catalog: FlowCatalog | undefined) {
  const { t } = useTranslation();
  const users = useUsers();
  return useCallback(
    (type: string, params: Params) =>
      summarize(t, type, params, {
        userName: (id) => users.data?.items.find((u) => u.id === id)?.name ?? id,
        actionTitle: (a) => catalog?.actions.find((x) => x.action === a)?.title,
      }),
    [t, users.data, catalog],
  );
}

/** The designer of one flow (设计) and its live view (运行监控). */
export function FlowDesignerPage() {
  const { t } = useTranslation();
  const { id = "" } = useParams();
  const flow = useFlow(id);
  const catalog = useFlowCatalog();
  const [search, setSearch] = useSearchParams();
  const tab = search.get("tab") === "monitor" ? "monitor" : "design";
  const summarizeFn = useSummarize(catalog.data);
  if (flow.isError) return <QueryError error={flow.error} onRetry={() => void flow.refetch()} />;
  if (catalog.isError) return <QueryError error={catalog.error} onRetry={() => void catalog.refetch()} />;
  if (!flow.data || !catalog.data) return <Skeleton active paragraph={{ rows: 12 }} />;
  const f = flow.data;
  return (
    <>
      <PageHeader
        title={
          <Flex align="center" gap={8}>
            <span>{f.name}</span>
            <FlowStatus flow={f} />
          </Flex>
        }
        subtitle={
          <span data-testid="flow-versions-line">
            <Link to="/flows">{t("flows.backToList")}</Link> ·{" "}
            {f.publishedVersion
              ? t("flows.versionLine", { published: f.publishedVersion, draft: f.version })
              : t("flows.versionLineDraft", { draft: f.version })}
          </span>
        }
      />
      <Tabs
        activeKey={tab}
        onChange={(k) => setSearch(k === "monitor" ? { tab: k } : {}, { replace: true })}
        destroyOnHidden
        items={[
          {
            key: "design",
            label: <span data-testid="tab-design">{t("flows.tabs.design")}</span>,
            children: (
              <ReactFlowProvider>
                <DesignTab flow={f} catalog={catalog.data} summarize={summarizeFn} />
              </ReactFlowProvider>
            ),
          },
          {
            key: "monitor",
            label: <span data-testid="tab-monitor">{t("flows.tabs.monitor")}</span>,
            children: <MonitorTab flow={f} summarize={summarizeFn} />,
          },
        ]}
      />
    </>
  );
}

function DesignTab({
  flow,
  catalog,
  summarize: summarizeFn,
}: {
  flow: FlowDetail;
  catalog: FlowCatalog;
  summarize: (type: string, params: Params) => string;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const me = useMe();
  const canManage = hasPermission(me.data, "flows.manage");
  const rf = useReactFlow();
  const wrapper = useRef<HTMLDivElement>(null);
  // The canvas is loaded once per flow; saves do not reset what the user is doing.
  const initial = useMemo(() => toCanvas(flow.definition), [flow.definition]);
  const [nodes, setNodes, onNodesChangeRaw] = useNodesState<CanvasNode>(initial.nodes);
  const [edges, setEdges, onEdgesChangeRaw] = useEdgesState<CanvasEdge>(initial.edges);
  const [settings, setSettings] = useState(flow.definition.settings);
  const [dirty, setDirty] = useState(false);
  const [errors, setErrors] = useState<FlowValidationError[] | null>(null);
  const [side, setSide] = useState<"props" | "dryRun">("props");
  const [dryRun, setDryRun] = useState<FlowDryRunResult | null>(null);
  const [viewVersion, setViewVersion] = useState<number | null>(null);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const version = useFlowVersion(flow.id, viewVersion);
  const readOnly = !canManage || viewVersion !== null;

  const touch = useCallback(() => {
    setDirty(true);
    setDryRun(null);
  }, []);
  const onNodesChange = useCallback(
    (changes: NodeChange<CanvasNode>[]) => {
      onNodesChangeRaw(changes);
      if (changes.some((c) => c.type === "remove" || (c.type === "position" && c.dragging === false)))
        touch();
    },
    [onNodesChangeRaw, touch],
  );
  const onEdgesChange: typeof onEdgesChangeRaw = useCallback(
    (changes) => {
      onEdgesChangeRaw(changes);
      if (changes.some((c) => c.type === "remove")) touch();
    },
    [onEdgesChangeRaw, touch],
  );

  const selectOnly = (id: string) => {
    setNodes((ns) => ns.map((n) => ({ ...n, selected: n.id === id })));
    setEdges((es) => es.map((e) => ({ ...e, selected: false })));
    setSide("props");
  };

  const addNode = (type: string, at?: { x: number; y: number }) => {
    if (!isNodeType(type) || readOnly) return;
    let position = at;
    if (!position) {
      const selected = nodes.find((n) => n.selected);
      const below = selected ?? [...nodes].sort((a, b) => b.position.y - a.position.y)[0];
      if (below) position = freeSpot(nodes, { x: below.position.x, y: below.position.y + 150 });
      else {
        const rect = wrapper.current?.getBoundingClientRect();
        position = rect
          ? rf.screenToFlowPosition({ x: rect.left + rect.width / 2 - 110, y: rect.top + 80 })
          : { x: 0, y: 0 };
      }
    }
    const node = newNode(type, position, nodes);
    setNodes((ns) => [...ns.map((n) => ({ ...n, selected: false })), { ...node, selected: true }]);
    setEdges((es) => es.map((e) => ({ ...e, selected: false })));
    setSide("props");
    touch();
    if (!at) setTimeout(() => void rf.fitView({ padding: 0.2, maxZoom: 1, duration: 200 }), 50);
  };

  const connect = (from: string, to: string) => {
    const source = nodes.find((n) => n.id === from);
    if (!source || from === to) return;
    const used = edges.filter((e) => e.source === from).map((e) => e.data?.when ?? "");
    const when = defaultWhen(source.data.type, source.data.params, used);
    if (edges.some((e) => e.source === from && e.target === to && (e.data?.when ?? "") === when)) return;
    setEdges((es) =>
      addEdge<CanvasEdge>(
        { id: newEdgeId(from, to), source: from, target: to, data: when ? { when } : {} },
        es,
      ),
    );
    touch();
  };

  const definition = (): FlowDefinition => toDefinition(nodes, edges, settings);

  const save = useMutation({
    mutationFn: () => saveFlow(flow.id, { definition: definition() }),
    onSuccess: () => {
      setDirty(false);
      void qc.invalidateQueries({ queryKey: [...flowsKey] });
    },
  });
  const ensureSaved = async () => {
    if (dirty) await save.mutateAsync();
  };
  const validate = useMutation({
    mutationFn: () => validateFlow(flow.id, definition()),
    onSuccess: (r) => {
      setErrors(r.errors);
      if (r.valid) message.success(t("flows.validated"));
      else message.error(t("flows.invalid", { n: r.errors.length }));
    },
    onError: (e) => message.error(errorText(t, e)),
  });
  const publish = useMutation({
    mutationFn: async () => {
      await ensureSaved();
      return publishFlow(flow.id);
    },
    onSuccess: (r) => {
      setErrors([]);
      message.success(t("flows.published", { version: r.version }));
      void qc.invalidateQueries({ queryKey: [...flowsKey] });
    },
    onError: (e) => {
      const details =
        e instanceof ApiError ? (e.details as { errors?: FlowValidationError[] } | undefined) : undefined;
      if (details?.errors) {
        setErrors(details.errors);
        message.error(t("flows.publishRefused", { n: details.errors.length }));
      } else message.error(errorText(t, e));
    },
  });

  const grouped = useMemo(() => groupErrors(t, errors ?? []), [t, errors]);
  const overlay: CanvasOverlay = useMemo(() => {
    if (!dryRun) return { summarize: summarizeFn, errors: grouped.byNode };
    const path = new Map<string, number[]>();
    for (const [i, id] of dryRun.path.entries()) path.set(id, [...(path.get(id) ?? []), i + 1]);
    const outcome = new Map(dryRun.steps.map((s) => [s.nodeId, s.outcome ?? ""]));
    const typeOf = new Map(nodes.map((n) => [n.id, n.data.type]));
    const pathEdges = new Set(
      edges
        .filter(
          (e) =>
            path.has(e.source) &&
            path.has(e.target) &&
            (typeOf.get(e.source) === "parallel" || (e.data?.when ?? "") === outcome.get(e.source)),
        )
        .map((e) => edgeKey(e.source, e.target)),
    );
    return { summarize: summarizeFn, errors: grouped.byNode, path, pathEdges };
  }, [dryRun, grouped, summarizeFn, nodes, edges]);

  const selectedNode = nodes.find((n) => n.selected)?.id ?? null;
  const selectedEdge = edges.find((e) => e.selected)?.id ?? null;
  const versionCanvas = useMemo(
    () => (version.data ? toCanvas(version.data.definition) : null),
    [version.data],
  );

  return (
    <div>
      <Flex gap={8} wrap align="center" style={{ marginBottom: 12 }} data-testid="designer-toolbar">
        {canManage ? (
          <>
            <Button
              icon={<SaveOutlined />}
              disabled={readOnly}
              loading={save.isPending}
              data-testid="flow-save"
              onClick={() =>
                save.mutate(undefined, {
                  onSuccess: () => message.success(t("flows.saved")),
                  onError: (e) => message.error(errorText(t, e)),
                })
              }
            >
              {dirty ? t("flows.saveDirty") : t("flows.save")}
            </Button>
            <Button
              icon={<CheckCircleOutlined />}
              disabled={readOnly}
              loading={validate.isPending}
              onClick={() => validate.mutate()}
              data-testid="flow-validate"
            >
              {t("flows.validate")}
            </Button>
            <Button
              icon={<ExperimentOutlined />}
              type={side === "dryRun" ? "primary" : "default"}
              ghost={side === "dryRun"}
              onClick={() => setSide(side === "dryRun" ? "props" : "dryRun")}
              data-testid="flow-dry-run"
            >
              {t("flows.dryRun.button")}
            </Button>
            <Tooltip title={t("flows.publishHelp")}>
              <Button
                type="primary"
                icon={<CloudUploadOutlined />}
                disabled={readOnly || flow.status === "archived"}
                loading={publish.isPending}
                onClick={() => publish.mutate()}
                data-testid="flow-publish"
              >
                {t("flows.publish", { version: flow.version })}
              </Button>
            </Tooltip>
            <Button icon={<SettingOutlined />} onClick={() => setSettingsOpen(true)} disabled={readOnly}>
              {t("flows.settings.button")}
            </Button>
          </>
        ) : null}
        <Flex align="center" gap={6} style={{ marginLeft: "auto" }}>
          <HistoryOutlined />
          <Select<number>
            value={viewVersion ?? 0}
            style={{ width: 240 }}
            data-testid="flow-version-select"
            onChange={(v) => setViewVersion(v === 0 ? null : v)}
            options={[
              { value: 0, label: t("flows.viewDraft", { version: flow.version }) },
              ...[...flow.versions]
                .sort((a, b) => b.version - a.version)
                .map((v) => ({
                  value: v.version,
                  label: t("flows.viewVersion", { version: v.version, at: formatTime(v.publishedAt) }),
                })),
            ]}
          />
        </Flex>
      </Flex>
      {grouped.general.length ? (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 12 }}
          title={grouped.general.join("；")}
          data-testid="flow-general-errors"
        />
      ) : errors && errors.length === 0 ? (
        <Alert
          type="success"
          showIcon
          style={{ marginBottom: 12 }}
          title={t("flows.validated")}
          data-testid="flow-valid"
          closable
          onClose={() => setErrors(null)}
        />
      ) : errors?.length ? (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 12 }}
          title={t("flows.invalidOnCanvas", { n: errors.length })}
          data-testid="flow-invalid"
        />
      ) : null}
      {viewVersion !== null ? (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 12 }}
          title={t("flows.viewingVersion", { version: viewVersion })}
          action={
            <Flex gap={8}>
              {canManage && version.data ? (
                <Button
                  size="small"
                  onClick={() => {
                    const c = toCanvas(version.data.definition);
                    setNodes(c.nodes);
                    setEdges(c.edges);
                    setSettings(version.data.definition.settings);
                    setViewVersion(null);
                    touch();
                    message.info(t("flows.restored", { version: viewVersion }));
                  }}
                >
                  {t("flows.restoreVersion")}
                </Button>
              ) : null}
              <Button size="small" onClick={() => setViewVersion(null)}>
                {t("flows.backToDraft")}
              </Button>
            </Flex>
          }
        />
      ) : null}
      <Flex gap={12} align="stretch">
        <Card
          size="small"
          title={t("flows.palette.title")}
          style={{ width: 200, flex: "none", height: canvasHeight, overflow: "auto" }}
        >
          <NodePalette onAdd={(type) => addNode(type)} disabled={readOnly} />
        </Card>
        <div ref={wrapper} style={{ flex: 1, minWidth: 0 }}>
          {viewVersion !== null ? (
            versionCanvas ? (
              <ReactFlowProvider>
                <FlowCanvas
                  key={`v${viewVersion}`}
                  nodes={versionCanvas.nodes}
                  edges={versionCanvas.edges}
                  readOnly
                  height={canvasHeight}
                  overlay={{ summarize: summarizeFn }}
                />
              </ReactFlowProvider>
            ) : (
              <Skeleton active />
            )
          ) : (
            <FlowCanvas
              nodes={nodes}
              edges={edges}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={(c: Connection) => connect(c.source, c.target)}
              onDropType={(type, pos) => addNode(type, pos)}
              readOnly={readOnly}
              height={canvasHeight}
              overlay={overlay}
            />
          )}
        </div>
        <Card
          size="small"
          style={{ width: 360, flex: "none", height: canvasHeight, overflow: "auto" }}
          title={
            <Segmented
              size="small"
              value={side}
              onChange={(v) => setSide(v as "props" | "dryRun")}
              options={[
                { value: "props", label: t("flows.panel.title") },
                { value: "dryRun", label: t("flows.dryRun.title") },
              ]}
            />
          }
        >
          {side === "props" ? (
            <PropertyPanel
              flowId={flow.id}
              nodeId={selectedNode}
              edgeId={selectedEdge}
              nodes={nodes}
              edges={edges}
              catalog={catalog}
              readOnly={readOnly}
              errors={grouped.byNode}
              onNodeData={(id, data) => {
                setNodes((ns) => ns.map((n) => (n.id === id ? { ...n, data } : n)));
                touch();
              }}
              onDeleteNode={(id) => {
                setNodes((ns) => ns.filter((n) => n.id !== id));
                setEdges((es) => es.filter((e) => e.source !== id && e.target !== id));
                touch();
              }}
              onEdgeWhen={(edgeId, when) => {
                setEdges((es) => es.map((e) => (e.id === edgeId ? { ...e, data: when ? { when } : {} } : e)));
                touch();
              }}
              onDeleteEdge={(edgeId) => {
                setEdges((es) => es.filter((e) => e.id !== edgeId));
                touch();
              }}
              onAddEdge={(from, to) => {
                connect(from, to);
                selectOnly(from);
              }}
            />
          ) : (
            <DryRunPanel
              flowId={flow.id}
              nodes={viewVersion !== null && versionCanvas ? versionCanvas.nodes : nodes}
              version={viewVersion ?? undefined}
              beforeRun={ensureSaved}
              result={dryRun}
              onResult={setDryRun}
              summarize={summarizeFn}
            />
          )}
        </Card>
      </Flex>
      <SettingsModal
        open={settingsOpen}
        value={settings}
        onClose={() => setSettingsOpen(false)}
        onChange={(s) => {
          setSettings(s);
          touch();
        }}
      />
      {!readOnly && dirty ? (
        <Typography.Text type="warning" style={{ display: "block", marginTop: 8 }} data-testid="flow-dirty">
          {t("flows.unsaved")}
        </Typography.Text>
      ) : null}
    </div>
  );
}

type Settings = FlowDefinition["settings"];

/** Re-entry: once per customer, every trigger, or again after a cooldown. */
function SettingsModal({
  open,
  value,
  onClose,
  onChange,
}: {
  open: boolean;
  value: Settings;
  onClose: () => void;
  onChange: (s: Settings) => void;
}) {
  const { t } = useTranslation();
  const reentry = value?.reentry ?? { mode: "once" as const };
  const set = (r: NonNullable<Settings>["reentry"]) =>
    onChange({ variables: value?.variables ?? {}, ...value, reentry: r });
  return (
    <Modal
      open={open}
      onCancel={onClose}
      onOk={onClose}
      title={t("flows.settings.title")}
      cancelButtonProps={{ style: { display: "none" } }}
    >
      <Form layout="vertical" component="div">
        <Form.Item label={t("flows.settings.reentry")} help={t("flows.settings.reentryHelp")}>
          <Segmented
            value={reentry.mode}
            onChange={(m) =>
              set(
                m === "cooldown"
                  ? { mode: "cooldown", duration: "P7D" }
                  : { mode: m as "once" | "every_time" },
              )
            }
            options={(["once", "every_time", "cooldown"] as const).map((m) => ({
              value: m,
              label: t(`flows.settings.modes.${m}`),
            }))}
          />
        </Form.Item>
        {reentry.mode === "cooldown" ? (
          <Form.Item label={t("flows.settings.cooldown")}>
            <DurationInput
              value={reentry.duration}
              onChange={(d) => set({ mode: "cooldown", duration: d ?? "P7D" })}
            />
          </Form.Item>
        ) : null}
      </Form>
    </Modal>
  );
}
