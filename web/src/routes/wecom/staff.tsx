import type { WecomStaffDto } from "@siyu/contracts";
import { Card, Empty, Space, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import { hasPermission, useMe } from "../../modules/auth/auth.api.ts";
import { useOwnerName } from "../../modules/customers/owner-names.ts";
import { StaffLoginCell, useLinkableUsers } from "../../modules/wecom/staff-login-cell.tsx";
import { WecomNotConfigured } from "../../modules/wecom/wecom-guard.tsx";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { formatNumber } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

export function WecomStaffPage() {
  const { t } = useTranslation();
  const list = useCursorPage<WecomStaffDto>("wecom-staff", "/api/wecom/staff", {}, 50);
  const ownerName = useOwnerName();
  const me = useMe();
  const canManage = hasPermission(me.data, "settings.manage");
  const users = useLinkableUsers(canManage);
  const linkedTo = new Map(list.items.flatMap((m) => (m.userId ? [[m.userId, m.userid] as const] : [])));
  return (
    <>
      <PageHeader title={t("wecom.staff.title")} subtitle={t("wecom.staff.subtitle")} />
      <WecomNotConfigured />
      <Card>
        <CursorTable<WecomStaffDto>
          list={list}
          rowKey="userid"
          data-testid="wecom-staff-table"
          scroll={{ x: 1060 }}
          locale={{ emptyText: <Empty description={t("wecom.staff.empty")} /> }}
          columns={[
            {
              title: t("wecom.staff.name"),
              dataIndex: "name",
              render: (name: string) => <Typography.Text strong>{name || "—"}</Typography.Text>,
            },
            { title: t("wecom.staff.userid"), dataIndex: "userid", render: (u: string) => <code>{u}</code> },
            {
              title: t("wecom.staff.departments"),
              dataIndex: "departmentIds",
              render: (ids: number[]) =>
                ids.length ? (
                  <Space size={4} wrap>
                    {ids.map((id) => (
                      <Tag key={id} bordered={false}>
                        #{id}
                      </Tag>
                    ))}
                  </Space>
                ) : (
                  "—"
                ),
            },
            {
              title: t("wecom.staff.permission"),
              dataIndex: "hasContactPermission",
              render: (ok: boolean) =>
                ok ? <Tag color="green">{t("common.yes")}</Tag> : <Tag>{t("common.no")}</Tag>,
            },
            {
              title: t("wecom.staff.status"),
              dataIndex: "status",
              render: (s: WecomStaffDto["status"]) => (
                <Tag color={s === "active" ? "blue" : "default"}>{t(`wecom.staff.statuses.${s}`)}</Tag>
              ),
            },
            {
              title: t("wecom.staff.login"),
              dataIndex: "userId",
              render: (_: string | null, member) => (
                <StaffLoginCell
                  member={member}
                  linkedTo={linkedTo}
                  users={users.data}
                  canManage={canManage}
                  nameOf={ownerName}
                  onChanged={() => void list.query.refetch()}
                />
              ),
            },
            {
              title: t("wecom.staff.contacts"),
              dataIndex: "contacts",
              align: "right",
              render: (n: number) => formatNumber(n),
            },
          ]}
        />
      </Card>
    </>
  );
}
