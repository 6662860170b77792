import { CopyOutlined, ReloadOutlined } from "@ant-design/icons";
import { type QueryKey, useMutation, useQueryClient } from "@tanstack/react-query";
import type { FormInstance, FormRule } from "antd";
import { App, Button, Card, Col, Form, Input, Row, Skeleton, Space, Tag, Typography } from "antd";
import { Fragment, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { errorText } from "./error-text.ts";
import { formatTime } from "./format.ts";
import { PageHeader } from "./page-header.tsx";
import { QueryError } from "./query-error.tsx";

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `n` random letters and digits (callback tokens, EncodingAESKeys), from the browser's CSPRNG. */
export function randomAlnum(n: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => alnum[b % alnum.length]).join("");
}

/**
 * The save of a settings form: says so, puts the saved settings in the query cache and empties the
 * secret fields (their placeholders then show the stored masks); a refusal is shown as a message.
 */
export function useSettingsSave<Input, Saved>({
  save,
  queryKey,
  form,
  secretFields,
}: {
  save: (input: Input) => Promise<Saved>;
  queryKey: QueryKey;
  form: FormInstance;
  secretFields: readonly string[];
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: save,
    onSuccess: (saved) => {
      message.success(t("common.saved"));
      queryClient.setQueryData(queryKey, saved);
      form.resetFields([...secretFields]);
    },
    onError: (error) => message.error(errorText(t, error)),
  });
}

/** A text field with a button that fills it with `length` random letters and digits. */
export function GeneratedField({
  form,
  name,
  label,
  required,
  rules,
  length,
  placeholder,
}: {
  form: FormInstance;
  name: string;
  label: ReactNode;
  required: boolean;
  rules: FormRule[];
  length: number;
  placeholder?: string;
}) {
  const { t } = useTranslation();
  return (
    <Form.Item label={label} required={required}>
      <Space.Compact style={{ width: "100%" }}>
        <Form.Item name={name} noStyle rules={rules}>
          <Input maxLength={length} placeholder={placeholder} />
        </Form.Item>
        <Button icon={<ReloadOutlined />} onClick={() => form.setFieldValue(name, randomAlnum(length))}>
          {t("wecom.settings.generate")}
        </Button>
      </Space.Compact>
    </Form.Item>
  );
}

/** What a platform's settings page reads: configured or not, when saved, where callbacks go. */
export interface PlatformSettingsData {
  configured: boolean;
  updatedAt: string | null;
  callbackUrl: string;
}

/**
 * The page of a platform engine's connection settings (WeCom, the Official Account): header with the
 * configured tag, the form in a card with its last save time, and the callback URL to give the
 * platform with a copy button. `testId` prefixes the page's test ids (`<testId>-configured`,
 * `<testId>-callback-url`).
 */
export function PlatformSettingsPage<T extends PlatformSettingsData>({
  query,
  title,
  subtitle,
  formTitle,
  callbackTitle,
  testId,
  form,
  callbackNotes,
}: {
  query: { data: T | undefined; isError: boolean; error: unknown; refetch: () => unknown };
  title: ReactNode;
  subtitle: ReactNode;
  formTitle: ReactNode;
  callbackTitle: ReactNode;
  testId: string;
  /** The form, given the loaded settings (remounted after each save). */
  form: (data: T) => ReactNode;
  /** Under the callback URL: how to set it up on the platform. */
  callbackNotes: (data: T) => ReactNode;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const data = query.data;
  return (
    <>
      <PageHeader
        title={title}
        subtitle={subtitle}
        extra={
          data ? (
            <Tag color={data.configured ? "green" : "default"} data-testid={`${testId}-configured`}>
              {data.configured ? t("wecom.settings.configured") : t("wecom.settings.notConfigured")}
            </Tag>
          ) : null
        }
      />
      {query.isError ? (
        <QueryError error={query.error} onRetry={() => void query.refetch()} />
      ) : !data ? (
        <Card>
          <Skeleton active />
        </Card>
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={15}>
            <Card
              title={formTitle}
              extra={
                data.updatedAt ? (
                  <Typography.Text type="secondary">
                    {t("wecom.settings.updatedAt", { at: formatTime(data.updatedAt) })}
                  </Typography.Text>
                ) : null
              }
            >
              <Fragment key={data.updatedAt ?? "new"}>{form(data)}</Fragment>
            </Card>
          </Col>
          <Col xs={24} xl={9}>
            <Card title={callbackTitle}>
              <Input.TextArea
                readOnly
                autoSize
                value={data.callbackUrl}
                data-testid={`${testId}-callback-url`}
                style={{ fontFamily: "monospace", marginBottom: 8 }}
              />
              <Button
                icon={<CopyOutlined />}
                onClick={() =>
                  void navigator.clipboard
                    ?.writeText(data.callbackUrl)
                    .then(() => message.success(t("common.copied")))
                }
              >
                {t("common.copy")}
              </Button>
              {callbackNotes(data)}
            </Card>
          </Col>
        </Row>
      )}
    </>
  );
}
