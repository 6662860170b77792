import type { WecomAlertDto } from "@siyu/contracts";
import { Card, Empty, Space, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import { WecomNotConfigured } from "../../modules/wecom/wecom-guard.tsx";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

const text = (v: unknown) => (typeof v === "string" && v ? v : null);

export function WecomAlertsPage() {
  const { t } = useTranslation();
  const list = useCursorPage<WecomAlertDto>("wecom-alerts", "/api/wecom/alerts", {}, 50);
  return (
    <>
      <PageHeader title={t("wecom.alerts.title")} subtitle={t("wecom.alerts.subtitle")} />
      <WecomNotConfigured />
      <Card>
        <CursorTable<WecomAlertDto>
          list={list}
          rowKey="id"
          data-testid="wecom-alerts-table"
          scroll={{ x: 860 }}
          locale={{ emptyText: <Empty description={t("wecom.alerts.empty")} /> }}
          columns={[
            {
              title: t("wecom.alerts.kind"),
              dataIndex: "kind",
              render: (k: string) => (
                <Tag color="red">{t(`wecom.alerts.kinds.${k}`, { defaultValue: k })}</Tag>
              ),
            },
            {
              title: t("wecom.alerts.customer"),
              key: "customer",
              render: (_: unknown, a) => {
                const ext = text(a.data.externalUserid);
                return a.customerId ? (
                  <Link to={`/customers/${encodeURIComponent(a.customerId)}`}>
                    {t("wecom.alerts.openCustomer")}
                  </Link>
                ) : (
                  <Typography.Text type="secondary">{ext ?? "—"}</Typography.Text>
                );
              },
            },
            {
              title: t("wecom.alerts.staff"),
              key: "staff",
              render: (_: unknown, a) => <code>{text(a.data.staffUserid) ?? "—"}</code>,
            },
            {
              title: t("wecom.alerts.recipients"),
              dataIndex: "recipientUserids",
              render: (ids: string[]) =>
                ids.length ? (
                  <Space size={4} wrap>
                    {ids.map((id) => (
                      <Tag key={id} bordered={false}>
                        {id}
                      </Tag>
                    ))}
                  </Space>
                ) : (
                  "—"
                ),
            },
            {
              title: t("common.status"),
              dataIndex: "read",
              width: 90,
              render: (read: boolean) =>
                read ? (
                  <Tag>{t("wecom.alerts.read")}</Tag>
                ) : (
                  <Tag color="orange">{t("wecom.alerts.unread")}</Tag>
                ),
            },
            { title: t("wecom.alerts.at"), dataIndex: "createdAt", width: 180, render: formatTime },
          ]}
        />
      </Card>
    </>
  );
}
