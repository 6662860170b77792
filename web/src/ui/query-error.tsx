import { Alert, Button } from "antd";
import { useTranslation } from "react-i18next";
import { ApiError } from "../api/client.ts";

/** A failed load, said plainly, with a way to try again. A 403 reads as "no permission", not as a crash. */
export function QueryError({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  const forbidden = error instanceof ApiError && error.status === 403;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <Alert
      type={forbidden ? "warning" : "error"}
      showIcon
      title={forbidden ? t("common.forbidden") : t("common.loadFailed")}
      description={forbidden ? undefined : message}
      action={
        onRetry && !forbidden ? (
          <Button size="small" onClick={onRetry}>
            {t("common.retry")}
          </Button>
        ) : undefined
      }
    />
  );
}
