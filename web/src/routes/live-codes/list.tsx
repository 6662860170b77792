import { DownloadOutlined, EditOutlined, QrcodeOutlined } from "@ant-design/icons";
import {
  App,
  Button,
  Card,
  Col,
  Empty,
  Flex,
  Input,
  Row,
  Space,
  Statistic,
  Switch,
  Tag,
  Tooltip,
  Typography,
} from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import { hasPermission, useMe } from "../../modules/auth/auth.api.ts";
import { LiveCodeForm } from "../../modules/live-codes/live-code-form.tsx";
import {
  type Range,
  RangePicker,
  shownRange,
  toStatsRange,
} from "../../modules/live-codes/live-code-stats.tsx";
import { LiveCodeStatus } from "../../modules/live-codes/live-code-status.tsx";
import {
  type ChannelSummary,
  fetchBlob,
  type LiveCode,
  qrPath,
  saveBlob,
  useChannelSummary,
} from "../../modules/live-codes/live-codes.api.ts";
import { WecomNotConfigured } from "../../modules/wecom/wecom-guard.tsx";
import { useStaff } from "../../modules/wecom-actions/wecom-actions.api.ts";
import { Chart } from "../../ui/chart.tsx";
import { CreateButton } from "../../ui/create-button.tsx";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

type Counts = { adds: number; netAdds: number };
const byCode = (s: ChannelSummary | undefined) =>
  new Map((s?.items ?? []).map((i) => [i.liveCodeId ?? "", { adds: i.adds, netAdds: i.netAdds }]));

/** Across codes: adds in the range, and the top channels by adds (net adds beside them). */
function Overview() {
  const { t } = useTranslation();
  const [range, setRange] = useState<Range | null>(null);
  const summary = useChannelSummary(toStatsRange(range));
  const items = summary.data?.items ?? [];
  const label = (i: ChannelSummary["items"][number]) =>
    i.liveCodeId ? i.name : t("liveCodes.overview.noChannel");
  const top = items.slice(0, 10).reverse();
  const total = items.reduce((sum, i) => sum + i.adds, 0);
  const viaCodes = items.filter((i) => i.liveCodeId).reduce((sum, i) => sum + i.adds, 0);
  const net = items.reduce((sum, i) => sum + i.netAdds, 0);
  return (
    <Card
      title={t("liveCodes.overview.title")}
      data-testid="live-codes-overview"
      extra={<RangePicker value={shownRange(range, summary.data)} onChange={setRange} />}
      style={{ marginBottom: 16 }}
    >
      <Row gutter={24}>
        <Col xs={24} lg={6}>
          <Flex vertical gap={16}>
            <Statistic title={t("liveCodes.overview.adds")} value={total} loading={summary.isPending} />
            <Statistic
              title={t("liveCodes.overview.viaCodes")}
              value={viaCodes}
              loading={summary.isPending}
            />
            <Statistic title={t("liveCodes.stats.netAdds")} value={net} loading={summary.isPending} />
          </Flex>
        </Col>
        <Col xs={24} lg={18}>
          {items.length ? (
            <Chart
              height={Math.max(200, top.length * 36 + 60)}
              option={{
                tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
                legend: { top: 0 },
                grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
                xAxis: { type: "value", minInterval: 1 },
                yAxis: {
                  type: "category",
                  data: top.map(label),
                  axisLabel: { width: 140, overflow: "truncate" },
                },
                series: [
                  {
                    name: t("liveCodes.stats.adds"),
                    type: "bar",
                    barMaxWidth: 14,
                    itemStyle: { color: "#07c160" },
                    data: top.map((i) => i.adds),
                  },
                  {
                    name: t("liveCodes.stats.netAdds"),
                    type: "bar",
                    barMaxWidth: 14,
                    itemStyle: { color: "#1677ff" },
                    data: top.map((i) => i.netAdds),
                  },
                ],
              }}
            />
          ) : (
            <Empty description={t("liveCodes.overview.empty")} />
          )}
        </Col>
      </Row>
    </Card>
  );
}

/** 渠道活码: the overview across codes, then every code with its staff, tags, adds and actions. */
export function LiveCodesPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const me = useMe();
  const canManage = hasPermission(me.data, "channels.manage");
  const [q, setQ] = useState("");
  const [includeDeleted, setIncludeDeleted] = useState(false);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<LiveCode | null>(null);
  const list = useCursorPage<LiveCode>(
    "live-codes",
    "/api/live-codes",
    { q: q || undefined, includeDeleted: includeDeleted ? "true" : undefined },
    20,
  );
  const staff = useStaff();
  const names = new Map((staff.data?.items ?? []).map((s) => [s.userid, s.name]));
  // Today and all time, in the tenant's zone: the server's default range ends on the tenant's today.
  const recent = useChannelSummary({});
  const tenantToday = recent.data?.to;
  const today = byCode(useChannelSummary(tenantToday ? { from: tenantToday, to: tenantToday } : {}).data);
  const allTime = byCode(useChannelSummary(tenantToday ? { from: "2000-01-01", to: tenantToday } : {}).data);
  const counts = (m: Map<string, Counts>, id: string): Counts => m.get(id) ?? { adds: 0, netAdds: 0 };

  const downloadQr = async (c: LiveCode) => {
    try {
      saveBlob(await fetchBlob(qrPath(c.id), { size: 1024 }), `${c.name}-qr.png`);
    } catch (error) {
      message.error(errorText(t, error));
    }
  };

  return (
    <>
      <PageHeader
        title={t("liveCodes.title")}
        subtitle={t("liveCodes.subtitle")}
        extra={
          canManage ? (
            <CreateButton onClick={() => setCreating(true)} testId="live-code-create">
              {t("liveCodes.create")}
            </CreateButton>
          ) : null
        }
      />
      <WecomNotConfigured />
      <Overview />
      <Card>
        <Flex gap={12} wrap style={{ marginBottom: 16 }} align="center">
          <Input.Search
            allowClear
            placeholder={t("liveCodes.search")}
            onSearch={setQ}
            style={{ width: 280 }}
            data-testid="live-codes-search"
          />
          <Space size={6}>
            <Switch size="small" checked={includeDeleted} onChange={setIncludeDeleted} />
            <Typography.Text type="secondary">{t("liveCodes.includeDeleted")}</Typography.Text>
          </Space>
        </Flex>
        <CursorTable<LiveCode>
          list={list}
          rowKey="id"
          data-testid="live-codes-table"
          scroll={{ x: 1000 }}
          locale={{ emptyText: <Empty description={t("liveCodes.empty")} /> }}
          columns={[
            {
              title: t("liveCodes.name"),
              dataIndex: "name",
              render: (name: string, c) => (
                <Space orientation="vertical" size={0}>
                  <Link to={`/live-codes/${encodeURIComponent(c.id)}`} data-testid="live-code-link">
                    <Typography.Text strong>{name}</Typography.Text>
                  </Link>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t(`liveCodes.strategies.${c.strategy}`)}
                    {c.dailyCap ? ` · ${t("liveCodes.capShort", { n: c.dailyCap })}` : ""}
                  </Typography.Text>
                </Space>
              ),
            },
            {
              title: t("liveCodes.staff"),
              dataIndex: "staffUserIds",
              width: 170,
              render: (ids: string[], c) => (
                <Space size={4} wrap>
                  {ids.slice(0, 3).map((u) => (
                    <Tooltip
                      key={u}
                      title={
                        c.activeUserIds.includes(u) ? t("liveCodes.activeNow") : t("liveCodes.inactiveNow")
                      }
                    >
                      <Tag color={c.activeUserIds.includes(u) ? "green" : undefined}>{names.get(u) || u}</Tag>
                    </Tooltip>
                  ))}
                  {ids.length > 3 ? <Tag>+{ids.length - 3}</Tag> : null}
                </Space>
              ),
            },
            {
              title: t("liveCodes.form.tags"),
              dataIndex: "tags",
              width: 150,
              render: (tags: string[]) =>
                tags.length ? (
                  <Space size={4} wrap>
                    {tags.map((tag) => (
                      <Tag key={tag} color="blue" bordered={false}>
                        {tag}
                      </Tag>
                    ))}
                  </Space>
                ) : (
                  "—"
                ),
            },
            {
              title: t("liveCodes.today"),
              key: "today",
              width: 130,
              align: "right",
              render: (_: unknown, c) => {
                const n = counts(today, c.id);
                return (
                  <Tooltip title={t("liveCodes.addsNet")}>
                    <span data-testid="live-code-today">{`${n.adds} / ${n.netAdds}`}</span>
                  </Tooltip>
                );
              },
            },
            {
              title: t("liveCodes.total"),
              key: "total",
              width: 130,
              align: "right",
              render: (_: unknown, c) => {
                const n = counts(allTime, c.id);
                return (
                  <Tooltip title={t("liveCodes.addsNet")}>
                    <span data-testid="live-code-total">{`${c.adds} / ${allTime.has(c.id) ? n.netAdds : c.adds}`}</span>
                  </Tooltip>
                );
              },
            },
            {
              title: t("common.status"),
              key: "status",
              width: 150,
              render: (_: unknown, c) => (
                <Space orientation="vertical" size={0}>
                  <LiveCodeStatus code={c} />
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {c.validUntil
                      ? t("liveCodes.until", { time: formatTime(c.validUntil) })
                      : t("liveCodes.permanent")}
                  </Typography.Text>
                </Space>
              ),
            },
            {
              title: t("common.actions"),
              key: "actions",
              width: 150,
              render: (_: unknown, c) => (
                <Space size={0}>
                  <Button
                    type="link"
                    size="small"
                    icon={<QrcodeOutlined />}
                    onClick={() => navigate(`/live-codes/${encodeURIComponent(c.id)}`)}
                  >
                    {t("liveCodes.statsLink")}
                  </Button>
                  <Button
                    type="link"
                    size="small"
                    icon={<DownloadOutlined />}
                    onClick={() => void downloadQr(c)}
                    aria-label={t("liveCodes.detail.downloadQr")}
                  />
                  {canManage && c.status !== "deleted" ? (
                    <Button
                      type="link"
                      size="small"
                      icon={<EditOutlined />}
                      onClick={() => setEditing(c)}
                      aria-label={t("common.edit")}
                    />
                  ) : null}
                </Space>
              ),
            },
          ]}
        />
      </Card>
      {creating ? (
        <LiveCodeForm
          open
          onClose={() => setCreating(false)}
          onSaved={(c) => navigate(`/live-codes/${encodeURIComponent(c.id)}`)}
        />
      ) : null}
      {editing ? <LiveCodeForm open code={editing} onClose={() => setEditing(null)} /> : null}
    </>
  );
}
