import { LockOutlined, MailOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Form, Input, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { ApiError } from "../api/client.ts";
import { getToken } from "../api/session.ts";
import { login } from "../modules/auth/auth.api.ts";
import { LoginHero } from "../modules/auth/login-hero.tsx";
import { LangSwitch } from "../ui/lang-switch.tsx";

interface LoginForm {
  email: string;
  password: string;
}

/** Only same-site paths: `?next=https://evil.example` must not become an open redirect. */
function safeNext(next: string | null): string {
  return next?.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function LoginPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const mutation = useMutation({
    mutationFn: login,
    onSuccess: () => {
      queryClient.clear();
      navigate(next, { replace: true });
    },
  });

  if (getToken() && !mutation.isPending) return <Navigate to={next} replace />;

  const error = mutation.error;
  const errorTitle =
    error instanceof ApiError
      ? t(`errors.${error.code}`, { defaultValue: t("login.failed") })
      : t("login.failed");

  return (
    <div className="login-page">
      <LoginHero />
      <div className="login-panel">
        <div className="login-lang">
          <LangSwitch />
        </div>
        <Card className="login-card" variant="borderless">
          <Typography.Title level={3} data-testid="page-title" style={{ marginBottom: 4 }}>
            {t("login.title")}
          </Typography.Title>
          <Typography.Paragraph type="secondary">{t("login.subtitle")}</Typography.Paragraph>
          {error ? (
            <Alert
              data-testid="login-error"
              type="error"
              showIcon
              title={errorTitle}
              description={error.message}
              style={{ marginBottom: 16 }}
            />
          ) : null}
          <Form<LoginForm>
            layout="vertical"
            size="large"
            requiredMark={false}
            onFinish={(values) => mutation.mutate(values)}
          >
            <Form.Item
              name="email"
              label={t("login.email")}
              rules={[
                { required: true, message: t("login.emailRequired") },
                { type: "email", message: t("login.emailInvalid") },
              ]}
            >
              <Input
                data-testid="login-email"
                prefix={<MailOutlined />}
                autoComplete="username"
                placeholder="admin@example.com"
              />
            </Form.Item>
            <Form.Item
              name="password"
              label={t("login.password")}
              rules={[{ required: true, message: t("login.passwordRequired") }]}
            >
              <Input.Password
                data-testid="login-password"
                prefix={<LockOutlined />}
                autoComplete="current-password"
              />
            </Form.Item>
            <Button
              data-testid="login-submit"
              type="primary"
              htmlType="submit"
              block
              loading={mutation.isPending}
            >
              {t("login.submit")}
            </Button>
          </Form>
        </Card>
      </div>
    </div>
  );
}
