import { CopyOutlined, ReloadOutlined } from "@ant-design/icons";
import type { OaMessageModeValue, OaSettingsDto, OaSettingsInput } from "@siyu/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Form,
  Input,
  Row,
  Select,
  Skeleton,
  Space,
  Tag,
  Typography,
} from "antd";
import { useTranslation } from "react-i18next";
import {
  oaSettingsKey,
  saveOaSettings,
  useOaSettings,
} from "../../modules/official-account/official-account.api.ts";
import { errorText } from "../../ui/error-text.ts";
import { formatTime } from "../../ui/format.ts";
import { PageHeader } from "../../ui/page-header.tsx";
import { QueryError } from "../../ui/query-error.tsx";

type Values = {
  appId: string;
  secret: string;
  token: string;
  encodingAesKey: string;
  mode: OaMessageModeValue;
  apiBase: string;
};

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
function randomAlnum(n: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => alnum[b % alnum.length]).join("");
}

function SettingsForm({ settings }: { settings: OaSettingsDto }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const mode = Form.useWatch("mode", form) ?? settings.mode ?? "safe";
  const mutation = useMutation({
    mutationFn: (input: OaSettingsInput) => saveOaSettings(input),
    onSuccess: (saved) => {
      message.success(t("common.saved"));
      queryClient.setQueryData(oaSettingsKey, saved);
      form.resetFields(["secret", "token", "encodingAesKey"]);
    },
    onError: (error) => message.error(errorText(t, error)),
  });
  const stored = (field: "secret" | "token" | "encodingAesKey") => {
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
          <Form.Item label="Token" required>
            <Space.Compact style={{ width: "100%" }}>
              <Form.Item
                name="token"
                noStyle
                rules={[
                  {
                    required: true,
                    pattern: /^[A-Za-z0-9]{3,32}$/,
                    message: t("officialAccount.settings.tokenRule"),
                  },
                ]}
              >
                <Input
                  maxLength={32}
                  placeholder={stored("token") ?? t("officialAccount.settings.tokenRule")}
                />
              </Form.Item>
              <Button icon={<ReloadOutlined />} onClick={() => form.setFieldValue("token", randomAlnum(32))}>
                {t("wecom.settings.generate")}
              </Button>
            </Space.Compact>
          </Form.Item>
        </Col>
        <Col xs={24}>
          <Form.Item label="EncodingAESKey" required={mode !== "plain"}>
            <Space.Compact style={{ width: "100%" }}>
              <Form.Item
                name="encodingAesKey"
                noStyle
                rules={[
                  {
                    required: mode !== "plain",
                    pattern: /^[A-Za-z0-9]{43}$/,
                    message: t("wecom.settings.aesKeyRule"),
                  },
                ]}
              >
                <Input
                  maxLength={43}
                  placeholder={stored("encodingAesKey") ?? t("wecom.settings.aesKeyRule")}
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
  const { message } = App.useApp();
  const settings = useOaSettings();
  const data = settings.data;
  return (
    <>
      <PageHeader
        title={t("officialAccount.settings.title")}
        subtitle={t("officialAccount.settings.subtitle")}
        extra={
          data ? (
            <Tag color={data.configured ? "green" : "default"} data-testid="oa-configured">
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
              title={t("nav.oaSettings")}
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
            <Card title={t("officialAccount.settings.callbackTitle")}>
              <Input.TextArea
                readOnly
                autoSize
                value={data.callbackUrl}
                data-testid="oa-callback-url"
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
              <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
                {t("officialAccount.settings.callbackHint")}
              </Typography.Paragraph>
              {data.originalId ? (
                <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
                  {t("officialAccount.settings.originalId")}:{" "}
                  <Typography.Text code>{data.originalId}</Typography.Text>
                </Typography.Paragraph>
              ) : null}
            </Card>
          </Col>
        </Row>
      )}
    </>
  );
}
