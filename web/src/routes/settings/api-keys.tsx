import { StopOutlined } from "@ant-design/icons";
import type { ApiKeyCreated, ApiKeyDto } from "@siyu/contracts";
import { Button, Card, Empty, Popconfirm, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiKeyRevealModal } from "../../modules/api-keys/api-key-reveal-modal.tsx";
import {
  type ApiKeyState,
  apiKeyState,
  revokeApiKey,
  useApiKeys,
} from "../../modules/api-keys/api-keys.api.ts";
import { CreateApiKeyModal } from "../../modules/api-keys/create-api-key-modal.tsx";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { CreateButton } from "../../ui/create-button.tsx";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

const stateColor: Record<ApiKeyState, string> = { active: "success", revoked: "default", expired: "warning" };

export function ApiKeysPage() {
  const { t } = useTranslation();
  const keys = useApiKeys();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const revoke = useActionMutation({
    mutationFn: revokeApiKey,
    successText: t("apiKeys.revoked"),
    invalidate: [["api-keys"]],
  });

  return (
    <>
      <PageHeader
        title={t("apiKeys.title")}
        subtitle={t("apiKeys.subtitle")}
        extra={
          <CreateButton onClick={() => setCreating(true)} testId="create-api-key">
            {t("apiKeys.create")}
          </CreateButton>
        }
      />
      <Card>
        {keys.isError ? (
          <QueryError error={keys.error} onRetry={() => void keys.refetch()} />
        ) : (
          <Table<ApiKeyDto>
            data-testid="api-keys-table"
            rowKey="id"
            loading={keys.isPending}
            dataSource={keys.data?.items ?? []}
            pagination={false}
            scroll={{ x: 1000 }}
            locale={{ emptyText: <Empty description={t("apiKeys.empty")} /> }}
            columns={[
              {
                title: t("apiKeys.name"),
                dataIndex: "name",
                render: (n: string) => <Typography.Text strong>{n}</Typography.Text>,
              },
              {
                title: t("apiKeys.prefix"),
                dataIndex: "prefix",
                render: (p: string) => (
                  <Typography.Text code style={{ whiteSpace: "nowrap" }}>
                    {p}…
                  </Typography.Text>
                ),
              },
              {
                title: t("apiKeys.scopes"),
                dataIndex: "scopes",
                render: (scopes: string[]) => scopes.map((s) => <Tag key={s}>{s}</Tag>),
              },
              {
                title: t("common.status"),
                key: "state",
                render: (_: unknown, key) => {
                  const state = apiKeyState(key);
                  return <Tag color={stateColor[state]}>{t(`apiKeys.${state}`)}</Tag>;
                },
              },
              { title: t("common.createdAt"), dataIndex: "createdAt", width: 180, render: formatTime },
              {
                title: t("apiKeys.lastUsedAt"),
                dataIndex: "lastUsedAt",
                render: (v: string | null) =>
                  v ? formatTime(v) : <Typography.Text type="secondary">{t("common.never")}</Typography.Text>,
              },
              {
                title: t("apiKeys.expiresAt"),
                dataIndex: "expiresAt",
                render: (v: string | null) => (v ? formatTime(v) : t("apiKeys.noExpiry")),
              },
              {
                title: t("common.actions"),
                key: "actions",
                fixed: "right",
                render: (_: unknown, key) =>
                  key.revokedAt ? null : (
                    <Popconfirm
                      title={t("apiKeys.revokeConfirm")}
                      onConfirm={() => revoke.mutate(key.id)}
                      okButtonProps={{ danger: true }}
                    >
                      <Button type="link" danger size="small" icon={<StopOutlined />}>
                        {t("apiKeys.revoke")}
                      </Button>
                    </Popconfirm>
                  ),
              },
            ]}
          />
        )}
      </Card>
      <CreateApiKeyModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(key) => {
          setCreating(false);
          setCreated(key);
        }}
      />
      <ApiKeyRevealModal created={created} onClose={() => setCreated(null)} />
    </>
  );
}
