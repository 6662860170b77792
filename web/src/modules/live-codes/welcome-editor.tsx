import { DeleteOutlined, PlusOutlined, UserAddOutlined } from "@ant-design/icons";
import type { WelcomeAttachment } from "@siyu/contracts";
import { Button, Card, Checkbox, Flex, Form, Input, Space, TimePicker, Typography } from "antd";
import type { TextAreaRef } from "antd/es/input/TextArea";
import dayjs from "dayjs";
import { useRef } from "react";
import { useTranslation } from "react-i18next";

/** An attachment as the form holds it: every field of every kind, the unused ones empty. */
export interface AttachmentValues {
  type: WelcomeAttachment["type"];
  url?: string;
  title?: string;
  description?: string;
  imageUrl?: string;
  appId?: string;
  page?: string;
  picMediaId?: string;
}

export interface VariantValues {
  name?: string;
  weekdays?: number[];
  from?: string;
  to?: string;
  text?: string;
  attachments?: AttachmentValues[];
}

const trim = (s: string | undefined) => s?.trim() ?? "";

/** Form values → the API's attachment, or null while the required fields are still empty. */
export function toAttachment(v: AttachmentValues | undefined): WelcomeAttachment | null {
  if (!v) return null;
  if (v.type === "image") return trim(v.url) ? { type: "image", url: trim(v.url) } : null;
  if (v.type === "link") {
    if (!trim(v.url)) return null;
    return {
      type: "link",
      title: trim(v.title) || trim(v.url),
      url: trim(v.url),
      ...(trim(v.description) ? { description: trim(v.description) } : {}),
      ...(trim(v.imageUrl) ? { imageUrl: trim(v.imageUrl) } : {}),
    };
  }
  if (!trim(v.title) || !trim(v.appId) || !trim(v.page) || !trim(v.picMediaId)) return null;
  return {
    type: "miniprogram",
    title: trim(v.title),
    appId: trim(v.appId),
    page: trim(v.page),
    picMediaId: trim(v.picMediaId),
  };
}

/** The API's attachment → form values. */
export function fromAttachment(a: WelcomeAttachment): AttachmentValues {
  return { ...a };
}

/** Attachments for the live preview: filled ones as they are, half-filled ones as placeholders. */
export function previewAttachments(list: AttachmentValues[] | undefined): WelcomeAttachment[] {
  return (list ?? []).flatMap((v): WelcomeAttachment[] => {
    if (!v?.type) return [];
    const done = toAttachment(v);
    if (done) return [done];
    if (v.type === "image") return [{ type: "image", url: "" }];
    if (v.type === "link") return [{ type: "link", title: trim(v.title) || "…", url: trim(v.url) }];
    return [
      {
        type: "miniprogram",
        title: trim(v.title) || "…",
        appId: trim(v.appId) || "wx…",
        page: trim(v.page) || "/",
        picMediaId: "",
      },
    ];
  });
}

/** A text area with buttons that insert placeholders (`{{nickname}}`…) where the cursor is. */
export function WelcomeTextInput({
  value,
  onChange,
  testId,
  rows = 4,
}: {
  value?: string;
  onChange?: (value: string) => void;
  testId?: string;
  rows?: number;
}) {
  const { t } = useTranslation();
  const ref = useRef<TextAreaRef>(null);
  const insert = (token: string) => {
    const el = ref.current?.resizableTextArea?.textArea;
    const current = value ?? "";
    const start = el?.selectionStart ?? current.length;
    const end = el?.selectionEnd ?? current.length;
    onChange?.(current.slice(0, start) + token + current.slice(end));
    // Put the cursor after the inserted placeholder once React has rendered the new value.
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + token.length, start + token.length);
    });
  };
  return (
    <div>
      <Input.TextArea
        ref={ref}
        rows={rows}
        maxLength={1500}
        showCount
        value={value}
        onChange={(e) => onChange?.(e.target.value)}
        data-testid={testId}
        placeholder={t("liveCodes.form.welcomePlaceholder")}
      />
      <Space size={4} style={{ marginTop: 6 }} wrap>
        <Button
          size="small"
          icon={<UserAddOutlined />}
          onClick={() => insert("{{nickname}}")}
          data-testid={testId ? `${testId}-nickname` : undefined}
        >
          {t("liveCodes.form.insertNickname")}
        </Button>
        <Button size="small" onClick={() => insert("{{staff}}")}>
          {t("liveCodes.form.insertStaff")}
        </Button>
        <Button size="small" onClick={() => insert("{{channel}}")}>
          {t("liveCodes.form.insertChannel")}
        </Button>
      </Space>
    </div>
  );
}

const url = { type: "url" as const, message: "https://…" };

/**
 * The attachments of a message (≤ 9): image, link or mini-program, each with its own fields. `name` is
 * relative to an enclosing Form.List (if any), `path` the absolute one.
 */
export function AttachmentList({ name, path }: { name: (string | number)[]; path: (string | number)[] }) {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  return (
    <Form.List name={name}>
      {(fields, { add, remove }) => (
        <Space orientation="vertical" style={{ width: "100%" }} size={8}>
          {fields.map((field) => {
            const type = form.getFieldValue([...path, field.name, "type"]) as AttachmentValues["type"];
            return (
              <Card
                key={field.key}
                size="small"
                title={t(`liveCodes.attachment.${type}`)}
                extra={
                  <Button
                    size="small"
                    type="text"
                    danger
                    icon={<DeleteOutlined />}
                    onClick={() => remove(field.name)}
                    aria-label={t("common.delete")}
                  />
                }
              >
                <Form.Item name={[field.name, "type"]} hidden>
                  <Input />
                </Form.Item>
                {type === "image" ? (
                  <Form.Item
                    name={[field.name, "url"]}
                    label={t("liveCodes.attachment.imageUrl")}
                    rules={[{ required: true }, url]}
                  >
                    <Input placeholder="https://" />
                  </Form.Item>
                ) : null}
                {type === "link" ? (
                  <>
                    <Form.Item
                      name={[field.name, "title"]}
                      label={t("liveCodes.attachment.title")}
                      rules={[{ required: true, whitespace: true }]}
                    >
                      <Input maxLength={128} />
                    </Form.Item>
                    <Form.Item
                      name={[field.name, "url"]}
                      label={t("liveCodes.attachment.url")}
                      rules={[{ required: true }, url]}
                    >
                      <Input placeholder="https://" />
                    </Form.Item>
                    <Form.Item
                      name={[field.name, "description"]}
                      label={t("liveCodes.attachment.description")}
                    >
                      <Input maxLength={512} />
                    </Form.Item>
                    <Form.Item
                      name={[field.name, "imageUrl"]}
                      label={t("liveCodes.attachment.cover")}
                      rules={[url]}
                    >
                      <Input placeholder="https://" />
                    </Form.Item>
                  </>
                ) : null}
                {type === "miniprogram" ? (
                  <>
                    <Form.Item
                      name={[field.name, "title"]}
                      label={t("liveCodes.attachment.title")}
                      rules={[{ required: true, whitespace: true }]}
                    >
                      <Input maxLength={64} />
                    </Form.Item>
                    <Form.Item
                      name={[field.name, "appId"]}
                      label="AppID"
                      rules={[{ required: true, pattern: /^wx[0-9a-zA-Z]{8,30}$/, message: "wx…" }]}
                    >
                      <Input placeholder="wx…" />
                    </Form.Item>
                    <Form.Item
                      name={[field.name, "page"]}
                      label={t("liveCodes.attachment.page")}
                      rules={[{ required: true, whitespace: true }]}
                    >
                      <Input placeholder="pages/index/index" />
                    </Form.Item>
                    <Form.Item
                      name={[field.name, "picMediaId"]}
                      label={t("liveCodes.attachment.picMediaId")}
                      extra={t("liveCodes.attachment.picMediaIdHint")}
                      rules={[{ required: true, whitespace: true }]}
                    >
                      <Input />
                    </Form.Item>
                  </>
                ) : null}
              </Card>
            );
          })}
          {fields.length < 9 ? (
            <Space size={4} wrap>
              {(["image", "link", "miniprogram"] as const).map((type) => (
                <Button
                  key={type}
                  size="small"
                  icon={<PlusOutlined />}
                  onClick={() => add({ type })}
                  data-testid={`attachment-add-${path.join("-")}-${type}`}
                >
                  {t(`liveCodes.attachment.${type}`)}
                </Button>
              ))}
            </Space>
          ) : null}
        </Space>
      )}
    </Form.List>
  );
}

const timeProps = {
  getValueProps: (v: string | undefined) => ({ value: v ? dayjs(`2000-01-01T${v}:00`) : undefined }),
  normalize: (d: dayjs.Dayjs | null) => (d ? d.format("HH:mm") : undefined),
};

/** Time-of-day / weekday variants: the first that matches the add's time is sent instead of the default. */
export function VariantList({ onPreview }: { onPreview: (index: number) => void }) {
  const { t } = useTranslation();
  const weekdayOptions = [1, 2, 3, 4, 5, 6, 7].map((d) => ({
    value: d,
    label: t(`liveCodes.weekdays.${d}`),
  }));
  return (
    <Form.List name="variants">
      {(fields, { add, remove }) => (
        <Space orientation="vertical" style={{ width: "100%" }} size={12}>
          {fields.map((field, index) => (
            <Card
              key={field.key}
              size="small"
              title={`${t("liveCodes.form.variant")} ${index + 1}`}
              extra={
                <Space size={4}>
                  <Button size="small" type="link" onClick={() => onPreview(index)}>
                    {t("liveCodes.form.previewThis")}
                  </Button>
                  <Button
                    size="small"
                    type="text"
                    danger
                    icon={<DeleteOutlined />}
                    onClick={() => remove(field.name)}
                    aria-label={t("common.delete")}
                  />
                </Space>
              }
            >
              <Form.Item name={[field.name, "name"]} label={t("liveCodes.form.variantName")}>
                <Input maxLength={50} placeholder={t("liveCodes.form.variantNamePlaceholder")} />
              </Form.Item>
              <Form.Item name={[field.name, "weekdays"]} label={t("liveCodes.form.weekdays")}>
                <Checkbox.Group options={weekdayOptions} />
              </Form.Item>
              <Flex gap={8} align="flex-start">
                <Form.Item
                  name={[field.name, "from"]}
                  label={t("liveCodes.form.from")}
                  {...timeProps}
                  dependencies={[["variants", field.name, "to"]]}
                  rules={[
                    ({ getFieldValue }) => ({
                      validator: (_, v) =>
                        Boolean(v) === Boolean(getFieldValue(["variants", field.name, "to"]))
                          ? Promise.resolve()
                          : Promise.reject(new Error(t("liveCodes.form.fromToTogether"))),
                    }),
                  ]}
                >
                  <TimePicker format="HH:mm" minuteStep={5} style={{ width: 130 }} />
                </Form.Item>
                <Form.Item name={[field.name, "to"]} label={t("liveCodes.form.to")} {...timeProps}>
                  <TimePicker format="HH:mm" minuteStep={5} style={{ width: 130 }} />
                </Form.Item>
              </Flex>
              <Form.Item name={[field.name, "text"]} label={t("liveCodes.form.welcomeText")}>
                <WelcomeTextInput rows={3} />
              </Form.Item>
              <Form.Item label={t("liveCodes.form.attachments")}>
                <AttachmentList
                  name={[field.name, "attachments"]}
                  path={["variants", field.name, "attachments"]}
                />
              </Form.Item>
            </Card>
          ))}
          {fields.length < 20 ? (
            <Button icon={<PlusOutlined />} onClick={() => add({ weekdays: [1, 2, 3, 4, 5] })}>
              {t("liveCodes.form.addVariant")}
            </Button>
          ) : null}
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t("liveCodes.form.variantsHint")}
          </Typography.Text>
        </Space>
      )}
    </Form.List>
  );
}
