import { Card, Progress, Space, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import { MassMessageForm } from "../../modules/wecom-actions/mass-message-form.tsx";
import { type MassMessage, statusColor } from "../../modules/wecom-actions/wecom-actions.api.ts";
import { CreateButton } from "../../ui/create-button.tsx";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

/** Share of recipients WeCom has given a final answer for (sent or failed in some way). */
export function answered(m: MassMessage): number {
  if (!m.total) return 0;
  const open = (m.counts.pending ?? 0) + (m.counts.not_sent ?? 0);
  return Math.round(((m.total - open) / m.total) * 100);
}

/** 企业微信 › 群发: the list of mass messages with their progress. */
export function MassMessagesPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const list = useCursorPage<MassMessage>("wecom-mass-messages", "/api/wecom/mass-messages", {});
  return (
    <>
      <PageHeader
        title={t("wecomActions.mass.title")}
        subtitle={t("wecomActions.mass.subtitle")}
        extra={
          <CreateButton onClick={() => setCreating(true)} testId="mass-message-create">
            {t("wecomActions.mass.create")}
          </CreateButton>
        }
      />
      <Card>
        <CursorTable<MassMessage>
          list={list}
          rowKey="id"
          data-testid="mass-messages-table"
          scroll={{ x: 900 }}
          columns={[
            {
              title: t("wecomActions.mass.name"),
              dataIndex: "name",
              render: (name: string, m) => (
                <Space orientation="vertical" size={0}>
                  <Link to={`/wecom/mass-messages/${encodeURIComponent(m.id)}`}>
                    <Typography.Text strong>{name || m.id}</Typography.Text>
                  </Link>
                  <Typography.Text type="secondary" ellipsis style={{ maxWidth: 360 }}>
                    {m.text}
                  </Typography.Text>
                </Space>
              ),
            },
            {
              title: t("common.status"),
              dataIndex: "status",
              width: 120,
              render: (s: string) => <Tag color={statusColor[s]}>{t(`wecomActions.status.${s}`)}</Tag>,
            },
            { title: t("wecomActions.mass.recipients"), dataIndex: "total", width: 100, align: "right" },
            {
              title: t("wecomActions.mass.progress"),
              key: "progress",
              width: 200,
              render: (_: unknown, m) => <Progress percent={answered(m)} size="small" />,
            },
            { title: t("common.createdAt"), dataIndex: "createdAt", width: 180, render: formatTime },
          ]}
        />
      </Card>
      {creating ? (
        <MassMessageForm
          open
          onClose={() => setCreating(false)}
          onCreated={(m) => navigate(`/wecom/mass-messages/${encodeURIComponent(m.id)}`)}
        />
      ) : null}
    </>
  );
}
