import { Form, Input } from "antd";
import { useTranslation } from "react-i18next";
import { FormModal } from "../../ui/form-modal.tsx";
import { createTenant } from "./tenants.api.ts";

interface FormValues {
  name: string;
  email: string;
  password: string;
}

export function CreateTenantModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <FormModal<FormValues>
      open={open}
      title={t("tenants.create")}
      okText={t("common.create")}
      onClose={onClose}
      mutationFn={(v) =>
        createTenant({ name: v.name.trim(), admin: { email: v.email, password: v.password } })
      }
      successText={t("tenants.created")}
      invalidate={[["tenants"]]}
      resetOnSuccess
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
    </FormModal>
  );
}
