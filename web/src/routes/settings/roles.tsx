import { Card, Skeleton } from "antd";
import { useTranslation } from "react-i18next";
import { RoleMatrix } from "../../modules/roles/role-matrix.tsx";
import { usePermissionKeys, useRoles } from "../../modules/roles/roles.api.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

export function RolesPage() {
  const { t } = useTranslation();
  const roles = useRoles();
  const permissions = usePermissionKeys();
  const error = roles.error ?? permissions.error;
  return (
    <>
      <PageHeader title={t("roles.title")} subtitle={t("roles.subtitle")} />
      <Card>
        {error ? (
          <QueryError
            error={error}
            onRetry={() => void Promise.all([roles.refetch(), permissions.refetch()])}
          />
        ) : roles.isPending || permissions.isPending ? (
          <Skeleton active paragraph={{ rows: 10 }} />
        ) : (
          <RoleMatrix grants={roles.data?.items ?? []} permissionKeys={permissions.data?.items ?? []} />
        )}
      </Card>
    </>
  );
}
