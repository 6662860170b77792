import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Form, Input, Modal } from "antd";
import { useTranslation } from "react-i18next";
import { errorText } from "../../ui/error-text.ts";
import { createTenant } from "./tenants.api.ts";

interface FormValues {
  name: string;
  email: string;
  password: string;
}

export function CreateTenantModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<FormValues>();
  const mutation = useMutation({
    mutationFn: createTenant,
    onSuccess: () => {
      message.success(t("tenants.created"));
      void queryClient.invalidateQueries({ queryKey: ["tenants"] });
      form.resetFields();
      onClose();
    },
    onError: (error) => message.error(errorText(t, error)),
  });

  return (
    <Modal
      open={open}
      title={t("tenants.create")}
      okText={t("common.create")}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={mutation.isPending}
      destroyOnHidden
    >
      <Form<FormValues>
        form={form}
        layout="vertical"
        onFinish={(v) =>
          mutation.mutate({ name: v.name.trim(), admin: { email: v.email, password: v.password } })
        }
      >
        <Form.Item
          name="name"
          label={t("tenants.name")}
          rules={[{ required: true, whitespace: true, message: t("tenants.nameRequired") }]}
        >
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item name="email" label={t("tenants.adminEmail")} rules={[{ required: true, type: "email" }]}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item
          name="password"
          label={t("tenants.adminPassword")}
          extra={t("users.passwordHint")}
          rules={[{ required: true }, { min: 8, message: t("users.passwordTooShort") }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
