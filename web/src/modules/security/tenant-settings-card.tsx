import type { TenantSettings } from "@siyu/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Button, Card, Form, Input, Select, Skeleton } from "antd";
import { useTranslation } from "react-i18next";
import { errorText } from "../../ui/error-text.ts";
import { QueryError } from "../../ui/query-error.tsx";
import { meQueryKey } from "../auth/auth.api.ts";
import { saveTenantSettings, useTenantSettings } from "./security.api.ts";

const timezones = [
  "Asia/Shanghai",
  "Asia/Hong_Kong",
  "Asia/Taipei",
  "Asia/Singapore",
  "Asia/Tokyo",
  "UTC",
  "Europe/London",
  "America/Los_Angeles",
];

type FormValues = Omit<TenantSettings, "id">;

export function TenantSettingsCard() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const settings = useTenantSettings();
  const mutation = useMutation({
    mutationFn: saveTenantSettings,
    onSuccess: (saved) => {
      message.success(t("common.saved"));
      queryClient.setQueryData(["settings", "tenant"], saved);
      // The header shows the tenant name from /auth/me.
      void queryClient.invalidateQueries({ queryKey: meQueryKey });
    },
    onError: (error) => message.error(errorText(t, error)),
  });

  return (
    <Card title={t("security.tenantSettings")}>
      {settings.isError ? (
        <QueryError error={settings.error} onRetry={() => void settings.refetch()} />
      ) : settings.isPending ? (
        <Skeleton active />
      ) : (
        <Form<FormValues>
          layout="vertical"
          initialValues={settings.data}
          onFinish={(values) => mutation.mutate(values)}
          style={{ maxWidth: 480 }}
        >
          <Form.Item
            name="name"
            label={t("security.tenantName")}
            rules={[{ required: true, whitespace: true }]}
          >
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="timezone" label={t("security.timezone")}>
            <Select showSearch options={timezones.map((z) => ({ value: z, label: z }))} />
          </Form.Item>
          <Form.Item name="cipher" label={t("security.cipher")} extra={t("security.cipherHint")}>
            <Select
              data-testid="cipher-select"
              options={(["aes-256-gcm", "sm4"] as const).map((c) => ({
                value: c,
                label: t(`security.ciphers.${c}`),
              }))}
            />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={mutation.isPending}>
            {t("common.save")}
          </Button>
        </Form>
      )}
    </Card>
  );
}
