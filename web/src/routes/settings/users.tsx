import { DeleteOutlined, EditOutlined, KeyOutlined } from "@ant-design/icons";
import type { UserDto } from "@siyu/contracts";
import { Button, Card, Empty, Input, Popconfirm, Space, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import { useMe } from "../../modules/auth/auth.api.ts";
import { CreateUserModal } from "../../modules/users/create-user-modal.tsx";
import { EditUserModal } from "../../modules/users/edit-user-modal.tsx";
import { ResetPasswordModal } from "../../modules/users/reset-password-modal.tsx";
import { RoleTags } from "../../modules/users/role-tags.tsx";
import { deleteUser, useDepartments } from "../../modules/users/users.api.ts";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { CreateButton } from "../../ui/create-button.tsx";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

export function UsersPage() {
  const { t } = useTranslation();
  const [q, setQ] = useState("");
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<UserDto | null>(null);
  const [resetting, setResetting] = useState<UserDto | null>(null);
  const list = useCursorPage<UserDto>("users", "/api/users", { q });
  const departments = useDepartments();
  const me = useMe();
  const remove = useActionMutation({
    mutationFn: deleteUser,
    successText: t("users.deleted"),
    invalidate: [["users"]],
  });
  const departmentName = new Map((departments.data?.items ?? []).map((d) => [d.id, d.name]));

  return (
    <>
      <PageHeader
        title={t("users.title")}
        subtitle={t("users.subtitle")}
        extra={
          <CreateButton onClick={() => setCreating(true)} testId="create-user">
            {t("users.create")}
          </CreateButton>
        }
      />
      <Card>
        <Input.Search
          allowClear
          placeholder={t("users.searchPlaceholder")}
          onSearch={(value) => setQ(value.trim())}
          style={{ maxWidth: 360, marginBottom: 16 }}
          data-testid="users-search"
        />
        <CursorTable<UserDto>
          list={list}
          data-testid="users-table"
          rowKey="id"
          scroll={{ x: 900 }}
          locale={{ emptyText: <Empty description={q ? t("common.empty") : t("users.empty")} /> }}
          columns={[
            {
              title: t("users.name"),
              dataIndex: "name",
              render: (name: string, user) => (
                <Space orientation="vertical" size={0}>
                  <Typography.Text strong>{name}</Typography.Text>
                  <Typography.Text type="secondary">{user.email}</Typography.Text>
                </Space>
              ),
            },
            {
              title: t("users.roles"),
              dataIndex: "roles",
              render: (_: unknown, user) => (
                <>
                  <RoleTags roles={user.roles} />
                  {user.platformAdmin ? <Tag color="gold">{t("users.platformAdmin")}</Tag> : null}
                </>
              ),
            },
            {
              title: t("users.department"),
              dataIndex: "departmentId",
              render: (id: string | null) =>
                id ? (departmentName.get(id) ?? id) : <Typography.Text type="secondary">—</Typography.Text>,
            },
            {
              title: t("users.status"),
              dataIndex: "status",
              render: (status: UserDto["status"]) => (
                <Tag color={status === "active" ? "success" : "default"}>{t(`users.statuses.${status}`)}</Tag>
              ),
            },
            { title: t("common.createdAt"), dataIndex: "createdAt", render: formatTime },
            {
              title: t("common.actions"),
              key: "actions",
              fixed: "right",
              render: (_: unknown, user) => (
                <Space size={0}>
                  <Button type="link" size="small" icon={<EditOutlined />} onClick={() => setEditing(user)}>
                    {t("common.edit")}
                  </Button>
                  <Button type="link" size="small" icon={<KeyOutlined />} onClick={() => setResetting(user)}>
                    {t("users.resetPassword")}
                  </Button>
                  {/* One cannot delete oneself (the API refuses it too). */}
                  {user.id === me.data?.user.id ? null : (
                    <Popconfirm
                      title={t("users.deleteConfirm", { name: user.name || user.email })}
                      description={t("users.deleteHint")}
                      okButtonProps={{ danger: true }}
                      onConfirm={() => remove.mutate(user.id)}
                    >
                      <Button
                        type="link"
                        size="small"
                        danger
                        icon={<DeleteOutlined />}
                        data-testid={`delete-user-${user.email}`}
                      >
                        {t("common.delete")}
                      </Button>
                    </Popconfirm>
                  )}
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <CreateUserModal open={creating} onClose={() => setCreating(false)} />
      <EditUserModal user={editing} onClose={() => setEditing(null)} />
      <ResetPasswordModal user={resetting} onClose={() => setResetting(null)} />
    </>
  );
}
