import { RedoOutlined } from "@ant-design/icons";
import type { DeadLetter } from "@siyu/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Button, Card, Col, Descriptions, Empty, Row, Table, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { QueueChart } from "../../modules/system/queue-chart.tsx";
import { QueueTable } from "../../modules/system/queue-table.tsx";
import { retryDeadLetter, useDeadLetters, useOverview } from "../../modules/system/system.api.ts";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

export function SystemPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const overview = useOverview(5000);
  const dead = useDeadLetters(5000);
  const retry = useMutation({
    mutationFn: retryDeadLetter,
    onSuccess: () => {
      message.success(t("system.retried"));
      void queryClient.invalidateQueries({ queryKey: ["system"] });
    },
    onError: (error) => message.error(errorText(t, error)),
  });

  return (
    <>
      <PageHeader
        title={t("system.title")}
        subtitle={t("system.subtitle")}
        extra={<Typography.Text type="secondary">{t("system.autoRefresh")}</Typography.Text>}
      />
      {overview.isError ? (
        <QueryError error={overview.error} onRetry={() => void overview.refetch()} />
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={24}>
            <Card>
              <Descriptions column={{ xs: 1, sm: 2, lg: 4 }} size="small">
                <Descriptions.Item label={t("dashboard.mode")}>
                  {overview.data ? t(`dashboard.modes.${overview.data.mode}`) : "…"}
                </Descriptions.Item>
                <Descriptions.Item label={t("dashboard.role")}>
                  <Tag>{overview.data?.role ?? "…"}</Tag>
                </Descriptions.Item>
                <Descriptions.Item label={t("dashboard.version")}>
                  {overview.data?.version ?? "…"}
                </Descriptions.Item>
                <Descriptions.Item label={t("dashboard.tenant")}>
                  {overview.data?.tenant.name ?? "…"}
                </Descriptions.Item>
              </Descriptions>
            </Card>
          </Col>
          <Col xs={24} xl={12}>
            <Card title={t("system.queues")}>
              <QueueTable overview={overview.data} loading={overview.isPending} />
            </Card>
          </Col>
          <Col xs={24} xl={12}>
            <Card title={t("dashboard.queuesChart")}>
              {overview.isPending ? null : <QueueChart overview={overview.data} height={280} />}
            </Card>
          </Col>
        </Row>
      )}
      <Card title={t("system.deadLetters")} style={{ marginTop: 16 }}>
        {dead.isError ? (
          <QueryError error={dead.error} onRetry={() => void dead.refetch()} />
        ) : (
          <Table<DeadLetter>
            data-testid="dead-letters-table"
            rowKey="id"
            size="middle"
            loading={dead.isPending}
            dataSource={dead.data?.items ?? []}
            pagination={{ pageSize: 10, hideOnSinglePage: true }}
            scroll={{ x: 900 }}
            locale={{
              emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("system.noDead")} />,
            }}
            columns={[
              {
                title: t("system.deadName"),
                dataIndex: "name",
                render: (n: string) => <Typography.Text code>{n}</Typography.Text>,
              },
              { title: t("queue.name"), dataIndex: "queue", render: (q: string) => <Tag>{q}</Tag> },
              {
                title: t("system.error"),
                dataIndex: "error",
                ellipsis: true,
                render: (e: string | null) => <Typography.Text type="danger">{e ?? "—"}</Typography.Text>,
              },
              { title: t("system.attempts"), dataIndex: "attempts", align: "right" },
              { title: t("system.failedAt"), dataIndex: "failedAt", render: formatTime },
              {
                title: t("common.actions"),
                key: "actions",
                fixed: "right",
                render: (_: unknown, d) => (
                  <Button
                    size="small"
                    icon={<RedoOutlined />}
                    loading={retry.isPending && retry.variables === d.id}
                    onClick={() => retry.mutate(d.id)}
                  >
                    {t("common.retry")}
                  </Button>
                ),
              },
            ]}
          />
        )}
      </Card>
    </>
  );
}
