import { DeleteOutlined, DownloadOutlined, QrcodeOutlined } from "@ant-design/icons";
import type {
  ChannelAccountFilter,
  ChannelOverviewDto,
  ChannelStatsDto,
  ChannelType,
  OaQrCodeDto,
} from "@siyu/contracts";

type ChannelOverviewItem = ChannelOverviewDto["items"][number];

import {
  App,
  Button,
  Card,
  Col,
  Drawer,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Row,
  Select,
  Space,
  Statistic,
  Switch,
  Table,
  Tag,
  Tooltip,
  Typography,
} from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import {
  type Range,
  RangePicker,
  shownRange,
  toStatsRange,
} from "../../modules/live-codes/live-code-stats.tsx";
import {
  fetchBlob,
  formatFen,
  saveBlob,
  useProtectedImage,
} from "../../modules/live-codes/live-codes.api.ts";
import {
  addOaQrSpend,
  channelsCsvPath,
  createOaQrCode,
  deleteOaQrCode,
  oafKey,
  oaQrPngPath,
  oaQrStatsCsvPath,
  useArticles,
  useChannelOverview,
  useChannelStats,
  useOaQrCodes,
  useOaTagMap,
} from "../../modules/oa-features/oa-features.api.ts";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { Chart } from "../../ui/chart.tsx";
import { CreateButton } from "../../ui/create-button.tsx";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

const counts = ["scans", "adds", "deletes", "deletesWithin24h", "netAdds"] as const;

/** Totals, the daily chart and CSV of one channel — the same panel for a WeCom live code or an OA code. */
export function ChannelStatsPanel({ type, id }: { type: ChannelType; id: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [range, setRange] = useState<Range | null>(null);
  const q = useChannelStats(type, id, toStatsRange(range));
  const s: ChannelStatsDto | undefined = q.data;
  return (
    <Card
      size="small"
      title={t("oaf.stats.title")}
      data-testid="channel-stats"
      extra={
        <Space wrap>
          <RangePicker value={shownRange(range, s)} onChange={setRange} />
          {type === "oa_qr" ? (
            <Button
              icon={<DownloadOutlined />}
              onClick={async () => {
                try {
                  saveBlob(
                    await fetchBlob(oaQrStatsCsvPath(id), { ...toStatsRange(range) }),
                    `oa-qr-${id}.csv`,
                  );
                } catch (e) {
                  message.error(errorText(t, e));
                }
              }}
            >
              CSV
            </Button>
          ) : null}
        </Space>
      }
    >
      {q.isError ? (
        <QueryError error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <>
          <Row gutter={[12, 12]}>
            {counts.map((k) => (
              <Col xs={12} md={8} xl={4} key={k}>
                <Statistic
                  title={t(`oaf.stats.${k}`)}
                  value={s?.[k] ?? 0}
                  data-testid={`channel-stat-${k}`}
                />
              </Col>
            ))}
            <Col xs={12} md={8} xl={4}>
              <Statistic
                title={t("oaf.stats.costPerAdd")}
                value={s?.spendFen ? formatFen(s.costPerAddFen) : "—"}
              />
            </Col>
          </Row>
          {s ? (
            <Chart
              height={260}
              option={{
                tooltip: { trigger: "axis" },
                legend: { top: 0 },
                grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
                xAxis: { type: "category", data: s.daily.map((d) => d.date.slice(5)) },
                yAxis: { type: "value", minInterval: 1 },
                series: [
                  {
                    name: t("oaf.stats.adds"),
                    type: "bar",
                    itemStyle: { color: "#07c160" },
                    data: s.daily.map((d) => d.adds),
                  },
                  {
                    name: t("oaf.stats.deletes"),
                    type: "bar",
                    itemStyle: { color: "#f5222d" },
                    data: s.daily.map((d) => d.deletes),
                  },
                  { name: t("oaf.stats.scans"), type: "line", data: s.daily.map((d) => d.scans) },
                ],
              }}
            />
          ) : null}
        </>
      )}
    </Card>
  );
}

/**
 * The label of a previous Official Account's code (in the code list, the drawer and the overview of
 * all channels): its history is kept and shown, but it is read-only and counts for no one else.
 */
function OtherAccountTag({ appId, testId }: { appId: string | null; testId?: string }) {
  const { t } = useTranslation();
  return (
    <Tooltip title={t("oaf.qr.otherAccountHint", { appId: appId || "—" })}>
      <Tag color="default" data-testid={testId}>
        {t("oaf.qr.otherAccount")}
      </Tag>
    </Tooltip>
  );
}

function QrImage({ id }: { id: string }) {
  const url = useProtectedImage(oaQrPngPath(id), { size: 320 });
  return url.data ? (
    <img src={url.data} alt="QR" width={200} height={200} data-testid="oa-qr-image" />
  ) : (
    <QrcodeOutlined style={{ fontSize: 120, color: "#ccc" }} />
  );
}

function CodeDrawer({ code, onClose }: { code: OaQrCodeDto | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [spend, setSpend] = useState<number | null>(null);
  const addSpend = useActionMutation({
    mutationFn: (amountFen: number) => {
      const today = new Date().toISOString().slice(0, 10);
      return addOaQrSpend(code?.id as string, { periodStart: today, periodEnd: today, amountFen });
    },
    successText: t("oaf.qr.spendAdded"),
    invalidate: [oafKey],
  });
  return (
    <Drawer
      open={Boolean(code)}
      onClose={onClose}
      width={880}
      title={
        code ? (
          <Space size={4}>
            {code.name}
            {code.otherAccount ? <OtherAccountTag appId={code.appId} /> : null}
          </Space>
        ) : null
      }
      destroyOnHidden
    >
      {code ? (
        <Space direction="vertical" size={16} style={{ width: "100%" }}>
          <Space align="start" size={24} wrap>
            <QrImage id={code.id} />
            <Space direction="vertical">
              <Typography.Text>
                {t("oaf.qr.scene")}: <Typography.Text code>{code.scene}</Typography.Text>
              </Typography.Text>
              <Typography.Text>
                {code.permanent
                  ? t("oaf.qr.permanent")
                  : `${t("oaf.qr.expiresAt")}: ${formatTime(code.expiresAt)}`}
              </Typography.Text>
              <Space wrap>
                {code.tags.map((x) => (
                  <Tag key={x}>{x}</Tag>
                ))}
              </Space>
              <Button
                icon={<DownloadOutlined />}
                data-testid="oa-qr-download"
                onClick={async () => {
                  try {
                    saveBlob(
                      await fetchBlob(oaQrPngPath(code.id), { size: 1024 }),
                      `oa-qr-${code.scene}.png`,
                    );
                  } catch (e) {
                    message.error(errorText(t, e));
                  }
                }}
              >
                {t("oaf.qr.download")}
              </Button>
              <Space>
                <InputNumber min={0} placeholder={t("oaf.qr.spendYuan")} value={spend} onChange={setSpend} />
                <Button disabled={!spend} onClick={() => spend && addSpend.mutate(Math.round(spend * 100))}>
                  {t("oaf.qr.addSpend")}
                </Button>
              </Space>
            </Space>
          </Space>
          <ChannelStatsPanel type="oa_qr" id={code.id} />
        </Space>
      ) : null}
    </Drawer>
  );
}

function CreateQrModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const articles = useArticles();
  const tagMap = useOaTagMap();
  const permanent = Form.useWatch("permanent", form);
  const create = useActionMutation({
    mutationFn: (v: {
      name: string;
      scene?: string;
      permanent: boolean;
      days?: number;
      tags?: string[];
      oaTagIds?: number[];
      welcomeText?: string;
      welcomeArticle?: string;
    }) =>
      createOaQrCode({
        name: v.name,
        ...(v.scene ? { scene: v.scene } : {}),
        permanent: v.permanent,
        ...(!v.permanent && v.days ? { expireSeconds: v.days * 86400 } : {}),
        tags: v.tags ?? [],
        oaTagIds: v.oaTagIds ?? [],
        welcome: v.welcomeArticle
          ? { type: "article", articleId: v.welcomeArticle }
          : v.welcomeText
            ? { type: "text", content: v.welcomeText }
            : null,
      }),
    successText: t("oaf.qr.created"),
    invalidate: [oafKey],
    onSuccess: () => {
      form.resetFields();
      onClose();
    },
  });
  return (
    <Modal
      open={open}
      title={t("oaf.qr.create")}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={create.isPending}
      okButtonProps={{ id: "oa-qr-submit" }}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={{ permanent: false, days: 30 }}
        onFinish={create.mutate}
      >
        <Form.Item name="name" label={t("oaf.qr.name")} rules={[{ required: true }]}>
          <Input data-testid="oa-qr-name" maxLength={100} />
        </Form.Item>
        <Form.Item name="scene" label={t("oaf.qr.scene")} extra={t("oaf.qr.sceneHint")}>
          <Input data-testid="oa-qr-scene" maxLength={64} />
        </Form.Item>
        <Form.Item name="permanent" label={t("oaf.qr.permanent")} valuePropName="checked">
          <Switch />
        </Form.Item>
        {!permanent ? (
          <Form.Item name="days" label={t("oaf.qr.days")}>
            <InputNumber min={1} max={30} />
          </Form.Item>
        ) : null}
        <Form.Item name="tags" label={t("oaf.qr.tags")}>
          <Select mode="tags" data-testid="oa-qr-tags" />
        </Form.Item>
        <Form.Item name="oaTagIds" label={t("oaf.qr.oaTags")} extra={t("oaf.qr.oaTagsHint")}>
          <Select
            mode="multiple"
            options={(tagMap.data?.items ?? []).map((m) => ({
              value: m.oaTagId,
              label: `${m.oaTagName} (#${m.oaTagId})`,
            }))}
          />
        </Form.Item>
        <Form.Item name="welcomeText" label={t("oaf.qr.welcomeText")}>
          <Input.TextArea rows={2} maxLength={600} />
        </Form.Item>
        <Form.Item name="welcomeArticle" label={t("oaf.qr.welcomeArticle")}>
          <Select
            allowClear
            options={(articles.data?.items ?? []).map((a) => ({ value: a.id, label: a.title }))}
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Every channel of both engines: totals, a chart of adds per engine per day, CSV. */
function AllChannels() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [range, setRange] = useState<Range | null>(null);
  // All by default: a previous account's codes stay visible (after the current ones, labelled).
  const [account, setAccount] = useState<ChannelAccountFilter>("all");
  const q = useChannelOverview(toStatsRange(range), undefined, account);
  const o = q.data;
  const days = [...new Set((o?.daily ?? []).map((d) => d.date))];
  const series = (type: ChannelType) =>
    days.map((day) => o?.daily.find((d) => d.date === day && d.channelType === type)?.adds ?? 0);
  return (
    <Card
      title={t("oaf.channels.title")}
      data-testid="all-channels"
      extra={
        <Space wrap>
          <Select<ChannelAccountFilter>
            value={account}
            onChange={setAccount}
            aria-label={t("oaf.channels.account")}
            data-testid="all-channels-account"
            style={{ minWidth: 180 }}
            options={[
              { value: "all", label: t("oaf.channels.accountAll") },
              { value: "current", label: t("oaf.channels.accountCurrent") },
              { value: "previous", label: t("oaf.channels.accountPrevious") },
            ]}
          />
          <RangePicker value={shownRange(range, o)} onChange={setRange} />
          <Button
            icon={<DownloadOutlined />}
            onClick={async () => {
              try {
                saveBlob(
                  await fetchBlob(channelsCsvPath, { ...toStatsRange(range), account }),
                  "channels.csv",
                );
              } catch (e) {
                message.error(errorText(t, e));
              }
            }}
          >
            CSV
          </Button>
        </Space>
      }
    >
      {o ? (
        <Chart
          height={220}
          option={{
            tooltip: { trigger: "axis" },
            legend: { top: 0 },
            grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
            xAxis: { type: "category", data: days.map((d) => d.slice(5)) },
            yAxis: { type: "value", minInterval: 1 },
            series: [
              {
                name: t("oaf.channels.live_code"),
                type: "bar",
                stack: "a",
                itemStyle: { color: "#1677ff" },
                data: series("live_code"),
              },
              {
                name: t("oaf.channels.oa_qr"),
                type: "bar",
                stack: "a",
                itemStyle: { color: "#07c160" },
                data: series("oa_qr"),
              },
            ],
          }}
        />
      ) : null}
      <Table<ChannelOverviewItem>
        size="small"
        rowKey={(r) => `${r.channelType}:${r.channelId}`}
        loading={q.isPending}
        dataSource={o?.items ?? []}
        pagination={{ pageSize: 10 }}
        columns={[
          {
            title: t("oaf.channels.kind"),
            dataIndex: "channelType",
            render: (v: ChannelType) => (
              <Tag color={v === "oa_qr" ? "green" : "blue"}>{t(`oaf.channels.${v}`)}</Tag>
            ),
          },
          {
            title: t("oaf.qr.name"),
            dataIndex: "name",
            render: (v: string, r: ChannelOverviewItem) => (
              <Space size={4}>
                <span>{v}</span>
                {r.otherAccount ? (
                  <OtherAccountTag appId={r.appId} testId={`channel-other-${r.channelId}`} />
                ) : null}
              </Space>
            ),
          },
          ...counts.map((k) => ({ title: t(`oaf.stats.${k}`), dataIndex: k, align: "right" as const })),
          {
            title: t("oaf.stats.costPerAdd"),
            dataIndex: "costPerAddFen",
            align: "right" as const,
            render: (v: number | null, r: ChannelOverviewItem) => (r.spendFen ? formatFen(v) : "—"),
          },
        ]}
      />
    </Card>
  );
}

/** Official Account parametric QR codes as channels, and every channel of both engines. */
export function OaChannelsPage() {
  const { t } = useTranslation();
  const codes = useOaQrCodes();
  const [creating, setCreating] = useState(false);
  const [open, setOpen] = useState<OaQrCodeDto | null>(null);
  const remove = useActionMutation({
    mutationFn: (id: string) => deleteOaQrCode(id),
    successText: t("oaf.qr.deleted"),
    invalidate: [oafKey],
  });
  return (
    <>
      <PageHeader
        title={t("oaf.qr.title")}
        subtitle={t("oaf.qr.subtitle")}
        extra={
          <CreateButton onClick={() => setCreating(true)} testId="oa-qr-create">
            {t("oaf.qr.create")}
          </CreateButton>
        }
      />
      <Space direction="vertical" size={16} style={{ width: "100%" }}>
        <Card>
          {codes.isError ? (
            <QueryError error={codes.error} onRetry={() => void codes.refetch()} />
          ) : (
            <Table
              size="middle"
              rowKey="id"
              data-testid="oa-qr-table"
              loading={codes.isPending}
              dataSource={codes.data?.items ?? []}
              pagination={false}
              columns={[
                {
                  title: t("oaf.qr.name"),
                  dataIndex: "name",
                  render: (v: string, r) => (
                    <Space size={4}>
                      <Typography.Link onClick={() => setOpen(r)} data-testid={`oa-qr-open-${r.scene}`}>
                        {v}
                      </Typography.Link>
                      {r.otherAccount && (
                        <OtherAccountTag appId={r.appId} testId={`oa-qr-other-${r.scene}`} />
                      )}
                    </Space>
                  ),
                },
                {
                  title: t("oaf.qr.scene"),
                  dataIndex: "scene",
                  render: (v: string) => <Typography.Text code>{v}</Typography.Text>,
                },
                {
                  title: t("oaf.qr.kind"),
                  render: (_: unknown, r) =>
                    r.permanent ? (
                      <Tag color="blue">{t("oaf.qr.permanent")}</Tag>
                    ) : r.expired ? (
                      <Tag>{t("oaf.qr.expired")}</Tag>
                    ) : (
                      <Tag color="gold">{`${t("oaf.qr.temporary")} · ${formatTime(r.expiresAt)}`}</Tag>
                    ),
                },
                {
                  title: t("oaf.qr.tags"),
                  dataIndex: "tags",
                  render: (v: string[]) => v.map((x) => <Tag key={x}>{x}</Tag>),
                },
                { title: t("oaf.stats.scans"), dataIndex: "scans", align: "right" },
                { title: t("oaf.stats.adds"), dataIndex: "adds", align: "right" },
                {
                  title: "",
                  // Another account's code is read-only (its ticket is that account's; the API answers 409).
                  render: (_: unknown, r) =>
                    r.otherAccount ? (
                      <Tooltip title={t("oaf.qr.readOnly")}>
                        <Button
                          type="text"
                          icon={<DeleteOutlined />}
                          disabled
                          aria-label={t("oaf.qr.readOnly")}
                          data-testid={`oa-qr-delete-${r.scene}`}
                        />
                      </Tooltip>
                    ) : (
                      <Popconfirm title={t("oaf.qr.deleteConfirm")} onConfirm={() => remove.mutate(r.id)}>
                        <Button
                          type="text"
                          icon={<DeleteOutlined />}
                          data-testid={`oa-qr-delete-${r.scene}`}
                        />
                      </Popconfirm>
                    ),
                },
              ]}
            />
          )}
        </Card>
        <AllChannels />
      </Space>
      <CreateQrModal open={creating} onClose={() => setCreating(false)} />
      <CodeDrawer code={open} onClose={() => setOpen(null)} />
    </>
  );
}
