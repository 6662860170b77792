import { useQueryClient } from "@tanstack/react-query";
import { Alert, Form, Input, Modal, Select, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { FormModal } from "../../ui/form-modal.tsx";
import { CustomerPicker } from "./customer-picker.tsx";
import { type Customer, eraseCustomer, mergeCustomer, updateCustomer } from "./customers.api.ts";

/** Merges another customer (the source) into this one; the merge can be undone from the merge review page. */
export function MergeCustomerModal({
  customer,
  open,
  onClose,
}: {
  customer: Customer;
  open: boolean;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [source, setSource] = useState<Customer | undefined>();
  const merge = useActionMutation({
    mutationFn: (sourceId: string) => mergeCustomer(customer.id, sourceId),
    successText: t("customers.merged"),
    onSuccess: (merged) => {
      queryClient.setQueryData(["customers", "one", customer.id], merged);
      void queryClient.invalidateQueries({ queryKey: ["customers"] });
      setSource(undefined);
      onClose();
    },
  });
  return (
    <Modal
      open={open}
      title={t("customers.mergeTitle", { name: customer.name })}
      okText={t("customers.merge")}
      okButtonProps={{ disabled: !source }}
      onOk={() => source && merge.mutate(source.id)}
      onCancel={onClose}
      confirmLoading={merge.isPending}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t("customers.mergeHint")}</Typography.Paragraph>
      <CustomerPicker value={source?.id} excludeId={customer.id} onChange={(_, c) => setSource(c)} />
      {source ? (
        <Alert
          style={{ marginTop: 16 }}
          type="info"
          showIcon
          title={t("customers.mergeConfirm", { source: source.name, target: customer.name })}
        />
      ) : null}
    </Modal>
  );
}

/** Erasure (PIPL): irreversible, so the user types the customer's name to confirm. */
export function EraseCustomerModal({
  customer,
  open,
  onClose,
  onErased,
}: {
  customer: Customer;
  open: boolean;
  onClose: () => void;
  onErased: () => void;
}) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState("");
  const erase = useActionMutation({
    mutationFn: () => eraseCustomer(customer.id),
    successText: t("customers.erased"),
    invalidate: [["customers"]],
    onSuccess: onErased,
  });
  return (
    <Modal
      open={open}
      title={t("customers.eraseTitle")}
      okText={t("customers.erase")}
      okButtonProps={{ danger: true, disabled: typed !== customer.name, "data-testid": "erase-confirm" }}
      onOk={() => erase.mutate()}
      onCancel={() => {
        setTyped("");
        onClose();
      }}
      confirmLoading={erase.isPending}
      destroyOnHidden
    >
      <Alert type="error" showIcon title={t("customers.eraseWarning")} style={{ marginBottom: 16 }} />
      <Typography.Paragraph>{t("customers.eraseTypeName", { name: customer.name })}</Typography.Paragraph>
      <Input value={typed} onChange={(e) => setTyped(e.target.value)} placeholder={customer.name} />
    </Modal>
  );
}

const stages = ["lead", "prospect", "customer", "repeat", "vip", "churned"] as const;

interface ProfileValues {
  name: string;
  phone?: string;
  email?: string;
  lifecycleStage?: string | null;
}

export function EditProfileModal({
  customer,
  open,
  onClose,
}: {
  customer: Customer;
  open: boolean;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  return (
    <FormModal<ProfileValues, Customer>
      open={open}
      title={t("customers.editProfile")}
      okText={t("common.save")}
      onClose={onClose}
      mutationFn={(v) =>
        updateCustomer(customer.id, {
          name: v.name.trim(),
          // A masked phone comes back unchanged from the form: sending it would overwrite the real one.
          ...(v.phone !== (customer.phone ?? "") ? { phone: v.phone?.trim() || null } : {}),
          email: v.email?.trim() || null,
          lifecycleStage: v.lifecycleStage ?? null,
        })
      }
      successText={t("common.saved")}
      onSuccess={(updated) => {
        queryClient.setQueryData(["customers", "one", customer.id], updated);
        void queryClient.invalidateQueries({ queryKey: ["customers", "timeline", customer.id] });
        void queryClient.invalidateQueries({ queryKey: ["customers", "list"] });
      }}
      preserve={false}
      initialValues={{
        name: customer.name,
        phone: customer.phone ?? "",
        email: customer.email ?? "",
        lifecycleStage: customer.lifecycleStage ?? undefined,
      }}
    >
      <Form.Item name="name" label={t("customers.name")} rules={[{ required: true, whitespace: true }]}>
        <Input />
      </Form.Item>
      <Form.Item name="phone" label={t("customers.phone")}>
        <Input />
      </Form.Item>
      <Form.Item name="email" label={t("customers.email")} rules={[{ type: "email" }]}>
        <Input />
      </Form.Item>
      <Form.Item name="lifecycleStage" label={t("customers.lifecycleStage")}>
        <Select allowClear options={stages.map((s) => ({ value: s, label: t(`customers.stages.${s}`) }))} />
      </Form.Item>
    </FormModal>
  );
}
