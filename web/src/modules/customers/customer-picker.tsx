import { useQuery } from "@tanstack/react-query";
import { Select } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { http, type Page } from "../../api/client.ts";
import type { Customer } from "./customers.api.ts";

/** Searches customers by name, phone, email or identity as the user types. */
export function CustomerPicker({
  value,
  onChange,
  excludeId,
}: {
  value?: string;
  onChange?: (id: string | undefined, customer?: Customer) => void;
  excludeId?: string;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState("");
  const [q, setQ] = useState("");
  useEffect(() => {
    const timer = setTimeout(() => setQ(text.trim()), 300);
    return () => clearTimeout(timer);
  }, [text]);
  const results = useQuery({
    queryKey: ["customers", "picker", q],
    queryFn: () => http.get<Page<Customer>>("/api/customers", { q, limit: 20 }),
    enabled: q.length > 0,
  });
  const items = (results.data?.items ?? []).filter((c) => c.id !== excludeId);
  return (
    <Select
      showSearch={{ filterOption: false, onSearch: setText }}
      allowClear
      value={value}
      placeholder={t("customers.pickerPlaceholder")}
      loading={results.isFetching}
      notFoundContent={q ? t("common.empty") : null}
      onChange={(id: string | undefined) =>
        onChange?.(
          id,
          items.find((c) => c.id === id),
        )
      }
      style={{ width: "100%" }}
      options={items.map((c) => ({
        value: c.id,
        label: [c.name, c.phone, c.email].filter(Boolean).join(" · "),
      }))}
      data-testid="customer-picker"
    />
  );
}
