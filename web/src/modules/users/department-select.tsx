import { Select } from "antd";
import { useTranslation } from "react-i18next";
import { useDepartments } from "./users.api.ts";

export function DepartmentSelect(props: {
  value?: string | null;
  onChange?: (value: string | null) => void;
  id?: string;
}) {
  const { t } = useTranslation();
  const departments = useDepartments();
  return (
    <Select
      {...props}
      allowClear
      loading={departments.isPending}
      placeholder={t("users.noDepartment")}
      options={(departments.data?.items ?? []).map((d) => ({ value: d.id, label: d.name }))}
      onChange={(value) => props.onChange?.(value ?? null)}
    />
  );
}
