import { Form, Input } from "antd";
import { useTranslation } from "react-i18next";
import { FormModal } from "../../ui/form-modal.tsx";
import { type Customer, createCustomer } from "./customers.api.ts";
import { TagSelect } from "./tag-select.tsx";

interface Values {
  name: string;
  phone?: string;
  email?: string;
  tags?: string[];
}

export function CreateCustomerModal({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated?: (customer: Customer) => void;
}) {
  const { t } = useTranslation();
  return (
    <FormModal<Values, Customer>
      open={open}
      title={t("customers.create")}
      okText={t("common.create")}
      onClose={onClose}
      mutationFn={(values) =>
        createCustomer({
          name: values.name.trim(),
          phone: values.phone?.trim() || undefined,
          email: values.email?.trim() || undefined,
          tags: values.tags?.length ? values.tags : undefined,
        })
      }
      successText={t("customers.created")}
      invalidate={[["customers"], ["tags"]]}
      resetOnSuccess
      onSuccess={onCreated}
      okButtonProps={{ "data-testid": "customer-create-submit" }}
      formTestId="customer-form"
    >
      <Form.Item
        name="name"
        label={t("customers.name")}
        rules={[{ required: true, whitespace: true, message: t("customers.nameRequired") }]}
      >
        <Input data-testid="customer-form-name" />
      </Form.Item>
      <Form.Item name="phone" label={t("customers.phone")} extra={t("customers.phoneHint")}>
        <Input data-testid="customer-form-phone" />
      </Form.Item>
      <Form.Item name="email" label={t("customers.email")} rules={[{ type: "email" }]}>
        <Input data-testid="customer-form-email" />
      </Form.Item>
      <Form.Item name="tags" label={t("customers.tags")}>
        <TagSelect allowNew placeholder={t("customers.tagsPlaceholder")} testId="customer-form-tags" />
      </Form.Item>
    </FormModal>
  );
}
