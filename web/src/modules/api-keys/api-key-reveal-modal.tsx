import { CheckCircleFilled } from "@ant-design/icons";
import type { ApiKeyCreated } from "@siyu/contracts";
import { Alert, Button, Modal, Typography } from "antd";
import { useTranslation } from "react-i18next";

/** The one and only time the whole key is on screen. */
export function ApiKeyRevealModal({
  created,
  onClose,
}: {
  created: ApiKeyCreated | null;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Modal
      open={created !== null}
      title={
        <span>
          <CheckCircleFilled style={{ color: "#07c160", marginRight: 8 }} />
          {t("apiKeys.createdTitle")}
        </span>
      }
      onCancel={onClose}
      mask={{ closable: false }}
      footer={
        <Button type="primary" onClick={onClose}>
          {t("common.close")}
        </Button>
      }
    >
      <Alert type="warning" showIcon title={t("apiKeys.createdHint")} style={{ marginBottom: 16 }} />
      <Typography.Text type="secondary">{created?.name}</Typography.Text>
      <Typography.Paragraph
        data-testid="api-key-value"
        code
        copyable={{ text: created?.key ?? "", tooltips: [t("common.copy"), t("common.copied")] }}
        style={{ fontSize: 14, wordBreak: "break-all", padding: "8px 0" }}
      >
        {created?.key}
      </Typography.Paragraph>
    </Modal>
  );
}
