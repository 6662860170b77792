import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import {
  Alert,
  AutoComplete,
  Button,
  Dropdown,
  Flex,
  Input,
  InputNumber,
  Segmented,
  Select,
  Typography,
} from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useCustomFields, useTags } from "../customers/customers.api.ts";
import {
  type Comparison,
  type Condition,
  comparisons,
  emptyGroup,
  type Group,
  type Node,
  newCondition,
  parseExpression,
  toExpression,
} from "./segment-expression.ts";

const exprStyle: React.CSSProperties = {
  background: "#f5f7fa",
  border: "1px solid #f0f0f0",
  borderRadius: 6,
  padding: "8px 12px",
  margin: "4px 0 0",
  fontSize: 13,
  whiteSpace: "pre-wrap",
  wordBreak: "break-all",
  fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
};

const standardFields = ["name", "email", "source", "lifecycle_stage", "created_at"];
const knownEvents = [
  "order.paid",
  "order.shipped",
  "order.refunded",
  "wecom.contact_added",
  "wecom.contact_deleted",
  "oa.subscribed",
  "form.submitted",
  "customer.tag_added",
];

function useFieldOptions() {
  const { t } = useTranslation();
  const fields = useCustomFields();
  return [
    ...standardFields.map((f) => ({ value: f, label: `${t(`customers.segment.fields.${f}`)} (${f})` })),
    ...(fields.data?.items ?? []).map((f) => ({
      value: `attr.${f.key}`,
      label: `${f.label} (attr.${f.key})`,
    })),
  ];
}

const conditionKinds = ["tag", "attr", "event", "count"] as const;

/** "has" / "has not" in front of a tag or event condition. */
function NegateSelect(props: {
  negate: boolean;
  onChange: (negate: boolean) => void;
  has: string;
  not: string;
}) {
  return (
    <Select
      value={props.negate ? "not" : "has"}
      onChange={(v) => props.onChange(v === "not")}
      style={{ width: 110 }}
      options={[
        { value: "has", label: props.has },
        { value: "not", label: props.not },
      ]}
    />
  );
}

/** "<event> within <n> <unit>" of the event and count conditions. */
function EventWindow(props: {
  event: string;
  days: number;
  onChange: (patch: { event?: string; days?: number }) => void;
  options: { value: string; label: string }[];
  unit: string;
}) {
  const { t } = useTranslation();
  return (
    <>
      <AutoComplete
        value={props.event}
        onChange={(event: string) => props.onChange({ event })}
        options={props.options}
        style={{ width: 240 }}
      />
      <Typography.Text>{t("customers.segment.within")}</Typography.Text>
      <InputNumber
        min={1}
        value={props.days}
        onChange={(v) => props.onChange({ days: v ?? 1 })}
        style={{ width: 80 }}
      />
      <Typography.Text>{props.unit}</Typography.Text>
    </>
  );
}

function ConditionRow({
  condition,
  onChange,
  onRemove,
}: {
  condition: Condition;
  onChange: (c: Condition) => void;
  onRemove: () => void;
}) {
  const { t } = useTranslation();
  const tags = useTags();
  const fieldOptions = useFieldOptions();
  const eventOptions = knownEvents.map((e) => ({
    value: e,
    label: `${t(`customers.segment.events.${e}`, { defaultValue: e })} (${e})`,
  }));
  const c = condition;

  let body: React.ReactNode;
  if (c.kind === "tag") {
    body = (
      <>
        <NegateSelect
          negate={c.negate}
          onChange={(negate) => onChange({ ...c, negate })}
          has={t("customers.segment.tagHas")}
          not={t("customers.segment.tagNotHas")}
        />
        <Select
          showSearch={{ optionFilterProp: "label" }}
          value={c.tag || undefined}
          onChange={(tag: string) => onChange({ ...c, tag })}
          placeholder={t("customers.segment.pickTag")}
          style={{ width: 220 }}
          loading={tags.isPending}
          data-testid="segment-tag-select"
          options={(tags.data?.items ?? []).map((tag) => ({ value: tag.name, label: tag.name }))}
        />
      </>
    );
  } else if (c.kind === "attr") {
    body = (
      <>
        <AutoComplete
          value={c.field}
          onChange={(field: string) => onChange({ ...c, field })}
          options={fieldOptions}
          placeholder={t("customers.segment.pickField")}
          style={{ width: 200 }}
          filterOption={(input, option) =>
            String(option?.label ?? "")
              .toLowerCase()
              .includes(input.toLowerCase())
          }
        />
        <Select
          value={c.op}
          onChange={(op: Comparison) => onChange({ ...c, op })}
          style={{ width: 110 }}
          options={comparisons.map((op) => ({
            value: op,
            label: t(`customers.segment.ops.${op}`, { defaultValue: op }),
          }))}
        />
        {c.op === "exists" ? null : (
          <Input
            value={c.value}
            onChange={(e) => onChange({ ...c, value: e.target.value })}
            placeholder={t("customers.segment.value")}
            style={{ width: 160 }}
          />
        )}
      </>
    );
  } else if (c.kind === "event") {
    body = (
      <>
        <NegateSelect
          negate={c.negate}
          onChange={(negate) => onChange({ ...c, negate })}
          has={t("customers.segment.eventHas")}
          not={t("customers.segment.eventNotHas")}
        />
        <EventWindow
          event={c.event}
          days={c.days}
          onChange={(patch) => onChange({ ...c, ...patch })}
          options={eventOptions}
          unit={t("customers.segment.days")}
        />
      </>
    );
  } else {
    body = (
      <>
        <EventWindow
          event={c.event}
          days={c.days}
          onChange={(patch) => onChange({ ...c, ...patch })}
          options={eventOptions}
          unit={t("customers.segment.daysCount")}
        />
        <Select
          value={c.op}
          onChange={(op) => onChange({ ...c, op })}
          style={{ width: 80 }}
          options={([">=", ">", "=", "<=", "<"] as const).map((op) => ({ value: op, label: op }))}
        />
        <InputNumber
          min={0}
          value={c.n}
          onChange={(v) => onChange({ ...c, n: v ?? 0 })}
          style={{ width: 80 }}
        />
        <Typography.Text>{t("customers.segment.times")}</Typography.Text>
      </>
    );
  }

  return (
    <Flex gap={8} align="center" wrap data-testid="segment-condition">
      <Select
        value={c.kind}
        onChange={(kind: Condition["kind"]) => onChange(newCondition(kind))}
        style={{ width: 120 }}
        options={conditionKinds.map((k) => ({
          value: k,
          label: t(`customers.segment.kinds.${k}`),
        }))}
      />
      {body}
      <Button
        type="text"
        danger
        icon={<DeleteOutlined />}
        onClick={onRemove}
        aria-label={t("common.delete")}
      />
    </Flex>
  );
}

function GroupBox({
  group,
  onChange,
  onRemove,
  depth,
}: {
  group: Group;
  onChange: (g: Group) => void;
  onRemove?: () => void;
  depth: number;
}) {
  const { t } = useTranslation();
  const setItem = (index: number, item: Node | null) =>
    onChange({
      ...group,
      items:
        item === null
          ? group.items.filter((_, i) => i !== index)
          : group.items.map((it, i) => (i === index ? item : it)),
    });
  const add = (item: Node) => onChange({ ...group, items: [...group.items, item] });

  return (
    <div
      style={{
        border: depth > 0 ? "1px dashed #b7eb8f" : undefined,
        background: depth > 0 ? "#f6ffed" : undefined,
        borderRadius: 6,
        padding: depth > 0 ? 12 : 0,
      }}
    >
      <Flex gap={8} align="center" style={{ marginBottom: 8 }}>
        <Typography.Text type="secondary">{t("customers.segment.match")}</Typography.Text>
        <Segmented
          size="small"
          value={group.junction}
          onChange={(junction) => onChange({ ...group, junction: junction as Group["junction"] })}
          options={[
            { value: "AND", label: t("customers.segment.all") },
            { value: "OR", label: t("customers.segment.any") },
          ]}
        />
        {onRemove ? (
          <Button size="small" type="text" danger icon={<DeleteOutlined />} onClick={onRemove}>
            {t("customers.segment.removeGroup")}
          </Button>
        ) : null}
      </Flex>
      <Flex vertical gap={8}>
        {group.items.map((item, i) =>
          item.kind === "group" ? (
            <GroupBox
              key={item.uid}
              group={item}
              depth={depth + 1}
              onChange={(g) => setItem(i, g)}
              onRemove={() => setItem(i, null)}
            />
          ) : (
            <ConditionRow
              key={item.uid}
              condition={item}
              onChange={(c) => setItem(i, c)}
              onRemove={() => setItem(i, null)}
            />
          ),
        )}
      </Flex>
      <Flex gap={8} style={{ marginTop: 8 }}>
        <Dropdown
          menu={{
            items: conditionKinds.map((k) => ({
              key: k,
              label: t(`customers.segment.kinds.${k}`),
              onClick: () => add(newCondition(k)),
            })),
          }}
        >
          <Button size="small" icon={<PlusOutlined />} data-testid="segment-add-condition">
            {t("customers.segment.addCondition")}
          </Button>
        </Dropdown>
        {depth === 0 ? (
          <Button
            size="small"
            icon={<PlusOutlined />}
            onClick={() =>
              add({ ...emptyGroup(group.junction === "AND" ? "OR" : "AND"), items: [newCondition("tag")] })
            }
          >
            {t("customers.segment.addGroup")}
          </Button>
        ) : null}
      </Flex>
    </div>
  );
}

/**
 * Builds a segment expression: visually (AND/OR groups of conditions) or as text. The expression text is
 * the value; the visual model is derived from it when it can be (see `parseExpression`).
 */
export function SegmentBuilder({
  value,
  onChange,
}: {
  value?: string;
  onChange?: (expression: string) => void;
}) {
  const { t } = useTranslation();
  const [initial] = useState(() => {
    const parsed = parseExpression(value ?? "");
    if (parsed && parsed.items.length === 0) parsed.items.push(newCondition("tag"));
    return parsed;
  });
  const [mode, setMode] = useState<"visual" | "text">(initial ? "visual" : "text");
  const [group, setGroup] = useState<Group>(initial ?? emptyGroup());
  const [parseFailed, setParseFailed] = useState(false);
  const expression = value ?? "";

  const changeGroup = (g: Group) => {
    setGroup(g);
    onChange?.(toExpression(g));
  };

  const switchMode = (next: "visual" | "text") => {
    if (next === "visual") {
      const parsed = parseExpression(expression);
      if (!parsed) {
        setParseFailed(true);
        return;
      }
      if (parsed.items.length === 0) parsed.items.push(newCondition("tag"));
      setGroup(parsed);
    }
    setParseFailed(false);
    setMode(next);
  };

  return (
    <div data-testid="segment-builder">
      <Segmented
        value={mode}
        onChange={(m) => switchMode(m as "visual" | "text")}
        options={[
          { value: "visual", label: t("customers.segment.visualMode") },
          { value: "text", label: t("customers.segment.textMode") },
        ]}
        style={{ marginBottom: 12 }}
        data-testid="segment-mode"
      />
      {parseFailed ? (
        <Alert
          type="warning"
          showIcon
          title={t("customers.segment.cannotVisualize")}
          style={{ marginBottom: 12 }}
          closable
        />
      ) : null}
      {mode === "visual" ? (
        <>
          <GroupBox group={group} onChange={changeGroup} depth={0} />
          <div style={{ marginTop: 12 }}>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t("customers.segment.expression")}
            </Typography.Text>
            <pre style={exprStyle} data-testid="segment-expression">
              {expression || t("customers.segment.noConditions")}
            </pre>
          </div>
        </>
      ) : (
        <>
          <Input.TextArea
            value={expression}
            onChange={(e) => onChange?.(e.target.value)}
            autoSize={{ minRows: 3, maxRows: 10 }}
            style={{ fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" }}
            placeholder='tag("VIP") AND NOT tag("流失") AND has_event("order.paid", 30d)'
            data-testid="segment-text"
          />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t("customers.segment.syntaxHint")}
          </Typography.Text>
        </>
      )}
    </div>
  );
}
