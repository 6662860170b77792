import type { OaMessageModeValue, OaSettingsDto, OaSettingsInput } from "@siyu/contracts";
import { Alert, Button, Col, Form, Input, Row, Select, Typography } from "antd";
import { useTranslation } from "react-i18next";
import {
  oaSettingsKey,
  saveOaSettings,
  useOaSettings,
} from "../../modules/official-account/official-account.api.ts";
import { GeneratedField, PlatformSettingsPage, useSettingsSave } from "../../ui/platform-settings.tsx";

type Values = {
  appId: string;
  secret: string;
  token: string;
  encodingAesKey: string;
  mode: OaMessageModeValue;
  apiBase: string;
};

const secretFields = ["secret", "token", "encodingAesKey"] as const;

function SettingsForm({ settings }: { settings: OaSettingsDto }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<Values>();
  const mode = Form.useWatch("mode", form) ?? settings.mode ?? "safe";
  const mutation = useSettingsSave({
    save: (input: OaSettingsInput) => saveOaSettings(input),
    queryKey: oaSettingsKey,
    form,
    secretFields,
  });
  const stored = (field: (typeof secretFields)[number]) => {
    const mask = settings[field];
    return mask ? t("officialAccount.settings.stored", { mask }) : undefined;
  };
  return (
    <Form<Values>
      form={form}
      layout="vertical"
      data-testid="oa-settings-form"
      initialValues={{
        appId: settings.appId ?? "",
        mode: settings.mode ?? "safe",
        apiBase: settings.apiBase,
      }}
      onFinish={(v) =>
        mutation.mutate({
          appId: v.appId.trim(),
          secret: v.secret,
          token: v.token,
          mode: v.mode,
          ...(v.encodingAesKey ? { encodingAesKey: v.encodingAesKey } : {}),
          apiBase: v.apiBase.trim() || undefined,
        })
      }
    >
      {settings.configured ? (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 16 }}
          title={t("officialAccount.settings.secretsHint")}
        />
      ) : null}
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Form.Item
            name="appId"
            label="AppID"
            rules={[
              {
                required: true,
                pattern: /^wx[A-Za-z0-9]{6,30}$/,
                message: t("officialAccount.settings.appIdRule"),
              },
            ]}
          >
            <Input maxLength={32} placeholder="wx1234567890abcdef" data-testid="oa-app-id" />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item name="secret" label="AppSecret" rules={[{ required: true, whitespace: true }]}>
            <Input.Password maxLength={256} placeholder={stored("secret")} autoComplete="new-password" />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item
            name="mode"
            label={t("officialAccount.settings.mode")}
            extra={t(`officialAccount.settings.modeHint.${mode}`)}
          >
            <Select<OaMessageModeValue>
              data-testid="oa-mode"
              options={(["plain", "compatible", "safe"] as const).map((m) => ({
                value: m,
                label: t(`officialAccount.settings.modes.${m}`),
              }))}
            />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <GeneratedField
            form={form}
            name="token"
            label="Token"
            required
            rules={[
              {
                required: true,
                pattern: /^[A-Za-z0-9]{3,32}$/,
                message: t("officialAccount.settings.tokenRule"),
              },
            ]}
            length={32}
            placeholder={stored("token") ?? t("officialAccount.settings.tokenRule")}
          />
        </Col>
        <Col xs={24}>
          <GeneratedField
            form={form}
            name="encodingAesKey"
            label="EncodingAESKey"
            required={mode !== "plain"}
            rules={[
              {
                required: mode !== "plain",
                pattern: /^[A-Za-z0-9]{43}$/,
                message: t("wecom.settings.aesKeyRule"),
              },
            ]}
            length={43}
            placeholder={stored("encodingAesKey") ?? t("wecom.settings.aesKeyRule")}
          />
        </Col>
        <Col xs={24}>
          <Form.Item
            name="apiBase"
            label={t("wecom.settings.apiBase")}
            extra={t("officialAccount.settings.apiBaseHint")}
            rules={[{ type: "url" }]}
          >
            <Input placeholder="https://api.weixin.qq.com" />
          </Form.Item>
        </Col>
      </Row>
      <Button type="primary" htmlType="submit" loading={mutation.isPending} data-testid="oa-settings-save">
        {t("common.save")}
      </Button>
    </Form>
  );
}

export function OaSettingsPage() {
  const { t } = useTranslation();
  const settings = useOaSettings();
  return (
    <PlatformSettingsPage
      query={settings}
      title={t("officialAccount.settings.title")}
      subtitle={t("officialAccount.settings.subtitle")}
      formTitle={t("nav.oaSettings")}
      callbackTitle={t("officialAccount.settings.callbackTitle")}
      testId="oa"
      form={(data) => <SettingsForm settings={data} />}
      callbackNotes={(data) => (
        <>
          <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
            {t("officialAccount.settings.callbackHint")}
          </Typography.Paragraph>
          {data.originalId ? (
            <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
              {t("officialAccount.settings.originalId")}:{" "}
              <Typography.Text code>{data.originalId}</Typography.Text>
            </Typography.Paragraph>
          ) : null}
        </>
      )}
    />
  );
}
