import { DeleteOutlined, SyncOutlined } from "@ant-design/icons";
import type { OaFollowerDto, OaKeywordReplyDto, OaSyncRunDto } from "@siyu/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import {
  App,
  Button,
  Card,
  Col,
  Empty,
  Flex,
  Form,
  Input,
  Popconfirm,
  Progress,
  Row,
  Segmented,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import {
  createOaReply,
  deleteOaReply,
  isActiveRun,
  oaRepliesKey,
  oaSyncKey,
  oaSyncPercent,
  startOaSync,
  useOaFollowerStats,
  useOaFollowers,
  useOaReplies,
  useOaSettings,
  useOaSyncRuns,
} from "../../modules/official-account/official-account.api.ts";
import { errorText } from "../../ui/error-text.ts";
import { formatNumber, formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

const statusColor: Record<OaSyncRunDto["status"], string> = {
  queued: "default",
  running: "processing",
  completed: "success",
  failed: "error",
};

function SyncCard() {
  const { t } = useTranslation();
  const runs = useOaSyncRuns();
  const items = runs.data?.items ?? [];
  if (runs.isError) return <QueryError error={runs.error} onRetry={() => void runs.refetch()} />;
  return (
    <Table<OaSyncRunDto>
      rowKey="id"
      size="small"
      data-testid="oa-sync-runs"
      loading={runs.isPending}
      dataSource={items.slice(0, 5)}
      pagination={false}
      locale={{ emptyText: <Empty description={t("officialAccount.sync.empty")} /> }}
      columns={[
        {
          title: t("common.status"),
          dataIndex: "status",
          width: 100,
          render: (s: OaSyncRunDto["status"]) => (
            <Tag color={statusColor[s]} data-testid={`oa-sync-status-${s}`}>
              {t(`wecom.sync.statuses.${s}`)}
            </Tag>
          ),
        },
        {
          title: t("wecom.sync.progress"),
          key: "progress",
          width: 260,
          render: (_: unknown, run) => (
            <div>
              <Progress
                percent={oaSyncPercent(run)}
                size="small"
                status={run.status === "failed" ? "exception" : isActiveRun(run) ? "active" : "success"}
                data-testid="oa-sync-progress"
              />
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t("officialAccount.sync.applied", {
                  applied: formatNumber(run.progress.applied ?? 0),
                  total: formatNumber(run.progress.total ?? 0),
                })}
              </Typography.Text>
            </div>
          ),
        },
        {
          title: t("wecom.sync.counts"),
          dataIndex: "progress",
          render: (progress: Record<string, number>) => (
            <Flex gap={4} wrap>
              {["customersCreated", "withUnionid", "unsubscribedFound"]
                .filter((k) => progress[k] !== undefined)
                .map((k) => (
                  <Tag key={k} bordered={false}>
                    {t(`officialAccount.sync.counters.${k}`)} {formatNumber(progress[k] ?? 0)}
                  </Tag>
                ))}
            </Flex>
          ),
        },
        {
          title: t("wecom.sync.attempts"),
          dataIndex: "attempts",
          width: 90,
          render: (n: number) =>
            n > 1 ? <Tag color="orange">{t("wecom.sync.resumed", { n: n - 1 })}</Tag> : n,
        },
        { title: t("wecom.sync.startedAt"), dataIndex: "startedAt", width: 160, render: formatTime },
      ]}
    />
  );
}

function RepliesCard() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const replies = useOaReplies();
  const [form] = Form.useForm<{ keyword: string; match: "exact" | "contains"; content: string }>();
  const refresh = () => void queryClient.invalidateQueries({ queryKey: oaRepliesKey });
  const create = useMutation({
    mutationFn: (v: { keyword: string; match: "exact" | "contains"; content: string }) =>
      createOaReply({ keyword: v.keyword, match: v.match, reply: { type: "text", content: v.content } }),
    onSuccess: () => {
      message.success(t("common.saved"));
      form.resetFields();
      refresh();
    },
    onError: (error) => message.error(errorText(t, error)),
  });
  const remove = useMutation({ mutationFn: deleteOaReply, onSuccess: refresh });
  return (
    <Card
      title={t("officialAccount.replies.title")}
      extra={<Typography.Text type="secondary">{t("officialAccount.replies.hint")}</Typography.Text>}
    >
      <Form
        form={form}
        layout="inline"
        onFinish={(v) => create.mutate(v)}
        initialValues={{ match: "exact" }}
        style={{ marginBottom: 12, rowGap: 8 }}
      >
        <Form.Item name="keyword" rules={[{ required: true, whitespace: true }]}>
          <Input
            placeholder={t("officialAccount.replies.keyword")}
            maxLength={30}
            data-testid="oa-reply-keyword"
          />
        </Form.Item>
        <Form.Item name="match">
          <Select
            style={{ width: 110 }}
            options={["exact", "contains"].map((m) => ({
              value: m,
              label: t(`officialAccount.replies.match.${m}`),
            }))}
          />
        </Form.Item>
        <Form.Item
          name="content"
          rules={[{ required: true, whitespace: true }]}
          style={{ flex: 1, minWidth: 220 }}
        >
          <Input
            placeholder={t("officialAccount.replies.content")}
            maxLength={2000}
            data-testid="oa-reply-content"
          />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={create.isPending} data-testid="oa-reply-add">
          {t("common.add", { defaultValue: "添加" })}
        </Button>
      </Form>
      <Table<OaKeywordReplyDto>
        rowKey="id"
        size="small"
        pagination={false}
        loading={replies.isPending}
        dataSource={replies.data?.items ?? []}
        locale={{ emptyText: <Empty description={t("officialAccount.replies.empty")} /> }}
        columns={[
          { title: t("officialAccount.replies.keyword"), dataIndex: "keyword", width: 160 },
          {
            title: t("officialAccount.replies.matchTitle"),
            dataIndex: "match",
            width: 100,
            render: (m: string) => t(`officialAccount.replies.match.${m}`),
          },
          {
            title: t("officialAccount.replies.content"),
            dataIndex: "reply",
            render: (r: OaKeywordReplyDto["reply"]) => (r.type === "text" ? r.content : r.type),
          },
          {
            key: "actions",
            width: 60,
            render: (_: unknown, r) => (
              <Popconfirm
                title={t("officialAccount.replies.deleteConfirm")}
                onConfirm={() => remove.mutate(r.id)}
              >
                <Button type="text" danger icon={<DeleteOutlined />} aria-label="delete" />
              </Popconfirm>
            ),
          },
        ]}
      />
    </Card>
  );
}

export function OaFollowersPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const settings = useOaSettings();
  const runs = useOaSyncRuns();
  const busy = (runs.data?.items ?? []).some(isActiveRun);
  const stats = useOaFollowerStats(busy);
  const [subscribed, setSubscribed] = useState<string>("");
  const [q, setQ] = useState("");
  const [cursors, setCursors] = useState<string[]>([]);
  const followers = useOaFollowers({ subscribed, q, cursor: cursors[cursors.length - 1] });
  const start = useMutation({
    mutationFn: startOaSync,
    onSuccess: () => {
      message.success(t("wecom.sync.started"));
      void queryClient.invalidateQueries({ queryKey: oaSyncKey });
    },
    onError: (error) => message.error(errorText(t, error)),
  });
  const s = stats.data;
  return (
    <>
      <PageHeader
        title={t("officialAccount.followers.title")}
        subtitle={t("officialAccount.followers.subtitle")}
        extra={
          <Button
            type="primary"
            icon={<SyncOutlined spin={busy} />}
            loading={start.isPending}
            disabled={settings.data?.configured === false}
            onClick={() => start.mutate()}
            data-testid="oa-sync-start"
          >
            {t("officialAccount.sync.start")}
          </Button>
        }
      />
      <Row gutter={[16, 16]}>
        {(
          [
            ["subscribed", s?.subscribed],
            ["unsubscribed", s?.unsubscribed],
            ["withUnionid", s?.withUnionid],
            ["linkedToWecom", s?.linkedToWecom],
          ] as const
        ).map(([key, value]) => (
          <Col xs={12} md={6} key={key}>
            <Card size="small">
              <Statistic
                title={t(`officialAccount.followers.stats.${key}`)}
                value={value ?? "—"}
                data-testid={`oa-stat-${key}`}
              />
            </Card>
          </Col>
        ))}
        <Col xs={24}>
          <Card title={t("officialAccount.sync.title")}>
            <SyncCard />
          </Card>
        </Col>
        <Col xs={24}>
          <Card
            title={t("officialAccount.followers.list")}
            extra={
              <Space>
                <Segmented
                  value={subscribed}
                  onChange={(v) => {
                    setSubscribed(String(v));
                    setCursors([]);
                  }}
                  options={[
                    { value: "", label: t("officialAccount.followers.all") },
                    { value: "true", label: t("officialAccount.followers.stats.subscribed") },
                    { value: "false", label: t("officialAccount.followers.stats.unsubscribed") },
                  ]}
                />
                <Input.Search
                  allowClear
                  placeholder={t("officialAccount.followers.search")}
                  onSearch={(v) => {
                    setQ(v.trim());
                    setCursors([]);
                  }}
                  style={{ width: 260 }}
                  data-testid="oa-followers-search"
                />
              </Space>
            }
          >
            {followers.isError ? (
              <QueryError error={followers.error} onRetry={() => void followers.refetch()} />
            ) : (
              <Table<OaFollowerDto>
                rowKey="openid"
                size="small"
                data-testid="oa-followers"
                loading={followers.isPending}
                dataSource={followers.data?.items ?? []}
                pagination={false}
                scroll={{ x: 1000 }}
                columns={[
                  {
                    title: t("officialAccount.followers.customer"),
                    dataIndex: "customerId",
                    render: (id: string, r) => (
                      <Link to={`/customers/${id}`}>{r.customerName || r.openid.slice(-8)}</Link>
                    ),
                  },
                  {
                    title: "OpenID",
                    dataIndex: "openid",
                    render: (v: string) => <Typography.Text code>{v}</Typography.Text>,
                  },
                  {
                    title: "UnionID",
                    dataIndex: "unionid",
                    render: (v: string | null) => (v ? <Typography.Text code>{v}</Typography.Text> : "—"),
                  },
                  {
                    title: t("common.status"),
                    dataIndex: "subscribed",
                    width: 100,
                    render: (v: boolean) =>
                      v ? (
                        <Tag color="green">{t("officialAccount.followers.stats.subscribed")}</Tag>
                      ) : (
                        <Tag>{t("officialAccount.followers.stats.unsubscribed")}</Tag>
                      ),
                  },
                  {
                    title: t("officialAccount.followers.scene"),
                    dataIndex: "qrScene",
                    render: (v: string | null) => v ?? "—",
                  },
                  {
                    title: t("officialAccount.followers.subscribedAt"),
                    dataIndex: "subscribeTime",
                    render: formatTime,
                  },
                  {
                    title: t("officialAccount.followers.lastInteraction"),
                    dataIndex: "lastInteractionAt",
                    render: formatTime,
                  },
                ]}
                footer={() => (
                  <Flex justify="end" gap={8}>
                    <Button disabled={!cursors.length} onClick={() => setCursors(cursors.slice(0, -1))}>
                      {t("officialAccount.followers.prev")}
                    </Button>
                    <Button
                      disabled={!followers.data?.nextCursor}
                      onClick={() =>
                        followers.data?.nextCursor && setCursors([...cursors, followers.data.nextCursor])
                      }
                    >
                      {t("officialAccount.followers.next")}
                    </Button>
                  </Flex>
                )}
              />
            )}
          </Card>
        </Col>
        <Col xs={24}>
          <RepliesCard />
        </Col>
      </Row>
    </>
  );
}
