import { GlobalOutlined } from "@ant-design/icons";
import { Button } from "antd";
import { useTranslation } from "react-i18next";
import { setLang } from "../i18n/index.ts";

/** One click toggles zh-CN ⇄ en-US; the label names the language it switches to. */
export function LangSwitch({ dark = false }: { dark?: boolean }) {
  const { t, i18n } = useTranslation();
  const next = i18n.language === "en-US" ? "zh-CN" : "en-US";
  return (
    <Button
      data-testid="lang-switch"
      type="text"
      icon={<GlobalOutlined />}
      aria-label={t("header.language")}
      style={dark ? { color: "#fff" } : undefined}
      onClick={() => void setLang(next)}
    >
      {t("header.switchTo")}
    </Button>
  );
}
