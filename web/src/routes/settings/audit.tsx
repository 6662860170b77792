import { SafetyCertificateOutlined } from "@ant-design/icons";
import type { AuditEntry } from "@siyu/contracts";
import { useMutation } from "@tanstack/react-query";
import { Alert, Button, Card, Empty, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useCursorPage } from "../../api/use-cursor-page.ts";
import type { AuditFilters } from "../../modules/audit/audit.api.ts";
import { verifyAuditChain } from "../../modules/audit/audit.api.ts";
import { AuditDrawer } from "../../modules/audit/audit-drawer.tsx";
import { AuditFilterBar } from "../../modules/audit/audit-filters.tsx";
import { CursorTable } from "../../ui/cursor-table.tsx";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";

export function AuditPage() {
  const { t } = useTranslation();
  const [filters, setFilters] = useState<AuditFilters>({});
  const [selected, setSelected] = useState<AuditEntry | null>(null);
  const list = useCursorPage<AuditEntry>("audit", "/api/audit", { ...filters }, 20);
  const verify = useMutation({ mutationFn: verifyAuditChain });

  return (
    <>
      <PageHeader
        title={t("audit.title")}
        subtitle={t("audit.subtitle")}
        extra={
          <Button
            icon={<SafetyCertificateOutlined />}
            loading={verify.isPending}
            onClick={() => verify.mutate()}
            data-testid="audit-verify"
          >
            {t("audit.verify")}
          </Button>
        }
      />
      {verify.data ? (
        <Alert
          data-testid="audit-verify-result"
          type={verify.data.ok ? "success" : "error"}
          showIcon
          closable={{ onClose: () => verify.reset() }}
          title={
            verify.data.ok
              ? t("audit.verifyOk", { rows: verify.data.rows })
              : t("audit.verifyBroken", { rows: verify.data.rows, brokenAt: verify.data.brokenAt ?? "?" })
          }
          style={{ marginBottom: 16 }}
        />
      ) : verify.error ? (
        <Alert type="error" showIcon title={errorText(t, verify.error)} style={{ marginBottom: 16 }} />
      ) : null}
      <Card>
        <AuditFilterBar onChange={setFilters} />
        <CursorTable<AuditEntry>
          list={list}
          data-testid="audit-table"
          rowKey="id"
          size="middle"
          scroll={{ x: 900 }}
          rowClassName={() => "clickable-row"}
          onRow={(entry) => ({ onClick: () => setSelected(entry) })}
          locale={{ emptyText: <Empty description={t("audit.empty")} /> }}
          columns={[
            { title: t("audit.at"), dataIndex: "at", width: 180, render: formatTime },
            {
              title: t("audit.actor"),
              key: "actor",
              render: (_: unknown, e) =>
                e.actorEmail ??
                e.actorId ?? <Typography.Text type="secondary">{t("audit.system")}</Typography.Text>,
            },
            {
              title: t("audit.action"),
              dataIndex: "action",
              render: (a: string) => <Tag color="blue">{a}</Tag>,
            },
            {
              title: t("audit.target"),
              key: "target",
              render: (_: unknown, e) =>
                e.targetType ? (
                  <span>
                    <Tag>{e.targetType}</Tag>
                    <Typography.Text type="secondary">{e.targetId}</Typography.Text>
                  </span>
                ) : (
                  "—"
                ),
            },
            { title: t("audit.ip"), dataIndex: "ip", render: (ip: string | null) => ip ?? "—" },
            {
              title: t("audit.hash"),
              dataIndex: "hash",
              render: (h: string) => <Typography.Text code>{h.slice(0, 12)}…</Typography.Text>,
            },
          ]}
        />
      </Card>
      <AuditDrawer entry={selected} onClose={() => setSelected(null)} />
    </>
  );
}
