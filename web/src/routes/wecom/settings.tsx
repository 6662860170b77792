import type { WecomSettingsDto, WecomSettingsInput } from "@siyu/contracts";
import { Alert, Button, Col, Form, Input, Row, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { saveWecomSettings, useWecomSettings, wecomSettingsKey } from "../../modules/wecom/wecom.api.ts";
import { GeneratedField, PlatformSettingsPage, useSettingsSave } from "../../ui/platform-settings.tsx";

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

function SettingsForm({ settings }: { settings: WecomSettingsDto }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<Values>();
  const mutation = useSettingsSave({
    save: (input: WecomSettingsInput) => saveWecomSettings(input),
    queryKey: wecomSettingsKey,
    form,
    secretFields,
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
          <GeneratedField
            form={form}
            name="callbackToken"
            label={t("wecom.settings.callbackToken")}
            required
            rules={[
              { required: true, pattern: /^[A-Za-z0-9]{1,32}$/, message: t("wecom.settings.tokenRule") },
            ]}
            length={32}
            placeholder={placeholder("callbackToken") ?? t("wecom.settings.tokenRule")}
          />
        </Col>
        <Col xs={24} md={12}>
          <GeneratedField
            form={form}
            name="encodingAesKey"
            label={t("wecom.settings.encodingAesKey")}
            required
            rules={[
              { required: true, pattern: /^[A-Za-z0-9]{43}$/, message: t("wecom.settings.aesKeyRule") },
            ]}
            length={43}
            placeholder={placeholder("encodingAesKey") ?? t("wecom.settings.aesKeyRule")}
          />
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
  const settings = useWecomSettings();
  return (
    <PlatformSettingsPage
      query={settings}
      title={t("wecom.settings.title")}
      subtitle={t("wecom.settings.subtitle")}
      formTitle={t("nav.wecomSettings")}
      callbackTitle={t("wecom.settings.callbackTitle")}
      testId="wecom"
      form={(data) => <SettingsForm settings={data} />}
      callbackNotes={() => (
        <>
          <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 8 }}>
            {t("wecom.settings.callbackHint")}
          </Typography.Paragraph>
          <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
            {t("wecom.settings.noTest")}
          </Typography.Paragraph>
        </>
      )}
    />
  );
}
