import { LockOutlined, SaveOutlined } from "@ant-design/icons";
import type { DataScope, Permission, Role, RoleGrant } from "@siyu/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Badge, Button, Checkbox, Select, Space, Table, Tooltip, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { errorText } from "../../ui/error-text.ts";
import { saveRole } from "./roles.api.ts";

type Draft = { permissions: Permission[]; dataScope: DataScope };
type Row = { kind: "scope" } | { kind: "permission"; permission: Permission } | { kind: "save" };

const scopes: DataScope[] = ["own", "department", "all"];

function sameDraft(a: Draft, b: Draft): boolean {
  return (
    a.dataScope === b.dataScope &&
    a.permissions.length === b.permissions.length &&
    a.permissions.every((p) => b.permissions.includes(p))
  );
}

/**
 * Roles as columns, permissions as rows, the data scope on top and one save button per role at the
 * bottom: each role is saved on its own, as the API takes one role per call.
 */
export function RoleMatrix({
  grants,
  permissionKeys,
}: {
  grants: RoleGrant[];
  permissionKeys: Permission[];
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [drafts, setDrafts] = useState<Partial<Record<Role, Draft>>>({});
  const mutation = useMutation({
    mutationFn: ({ role, draft }: { role: Role; draft: Draft }) => saveRole(role, draft),
    onSuccess: (saved, { role }) => {
      message.success(t("roles.saved", { role: t(`roles.names.${role}`) }));
      // Put the saved grant in the cache before dropping the draft, so the column never flashes back.
      queryClient.setQueryData<{ items: RoleGrant[] }>(["roles"], (old) =>
        old ? { items: old.items.map((g) => (g.role === saved.role ? saved : g)) } : old,
      );
      setDrafts((d) => ({ ...d, [role]: undefined }));
    },
    onError: (error) => message.error(errorText(t, error)),
  });

  const current = (grant: RoleGrant): Draft =>
    drafts[grant.role] ?? { permissions: grant.permissions, dataScope: grant.dataScope };
  const update = (grant: RoleGrant, change: Partial<Draft>) =>
    setDrafts((d) => ({ ...d, [grant.role]: { ...current(grant), ...change } }));

  const rows: Row[] = [
    { kind: "scope" },
    ...permissionKeys.map((permission) => ({ kind: "permission" as const, permission })),
    { kind: "save" },
  ];

  return (
    <Table<Row>
      data-testid="roles-matrix"
      rowKey={(row) => (row.kind === "permission" ? row.permission : row.kind)}
      dataSource={rows}
      pagination={false}
      bordered
      size="middle"
      scroll={{ x: 200 + grants.length * 110 }}
      columns={[
        {
          title: t("roles.permission"),
          key: "permission",
          fixed: "left",
          width: 200,
          render: (_: unknown, row) =>
            row.kind === "scope" ? (
              <Typography.Text strong>{t("roles.dataScope")}</Typography.Text>
            ) : row.kind === "permission" ? (
              <Space orientation="vertical" size={0}>
                <span>{t(`roles.permissions.${row.permission}`, { defaultValue: row.permission })}</span>
                <Typography.Text type="secondary" code style={{ fontSize: 11 }}>
                  {row.permission}
                </Typography.Text>
              </Space>
            ) : null,
        },
        ...grants.map((grant) => {
          const draft = current(grant);
          const dirty = !sameDraft(draft, { permissions: grant.permissions, dataScope: grant.dataScope });
          return {
            key: grant.role,
            align: "center" as const,
            width: 110,
            title: (
              <Space size={4}>
                {grant.locked ? (
                  <Tooltip title={t("roles.locked")}>
                    <LockOutlined />
                  </Tooltip>
                ) : null}
                <Badge dot={dirty} title={t("roles.unsaved")}>
                  <span style={{ paddingRight: 4 }}>
                    {t(`roles.names.${grant.role}`, { defaultValue: grant.role })}
                  </span>
                </Badge>
              </Space>
            ),
            render: (_: unknown, row: Row) => {
              if (row.kind === "scope") {
                return (
                  <Select<DataScope>
                    size="small"
                    style={{ width: 100 }}
                    value={draft.dataScope}
                    disabled={grant.locked}
                    aria-label={`${grant.role} ${t("roles.dataScope")}`}
                    options={scopes.map((s) => ({ value: s, label: t(`roles.scopes.${s}`) }))}
                    onChange={(dataScope) => update(grant, { dataScope })}
                  />
                );
              }
              if (row.kind === "save") {
                return (
                  <Button
                    size="small"
                    type={dirty ? "primary" : "default"}
                    icon={grant.locked ? <LockOutlined /> : <SaveOutlined />}
                    disabled={grant.locked || !dirty}
                    loading={mutation.isPending && mutation.variables?.role === grant.role}
                    onClick={() => mutation.mutate({ role: grant.role, draft })}
                    data-testid={`save-role-${grant.role}`}
                  >
                    {t("common.save")}
                  </Button>
                );
              }
              const checked = draft.permissions.includes(row.permission);
              return (
                <Checkbox
                  checked={checked}
                  disabled={grant.locked}
                  aria-label={`${grant.role} ${row.permission}`}
                  onChange={(e) =>
                    update(grant, {
                      permissions: e.target.checked
                        ? [...draft.permissions, row.permission]
                        : draft.permissions.filter((p) => p !== row.permission),
                    })
                  }
                />
              );
            },
          };
        }),
      ]}
    />
  );
}
