import { CheckCircleFilled } from "@ant-design/icons";
import { Typography } from "antd";
import { useTranslation } from "react-i18next";
import { Logo } from "../../ui/logo.tsx";

const features = ["hub", "flows", "service", "secure"] as const;

/** The brand side of the login page: what the product is, in four lines. */
export function LoginHero() {
  const { t } = useTranslation();
  return (
    <div className="login-hero">
      <Logo size={40} light />
      <div className="login-hero-body">
        <Typography.Title level={1} style={{ color: "#fff", marginBottom: 8 }}>
          {t("app.fullName")}
        </Typography.Title>
        <Typography.Paragraph style={{ color: "rgba(255,255,255,0.85)", fontSize: 16 }}>
          {t("app.tagline")}
        </Typography.Paragraph>
        <ul className="login-features">
          {features.map((key) => (
            <li key={key}>
              <CheckCircleFilled /> {t(`login.features.${key}`)}
            </li>
          ))}
        </ul>
      </div>
      <Typography.Text style={{ color: "rgba(255,255,255,0.6)" }}>Apache-2.0 · self-hosted</Typography.Text>
    </div>
  );
}
