import { SyncOutlined } from "@ant-design/icons";
import { type WecomSyncKind, type WecomSyncRunDto, wecomSyncKinds } from "@siyu/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Button, Card, Empty, Flex, Progress, Select, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import {
  isActive,
  startSync,
  syncPercent,
  syncRunsKey,
  useSyncRuns,
  useWecomSettings,
} from "../../modules/wecom/wecom.api.ts";
import { WecomNotConfigured } from "../../modules/wecom/wecom-guard.tsx";
import { errorText } from "../../ui/error-text.ts";
import { formatNumber, formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

const statusColor: Record<WecomSyncRunDto["status"], string> = {
  queued: "default",
  running: "processing",
  completed: "success",
  failed: "error",
};

const counters = [
  "departments",
  "staff",
  "followUsers",
  "tags",
  "tagsPushed",
  "contactPages",
  "relations",
  "contacts",
  "customersCreated",
  "groups",
  "groupMembers",
];
const counterOrder = (key: string) => {
  const at = counters.indexOf(key);
  return at < 0 ? counters.length : at;
};

export function WecomSyncPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<WecomSyncKind>("all");
  const runs = useSyncRuns();
  const settings = useWecomSettings();
  const start = useMutation({
    mutationFn: () => startSync(kind),
    onSuccess: () => {
      message.success(t("wecom.sync.started"));
      void queryClient.invalidateQueries({ queryKey: syncRunsKey });
    },
    onError: (error) => message.error(errorText(t, error)),
  });
  const items = runs.data?.items ?? [];
  const busy = items.some(isActive);

  return (
    <>
      <PageHeader
        title={t("wecom.sync.title")}
        subtitle={t("wecom.sync.subtitle")}
        extra={
          <Space.Compact>
            <Select<WecomSyncKind>
              value={kind}
              onChange={setKind}
              style={{ width: 160 }}
              data-testid="wecom-sync-kind"
              options={wecomSyncKinds.map((k) => ({ value: k, label: t(`wecom.sync.kinds.${k}`) }))}
            />
            <Button
              type="primary"
              icon={<SyncOutlined spin={busy} />}
              loading={start.isPending}
              disabled={settings.data?.configured === false}
              onClick={() => start.mutate()}
              data-testid="wecom-sync-start"
            >
              {t("wecom.sync.start")}
            </Button>
          </Space.Compact>
        }
      />
      <WecomNotConfigured />
      <Card>
        {runs.isError ? (
          <QueryError error={runs.error} onRetry={() => void runs.refetch()} />
        ) : (
          <Table<WecomSyncRunDto>
            rowKey="id"
            data-testid="wecom-sync-runs"
            loading={runs.isPending}
            dataSource={items}
            pagination={false}
            scroll={{ x: 1400 }}
            locale={{ emptyText: <Empty description={t("wecom.sync.empty")} /> }}
            columns={[
              {
                title: t("wecom.sync.kind"),
                dataIndex: "kind",
                width: 120,
                render: (k: string) => t(`wecom.sync.kinds.${k}`, { defaultValue: k }),
              },
              {
                title: t("common.status"),
                dataIndex: "status",
                width: 110,
                render: (s: WecomSyncRunDto["status"]) => (
                  <Tag color={statusColor[s]} data-testid={`wecom-sync-status-${s}`}>
                    {t(`wecom.sync.statuses.${s}`)}
                  </Tag>
                ),
              },
              {
                title: t("wecom.sync.progress"),
                key: "progress",
                width: 220,
                render: (_: unknown, run) => (
                  <div>
                    <Progress
                      percent={syncPercent(run)}
                      size="small"
                      status={run.status === "failed" ? "exception" : isActive(run) ? "active" : "success"}
                      data-testid="wecom-sync-progress"
                    />
                    {run.step ? (
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {t("wecom.sync.step")}:{" "}
                        {t(`wecom.sync.steps.${run.step}`, { defaultValue: run.step })}
                      </Typography.Text>
                    ) : null}
                  </div>
                ),
              },
              {
                title: t("wecom.sync.counts"),
                dataIndex: "progress",
                width: 340,
                render: (progress: Record<string, number>) => {
                  const entries = Object.entries(progress).sort(
                    ([a], [b]) => counterOrder(a) - counterOrder(b),
                  );
                  if (!entries.length) return <Typography.Text type="secondary">—</Typography.Text>;
                  return (
                    <Flex gap={4} wrap>
                      {entries.map(([key, n]) => (
                        <Tag key={key} bordered={false}>
                          {t(`wecom.sync.counters.${key}`, { defaultValue: key })} {formatNumber(n)}
                        </Tag>
                      ))}
                    </Flex>
                  );
                },
              },
              {
                title: t("wecom.sync.attempts"),
                dataIndex: "attempts",
                width: 110,
                render: (n: number) =>
                  n > 1 ? <Tag color="orange">{t("wecom.sync.resumed", { n: n - 1 })}</Tag> : n,
              },
              {
                title: t("wecom.sync.error"),
                dataIndex: "error",
                width: 200,
                render: (e: string | null) =>
                  e ? (
                    <Typography.Text type="danger" ellipsis={{ tooltip: e }} style={{ maxWidth: 190 }}>
                      {e}
                    </Typography.Text>
                  ) : (
                    <Typography.Text type="secondary">—</Typography.Text>
                  ),
              },
              { title: t("wecom.sync.startedAt"), dataIndex: "startedAt", width: 170, render: formatTime },
              { title: t("wecom.sync.finishedAt"), dataIndex: "finishedAt", width: 170, render: formatTime },
            ]}
          />
        )}
      </Card>
    </>
  );
}
