import { Button, Result } from "antd";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <Result
      status="404"
      title={<span data-testid="page-title">{t("notFound.title")}</span>}
      extra={
        <Link to="/">
          <Button type="primary">{t("notFound.back")}</Button>
        </Link>
      }
    />
  );
}
