import { Tag } from "antd";
import { useTranslation } from "react-i18next";
import type { Flow } from "./flows.api.ts";

const color: Record<string, string> = { draft: "default", active: "success", archived: "warning" };

/** 草稿 / 已发布 / 已停用, plus "unpublished changes" when the draft moved on. */
export function FlowStatus({ flow }: { flow: Flow }) {
  const { t } = useTranslation();
  return (
    <span data-testid="flow-status">
      <Tag color={color[flow.status]}>{t(`flows.status.${flow.status}`)}</Tag>
      {flow.status === "active" && flow.hasUnpublishedChanges ? (
        <Tag color="orange">{t("flows.unpublishedChanges")}</Tag>
      ) : null}
    </span>
  );
}
