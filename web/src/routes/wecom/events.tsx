import type { WecomEventDto } from "@siyu/contracts";
import { Card, Empty, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import { WecomNotConfigured } from "../../modules/wecom/wecom-guard.tsx";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

const statusColor: Record<WecomEventDto["status"], string> = {
  pending: "processing",
  done: "success",
  ignored: "default",
  failed: "error",
};

export function WecomEventsPage() {
  const { t } = useTranslation();
  const list = useCursorPage<WecomEventDto>("wecom-events", "/api/wecom/events", {}, 50);
  return (
    <>
      <PageHeader title={t("wecom.events.title")} subtitle={t("wecom.events.subtitle")} />
      <WecomNotConfigured />
      <Card>
        <CursorTable<WecomEventDto>
          list={list}
          rowKey="inboxId"
          data-testid="wecom-events-table"
          scroll={{ x: 820 }}
          locale={{ emptyText: <Empty description={t("wecom.events.empty")} /> }}
          columns={[
            { title: t("wecom.events.inboxId"), dataIndex: "inboxId", width: 90 },
            {
              title: t("wecom.events.kind"),
              dataIndex: "kind",
              render: (k: string) => {
                const label = t(`wecom.events.kinds.${k.replace(".", "__")}`, { defaultValue: "" });
                return (
                  <div>
                    {label ? <div>{label}</div> : null}
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      <code>{k}</code>
                    </Typography.Text>
                  </div>
                );
              },
            },
            {
              title: t("wecom.events.status"),
              dataIndex: "status",
              width: 110,
              render: (s: WecomEventDto["status"]) => (
                <Tag color={statusColor[s]}>{t(`wecom.events.statuses.${s}`)}</Tag>
              ),
            },
            {
              title: t("wecom.events.error"),
              dataIndex: "error",
              render: (e: string | null) =>
                e ? (
                  <Typography.Text type="danger">{e}</Typography.Text>
                ) : (
                  <Typography.Text type="secondary">—</Typography.Text>
                ),
            },
            { title: t("wecom.events.receivedAt"), dataIndex: "createdAt", width: 180, render: formatTime },
          ]}
        />
      </Card>
    </>
  );
}
