import type { WecomMassMessageInput } from "@siyu/contracts";
import { Form, Input, Radio, Select, Space } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { FormModal } from "../../ui/form-modal.tsx";
import { useSegments } from "../segments/segments.api.ts";
import { createMassMessage, type MassMessage, useCorpTags, useCustomerSearch } from "./wecom-actions.api.ts";

interface Values {
  name?: string;
  text?: string;
  linkTitle?: string;
  linkUrl?: string;
  imageUrl?: string;
  targetKind: "customers" | "segment" | "tags";
  customerIds?: string[];
  segmentId?: string;
  tagIds?: string[];
}

function toInput(v: Values): WecomMassMessageInput {
  const attachments: NonNullable<WecomMassMessageInput["attachments"]> = [];
  if (v.linkUrl) attachments.push({ type: "link", title: v.linkTitle || v.linkUrl, url: v.linkUrl });
  if (v.imageUrl) attachments.push({ type: "image", picUrl: v.imageUrl });
  const target =
    v.targetKind === "segment"
      ? { segmentId: v.segmentId ?? "" }
      : v.targetKind === "tags"
        ? { tagIds: v.tagIds ?? [] }
        : { customerIds: v.customerIds ?? [] };
  return { ...(v.name ? { name: v.name } : {}), ...(v.text ? { text: v.text } : {}), attachments, target };
}

/** 新建群发: content (text + optional link / image) and the target picker (customers, a segment, corp tags). */
export function MassMessageForm({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (m: MassMessage) => void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<Values>();
  const kind = Form.useWatch("targetKind", form) ?? "customers";
  const [q, setQ] = useState("");
  const customers = useCustomerSearch(q);
  const segments = useSegments();
  const tags = useCorpTags();
  return (
    <FormModal<Values, MassMessage>
      open={open}
      title={t("wecomActions.mass.create")}
      onClose={onClose}
      form={form}
      width={640}
      initialValues={{ targetKind: "customers" }}
      mutationFn={(v) => createMassMessage(toInput(v))}
      successText={t("wecomActions.mass.created")}
      invalidate={[["wecom-mass-messages"]]}
      onSuccess={onCreated}
      formTestId="mass-message-form"
    >
      <Form.Item name="name" label={t("wecomActions.mass.name")}>
        <Input maxLength={100} />
      </Form.Item>
      <Form.Item name="text" label={t("wecomActions.mass.text")}>
        <Input.TextArea rows={4} maxLength={1300} showCount />
      </Form.Item>
      <Form.Item label={t("wecomActions.mass.link")}>
        <Space.Compact style={{ width: "100%" }}>
          <Form.Item name="linkTitle" noStyle>
            <Input style={{ width: "40%" }} placeholder={t("wecomActions.mass.linkTitle")} maxLength={128} />
          </Form.Item>
          <Form.Item name="linkUrl" noStyle rules={[{ type: "url" }]}>
            <Input style={{ width: "60%" }} placeholder="https://" />
          </Form.Item>
        </Space.Compact>
      </Form.Item>
      <Form.Item name="imageUrl" label={t("wecomActions.mass.image")} rules={[{ type: "url" }]}>
        <Input placeholder="https://" />
      </Form.Item>
      <Form.Item name="targetKind" label={t("wecomActions.mass.target")}>
        <Radio.Group
          optionType="button"
          options={[
            { value: "customers", label: t("wecomActions.mass.targetCustomers") },
            { value: "segment", label: t("wecomActions.mass.targetSegment") },
            { value: "tags", label: t("wecomActions.mass.targetTags") },
          ]}
        />
      </Form.Item>
      {kind === "customers" ? (
        <Form.Item name="customerIds" label={t("wecomActions.mass.customers")} rules={[{ required: true }]}>
          <Select
            mode="multiple"
            showSearch
            filterOption={false}
            onSearch={setQ}
            loading={customers.isFetching}
            options={(customers.data?.items ?? []).map((c) => ({ value: c.id, label: c.name || c.id }))}
          />
        </Form.Item>
      ) : kind === "segment" ? (
        <Form.Item name="segmentId" label={t("wecomActions.mass.segment")} rules={[{ required: true }]}>
          <Select options={(segments.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))} />
        </Form.Item>
      ) : (
        <Form.Item name="tagIds" label={t("wecomActions.mass.tags")} rules={[{ required: true }]}>
          <Select
            mode="multiple"
            options={(tags.data?.items ?? []).map((tag) => ({
              value: tag.id,
              label: tag.groupName ? `${tag.groupName} / ${tag.name}` : tag.name,
            }))}
          />
        </Form.Item>
      )}
    </FormModal>
  );
}
