import { ReloadOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ReactFlowProvider } from "@xyflow/react";
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Drawer,
  Empty,
  Flex,
  Modal,
  Row,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  Timeline,
  Typography,
} from "antd";
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import { Chart } from "../../ui/chart.tsx";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { CustomerLink } from "../customers/customer-link.tsx";
import { shortDuration } from "./duration.ts";
import { FlowCanvas, type NodeStat, useWhenLabel } from "./flow-canvas.tsx";
import { orderedNodeIds, type Params, toCanvas } from "./flow-graph.ts";
import {
  type FlowDefinition,
  type FlowDetail,
  type FlowInstance,
  type FlowMigratePlan,
  instanceAction,
  migrateInstances,
  previewMigration,
  useFlowAnalytics,
  useFlowInstance,
  useFlowLifecycle,
  useFlowVersion,
} from "./flows.api.ts";
import { lookOf } from "./node-types.tsx";

const statusColor: Record<string, string> = {
  running: "processing",
  waiting: "gold",
  completed: "success",
  failed: "error",
  cancelled: "default",
};

export function InstanceStatus({ status, paused }: { status: string; paused?: boolean }) {
  const { t } = useTranslation();
  return (
    <Space size={4}>
      <Tag color={statusColor[status]}>{t(`flows.instanceStatus.${status}`, { defaultValue: status })}</Tag>
      {paused ? <Tag color="orange">{t("flows.instanceStatus.paused")}</Tag> : null}
    </Space>
  );
}

/** A journey: some node sets or reads the customer's lifecycle stage. */
export function hasLifecycle(def: FlowDefinition | undefined): boolean {
  return (def?.nodes ?? []).some(
    (n) =>
      (n.type === "action" && n.params.action === "customer.set_stage") ||
      /customer\.stage|lifecycleStage/.test(JSON.stringify(n.params)),
  );
}

/** 运行监控: the published graph with funnel figures per node, the charts, and the instances. */
export function MonitorTab({
  flow,
  summarize,
}: {
  flow: FlowDetail;
  summarize: (type: string, params: Params) => string;
}) {
  const { t } = useTranslation();
  const [version, setVersion] = useState<number | null>(flow.publishedVersion);
  const [status, setStatus] = useState<string>();
  // `?instance=` (a task's link to the instance that made it) opens that instance at once.
  const [search] = useSearchParams();
  const [openId, setOpenId] = useState<string | null>(search.get("instance"));
  const [migrating, setMigrating] = useState(false);
  const qc = useQueryClient();
  const def = useFlowVersion(flow.id, version);
  const analytics = useFlowAnalytics(flow.id, version, true);
  const list = useCursorPage<FlowInstance>(
    "flow-instances-list",
    `/api/flows/${encodeURIComponent(flow.id)}/instances`,
    { status },
    20,
  );
  const open = useFlowInstance(openId);
  const journey = hasLifecycle(def.data?.definition);
  const lifecycle = useFlowLifecycle(flow.id, journey);
  useEffect(() => {
    const timer = setInterval(() => void qc.invalidateQueries({ queryKey: ["flow-instances-list"] }), 5000);
    return () => clearInterval(timer);
  }, [qc]);

  const canvas = useMemo(() => (def.data ? toCanvas(def.data.definition) : null), [def.data]);
  // Every node gets figures, zeros where no instance has been yet: an empty branch is news too.
  const stats = useMemo(() => {
    const m = new Map<string, NodeStat>(
      (def.data?.definition.nodes ?? []).map((n) => [
        n.id,
        { entered: 0, left: 0, converted: 0, failed: 0, medianMs: null },
      ]),
    );
    for (const n of analytics.data?.nodes ?? []) m.set(n.nodeId, n);
    return m;
  }, [analytics.data, def.data]);
  const current = useMemo(() => new Set(open.data?.currentNodes ?? []), [open.data]);

  if (!flow.publishedVersion)
    return <Empty description={t("flows.monitor.notPublished")} data-testid="monitor-empty" />;

  const order = def.data ? orderedNodeIds(def.data.definition) : [];
  const nodeLabel = (id: string) => {
    const n = def.data?.definition.nodes.find((x) => x.id === id);
    return n ? n.label || `${t(`flows.types.${n.type}`, { defaultValue: n.type })}·${id}` : id;
  };
  const rows = order
    .map((id) => (analytics.data?.nodes ?? []).find((n) => n.nodeId === id))
    .filter((s): s is NonNullable<typeof s> & NodeStat & { nodeId: string } => Boolean(s));
  const counts = analytics.data?.instances;
  const units = {
    d: t("flows.unitsShort.d"),
    h: t("flows.unitsShort.h"),
    m: t("flows.unitsShort.m"),
    s: t("flows.unitsShort.s"),
  };

  return (
    <Flex vertical gap={16}>
      <Flex gap={12} align="center" wrap>
        <span>{t("flows.monitor.version")}</span>
        <Select<number>
          value={version ?? undefined}
          style={{ width: 280 }}
          onChange={setVersion}
          data-testid="monitor-version"
          options={flow.versions.map((v) => ({
            value: v.version,
            label: `v${v.version} · ${formatTime(v.publishedAt)}`,
          }))}
        />
        <Button
          icon={<ReloadOutlined />}
          onClick={() => void qc.invalidateQueries({ queryKey: ["flows", flow.id] })}
        >
          {t("common.refresh", { defaultValue: "刷新" })}
        </Button>
        {flow.versions.length > 1 ? (
          <Button onClick={() => setMigrating(true)} data-testid="migrate-open">
            {t("flows.migrate.open")}
          </Button>
        ) : null}
      </Flex>
      <Row gutter={12}>
        {(["total", "running", "waiting", "completed", "failed", "cancelled"] as const).map((k) => (
          <Col key={k} xs={8} md={4}>
            <Card size="small">
              <Statistic
                title={t(`flows.instanceStatus.${k}`)}
                value={counts?.[k] ?? 0}
                loading={analytics.isPending}
              />
            </Card>
          </Col>
        ))}
      </Row>
      <Card size="small" title={t("flows.monitor.canvas")} data-testid="monitor-canvas">
        {canvas ? (
          <ReactFlowProvider>
            <FlowCanvas
              nodes={canvas.nodes}
              edges={canvas.edges}
              readOnly
              height={560}
              overlay={{ summarize, stats, current }}
            />
          </ReactFlowProvider>
        ) : (
          <Empty />
        )}
      </Card>
      <Row gutter={16}>
        <Col xs={24} lg={10}>
          <Card size="small" title={t("flows.monitor.funnel")} data-testid="flow-funnel">
            {rows.length ? (
              <Chart
                height={Math.max(260, rows.length * 44)}
                option={{
                  tooltip: { trigger: "item", formatter: "{b}: {c}" },
                  series: [
                    {
                      type: "funnel",
                      sort: "none",
                      left: 10,
                      right: 10,
                      top: 10,
                      bottom: 10,
                      minSize: "8%",
                      label: { position: "inside", formatter: "{b}  {c}", color: "#fff" },
                      data: rows.map((r) => ({
                        name: nodeLabel(r.nodeId),
                        value: r.entered,
                        itemStyle: {
                          color: lookOf(def.data?.definition.nodes.find((n) => n.id === r.nodeId)?.type ?? "")
                            .color,
                        },
                      })),
                    },
                  ],
                }}
              />
            ) : (
              <Empty description={t("flows.monitor.noData")} />
            )}
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          <Card size="small" title={t("flows.monitor.perNode")} data-testid="flow-node-chart">
            {rows.length ? (
              <>
                <Chart
                  height={260}
                  option={{
                    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
                    legend: { top: 0 },
                    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
                    xAxis: {
                      type: "category",
                      data: rows.map((r) => nodeLabel(r.nodeId)),
                      axisLabel: {
                        interval: 0,
                        rotate: rows.length > 5 ? 30 : 0,
                        width: 90,
                        overflow: "truncate",
                      },
                    },
                    yAxis: { type: "value", minInterval: 1 },
                    series: (["entered", "left", "converted"] as const).map((k, i) => ({
                      name: t(`flows.stats.${k}`),
                      type: "bar",
                      barMaxWidth: 16,
                      itemStyle: { color: ["#1677ff", "#52c41a", "#722ed1"][i] },
                      data: rows.map((r) => r[k]),
                    })),
                  }}
                />
                <Table
                  size="small"
                  rowKey="nodeId"
                  pagination={false}
                  dataSource={rows}
                  columns={[
                    {
                      title: t("flows.monitor.node"),
                      dataIndex: "nodeId",
                      render: (id: string) => nodeLabel(id),
                    },
                    { title: t("flows.stats.entered"), dataIndex: "entered" },
                    { title: t("flows.stats.left"), dataIndex: "left" },
                    { title: t("flows.stats.converted"), dataIndex: "converted" },
                    { title: t("flows.stats.failed"), dataIndex: "failed" },
                    {
                      title: t("flows.stats.median"),
                      dataIndex: "medianMs",
                      render: (ms: number | null) => shortDuration(ms, units),
                    },
                  ]}
                />
              </>
            ) : (
              <Empty description={t("flows.monitor.noData")} />
            )}
          </Card>
        </Col>
      </Row>
      {journey ? (
        <Card size="small" title={t("flows.monitor.lifecycle")} data-testid="flow-lifecycle">
          {lifecycle.data?.stages.length ? (
            <Chart
              height={Math.max(220, lifecycle.data.stages.length * 40 + 60)}
              option={{
                tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
                legend: { top: 0 },
                grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
                xAxis: { type: "value", minInterval: 1 },
                yAxis: {
                  type: "category",
                  inverse: true,
                  data: lifecycle.data.stages.map((s) =>
                    s.stage === null
                      ? t("flows.monitor.noStage")
                      : t(`customers.stages.${s.stage}`, { defaultValue: s.stage }),
                  ),
                },
                series: (["running", "finished"] as const).map((k, i) => ({
                  name: t(`flows.monitor.lifecycle_${k}`),
                  type: "bar",
                  stack: "customers",
                  barMaxWidth: 22,
                  itemStyle: { color: ["#1677ff", "#52c41a"][i] },
                  label: {
                    show: true,
                    formatter: (p: { value: unknown }) => (p.value ? String(p.value) : ""),
                  },
                  data: lifecycle.data!.stages.map((s) => s[k]),
                })),
              }}
            />
          ) : (
            <Empty description={t("flows.monitor.noData")} />
          )}
        </Card>
      ) : null}
      <Card
        size="small"
        title={t("flows.monitor.instances")}
        extra={
          <Select
            allowClear
            placeholder={t("flows.monitor.statusFilter")}
            style={{ width: 160 }}
            value={status}
            onChange={setStatus}
            options={["running", "waiting", "completed", "failed", "cancelled"].map((s) => ({
              value: s,
              label: t(`flows.instanceStatus.${s}`),
            }))}
          />
        }
      >
        <CursorTable<FlowInstance>
          list={list}
          rowKey="id"
          size="small"
          data-testid="instances-table"
          onRow={(r) => ({ onClick: () => setOpenId(r.id), style: { cursor: "pointer" } })}
          columns={[
            {
              title: "ID",
              dataIndex: "id",
              render: (id: string) => <Typography.Text code>{id}</Typography.Text>,
            },
            {
              title: t("flows.monitor.customer"),
              dataIndex: "customerId",
              render: (id: string | null) => <CustomerLink id={id} />,
            },
            { title: t("flows.monitor.version"), dataIndex: "version", render: (v: number) => `v${v}` },
            {
              title: t("flows.monitor.status"),
              dataIndex: "status",
              render: (s: string, r) => <InstanceStatus status={s} paused={r.paused} />,
            },
            {
              title: t("flows.monitor.currentNodes"),
              dataIndex: "currentNodes",
              render: (ids: string[]) => ids.map((id) => <Tag key={id}>{nodeLabel(id)}</Tag>),
            },
            { title: t("flows.monitor.startedAt"), dataIndex: "startedAt", render: formatTime },
          ]}
        />
      </Card>
      <InstanceDrawer id={openId} onClose={() => setOpenId(null)} nodeLabel={nodeLabel} />
      {migrating ? <MigrateModal flow={flow} onClose={() => setMigrating(false)} /> : null}
    </Flex>
  );
}

function InstanceDrawer({
  id,
  onClose,
  nodeLabel,
}: {
  id: string | null;
  onClose: () => void;
  nodeLabel: (id: string) => string;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const whenLabel = useWhenLabel();
  const qc = useQueryClient();
  const detail = useFlowInstance(id);
  const act = useMutation({
    mutationFn: (verb: "cancel" | "pause" | "resume") => instanceAction(id as string, verb),
    onSuccess: (_d, verb) => {
      message.success(t(`flows.instanceActions.${verb}Done`));
      void qc.invalidateQueries({ queryKey: ["flow-instances"] });
      void qc.invalidateQueries({ queryKey: ["flow-instances-list"] });
    },
    onError: (e) => message.error(errorText(t, e)),
  });
  const d = detail.data;
  const live = d && (d.status === "running" || d.status === "waiting");
  return (
    <Drawer
      open={Boolean(id)}
      onClose={onClose}
      size={560}
      title={t("flows.instance.title")}
      data-testid="instance-drawer"
      extra={
        live ? (
          <Space>
            {d.paused ? (
              <Button
                onClick={() => act.mutate("resume")}
                loading={act.isPending}
                data-testid="instance-resume"
              >
                {t("flows.instanceActions.resume")}
              </Button>
            ) : (
              <Button
                onClick={() => act.mutate("pause")}
                loading={act.isPending}
                data-testid="instance-pause"
              >
                {t("flows.instanceActions.pause")}
              </Button>
            )}
            <Button
              danger
              loading={act.isPending}
              data-testid="instance-cancel"
              onClick={() =>
                Modal.confirm({
                  title: t("flows.instanceActions.cancelConfirm"),
                  onOk: () => act.mutateAsync("cancel"),
                })
              }
            >
              {t("flows.instanceActions.cancel")}
            </Button>
          </Space>
        ) : null
      }
    >
      {d ? (
        <>
          <Descriptions size="small" column={1} bordered style={{ marginBottom: 16 }}>
            <Descriptions.Item label="ID">{d.id}</Descriptions.Item>
            <Descriptions.Item label={t("flows.monitor.customer")}>
              <CustomerLink id={d.customerId} />
            </Descriptions.Item>
            <Descriptions.Item label={t("flows.monitor.version")}>v{d.version}</Descriptions.Item>
            <Descriptions.Item label={t("flows.monitor.status")}>
              <InstanceStatus status={d.status} paused={d.paused} />
            </Descriptions.Item>
            <Descriptions.Item label={t("flows.monitor.currentNodes")}>
              {d.currentNodes.map((n) => (
                <Tag key={n}>{nodeLabel(n)}</Tag>
              ))}
            </Descriptions.Item>
            <Descriptions.Item label={t("flows.monitor.startedAt")}>
              {formatTime(d.startedAt)}
            </Descriptions.Item>
            <Descriptions.Item label={t("flows.monitor.endedAt")}>{formatTime(d.endedAt)}</Descriptions.Item>
            {d.error ? (
              <Descriptions.Item label={t("flows.monitor.error")}>
                <Typography.Text type="danger">{d.error}</Typography.Text>
              </Descriptions.Item>
            ) : null}
            {Object.keys(d.vars).length ? (
              <Descriptions.Item label={t("flows.monitor.vars")}>
                {Object.entries(d.vars).map(([k, v]) => (
                  <div key={k}>
                    <Typography.Text code>{k}</Typography.Text> = {JSON.stringify(v)}
                  </div>
                ))}
              </Descriptions.Item>
            ) : null}
          </Descriptions>
          <Typography.Title level={5}>{t("flows.instance.history")}</Typography.Title>
          <Timeline
            data-testid="instance-history"
            items={d.history.map((h) => ({
              color:
                h.status === "failed" ? "red" : h.status === "active" ? "blue" : lookOf(h.nodeType).color,
              content: (
                <div>
                  <Typography.Text strong>{nodeLabel(h.nodeId)}</Typography.Text>{" "}
                  <Tag>{t(`flows.runStatus.${h.status}`, { defaultValue: h.status })}</Tag>
                  {h.outcome ? <Tag color="blue">{whenLabel(h.outcome)}</Tag> : null}
                  {h.attempts > 1 ? (
                    <Tag color="orange">{t("flows.instance.attempts", { n: h.attempts })}</Tag>
                  ) : null}
                  <div style={{ fontSize: 12, color: "#8c8c8c" }}>
                    {formatTime(h.enteredAt)} →{" "}
                    {h.leftAt ? formatTime(h.leftAt) : t("flows.instance.stillHere")}
                  </div>
                  {h.error ? <Typography.Text type="danger">{h.error}</Typography.Text> : null}
                </div>
              ),
            }))}
          />
        </>
      ) : detail.isError ? (
        <Alert type="error" title={errorText(t, detail.error)} />
      ) : null}
    </Drawer>
  );
}

/** Moves running instances to another version: preview first (who moves where, who cannot), then do it. */
function MigrateModal({ flow, onClose }: { flow: FlowDetail; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [toVersion, setToVersion] = useState<number | undefined>(flow.publishedVersion ?? undefined);
  const [plan, setPlan] = useState<FlowMigratePlan | null>(null);
  const preview = useMutation({
    mutationFn: () => previewMigration(flow.id, { toVersion: toVersion as number }),
    onSuccess: setPlan,
    onError: (e) => message.error(errorText(t, e)),
  });
  const run = useMutation({
    mutationFn: () => migrateInstances(flow.id, { toVersion: toVersion as number }),
    onSuccess: (r) => {
      message.success(t("flows.migrate.done", { n: r.migrated ?? r.moves.length }));
      void qc.invalidateQueries({ queryKey: ["flow-instances-list"] });
      onClose();
    },
    onError: (e) => message.error(errorText(t, e)),
  });
  return (
    <Modal
      open
      title={t("flows.migrate.title")}
      onCancel={onClose}
      okText={t("flows.migrate.run")}
      okButtonProps={{ disabled: !plan, loading: run.isPending }}
      onOk={() => run.mutate()}
    >
      <Flex gap={8} style={{ marginBottom: 12 }}>
        <Select<number>
          value={toVersion}
          style={{ flex: 1 }}
          onChange={(v) => {
            setToVersion(v);
            setPlan(null);
          }}
          options={flow.versions.map((v) => ({ value: v.version, label: `v${v.version}` }))}
        />
        <Button onClick={() => preview.mutate()} loading={preview.isPending} disabled={!toVersion}>
          {t("flows.migrate.preview")}
        </Button>
      </Flex>
      {plan ? (
        <>
          <Typography.Paragraph>
            {t("flows.migrate.summary", { moves: plan.moves.length, blocked: plan.blocked.length })}
          </Typography.Paragraph>
          {plan.blocked.map((b) => (
            <Alert
              key={b.instanceId}
              type="warning"
              title={`${b.instanceId} · ${b.nodeId}: ${b.reason}`}
              style={{ marginBottom: 4 }}
            />
          ))}
        </>
      ) : null}
    </Modal>
  );
}
