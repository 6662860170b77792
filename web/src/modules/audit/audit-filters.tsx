import { SearchOutlined } from "@ant-design/icons";
import type { UserDto } from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { Button, DatePicker, Form, Input, Select } from "antd";
import type { Dayjs } from "dayjs";
import { useTranslation } from "react-i18next";
import { http, type Page } from "../../api/client.ts";
import type { AuditFilters } from "./audit.api.ts";

interface FormValues {
  action?: string;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  range?: [Dayjs | null, Dayjs | null] | null;
}

/** Filter bar; the actor is picked by email from the tenant's users (the API filters by id). */
export function AuditFilterBar({ onChange }: { onChange: (filters: AuditFilters) => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<FormValues>();
  const users = useQuery({
    queryKey: ["users", "all-for-filter"],
    queryFn: () => http.get<Page<UserDto>>("/api/users", { limit: 500 }),
    staleTime: 60_000,
  });

  const submit = (v: FormValues) =>
    onChange({
      action: v.action?.trim() || undefined,
      actorId: v.actorId || undefined,
      targetType: v.targetType?.trim() || undefined,
      targetId: v.targetId?.trim() || undefined,
      from: v.range?.[0]?.startOf("day").toISOString(),
      to: v.range?.[1]?.endOf("day").toISOString(),
    });

  return (
    <Form<FormValues> form={form} layout="inline" onFinish={submit} style={{ rowGap: 12, marginBottom: 16 }}>
      <Form.Item name="action">
        <Input placeholder={t("audit.action")} allowClear style={{ width: 170 }} data-testid="audit-action" />
      </Form.Item>
      <Form.Item name="actorId">
        <Select
          placeholder={t("audit.actor")}
          allowClear
          showSearch={{ optionFilterProp: "label" }}
          style={{ width: 200 }}
          loading={users.isPending}
          options={(users.data?.items ?? []).map((u) => ({ value: u.id, label: u.email }))}
        />
      </Form.Item>
      <Form.Item name="targetType">
        <Input placeholder={t("audit.targetType")} allowClear style={{ width: 140 }} />
      </Form.Item>
      <Form.Item name="targetId">
        <Input placeholder={t("audit.targetId")} allowClear style={{ width: 160 }} />
      </Form.Item>
      <Form.Item name="range">
        <DatePicker.RangePicker />
      </Form.Item>
      <Form.Item>
        <Button type="primary" htmlType="submit" icon={<SearchOutlined />}>
          {t("common.search")}
        </Button>
      </Form.Item>
      <Form.Item>
        <Button
          onClick={() => {
            form.resetFields();
            onChange({});
          }}
        >
          {t("common.reset")}
        </Button>
      </Form.Item>
    </Form>
  );
}
