import type { AuditEntry } from "@siyu/contracts";
import { Descriptions, Drawer, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { formatTime } from "../../ui/format.ts";
import { JsonView } from "../../ui/json-view.tsx";

export function AuditDrawer({ entry, onClose }: { entry: AuditEntry | null; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Drawer open={entry !== null} onClose={onClose} title={t("audit.detail")} size={560} destroyOnHidden>
      {entry ? (
        <>
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label="ID">
              <Typography.Text copyable>{entry.id}</Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t("audit.at")}>{formatTime(entry.at)}</Descriptions.Item>
            <Descriptions.Item label={t("audit.action")}>
              <Tag color="blue">{entry.action}</Tag>
            </Descriptions.Item>
            <Descriptions.Item label={t("audit.actor")}>
              {entry.actorEmail ?? entry.actorId ?? t("audit.system")}
            </Descriptions.Item>
            <Descriptions.Item label={t("audit.target")}>
              {entry.targetType ? `${entry.targetType} · ${entry.targetId ?? ""}` : "—"}
            </Descriptions.Item>
            <Descriptions.Item label={t("audit.ip")}>{entry.ip ?? "—"}</Descriptions.Item>
            <Descriptions.Item label={t("audit.hash")}>
              <Typography.Text code copyable data-testid="audit-hash" style={{ wordBreak: "break-all" }}>
                {entry.hash}
              </Typography.Text>
            </Descriptions.Item>
          </Descriptions>
          <Typography.Title level={5} style={{ marginTop: 20 }}>
            {t("audit.data")}
          </Typography.Title>
          <JsonView value={entry.data} />
        </>
      ) : null}
    </Drawer>
  );
}
