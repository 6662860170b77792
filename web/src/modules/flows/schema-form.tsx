import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Card, Checkbox, Flex, Form, Input, InputNumber, Segmented, Select, Switch } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import {
  DurationInput,
  EventPick,
  ExpressionInput,
  FlowPick,
  KeyValueInput,
  RolePick,
  SegmentPick,
  TagPick,
  UserPick,
} from "./field-widgets.tsx";

/** The part of JSON Schema that zod's `toJSONSchema` emits for node and action params. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  additionalProperties?: JsonSchema | boolean;
}

/** What a field widget may need beyond its schema: where it sits and the catalog's lists. */
export interface FieldContext {
  nodeType: string;
  action?: string;
  triggerEvents: string[];
  /** The whole params object of the node, for fields shown only with some choices. */
  params: Record<string, unknown>;
  /** Prefix of `data-testid`s, e.g. `prop` → `prop-tag`, `prop-assignee-role`. */
  testId: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isDuration = (s: JsonSchema) => typeof s.pattern === "string" && s.pattern.startsWith("^P(?!$)");
const variantsOf = (s: JsonSchema) => s.anyOf ?? s.oneOf;
const typeOf = (s: JsonSchema) => (Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type);

/** Keys never shown as fields: set by the panel itself or not for business users. */
const hiddenKeys = new Set(["action", "body"]);
const expressionKeys = new Set(["expression", "filter", "when", "until"]);

/** Fields of a trigger that matter only for some events. */
function visible(ctx: FieldContext, key: string, parent: Obj): boolean {
  if (ctx.nodeType === "trigger") {
    const ev = String(ctx.params.event ?? "");
    if (key === "tag") return ev.includes("tag");
    if (key === "cron" || key === "tz") return ev === "schedule";
    if (key === "segmentId") return ev === "segment_entry" || ev === "schedule";
    if (key === "includeExisting") return ev === "segment_entry";
    if (key === "formId") return ev === "form.submitted";
  }
  if (key === "approvers" && "mode" in parent && ctx.nodeType === "approval") return parent.mode === "all";
  if (key === "value" && ctx.action === "vars.set") return true;
  // A sub-flow's timeout only applies while the parent waits for it.
  if (key === "timeout" && ctx.action === "flow.start") return parent.wait === true;
  return !hiddenKeys.has(key);
}

/** A starting value for a schema: const, default, first enum, empty list or object. */
export function initialValue(s: JsonSchema): unknown {
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return s.default;
  const variants = variantsOf(s);
  if (variants?.length) return initialValue(variants[0] as JsonSchema);
  if (s.enum?.length) return s.enum[0];
  if (isDuration(s)) return "P1D";
  switch (typeOf(s)) {
    case "object": {
      const out: Obj = {};
      for (const k of s.required ?? []) {
        const sub = s.properties?.[k];
        if (sub) out[k] = initialValue(sub);
      }
      return out;
    }
    case "array":
      return s.items && (s.minItems ?? 0) > 0 && typeOf(s.items) === "object" ? [initialValue(s.items)] : [];
    case "boolean":
      return false;
    case "integer":
    case "number":
      return s.minimum ?? 0;
    default:
      return "";
  }
}

/** Which `anyOf` branch a value is in: the one whose required keys it has, else the closest. */
function variantIndex(variants: JsonSchema[], value: unknown): number {
  if (!isObj(value)) return 0;
  const exact = variants.findIndex((v) => (v.required ?? []).every((k) => k in value));
  if (exact >= 0) return exact;
  let best = 0;
  let bestHits = -1;
  variants.forEach((v, i) => {
    const hits = Object.keys(v.properties ?? {}).filter((k) => k in value).length;
    if (hits > bestHits) {
      best = i;
      bestHits = hits;
    }
  });
  return best;
}

/** Renders `params` of a node (or an action) from its JSON Schema; every change gives a new object. */
export function SchemaForm({
  schema,
  value,
  onChange,
  ctx,
}: {
  schema: JsonSchema;
  value: Obj;
  onChange: (v: Obj) => void;
  ctx: FieldContext;
}) {
  return <ObjectFields schema={schema} value={value} onChange={onChange} ctx={ctx} path={[]} />;
}

function ObjectFields({
  schema,
  value,
  onChange,
  ctx,
  path,
}: {
  schema: JsonSchema;
  value: Obj;
  onChange: (v: Obj) => void;
  ctx: FieldContext;
  path: string[];
}) {
  const { t } = useTranslation();
  const variants = variantsOf(schema)?.filter((v) => typeOf(v) === "object");
  if (variants?.length) {
    const index = variantIndex(variants, value);
    const current = variants[index] as JsonSchema;
    const key = (v: JsonSchema) => v.required?.[0] ?? Object.keys(v.properties ?? {})[0] ?? "none";
    const variantTestId = [ctx.testId, ...path, "variant"].join("-");
    const options = variants.map((v, i) => ({
      value: i,
      label: t(`flows.variants.${ctx.nodeType}.${key(v)}`, {
        defaultValue: t(`flows.variants.${key(v)}`, { defaultValue: key(v) }),
      }),
    }));
    return (
      <Flex vertical gap={8}>
        {variants.length > 3 ? (
          <Select
            size="small"
            value={index}
            data-testid={variantTestId}
            options={options}
            onChange={(i) => onChange(initialValue(variants[i] as JsonSchema) as Obj)}
          />
        ) : (
          <Segmented
            block
            size="small"
            value={index}
            data-testid={variantTestId}
            options={options}
            onChange={(i) => onChange(initialValue(variants[Number(i)] as JsonSchema) as Obj)}
          />
        )}
        {Object.keys(current.properties ?? {}).some((k) => current.properties?.[k]?.const === undefined) ? (
          <ObjectFields schema={current} value={value} onChange={onChange} ctx={ctx} path={path} />
        ) : null}
      </Flex>
    );
  }
  const props = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  return (
    <>
      {props
        .filter(([key, sub]) => visible(ctx, key, value) && sub.const === undefined)
        .map(([key, sub]) => (
          <Field
            key={key}
            name={key}
            schema={sub}
            required={required.has(key)}
            value={value[key]}
            ctx={ctx}
            path={[...path, key]}
            onChange={(v) => {
              const next = { ...value };
              if (v === undefined || v === "" || (Array.isArray(v) && v.length === 0 && !required.has(key)))
                delete next[key];
              else next[key] = v;
              // A const field (e.g. `owner: true`) is always present once its branch is chosen.
              for (const [k, s] of props) if (s.const !== undefined) next[k] = s.const;
              onChange(next);
            }}
          />
        ))}
    </>
  );
}

function Field({
  name,
  schema,
  required,
  value,
  onChange,
  ctx,
  path,
}: {
  name: string;
  schema: JsonSchema;
  required: boolean;
  value: unknown;
  onChange: (v: unknown) => void;
  ctx: FieldContext;
  path: string[];
}) {
  const { t } = useTranslation();
  const testId = [ctx.testId, ...path].join("-");
  const label = t(`flows.fields.${name}`, { defaultValue: name });
  const help = t(`flows.help.${ctx.nodeType}.${name}`, { defaultValue: "" }) || undefined;
  const item = (control: ReactNode) => (
    <Form.Item label={label} required={required} help={help} style={{ marginBottom: 12 }}>
      {control}
    </Form.Item>
  );
  const variants = variantsOf(schema);
  // `nullable()`: the non-null branch; an object union: its own variant switch.
  if (variants?.length && !variants.every((v) => typeOf(v) === "object")) {
    const nonNull = variants.find((v) => typeOf(v) !== "null") ?? {};
    return <Field {...{ name, required, value, onChange, ctx, path }} schema={nonNull} />;
  }
  const str = typeof value === "string" ? value : undefined;
  const set = (v: unknown) => onChange(v);

  if (name === "tag") return item(<TagPick value={str} onChange={set} testId={testId} />);
  if (name === "role") return item(<RolePick value={str} onChange={set} testId={testId} />);
  if (name === "userId") return item(<UserPick value={str} onChange={set} testId={testId} />);
  if (name === "userIds")
    return item(
      <UserPick
        multiple
        value={Array.isArray(value) ? (value as string[]) : []}
        onChange={set}
        testId={testId}
      />,
    );
  if (name === "managerOf") return item(<UserPick withOwner value={str} onChange={set} testId={testId} />);
  if (name === "event" && (ctx.nodeType === "trigger" || ctx.nodeType === "wait"))
    return item(
      <EventPick
        value={str}
        onChange={set}
        events={ctx.triggerEvents}
        forTrigger={ctx.nodeType === "trigger"}
        testId={testId}
      />,
    );
  if (name === "segmentId") return item(<SegmentPick value={str} onChange={set} testId={testId} />);
  if (name === "flowId") return item(<FlowPick value={str} onChange={set} testId={testId} />);
  if (name === "headers")
    return item(<KeyValueInput value={value as Record<string, string> | undefined} onChange={set} />);
  if (isDuration(schema)) return item(<DurationInput value={str} onChange={set} testId={testId} />);
  if (
    expressionKeys.has(name) ||
    (name === "value" && (ctx.action === "vars.set" || (ctx.action && ctx.params.expression === true)))
  )
    return item(<ExpressionInput value={str} onChange={set} testId={testId} />);

  const type = typeOf(schema);
  if (schema.enum?.length) {
    const opts = schema.enum.map((v) => ({
      value: v as string,
      label: t(`flows.enums.${ctx.nodeType}.${name}.${String(v)}`, {
        defaultValue: t(`flows.enums.${name}.${String(v)}`, { defaultValue: String(v) }),
      }),
    }));
    return item(
      opts.length <= 3 ? (
        <Segmented
          value={(value as string) ?? (schema.default as string)}
          options={opts}
          onChange={set}
          data-testid={testId}
        />
      ) : (
        <Select value={value as string} options={opts} onChange={set} data-testid={testId} />
      ),
    );
  }
  if (type === "boolean")
    return item(
      <Switch checked={value === true} onChange={(v) => set(v || undefined)} data-testid={testId} />,
    );
  if (type === "integer" || type === "number")
    return item(
      <InputNumber
        value={typeof value === "number" ? value : null}
        min={schema.minimum}
        max={schema.maximum}
        precision={type === "integer" ? 0 : undefined}
        placeholder={schema.default !== undefined ? String(schema.default) : undefined}
        style={{ width: "100%" }}
        data-testid={testId}
        onChange={(v) => set(v === null ? undefined : v)}
      />,
    );
  if (type === "array") {
    const items = schema.items ?? {};
    if (typeOf(items) === "object")
      return item(
        <ObjectList
          schema={items}
          value={Array.isArray(value) ? (value as Obj[]) : []}
          onChange={set}
          ctx={ctx}
          path={path}
        />,
      );
    return item(
      <Select
        mode="tags"
        value={Array.isArray(value) ? (value as string[]) : []}
        onChange={set}
        open={false}
        placeholder={t("flows.typeAndEnter")}
        data-testid={testId}
      />,
    );
  }
  if (type === "object" || variants?.length) {
    const present = isObj(value);
    return (
      <Card
        size="small"
        style={{ marginBottom: 12 }}
        title={
          required ? (
            label
          ) : (
            <Checkbox
              checked={present}
              data-testid={`${testId}-enabled`}
              onChange={(e) => set(e.target.checked ? initialValue(schema) : undefined)}
            >
              {label}
            </Checkbox>
          )
        }
      >
        {present || required ? (
          <ObjectFields
            schema={schema}
            value={isObj(value) ? value : {}}
            onChange={set}
            ctx={ctx}
            path={path}
          />
        ) : (
          <span style={{ color: "#999", fontSize: 12 }}>{t("flows.optionalOff")}</span>
        )}
      </Card>
    );
  }
  const long = name === "description" || name === "text";
  return item(
    long ? (
      <Input.TextArea
        value={str}
        autoSize={{ minRows: 2, maxRows: 6 }}
        onChange={(e) => set(e.target.value)}
        data-testid={testId}
      />
    ) : (
      <Input
        value={value === undefined || value === null ? "" : String(value)}
        placeholder={t(`flows.placeholders.${name}`, { defaultValue: "" })}
        onChange={(e) => set(e.target.value)}
        data-testid={testId}
      />
    ),
  );
}

/** A list of objects (condition branches, approval thresholds), each a small card of fields. */
function ObjectList({
  schema,
  value,
  onChange,
  ctx,
  path,
}: {
  schema: JsonSchema;
  value: Obj[];
  onChange: (v: Obj[]) => void;
  ctx: FieldContext;
  path: string[];
}) {
  const { t } = useTranslation();
  return (
    <Flex vertical gap={8}>
      {value.map((row, i) => (
        <Card
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place
          key={i}
          size="small"
          extra={
            <Button
              size="small"
              type="text"
              icon={<DeleteOutlined />}
              onClick={() => onChange(value.filter((_, j) => j !== i))}
            />
          }
        >
          <ObjectFields
            schema={schema}
            value={row}
            ctx={ctx}
            path={[...path, String(i)]}
            onChange={(v) => onChange(value.map((r, j) => (j === i ? v : r)))}
          />
        </Card>
      ))}
      <Button
        size="small"
        icon={<PlusOutlined />}
        onClick={() => onChange([...value, initialValue(schema) as Obj])}
        data-testid={`${[ctx.testId, ...path].join("-")}-add`}
      >
        {t("flows.addRow")}
      </Button>
    </Flex>
  );
}
