import type { ApiKeyCreated } from "@siyu/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, DatePicker, Form, Input, Modal, Select } from "antd";
import type { Dayjs } from "dayjs";
import dayjs from "dayjs";
import { useTranslation } from "react-i18next";
import { errorText } from "../../ui/error-text.ts";
import { usePermissionKeys } from "../roles/roles.api.ts";
import { createApiKey } from "./api-keys.api.ts";

interface FormValues {
  name: string;
  scopes: string[];
  expiresAt?: Dayjs | null;
}

export function CreateApiKeyModal(props: {
  open: boolean;
  onClose: () => void;
  onCreated: (key: ApiKeyCreated) => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<FormValues>();
  const permissions = usePermissionKeys();
  const mutation = useMutation({
    mutationFn: createApiKey,
    onSuccess: (created) => {
      void queryClient.invalidateQueries({ queryKey: ["api-keys"] });
      form.resetFields();
      props.onCreated(created);
    },
    onError: (error) => message.error(errorText(t, error)),
  });

  return (
    <Modal
      open={props.open}
      title={t("apiKeys.create")}
      okText={t("common.create")}
      onOk={() => form.submit()}
      onCancel={props.onClose}
      confirmLoading={mutation.isPending}
      destroyOnHidden
    >
      <Form<FormValues>
        form={form}
        layout="vertical"
        onFinish={(v) =>
          mutation.mutate({
            name: v.name.trim(),
            scopes: v.scopes,
            expiresAt: v.expiresAt ? v.expiresAt.endOf("day").toISOString() : undefined,
          })
        }
      >
        <Form.Item
          name="name"
          label={t("apiKeys.name")}
          rules={[{ required: true, whitespace: true, message: t("apiKeys.nameRequired") }]}
        >
          <Input placeholder="ERP 金蝶同步" maxLength={100} />
        </Form.Item>
        <Form.Item
          name="scopes"
          label={t("apiKeys.scopes")}
          rules={[{ required: true, message: t("apiKeys.scopesRequired") }]}
        >
          <Select
            mode="multiple"
            loading={permissions.isPending}
            options={(permissions.data?.items ?? []).map((p) => ({
              value: p,
              label: `${t(`roles.permissions.${p}`, { defaultValue: p })} (${p})`,
            }))}
          />
        </Form.Item>
        <Form.Item name="expiresAt" label={t("apiKeys.expiresAt")} extra={t("apiKeys.noExpiry")}>
          <DatePicker disabledDate={(d) => d.isBefore(dayjs(), "day")} style={{ width: "100%" }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
