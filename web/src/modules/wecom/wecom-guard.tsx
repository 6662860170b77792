import { Alert, Button } from "antd";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useWecomSettings } from "./wecom.api.ts";

/** A hint above the WeCom pages while the tenant has no WeCom settings: where to set them up. */
export function WecomNotConfigured() {
  const { t } = useTranslation();
  const settings = useWecomSettings();
  if (!settings.data || settings.data.configured) return null;
  return (
    <Alert
      type="warning"
      showIcon
      style={{ marginBottom: 16 }}
      title={t("wecom.notConfigured")}
      action={
        <Link to="/wecom/settings">
          <Button size="small">{t("wecom.goSettings")}</Button>
        </Link>
      }
    />
  );
}
