import { ReloadOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Card, Flex, Popconfirm, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { flowsKey, regenerateWebhook, useFlowWebhooks } from "./flows.api.ts";

/**
 * The inbound URL of a webhook trigger (its token is the secret): copy, or regenerate (the old URL
 * stops at once). Before the first publish there is none yet.
 */
export function WebhookTriggerPanel({
  flowId,
  nodeId,
  readOnly,
}: {
  flowId: string;
  nodeId: string;
  readOnly: boolean;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const hooks = useFlowWebhooks(flowId);
  const hook = hooks.data?.items.find((h) => h.nodeId === nodeId);
  const regenerate = useMutation({
    mutationFn: () => regenerateWebhook(flowId, nodeId),
    onSuccess: () => {
      message.success(t("flows.webhook.regenerated"));
      return qc.invalidateQueries({ queryKey: [...flowsKey, flowId, "webhooks"] });
    },
  });
  return (
    <Card
      size="small"
      title={t("flows.webhook.title")}
      style={{ marginBottom: 12 }}
      data-testid="prop-webhook"
    >
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
        {t("flows.webhook.help")}
      </Typography.Paragraph>
      {hook ? (
        <Flex vertical gap={8}>
          <Typography.Text
            code
            copyable={{ text: hook.url, tooltips: [t("flows.webhook.copy"), t("flows.webhook.copied")] }}
            style={{ wordBreak: "break-all", fontSize: 12 }}
            data-testid="prop-webhook-url"
          >
            {hook.url}
          </Typography.Text>
          {!readOnly ? (
            <Popconfirm
              title={t("flows.webhook.regenerateConfirm")}
              onConfirm={() => regenerate.mutate()}
              okButtonProps={{ loading: regenerate.isPending }}
            >
              <Button size="small" icon={<ReloadOutlined />} data-testid="prop-webhook-regenerate">
                {t("flows.webhook.regenerate")}
              </Button>
            </Popconfirm>
          ) : null}
        </Flex>
      ) : (
        <Alert type="info" showIcon title={t("flows.webhook.notYet")} />
      )}
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: 8, marginBottom: 0 }}>
        {t("flows.webhook.customerHint")}
        <br />
        {t("flows.webhook.idempotencyHint")}
      </Typography.Paragraph>
    </Card>
  );
}
