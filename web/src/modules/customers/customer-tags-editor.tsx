import { PlusOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Flex, Select, Tag, Tooltip } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { errorText } from "../../ui/error-text.ts";
import { addCustomerTags, type Customer, removeCustomerTag, useTags } from "./customers.api.ts";

/** The customer's tags, removable with ×, and an input that adds an existing tag or a new name. */
export function CustomerTagsEditor({ customer, editable }: { customer: Customer; editable: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const tags = useTags();
  const [adding, setAdding] = useState(false);
  const [text, setText] = useState("");

  const onChanged = (updated: Customer) => {
    queryClient.setQueryData(["customers", "one", customer.id], updated);
    void queryClient.invalidateQueries({ queryKey: ["customers", "timeline", customer.id] });
    void queryClient.invalidateQueries({ queryKey: ["customers", "list"] });
    void queryClient.invalidateQueries({ queryKey: ["tags"] });
  };
  const add = useMutation({
    mutationFn: (name: string) => addCustomerTags(customer.id, [name]),
    onSuccess: (updated) => {
      onChanged(updated);
      setText("");
      setAdding(false);
    },
    onError: (error) => message.error(errorText(t, error)),
  });
  const remove = useMutation({
    mutationFn: (name: string) => removeCustomerTag(customer.id, name),
    onSuccess: onChanged,
    onError: (error) => message.error(errorText(t, error)),
  });

  const has = new Set(customer.tags.map((tag) => tag.name));
  const submit = (value: string) => {
    const name = value.trim();
    if (!name || has.has(name)) {
      setAdding(false);
      setText("");
      return;
    }
    add.mutate(name);
  };
  // The typed name comes first, so Enter adds exactly what was typed (a new tag when it does not exist);
  // existing tags that contain the text follow, with their colour and group.
  const typed = text.trim();
  const existing = (tags.data?.items ?? []).filter(
    (tag) => !has.has(tag.name) && tag.name.toLowerCase().includes(typed.toLowerCase()),
  );
  const exact = existing.find((tag) => tag.name === typed);
  const ordered = exact ? [exact, ...existing.filter((tag) => tag !== exact)] : existing;
  const options = [
    ...(typed && !exact && !has.has(typed)
      ? [{ value: typed, label: <span>{t("customers.newTag", { name: typed })}</span> }]
      : []),
    ...ordered.slice(0, 30).map((tag) => ({
      value: tag.name,
      label: (
        <Flex justify="space-between" gap={8}>
          <Tag color={tag.color || undefined}>{tag.name}</Tag>
          <span style={{ color: "#999" }}>{tag.group ?? ""}</span>
        </Flex>
      ),
    })),
  ];

  return (
    <Flex wrap gap={6} align="center" data-testid="customer-tags">
      {customer.tags.length === 0 && !adding ? (
        <span style={{ color: "#999" }}>{t("customers.noTags")}</span>
      ) : null}
      {customer.tags.map((tag) => (
        <Tooltip key={tag.id} title={tag.group ?? undefined}>
          <Tag
            color={tag.color || undefined}
            closable={editable}
            onClose={(e) => {
              e.preventDefault();
              remove.mutate(tag.name);
            }}
            style={{ marginInlineEnd: 0 }}
            data-testid="customer-tag"
          >
            {tag.name}
          </Tag>
        </Tooltip>
      ))}
      {editable ? (
        adding ? (
          <Select<string>
            autoFocus
            defaultOpen
            size="small"
            style={{ width: 200 }}
            value={null}
            showSearch={{ searchValue: text, onSearch: setText, filterOption: false }}
            options={options}
            onSelect={(value: string) => submit(value)}
            onBlur={() => {
              if (!add.isPending) {
                setText("");
                setAdding(false);
              }
            }}
            onKeyDown={(e) => {
              if (e.key === "Escape") {
                setText("");
                setAdding(false);
              }
            }}
            notFoundContent={null}
            placeholder={t("customers.tagAddPlaceholder")}
            data-testid="tag-add-input"
            loading={add.isPending}
            disabled={add.isPending}
          />
        ) : (
          <Tag
            style={{ borderStyle: "dashed", cursor: "pointer", background: "#fff" }}
            icon={<PlusOutlined />}
            onClick={() => setAdding(true)}
            data-testid="tag-add"
          >
            {t("customers.addTag")}
          </Tag>
        )
      ) : null}
    </Flex>
  );
}
