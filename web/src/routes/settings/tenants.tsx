import type { TenantDto } from "@siyu/contracts";
import { Card, Empty, Result, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import { useMe } from "../../modules/auth/auth.api.ts";
import { CreateTenantModal } from "../../modules/tenants/create-tenant-modal.tsx";
import { CreateButton } from "../../ui/create-button.tsx";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

export function TenantsPage() {
  const { t } = useTranslation();
  const me = useMe();
  const [creating, setCreating] = useState(false);
  const list = useCursorPage<TenantDto>(
    "tenants",
    "/api/tenants",
    {},
    20,
    Boolean(me.data?.user.platformAdmin),
  );
  if (!me.data?.user.platformAdmin) {
    return (
      <Result
        status="403"
        title={<span data-testid="page-title">{t("tenants.title")}</span>}
        subTitle={t("common.forbidden")}
      />
    );
  }

  return (
    <>
      <PageHeader
        title={t("tenants.title")}
        subtitle={t("tenants.subtitle")}
        extra={
          <CreateButton onClick={() => setCreating(true)} testId="create-tenant">
            {t("tenants.create")}
          </CreateButton>
        }
      />
      <Card>
        <CursorTable<TenantDto>
          list={list}
          data-testid="tenants-table"
          rowKey="id"
          locale={{ emptyText: <Empty description={t("tenants.empty")} /> }}
          columns={[
            {
              title: t("tenants.name"),
              dataIndex: "name",
              render: (n: string) => <Typography.Text strong>{n}</Typography.Text>,
            },
            {
              title: "ID",
              dataIndex: "id",
              render: (id: string) => (
                <Typography.Text code copyable>
                  {id}
                </Typography.Text>
              ),
            },
            { title: t("common.createdAt"), dataIndex: "createdAt", render: formatTime },
          ]}
        />
      </Card>
      <CreateTenantModal open={creating} onClose={() => setCreating(false)} />
    </>
  );
}
