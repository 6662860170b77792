import { CopyOutlined, ReloadOutlined } from "@ant-design/icons";
import type { WecomSettingsDto, WecomSettingsInput } from "@siyu/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Card, Col, Form, Input, Row, Skeleton, Space, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { saveWecomSettings, useWecomSettings, wecomSettingsKey } from "../../modules/wecom/wecom.api.ts";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

type Values = {
  corpId: string;
  agentId: string;
  secret: string;
  contactSecret: string;
  callbackToken: string;
  encodingAesKey: string;
  apiBase: string;
};

const secretFields = ["secret", "contactSecret", "callbackToken", "encodingAesKey"] as const;

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
function randomAlnum(n: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => alnum[b % alnum.length]).join("");
}

function SettingsForm({ settings }: { settings: WecomSettingsDto }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const mutation = useMutation({
    mutationFn: (input: WecomSettingsInput) => saveWecomSettings(input),
    onSuccess: (saved) => {
      message.success(t("common.saved"));
      queryClient.setQueryData(wecomSettingsKey, saved);
      form.resetFields([...secretFields]);
    },
    onError: (error) => message.error(errorText(t, error)),
  });

  const placeholder = (field: (typeof secretFields)[number]) => {
    const mask = settings[field];
    return mask ? t("wecom.settings.stored", { mask }) : undefined;
  };

  return (
    <Form<Values>
      form={form}
      layout="vertical"
      data-testid="wecom-settings-form"
      initialValues={{
        corpId: settings.corpId ?? "",
        agentId: settings.agentId ?? "",
        apiBase: settings.apiBase,
      }}
      onFinish={(v) =>
        mutation.mutate({
          corpId: v.corpId.trim(),
          agentId: v.agentId.trim(),
          secret: v.secret,
          contactSecret: v.contactSecret,
          callbackToken: v.callbackToken,
          encodingAesKey: v.encodingAesKey,
          apiBase: v.apiBase.trim() || undefined,
        })
      }
    >
      {settings.configured ? (
        <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t("wecom.settings.secretsHint")} />
      ) : null}
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Form.Item
            name="corpId"
            label={t("wecom.settings.corpId")}
            rules={[{ required: true, whitespace: true, message: t("wecom.settings.required") }]}
          >
            <Input maxLength={64} placeholder="ww1234567890abcdef" data-testid="wecom-corp-id" />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item
            name="agentId"
            label={t("wecom.settings.agentId")}
            rules={[{ required: true, pattern: /^\d{1,20}$/, message: t("wecom.settings.required") }]}
          >
            <Input maxLength={20} placeholder="1000002" />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item
            name="secret"
            label={t("wecom.settings.secret")}
            rules={[{ required: true, whitespace: true, message: t("wecom.settings.required") }]}
          >
            <Input.Password maxLength={256} placeholder={placeholder("secret")} autoComplete="new-password" />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item
            name="contactSecret"
            label={t("wecom.settings.contactSecret")}
            rules={[{ required: true, whitespace: true, message: t("wecom.settings.required") }]}
          >
            <Input.Password
              maxLength={256}
              placeholder={placeholder("contactSecret")}
              autoComplete="new-password"
            />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item label={t("wecom.settings.callbackToken")} required>
            <Space.Compact style={{ width: "100%" }}>
              <Form.Item
                name="callbackToken"
                noStyle
                rules={[
                  { required: true, pattern: /^[A-Za-z0-9]{1,32}$/, message: t("wecom.settings.tokenRule") },
                ]}
              >
                <Input
                  maxLength={32}
                  placeholder={placeholder("callbackToken") ?? t("wecom.settings.tokenRule")}
                />
              </Form.Item>
              <Button
                icon={<ReloadOutlined />}
                onClick={() => form.setFieldValue("callbackToken", randomAlnum(32))}
              >
                {t("wecom.settings.generate")}
              </Button>
            </Space.Compact>
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item label={t("wecom.settings.encodingAesKey")} required>
            <Space.Compact style={{ width: "100%" }}>
              <Form.Item
                name="encodingAesKey"
                noStyle
                rules={[
                  { required: true, pattern: /^[A-Za-z0-9]{43}$/, message: t("wecom.settings.aesKeyRule") },
                ]}
              >
                <Input
                  maxLength={43}
                  placeholder={placeholder("encodingAesKey") ?? t("wecom.settings.aesKeyRule")}
                />
              </Form.Item>
              <Button
                icon={<ReloadOutlined />}
                onClick={() => form.setFieldValue("encodingAesKey", randomAlnum(43))}
              >
                {t("wecom.settings.generate")}
              </Button>
            </Space.Compact>
          </Form.Item>
        </Col>
        <Col xs={24}>
          <Form.Item
            name="apiBase"
            label={t("wecom.settings.apiBase")}
            extra={t("wecom.settings.apiBaseHint")}
            rules={[{ type: "url" }]}
          >
            <Input placeholder="https://qyapi.weixin.qq.com" />
          </Form.Item>
        </Col>
      </Row>
      <Button type="primary" htmlType="submit" loading={mutation.isPending} data-testid="wecom-settings-save">
        {t("common.save")}
      </Button>
    </Form>
  );
}

export function WecomSettingsPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const settings = useWecomSettings();
  const data = settings.data;
  return (
    <>
      <PageHeader
        title={t("wecom.settings.title")}
        subtitle={t("wecom.settings.subtitle")}
        extra={
          data ? (
            <Tag color={data.configured ? "green" : "default"} data-testid="wecom-configured">
              {data.configured ? t("wecom.settings.configured") : t("wecom.settings.notConfigured")}
            </Tag>
          ) : null
        }
      />
      {settings.isError ? (
        <QueryError error={settings.error} onRetry={() => void settings.refetch()} />
      ) : !data ? (
        <Card>
          <Skeleton active />
        </Card>
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={15}>
            <Card
              title={t("nav.wecomSettings")}
              extra={
                data.updatedAt ? (
                  <Typography.Text type="secondary">
                    {t("wecom.settings.updatedAt", { at: formatTime(data.updatedAt) })}
                  </Typography.Text>
                ) : null
              }
            >
              <SettingsForm key={data.updatedAt ?? "new"} settings={data} />
            </Card>
          </Col>
          <Col xs={24} xl={9}>
            <Card title={t("wecom.settings.callbackTitle")}>
              <Input.TextArea
                readOnly
                autoSize
                value={data.callbackUrl}
                data-testid="wecom-callback-url"
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
              <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 8 }}>
                {t("wecom.settings.callbackHint")}
              </Typography.Paragraph>
              <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
                {t("wecom.settings.noTest")}
              </Typography.Paragraph>
            </Card>
          </Col>
        </Row>
      )}
    </>
  );
}
