import { EditOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import {
  App,
  Button,
  DatePicker,
  Descriptions,
  Empty,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Switch,
} from "antd";
import dayjs from "dayjs";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { errorText } from "../../ui/error-text.ts";
import {
  type AttributeValue,
  type Customer,
  type CustomField,
  updateCustomer,
  useCustomFields,
} from "./customers.api.ts";

function display(value: AttributeValue | undefined, t: (k: string) => string): string {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.join("、");
  if (typeof value === "boolean") return value ? t("common.yes") : t("common.no");
  return String(value);
}

function FieldInput({ field }: { field: CustomField }) {
  const options = (field.options ?? []).map((o) => ({ value: o, label: o }));
  switch (field.type) {
    case "number":
      return <InputNumber style={{ width: "100%" }} />;
    case "select":
      return <Select allowClear options={options} />;
    case "multiselect":
      return <Select mode="multiple" allowClear options={options} />;
    default:
      return <Input />;
  }
}

/** Custom fields with their labels (and any other attribute under its key); editable in one form. */
export function CustomerAttributes({ customer, editable }: { customer: Customer; editable: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const fields = useCustomFields();
  const [editing, setEditing] = useState(false);
  const [form] = Form.useForm<Record<string, unknown>>();
  const defined = fields.data?.items ?? [];
  const known = new Set(defined.map((f) => f.key));
  const extra = Object.keys(customer.attributes ?? {}).filter((k) => !known.has(k));
  const all: CustomField[] = [
    ...defined,
    ...extra.map((key) => ({ key, label: key, type: "text" as const })),
  ];

  const save = useMutation({
    mutationFn: (values: Record<string, unknown>) => {
      const attributes: Record<string, AttributeValue> = {};
      for (const field of all) {
        let v = values[field.key] as unknown;
        if (field.type === "date" && v) v = dayjs(v as string).format("YYYY-MM-DD");
        if (v === undefined || v === "") v = null;
        attributes[field.key] = v as AttributeValue;
      }
      return updateCustomer(customer.id, { attributes });
    },
    onSuccess: (updated) => {
      queryClient.setQueryData(["customers", "one", customer.id], updated);
      void queryClient.invalidateQueries({ queryKey: ["customers", "timeline", customer.id] });
      message.success(t("common.saved"));
      setEditing(false);
    },
    onError: (error) => message.error(errorText(t, error)),
  });

  const open = () => {
    const initial: Record<string, unknown> = {};
    for (const field of all) {
      const v = customer.attributes?.[field.key];
      initial[field.key] = field.type === "date" && typeof v === "string" && v ? dayjs(v) : v;
    }
    form.setFieldsValue(initial);
    setEditing(true);
  };

  return (
    <>
      {all.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("customers.noAttributes")} />
      ) : (
        <Descriptions
          size="small"
          column={1}
          items={all.map((field) => ({
            key: field.key,
            label: field.label,
            children: display(customer.attributes?.[field.key], t),
          }))}
        />
      )}
      {editable && all.length > 0 ? (
        <Button
          size="small"
          icon={<EditOutlined />}
          onClick={open}
          style={{ marginTop: 8 }}
          data-testid="attributes-edit"
        >
          {t("customers.editAttributes")}
        </Button>
      ) : null}
      <Modal
        open={editing}
        title={t("customers.editAttributes")}
        onCancel={() => setEditing(false)}
        onOk={() => form.submit()}
        okText={t("common.save")}
        confirmLoading={save.isPending}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)} preserve={false}>
          {all.map((field) => (
            <Form.Item
              key={field.key}
              name={field.key}
              label={field.label}
              valuePropName={field.type === "boolean" ? "checked" : "value"}
            >
              {field.type === "boolean" ? (
                <Switch />
              ) : field.type === "date" ? (
                <DatePicker style={{ width: "100%" }} />
              ) : (
                <FieldInput field={field} />
              )}
            </Form.Item>
          ))}
        </Form>
      </Modal>
    </>
  );
}
