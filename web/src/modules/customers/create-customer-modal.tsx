import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Form, Input, Modal } from "antd";
import { useTranslation } from "react-i18next";
import { errorText } from "../../ui/error-text.ts";
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
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const mutation = useMutation({
    mutationFn: (values: Values) =>
      createCustomer({
        name: values.name.trim(),
        phone: values.phone?.trim() || undefined,
        email: values.email?.trim() || undefined,
        tags: values.tags?.length ? values.tags : undefined,
      }),
    onSuccess: (customer) => {
      message.success(t("customers.created"));
      void queryClient.invalidateQueries({ queryKey: ["customers"] });
      void queryClient.invalidateQueries({ queryKey: ["tags"] });
      form.resetFields();
      onClose();
      onCreated?.(customer);
    },
    onError: (error) => message.error(errorText(t, error)),
  });

  return (
    <Modal
      open={open}
      title={t("customers.create")}
      okText={t("common.create")}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={mutation.isPending}
      okButtonProps={{ "data-testid": "customer-create-submit" }}
      destroyOnHidden
    >
      <Form<Values>
        form={form}
        layout="vertical"
        onFinish={(v) => mutation.mutate(v)}
        data-testid="customer-form"
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
      </Form>
    </Modal>
  );
}
