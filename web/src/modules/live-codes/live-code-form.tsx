import {
  type AllocationStrategy,
  allocationStrategies,
  type LiveCodeCreateInput,
  type StaffOption,
  type WelcomeInput,
} from "@siyu/contracts";
import {
  Button,
  Col,
  DatePicker,
  Divider,
  Drawer,
  Flex,
  Form,
  Input,
  InputNumber,
  Radio,
  Row,
  Segmented,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  TimePicker,
  Typography,
} from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useActionMutation } from "../../ui/action-mutation.ts";
import { TagSelect } from "../customers/tag-select.tsx";
import { useStaff } from "../wecom-actions/wecom-actions.api.ts";
import { createLiveCode, type LiveCode, liveCodesKey, updateLiveCode } from "./live-codes.api.ts";
import {
  AttachmentList,
  type AttachmentValues,
  fromAttachment,
  previewAttachments,
  toAttachment,
  VariantList,
  type VariantValues,
  WelcomeTextInput,
} from "./welcome-editor.tsx";
import { WelcomePreview } from "./welcome-preview.tsx";

/** One working-hours window of a staff member: days (empty = every day) and [from, to). */
interface HoursValues {
  weekdays?: number[];
  from?: string;
  to?: string;
}

interface StaffOptionValues {
  weight?: number | null;
  dailyCap?: number | null;
  hours?: HoursValues[];
  regions?: string[];
}

/** The API takes up to 14 windows per member (e.g. a morning and an afternoon shift on each day). */
export const maxHourWindows = 14;

export interface LiveCodeFormValues {
  name: string;
  staffUserIds: string[];
  strategy: AllocationStrategy;
  staffOptions?: Record<string, StaffOptionValues | undefined>;
  dailyCap?: number | null;
  backupUserIds?: string[];
  tags?: string[];
  remarkTemplate?: string;
  skipVerify: boolean;
  validity?: [Dayjs | null, Dayjs | null] | null;
  welcomeText?: string;
  attachments?: AttachmentValues[];
  variants?: VariantValues[];
}

const attachmentsOf = (list: AttachmentValues[] | undefined) =>
  (list ?? []).map(toAttachment).filter((a) => a !== null);

/** The welcome part of the form → the API's `welcome`, or null when nothing is written. */
export function toWelcome(v: Pick<LiveCodeFormValues, "welcomeText" | "attachments" | "variants">) {
  const text = v.welcomeText?.trim();
  const attachments = attachmentsOf(v.attachments);
  const variants = (v.variants ?? [])
    .map((x) => {
      const vText = x.text?.trim();
      const vAttachments = attachmentsOf(x.attachments);
      return {
        ...(x.name?.trim() ? { name: x.name.trim() } : {}),
        ...(x.weekdays?.length && x.weekdays.length < 7 ? { weekdays: [...x.weekdays].sort() } : {}),
        ...(x.from && x.to ? { from: x.from, to: x.to } : {}),
        ...(vText ? { text: vText } : {}),
        ...(vAttachments.length ? { attachments: vAttachments } : {}),
      };
    })
    .filter((x) => x.text || x.attachments);
  if (!text && !attachments.length && !variants.length) return null;
  const welcome: WelcomeInput = {
    ...(text ? { text } : {}),
    ...(attachments.length ? { attachments } : {}),
    ...(variants.length ? { variants } : {}),
  };
  return welcome;
}

/** Form values → the create / update body (every field sent, so an edit can clear one). */
export function toInput(v: LiveCodeFormValues) {
  const staffOptions: Record<string, StaffOption> = {};
  for (const userid of v.staffUserIds) {
    const o = v.staffOptions?.[userid];
    if (!o) continue;
    const hours = (o.hours ?? [])
      .filter((h): h is HoursValues & { from: string; to: string } => Boolean(h?.from && h.to))
      .map((h) => ({
        from: h.from,
        to: h.to,
        ...(h.weekdays?.length && h.weekdays.length < 7 ? { weekdays: [...h.weekdays].sort() } : {}),
      }));
    const regions = [...new Set((o.regions ?? []).map((r) => r.trim()).filter(Boolean))];
    const option: StaffOption = {
      ...(o.weight ? { weight: o.weight } : {}),
      ...(o.dailyCap ? { dailyCap: o.dailyCap } : {}),
      ...(hours.length ? { hours } : {}),
      ...(regions.length ? { regions } : {}),
    };
    if (Object.keys(option).length) staffOptions[userid] = option;
  }
  const [from, until] = v.validity ?? [null, null];
  return {
    name: v.name.trim(),
    staffUserIds: v.staffUserIds,
    strategy: v.strategy,
    staffOptions,
    dailyCap: v.dailyCap ?? null,
    backupUserIds: v.backupUserIds ?? [],
    tags: v.tags ?? [],
    remarkTemplate: v.remarkTemplate?.trim() || null,
    skipVerify: v.skipVerify,
    validFrom: from ? from.toISOString() : null,
    validUntil: until ? until.toISOString() : null,
    welcome: toWelcome(v),
  };
}

/** A code (edit) → form values. */
export function fromLiveCode(c: LiveCode): LiveCodeFormValues {
  const staffOptions: Record<string, StaffOptionValues> = {};
  for (const [userid, o] of Object.entries(c.staffOptions)) {
    staffOptions[userid] = {
      weight: o.weight ?? null,
      dailyCap: o.dailyCap ?? null,
      hours: (o.hours ?? []).map((h) => ({ from: h.from, to: h.to, weekdays: h.weekdays ?? [] })),
      regions: o.regions ?? [],
    };
  }
  return {
    name: c.name,
    staffUserIds: c.staffUserIds,
    strategy: c.strategy,
    staffOptions,
    dailyCap: c.dailyCap,
    backupUserIds: c.backupUserIds,
    tags: c.tags,
    remarkTemplate: c.remarkTemplate ?? undefined,
    skipVerify: c.skipVerify,
    validity:
      c.validFrom || c.validUntil
        ? [c.validFrom ? dayjs(c.validFrom) : null, c.validUntil ? dayjs(c.validUntil) : null]
        : null,
    welcomeText: c.welcome?.text,
    attachments: (c.welcome?.attachments ?? []).map(fromAttachment),
    variants: (c.welcome?.variants ?? []).map((v) => ({
      name: v.name,
      weekdays: v.weekdays ?? [1, 2, 3, 4, 5, 6, 7],
      from: v.from,
      to: v.to,
      text: v.text,
      attachments: (v.attachments ?? []).map(fromAttachment),
    })),
  };
}

const timeProps = {
  getValueProps: (v: string | undefined) => ({ value: v ? dayjs(`2000-01-01T${v}:00`) : undefined }),
  normalize: (d: Dayjs | null) => (d ? d.format("HH:mm") : undefined),
};

const regionSuggestions = ["北京", "上海", "广东", "广州", "深圳", "浙江", "杭州", "江苏", "四川", "成都"];

/**
 * A member's working-hours windows (several: e.g. 09:00–12:00 and 14:00–18:00 on weekdays, 10:00–16:00
 * at weekends): days + from/to each, at most 14, with a message on the window that is incomplete or
 * empty (from = to).
 */
function HoursEditor({ userid }: { userid: string }) {
  const { t } = useTranslation();
  return (
    <Form.List name={["staffOptions", userid, "hours"]}>
      {(fields, { add, remove }) => (
        <Flex vertical gap={4} data-testid={`live-code-hours-${userid}`}>
          {fields.map((field) => (
            <Space key={field.key} size={4} align="start" wrap data-testid="live-code-hours-window">
              <Form.Item name={[field.name, "weekdays"]} style={{ marginBottom: 0 }}>
                <Select
                  mode="multiple"
                  size="small"
                  style={{ minWidth: 150 }}
                  placeholder={t("liveCodes.form.everyDay")}
                  options={[1, 2, 3, 4, 5, 6, 7].map((d) => ({
                    value: d,
                    label: t(`liveCodes.weekdays.${d}`),
                  }))}
                />
              </Form.Item>
              <Form.Item
                name={[field.name, "from"]}
                style={{ marginBottom: 0 }}
                rules={[{ required: true, message: t("liveCodes.form.hoursFromRequired") }]}
                {...timeProps}
              >
                <TimePicker format="HH:mm" minuteStep={15} size="small" placeholder="09:00" />
              </Form.Item>
              <span style={{ lineHeight: "24px" }}>–</span>
              <Form.Item
                name={[field.name, "to"]}
                style={{ marginBottom: 0 }}
                dependencies={[["staffOptions", userid, "hours", field.name, "from"]]}
                {...timeProps}
                rules={[
                  { required: true, message: t("liveCodes.form.hoursToRequired") },
                  ({ getFieldValue }) => ({
                    validator: (_r, to: string | undefined) =>
                      to && to === getFieldValue(["staffOptions", userid, "hours", field.name, "from"])
                        ? Promise.reject(new Error(t("liveCodes.form.hoursEmpty")))
                        : Promise.resolve(),
                  }),
                ]}
              >
                <TimePicker format="HH:mm" minuteStep={15} size="small" placeholder="18:00" />
              </Form.Item>
              <Button
                size="small"
                type="text"
                danger
                onClick={() => remove(field.name)}
                aria-label={t("liveCodes.form.removeWindow")}
              >
                ×
              </Button>
            </Space>
          ))}
          <Button
            size="small"
            type="dashed"
            disabled={fields.length >= maxHourWindows}
            onClick={() => add({ weekdays: [1, 2, 3, 4, 5] })}
            data-testid={`live-code-add-window-${userid}`}
            style={{ alignSelf: "flex-start" }}
          >
            {fields.length >= maxHourWindows
              ? t("liveCodes.form.maxWindows", { n: maxHourWindows })
              : t("liveCodes.form.addWindow")}
          </Button>
        </Flex>
      )}
    </Form.List>
  );
}

/** Per pool member: weight, own cap, working hours, regions (shown for the strategies that use them). */
function StaffOptionsTable({
  strategy,
  staff,
}: {
  strategy: AllocationStrategy;
  staff: { userid: string; name: string }[];
}) {
  const { t } = useTranslation();
  if (!staff.length) return null;
  return (
    <Table
      size="small"
      rowKey="userid"
      pagination={false}
      dataSource={staff}
      data-testid="live-code-staff-options"
      columns={[
        { title: t("liveCodes.form.member"), key: "name", render: (_: unknown, s) => s.name || s.userid },
        ...(strategy === "weighted"
          ? [
              {
                title: t("liveCodes.form.weight"),
                key: "weight",
                width: 110,
                render: (_: unknown, s: { userid: string }) => (
                  <Form.Item name={["staffOptions", s.userid, "weight"]} noStyle>
                    <InputNumber
                      min={1}
                      max={100}
                      placeholder="1"
                      style={{ width: 90 }}
                      data-testid={`live-code-weight-${s.userid}`}
                    />
                  </Form.Item>
                ),
              },
            ]
          : []),
        {
          title: t("liveCodes.form.ownCap"),
          key: "cap",
          width: 120,
          render: (_: unknown, s) => (
            <Form.Item name={["staffOptions", s.userid, "dailyCap"]} noStyle>
              <InputNumber min={1} max={100000} placeholder="—" style={{ width: 100 }} />
            </Form.Item>
          ),
        },
        ...(strategy === "working_hours"
          ? [
              {
                title: t("liveCodes.form.hours"),
                key: "hours",
                render: (_: unknown, s: { userid: string }) => <HoursEditor userid={s.userid} />,
              },
            ]
          : []),
        ...(strategy === "by_region"
          ? [
              {
                title: t("liveCodes.form.regions"),
                key: "regions",
                render: (_: unknown, s: { userid: string }) => (
                  <Form.Item
                    name={["staffOptions", s.userid, "regions"]}
                    noStyle
                    rules={[
                      {
                        validator: (_r, v: string[] | undefined) =>
                          (v ?? []).some((x) => [...x.trim()].length > 30)
                            ? Promise.reject(new Error(t("liveCodes.form.regionTooLong")))
                            : Promise.resolve(),
                      },
                    ]}
                  >
                    <Select
                      mode="tags"
                      size="small"
                      style={{ minWidth: 220 }}
                      tokenSeparators={[",", "，", " "]}
                      placeholder={t("liveCodes.form.regionsPlaceholder")}
                      data-testid={`live-code-regions-${s.userid}`}
                      options={regionSuggestions.map((r) => ({ value: r, label: r }))}
                    />
                  </Form.Item>
                ),
              },
            ]
          : []),
      ]}
    />
  );
}

/**
 * 新建 / 编辑渠道活码: a wide drawer, the form on the left (staff pool and allocation, caps and backup,
 * tags and remark, validity, welcome message with attachments and variants) and the live WeChat preview
 * on the right.
 */
export function LiveCodeForm({
  open,
  code,
  onClose,
  onSaved,
}: {
  open: boolean;
  /** The code being edited; a new one when absent. */
  code?: LiveCode;
  onClose: () => void;
  onSaved?: (code: LiveCode) => void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<LiveCodeFormValues>();
  const staff = useStaff();
  const values = Form.useWatch([], form) as LiveCodeFormValues | undefined;
  const [nickname, setNickname] = useState(t("liveCodes.preview.sampleNickname"));
  const [previewing, setPreviewing] = useState<"default" | number>("default");
  const save = useActionMutation<LiveCodeFormValues, LiveCode>({
    mutationFn: (v) => {
      const input = toInput(v);
      if (code) return updateLiveCode(code.id, input);
      const { welcome, ...rest } = input;
      const body: LiveCodeCreateInput = { ...rest, ...(welcome ? { welcome } : {}) };
      return createLiveCode(body);
    },
    successText: code ? t("common.saved") : t("liveCodes.created"),
    invalidate: [liveCodesKey],
    onSuccess: (saved) => {
      onClose();
      onSaved?.(saved);
    },
  });

  const members = (staff.data?.items ?? []).filter((s) => s.status === "active");
  const nameOf = new Map(members.map((m) => [m.userid, m.name]));
  const staffOptions = members.map((m) => ({
    value: m.userid,
    label: (
      <Space size={4}>
        <span>{`${m.name || m.userid}（${m.userid}）`}</span>
        {m.hasContactPermission ? null : <Tag color="warning">{t("liveCodes.form.noPermission")}</Tag>}
      </Space>
    ),
    search: `${m.name} ${m.userid}`,
  }));
  const pool = values?.staffUserIds ?? [];
  const strategy = values?.strategy ?? "round_robin";
  const variants = values?.variants ?? [];
  const shown = previewing === "default" ? undefined : variants[previewing];
  const previewStaff = nameOf.get(pool[0] ?? "") || pool[0] || t("liveCodes.preview.staff");

  return (
    <Drawer
      open={open}
      onClose={onClose}
      size={1120}
      destroyOnHidden
      title={code ? t("liveCodes.edit") : t("liveCodes.create")}
      extra={
        <Space>
          <Button onClick={onClose}>{t("common.cancel")}</Button>
          <Button
            type="primary"
            loading={save.isPending}
            onClick={() => form.submit()}
            data-testid="live-code-save"
          >
            {t("common.save")}
          </Button>
        </Space>
      }
    >
      <Row gutter={32}>
        <Col flex="1 1 560px" style={{ minWidth: 0 }}>
          <Form<LiveCodeFormValues>
            form={form}
            layout="vertical"
            data-testid="live-code-form"
            initialValues={
              code
                ? fromLiveCode(code)
                : { strategy: "round_robin", skipVerify: true, staffUserIds: [], variants: [] }
            }
            onFinish={(v) => save.mutate(v)}
          >
            <Divider titlePlacement="start" style={{ marginTop: 0 }}>
              {t("liveCodes.form.basics")}
            </Divider>
            <Form.Item name="name" label={t("liveCodes.name")} rules={[{ required: true, whitespace: true }]}>
              <Input
                maxLength={100}
                placeholder={t("liveCodes.form.namePlaceholder")}
                data-testid="live-code-name"
              />
            </Form.Item>
            <Form.Item
              name="staffUserIds"
              label={t("liveCodes.form.staffPool")}
              rules={[{ required: true }]}
              extra={t("liveCodes.form.staffPoolHint")}
            >
              <Select
                mode="multiple"
                loading={staff.isPending}
                options={staffOptions}
                optionFilterProp="search"
                data-testid="live-code-staff"
              />
            </Form.Item>
            <Form.Item name="strategy" label={t("liveCodes.form.strategy")}>
              <Radio.Group
                optionType="button"
                options={allocationStrategies.map((s) => ({
                  value: s,
                  label: t(`liveCodes.strategies.${s}`),
                }))}
              />
            </Form.Item>
            <Typography.Paragraph type="secondary" style={{ marginTop: -16, fontSize: 12 }}>
              {t(`liveCodes.strategyHints.${strategy}`)}
            </Typography.Paragraph>
            <StaffOptionsTable
              strategy={strategy}
              staff={pool.map((u) => ({ userid: u, name: nameOf.get(u) ?? "" }))}
            />

            <Row gutter={16} style={{ marginTop: 16 }}>
              <Col span={10}>
                <Form.Item
                  name="dailyCap"
                  label={t("liveCodes.form.dailyCap")}
                  extra={t("liveCodes.form.dailyCapHint")}
                >
                  <InputNumber
                    min={1}
                    max={100000}
                    style={{ width: "100%" }}
                    placeholder={t("liveCodes.form.noCap")}
                  />
                </Form.Item>
              </Col>
              <Col span={14}>
                <Form.Item
                  name="backupUserIds"
                  label={t("liveCodes.form.backup")}
                  extra={t("liveCodes.form.backupHint")}
                >
                  <Select mode="multiple" options={staffOptions} optionFilterProp="search" />
                </Form.Item>
              </Col>
            </Row>

            <Divider titlePlacement="start">{t("liveCodes.form.afterAdd")}</Divider>
            <Form.Item name="tags" label={t("liveCodes.form.tags")} extra={t("liveCodes.form.tagsHint")}>
              <TagSelect allowNew placeholder={t("liveCodes.form.tagsPlaceholder")} testId="live-code-tags" />
            </Form.Item>
            <Form.Item
              name="remarkTemplate"
              label={t("liveCodes.form.remark")}
              extra={t("liveCodes.form.remarkHint", { example: "{{channel}}-{{nickname}}" })}
            >
              <Input maxLength={100} placeholder="{{channel}}-{{nickname}}" />
            </Form.Item>
            <Row gutter={16}>
              <Col span={8}>
                <Form.Item name="skipVerify" label={t("liveCodes.form.skipVerify")} valuePropName="checked">
                  <Switch />
                </Form.Item>
              </Col>
              <Col span={16}>
                <Form.Item
                  name="validity"
                  label={t("liveCodes.form.validity")}
                  extra={t("liveCodes.form.validityHint")}
                >
                  <DatePicker.RangePicker
                    showTime={{ format: "HH:mm" }}
                    format="YYYY-MM-DD HH:mm"
                    allowEmpty={[true, true]}
                    style={{ width: "100%" }}
                  />
                </Form.Item>
              </Col>
            </Row>

            <Divider titlePlacement="start">{t("liveCodes.form.welcome")}</Divider>
            <Form.Item name="welcomeText" label={t("liveCodes.form.welcomeText")}>
              <WelcomeTextInput testId="live-code-welcome" />
            </Form.Item>
            <Form.Item label={t("liveCodes.form.attachments")}>
              <AttachmentList name={["attachments"]} path={["attachments"]} />
            </Form.Item>
            <Form.Item label={t("liveCodes.form.variants")}>
              <VariantList onPreview={(i) => setPreviewing(i)} />
            </Form.Item>
          </Form>
        </Col>
        <Col flex="0 0 320px">
          <div style={{ position: "sticky", top: 0 }}>
            <Flex vertical gap={12}>
              <Typography.Text strong>{t("liveCodes.preview.title")}</Typography.Text>
              <Space.Compact>
                <Space.Addon>{t("liveCodes.preview.nickname")}</Space.Addon>
                <Input
                  value={nickname}
                  onChange={(e) => setNickname(e.target.value)}
                  maxLength={30}
                  data-testid="welcome-preview-nickname"
                />
              </Space.Compact>
              {variants.length ? (
                <Segmented
                  size="small"
                  value={
                    previewing === "default" || previewing >= variants.length ? "default" : String(previewing)
                  }
                  onChange={(v) => setPreviewing(v === "default" ? "default" : Number(v))}
                  options={[
                    { value: "default", label: t("liveCodes.preview.default") },
                    ...variants.map((x, i) => ({
                      value: String(i),
                      label: x?.name || `${t("liveCodes.form.variant")} ${i + 1}`,
                    })),
                  ]}
                />
              ) : null}
              <WelcomePreview
                text={shown ? shown.text : values?.welcomeText}
                attachments={previewAttachments(shown ? shown.attachments : values?.attachments)}
                nickname={nickname || t("liveCodes.preview.sampleNickname")}
                staff={previewStaff}
                channel={values?.name || t("liveCodes.preview.channel")}
                caption={
                  shown ? t("liveCodes.preview.variantCaption") : t("liveCodes.preview.defaultCaption")
                }
              />
            </Flex>
          </div>
        </Col>
      </Row>
    </Drawer>
  );
}
