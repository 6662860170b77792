import { checkExpr, exprFunctions, flowTriggerKinds, roles, type UserDto } from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { Button, Flex, Input, InputNumber, Select, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { http, type Page } from "../../api/client.ts";
import { useTags } from "../customers/customers.api.ts";
import { useSegments } from "../segments/segments.api.ts";
import { type DurationUnit, durationUnits, formatDuration, parseDuration } from "./duration.ts";
import { useFlowsForSelect } from "./flows.api.ts";

/** The props of a single-value field widget of the property panel (a string or nothing). */
interface PickProps {
  value?: string;
  onChange: (v: string | undefined) => void;
  testId?: string;
}

/** A number and a unit (分钟/小时/天/周/秒) stored as an ISO-8601 duration. */
export function DurationInput({ value, onChange, testId }: PickProps) {
  const { t } = useTranslation();
  const parsed = parseDuration(value);
  const [unit, setUnit] = useState<DurationUnit>(parsed.unit);
  const shownUnit = parsed.amount === null ? unit : parsed.unit;
  return (
    <Flex gap={8} data-testid={testId}>
      <InputNumber
        min={0}
        value={parsed.amount}
        style={{ flex: 1 }}
        data-testid={testId ? `${testId}-amount` : undefined}
        onChange={(n) => onChange(n === null ? undefined : formatDuration(Number(n), shownUnit))}
      />
      <Select<DurationUnit>
        value={shownUnit}
        style={{ width: 96 }}
        data-testid={testId ? `${testId}-unit` : undefined}
        onChange={(u) => {
          setUnit(u);
          if (parsed.amount !== null) onChange(formatDuration(parsed.amount, u));
        }}
        options={durationUnits.map((u) => ({ value: u, label: t(`flows.units.${u}`) }))}
      />
    </Flex>
  );
}

/** An expression of the flow language with a live syntax check and a helper line. */
export function ExpressionInput({
  value,
  onChange,
  testId,
  placeholder,
}: {
  value?: string;
  onChange: (v: string | undefined) => void;
  testId?: string;
  placeholder?: string;
}) {
  const { t } = useTranslation();
  const problem = value?.trim() ? checkExpr(value) : null;
  return (
    <div>
      <Input.TextArea
        value={value}
        autoSize={{ minRows: 1, maxRows: 4 }}
        placeholder={placeholder ?? t("flows.expr.placeholder")}
        style={{ fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace" }}
        status={problem ? "error" : undefined}
        data-testid={testId}
        onChange={(e) => onChange(e.target.value || undefined)}
      />
      {problem ? (
        <Typography.Text type="danger" style={{ fontSize: 12 }}>
          {t("flows.expr.error", { message: problem.message, pos: problem.pos })}
        </Typography.Text>
      ) : (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t("flows.expr.help", { functions: Object.keys(exprFunctions).slice(0, 8).join(", ") })}
        </Typography.Text>
      )}
    </div>
  );
}

/** One tag name from the tenant's tags; typing a new name offers it (the API creates tags on use). */
export function TagPick({ value, onChange, testId }: PickProps) {
  const { t } = useTranslation();
  const tags = useTags();
  const [search, setSearch] = useState("");
  const names = (tags.data?.items ?? []).map((tag) => tag.name);
  const typed = search.trim();
  const options = [
    ...(typed && !names.includes(typed) ? [{ value: typed, label: t("flows.newTag", { name: typed }) }] : []),
    ...names.map((n) => ({ value: n, label: n })),
  ];
  return (
    <Select
      showSearch={{ onSearch: setSearch }}
      allowClear
      value={value}
      loading={tags.isPending}
      placeholder={t("flows.pickTag")}
      options={options}
      data-testid={testId}
      onChange={(v: string | undefined) => {
        setSearch("");
        onChange(v);
      }}
    />
  );
}

export function useUsers() {
  return useQuery({
    queryKey: ["users", "names"],
    queryFn: () => http.get<Page<UserDto>>("/api/users", { limit: 500 }),
    staleTime: 5 * 60_000,
    retry: false,
  });
}

export function UserPick({
  value,
  onChange,
  multiple,
  withOwner,
  testId,
}: {
  value?: string | string[];
  onChange: (v: string | string[] | undefined) => void;
  multiple?: boolean;
  /** Offers "the customer's owner" (`owner`) first, for `managerOf`. */
  withOwner?: boolean;
  testId?: string;
}) {
  const { t } = useTranslation();
  const users = useUsers();
  return (
    <Select
      mode={multiple ? "multiple" : undefined}
      showSearch={{ optionFilterProp: "label" }}
      allowClear
      value={value}
      loading={users.isPending}
      placeholder={t("flows.pickUser")}
      data-testid={testId}
      onChange={(v) => onChange(v as string | string[] | undefined)}
      options={[
        ...(withOwner ? [{ value: "owner", label: t("flows.customerOwner") }] : []),
        ...(users.data?.items ?? []).map((u) => ({ value: u.id, label: u.name || u.email })),
      ]}
    />
  );
}

export function RolePick({ value, onChange, testId }: PickProps) {
  const { t } = useTranslation();
  return (
    <Select
      value={value}
      data-testid={testId}
      onChange={onChange}
      options={roles.map((role) => ({ value: role, label: t(`roles.names.${role}`) }))}
    />
  );
}

/** Domain events (and, for triggers, the trigger kinds) by their Chinese names. */
export function EventPick({
  value,
  onChange,
  events,
  forTrigger,
  testId,
}: {
  value?: string;
  onChange: (v: string | undefined) => void;
  events: string[];
  forTrigger: boolean;
  testId?: string;
}) {
  const { t } = useTranslation();
  const list = forTrigger
    ? events
    : events.filter((e) => !(flowTriggerKinds as readonly string[]).includes(e));
  return (
    <Select
      showSearch={{ optionFilterProp: "label" }}
      value={value}
      data-testid={testId}
      onChange={onChange}
      options={list.map((e) => ({ value: e, label: t(`flows.events.${e}`, { defaultValue: e }) }))}
    />
  );
}

/** A clearable, searchable pick of one item of a loaded list (by id, shown by name). */
function ListPick({
  value,
  onChange,
  testId,
  items,
  loading,
}: PickProps & { items: Array<{ id: string; name: string }> | undefined; loading: boolean }) {
  return (
    <Select
      showSearch={{ optionFilterProp: "label" }}
      allowClear
      value={value}
      loading={loading}
      data-testid={testId}
      onChange={onChange}
      options={(items ?? []).map((item) => ({ value: item.id, label: item.name }))}
    />
  );
}

export function SegmentPick(props: PickProps) {
  const segments = useSegments();
  return <ListPick {...props} items={segments.data?.items} loading={segments.isPending} />;
}

export function FlowPick(props: PickProps) {
  const flows = useFlowsForSelect();
  return <ListPick {...props} items={flows.data?.items} loading={flows.isPending} />;
}

/** A string → string map as rows of two inputs (webhook headers). */
export function KeyValueInput({
  value,
  onChange,
}: {
  value?: Record<string, string>;
  onChange: (v: Record<string, string> | undefined) => void;
}) {
  const { t } = useTranslation();
  const rows = Object.entries(value ?? {});
  const set = (next: Array<[string, string]>) => onChange(next.length ? Object.fromEntries(next) : undefined);
  return (
    <Flex vertical gap={6}>
      {rows.map(([k, v], i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a row is its place; its key text is being edited
        <Flex gap={6} key={i}>
          <Input
            value={k}
            placeholder={t("flows.kv.key")}
            onChange={(e) => set(rows.map((r, j) => (j === i ? [e.target.value, r[1]] : r)))}
          />
          <Input
            value={v}
            placeholder={t("flows.kv.value")}
            onChange={(e) => set(rows.map((r, j) => (j === i ? [r[0], e.target.value] : r)))}
          />
          <Button onClick={() => set(rows.filter((_, j) => j !== i))}>−</Button>
        </Flex>
      ))}
      <Button size="small" onClick={() => set([...rows, [`X-Header-${rows.length + 1}`, ""]])}>
        {t("flows.kv.add")}
      </Button>
    </Flex>
  );
}
