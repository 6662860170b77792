import { Tag } from "antd";
import { useTranslation } from "react-i18next";
import type { LiveCode } from "./live-codes.api.ts";

const color: Record<LiveCode["status"], string> = {
  active: "success",
  expired: "warning",
  deleted: "default",
};

/** `active` / `expired` / `deleted`, plus "not yet valid" for a code whose validity starts later. */
export function LiveCodeStatus({ code }: { code: LiveCode }) {
  const { t } = useTranslation();
  const notYet = code.status === "active" && code.validFrom && Date.parse(code.validFrom) > Date.now();
  return (
    <Tag color={notYet ? "processing" : color[code.status]} data-testid={`live-code-status-${code.status}`}>
      {notYet ? t("liveCodes.status.notYet") : t(`liveCodes.status.${code.status}`)}
    </Tag>
  );
}

/** `王店长（wangdianzhang）`, or the userid alone when the staff list does not know it. */
export function staffLabel(names: Map<string, string>, userid: string): string {
  const name = names.get(userid);
  return name ? `${name}（${userid}）` : userid || "—";
}
