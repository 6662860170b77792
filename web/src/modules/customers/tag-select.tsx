import { Select, Tag } from "antd";
import { useTranslation } from "react-i18next";
import { useTags } from "./customers.api.ts";

/**
 * Picks tag names from the tenant's tags. With `allowNew`, typing a name that does not exist yet keeps it
 * (the API creates missing tags when they are attached).
 */
export function TagSelect({
  value,
  onChange,
  allowNew,
  placeholder,
  style,
  testId,
}: {
  value?: string[];
  onChange?: (value: string[]) => void;
  allowNew?: boolean;
  placeholder?: string;
  style?: React.CSSProperties;
  testId?: string;
}) {
  const { t } = useTranslation();
  const tags = useTags();
  const colorOf = new Map((tags.data?.items ?? []).map((tag) => [tag.name, tag.color]));
  return (
    <Select
      mode={allowNew ? "tags" : "multiple"}
      allowClear
      value={value}
      onChange={onChange}
      loading={tags.isPending}
      placeholder={placeholder ?? t("customers.tagFilter")}
      style={style}
      data-testid={testId}
      maxTagCount="responsive"
      options={(tags.data?.items ?? []).map((tag) => ({
        value: tag.name,
        label: tag.group ? `${tag.name} · ${tag.group}` : tag.name,
      }))}
      tagRender={({ value: name, closable, onClose }) => (
        <Tag color={colorOf.get(String(name)) || undefined} closable={closable} onClose={onClose}>
          {String(name)}
        </Tag>
      )}
    />
  );
}
