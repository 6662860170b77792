import type { WecomGroupDto, WecomGroupMemberDto } from "@siyu/contracts";
import { Card, Descriptions, Drawer, Empty, Skeleton, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import { useGroupDetail } from "../../modules/wecom/wecom.api.ts";
import { WecomNotConfigured } from "../../modules/wecom/wecom-guard.tsx";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { formatNumber, formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

function GroupDrawer({ chatId, onClose }: { chatId: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const detail = useGroupDetail(chatId);
  const g = detail.data;
  return (
    <Drawer
      open={chatId !== null}
      onClose={onClose}
      size={720}
      title={g ? g.name || t("wecom.groups.unnamed") : t("wecom.groups.detail")}
      data-testid="wecom-group-drawer"
    >
      {detail.isError ? (
        <QueryError error={detail.error} onRetry={() => void detail.refetch()} />
      ) : !g ? (
        <Skeleton active />
      ) : (
        <>
          <Descriptions column={2} size="small" style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t("wecom.groups.chatId")}>
              <code>{g.chatId}</code>
            </Descriptions.Item>
            <Descriptions.Item label={t("wecom.groups.owner")}>
              {g.ownerName ?? g.ownerUserid ?? "—"}
            </Descriptions.Item>
            <Descriptions.Item label={t("wecom.groups.members")}>
              {formatNumber(g.memberCount)}
            </Descriptions.Item>
            <Descriptions.Item label={t("wecom.groups.status")}>
              {g.dismissed ? (
                <Tag>{t("wecom.groups.dismissed")}</Tag>
              ) : (
                <Tag color="green">{t("wecom.groups.active")}</Tag>
              )}
            </Descriptions.Item>
            <Descriptions.Item label={t("wecom.groups.notice")} span={2}>
              {g.notice || "—"}
            </Descriptions.Item>
          </Descriptions>
          <Table<WecomGroupMemberDto>
            rowKey="memberId"
            size="small"
            dataSource={g.members}
            pagination={g.members.length > 50 ? { pageSize: 50 } : false}
            locale={{ emptyText: <Empty description={t("wecom.groups.noMembers")} /> }}
            columns={[
              {
                title: t("wecom.groups.memberName"),
                key: "name",
                render: (_: unknown, m) => {
                  const label = m.groupNickname || m.name || m.memberId;
                  return m.customerId ? (
                    <Link to={`/customers/${encodeURIComponent(m.customerId)}`}>{label}</Link>
                  ) : (
                    label
                  );
                },
              },
              {
                title: t("wecom.groups.memberType"),
                dataIndex: "type",
                render: (type: number) => (
                  <Tag color={type === 1 ? "blue" : "green"}>
                    {t(`wecom.groups.types.${type}`, { defaultValue: String(type) })}
                  </Tag>
                ),
              },
              {
                title: t("wecom.groups.joinScene"),
                dataIndex: "joinScene",
                render: (s: number | null) =>
                  s === null ? "—" : t(`wecom.groups.scenes.${s}`, { defaultValue: String(s) }),
              },
              {
                title: t("wecom.groups.invitor"),
                dataIndex: "invitor",
                render: (v: string | null) => v ?? "—",
              },
              { title: t("wecom.groups.joinTime"), dataIndex: "joinTime", render: formatTime },
            ]}
          />
        </>
      )}
    </Drawer>
  );
}

export function WecomGroupsPage() {
  const { t } = useTranslation();
  const list = useCursorPage<WecomGroupDto>("wecom-groups", "/api/wecom/groups", {}, 50);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <>
      <PageHeader title={t("wecom.groups.title")} subtitle={t("wecom.groups.subtitle")} />
      <WecomNotConfigured />
      <Card>
        <CursorTable<WecomGroupDto>
          list={list}
          rowKey="chatId"
          data-testid="wecom-groups-table"
          scroll={{ x: 820 }}
          rowClassName={() => "clickable-row"}
          onRow={(g) => ({ onClick: () => setOpen(g.chatId) })}
          locale={{ emptyText: <Empty description={t("wecom.groups.empty")} /> }}
          columns={[
            {
              title: t("wecom.groups.name"),
              dataIndex: "name",
              render: (name: string) => (
                <Typography.Text strong>{name || t("wecom.groups.unnamed")}</Typography.Text>
              ),
            },
            {
              title: t("wecom.groups.owner"),
              dataIndex: "ownerUserid",
              render: (v: string | null) => v ?? "—",
            },
            {
              title: t("wecom.groups.members"),
              dataIndex: "memberCount",
              align: "right",
              render: (n: number) => formatNumber(n),
            },
            {
              title: t("wecom.groups.status"),
              dataIndex: "dismissed",
              render: (d: boolean) =>
                d ? (
                  <Tag>{t("wecom.groups.dismissed")}</Tag>
                ) : (
                  <Tag color="green">{t("wecom.groups.active")}</Tag>
                ),
            },
            { title: t("wecom.groups.updatedAt"), dataIndex: "updatedAt", width: 180, render: formatTime },
          ]}
        />
      </Card>
      <GroupDrawer chatId={open} onClose={() => setOpen(null)} />
    </>
  );
}
