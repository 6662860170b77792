import type { ApiKeyCreated } from "@siyu/contracts";
import { DatePicker, Form, Input, Select } from "antd";
import type { Dayjs } from "dayjs";
import dayjs from "dayjs";
import { useTranslation } from "react-i18next";
import { FormModal } from "../../ui/form-modal.tsx";
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
  const permissions = usePermissionKeys();
  return (
    <FormModal<FormValues, ApiKeyCreated>
      open={props.open}
      title={t("apiKeys.create")}
      okText={t("common.create")}
      onClose={props.onClose}
      mutationFn={(v) =>
        createApiKey({
          name: v.name.trim(),
          scopes: v.scopes,
          expiresAt: v.expiresAt ? v.expiresAt.endOf("day").toISOString() : undefined,
        })
      }
      invalidate={[["api-keys"]]}
      resetOnSuccess
      onSuccess={props.onCreated}
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
    </FormModal>
  );
}
