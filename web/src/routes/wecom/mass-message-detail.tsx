import { ReloadOutlined } from "@ant-design/icons";
import { Button, Card, Col, Descriptions, Progress, Row, Select, Skeleton, Table, Tag } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import {
  type MassRecipient,
  refreshMassMessage,
  statusColor,
  useMassMessage,
} from "../../modules/wecom-actions/wecom-actions.api.ts";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { Chart } from "../../ui/chart.tsx";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";
import { answered } from "./mass-messages.tsx";

const recipientStatuses = [
  "pending",
  "not_sent",
  "sent",
  "not_friend",
  "already_received",
  "failed",
  "blocked",
] as const;

/** 群发详情: per-sender tasks, per-customer results, and how far WeCom has answered. */
export function MassMessageDetailPage() {
  const { t } = useTranslation();
  const id = useParams().id ?? "";
  const message = useMassMessage(id);
  const [status, setStatus] = useState<string | undefined>();
  const recipients = useCursorPage<MassRecipient>(
    "wecom-mass-recipients",
    `/api/wecom/mass-messages/${encodeURIComponent(id)}/recipients`,
    { status },
  );
  const refresh = useActionMutation({
    mutationFn: () => refreshMassMessage(id),
    successText: t("wecomActions.refreshing"),
    invalidate: [["wecom-mass-messages", id], ["wecom-mass-recipients"]],
  });
  if (message.isError) return <QueryError error={message.error} onRetry={() => void message.refetch()} />;
  const m = message.data;
  if (!m) return <Skeleton active />;
  const pie = recipientStatuses
    .filter((s) => (m.counts[s] ?? 0) > 0)
    .map((s) => ({ name: t(`wecomActions.status.${s}`), value: m.counts[s] ?? 0 }));
  return (
    <>
      <PageHeader
        title={m.name || m.id}
        subtitle={<Link to="/wecom/mass-messages">{t("wecomActions.mass.title")}</Link>}
        extra={
          <Button icon={<ReloadOutlined />} loading={refresh.isPending} onClick={() => refresh.mutate()}>
            {t("wecomActions.fetchResults")}
          </Button>
        }
      />
      <Row gutter={16}>
        <Col xs={24} lg={14}>
          <Card style={{ marginBottom: 16 }}>
            <Descriptions column={1} size="small">
              <Descriptions.Item label={t("common.status")}>
                <Tag color={statusColor[m.status]}>{t(`wecomActions.status.${m.status}`)}</Tag>
              </Descriptions.Item>
              <Descriptions.Item label={t("wecomActions.mass.text")}>{m.text || "—"}</Descriptions.Item>
              <Descriptions.Item label={t("wecomActions.mass.recipients")}>{m.total}</Descriptions.Item>
              <Descriptions.Item label={t("wecomActions.mass.progress")}>
                <Progress percent={answered(m)} data-testid="mass-progress" />
              </Descriptions.Item>
              {m.notBefore ? (
                <Descriptions.Item label={t("wecomActions.mass.notBefore")}>
                  <span data-testid="mass-not-before">{formatTime(m.notBefore)}</span>
                </Descriptions.Item>
              ) : null}
              {m.error ? (
                <Descriptions.Item label={t("wecomActions.error")}>{m.error}</Descriptions.Item>
              ) : null}
              <Descriptions.Item label={t("common.createdAt")}>{formatTime(m.createdAt)}</Descriptions.Item>
            </Descriptions>
          </Card>
          <Card title={t("wecomActions.mass.senders")} style={{ marginBottom: 16 }}>
            <Table
              rowKey="sender"
              size="small"
              pagination={false}
              dataSource={m.senders}
              columns={[
                { title: t("wecomActions.staff"), dataIndex: "sender" },
                { title: t("wecomActions.mass.recipients"), dataIndex: "recipients", align: "right" },
                {
                  title: t("common.status"),
                  dataIndex: "status",
                  render: (s: string) => <Tag color={statusColor[s]}>{t(`wecomActions.status.${s}`)}</Tag>,
                },
                { title: "msgid", dataIndex: "msgid", render: (v: string | null) => v ?? "—" },
                { title: t("wecomActions.error"), dataIndex: "error", render: (v: string | null) => v ?? "" },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} lg={10}>
          <Card title={t("wecomActions.mass.results")} style={{ marginBottom: 16 }}>
            <Chart
              height={280}
              option={{
                tooltip: { trigger: "item" },
                legend: { bottom: 0 },
                series: [{ type: "pie", radius: ["40%", "70%"], data: pie }],
              }}
            />
          </Card>
        </Col>
      </Row>
      <Card
        title={t("wecomActions.mass.perCustomer")}
        extra={
          <Select
            allowClear
            style={{ width: 180 }}
            placeholder={t("common.status")}
            value={status}
            onChange={setStatus}
            options={recipientStatuses.map((s) => ({ value: s, label: t(`wecomActions.status.${s}`) }))}
          />
        }
      >
        <CursorTable<MassRecipient>
          list={recipients}
          rowKey="externalUserid"
          data-testid="mass-recipients-table"
          size="small"
          columns={[
            {
              title: t("wecomActions.customer"),
              dataIndex: "customerId",
              render: (c: string) => <Link to={`/customers/${encodeURIComponent(c)}`}>{c}</Link>,
            },
            { title: "external_userid", dataIndex: "externalUserid" },
            { title: t("wecomActions.staff"), dataIndex: "sender" },
            {
              title: t("common.status"),
              dataIndex: "status",
              render: (s: string) => <Tag color={statusColor[s]}>{t(`wecomActions.status.${s}`)}</Tag>,
            },
            {
              title: t("wecomActions.mass.policyReason"),
              dataIndex: "policyReason",
              render: (r: string | null) => (r ? t(`contactPolicy.reasons.${r}`) : ""),
            },
            { title: t("wecomActions.sendTime"), dataIndex: "sendTime", render: formatTime },
          ]}
        />
      </Card>
    </>
  );
}
