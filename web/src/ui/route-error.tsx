import { Button, Result } from "antd";
import { useTranslation } from "react-i18next";
import { useRouteError } from "react-router";

/** Shown instead of React Router's developer page when a page throws or its chunk fails to load. */
export function RouteError() {
  const { t } = useTranslation();
  const error = useRouteError();
  return (
    <Result
      status="error"
      title={t("common.loadFailed")}
      subTitle={error instanceof Error ? error.message : String(error)}
      extra={
        <Button type="primary" onClick={() => window.location.reload()}>
          {t("common.retry")}
        </Button>
      }
    />
  );
}
