import type { FlowValidationError } from "@siyu/contracts";
import type { TFunction } from "i18next";

/**
 * A validation error in the user's language. The engine's messages are English sentences for logs;
 * the code, the outcome it quotes and the params paths it names are enough to say it in Chinese.
 */
export function validationText(t: TFunction, e: FlowValidationError): string {
  const when = /"([^"]+)"/.exec(e.message)?.[1];
  const whenText = when ? t(`flows.when.${when}`, { defaultValue: when }) : "";
  switch (e.code) {
    case "missing_edge":
      if (when) return t("flows.validation.missingOutcome", { when: whenText });
      if (/two or more outgoing/.test(e.message)) return t("flows.validation.parallelNeedsTwo");
      if (/two or more incoming/.test(e.message)) return t("flows.validation.joinNeedsTwo");
      return t("flows.validation.leadsNowhere");
    case "bad_edge":
      if (/end .* cannot have outgoing/.test(e.message)) return t("flows.validation.endHasOutput");
      return t("flows.validation.badEdge", { when: when === "(none)" ? t("flows.when.next") : whenText });
    case "bad_params": {
      const rest = e.message.slice(e.message.indexOf(": ") + 2);
      if (/schedule needs/.test(rest)) return t("flows.validation.needsCron");
      if (/segment_entry needs/.test(rest)) return t("flows.validation.needsSegment");
      const fields = rest
        .split("; ")
        .map((part) => part.split(": ")[0] ?? "")
        .map((path) => path.split(".").filter((s) => !/^\d+$/.test(s)))
        .map((segs) => segs[0] ?? "params")
        .map((f) => t(`flows.fields.${f}`, { defaultValue: f }));
      return t("flows.validation.badParams", { fields: [...new Set(fields)].join("、") });
    }
    case "bad_expression":
      return t("flows.validation.badExpression", { detail: e.message });
    default:
      return t(`flows.validation.${e.code}`, { defaultValue: e.message });
  }
}

/** Errors by node id, plus those that name no node. */
export function groupErrors(t: TFunction, errors: FlowValidationError[]) {
  const byNode = new Map<string, string[]>();
  const general: string[] = [];
  for (const e of errors) {
    const text = validationText(t, e);
    if (e.nodeId) {
      const list = byNode.get(e.nodeId) ?? [];
      if (!list.includes(text)) list.push(text);
      byNode.set(e.nodeId, list);
    } else general.push(text);
  }
  return { byNode, general };
}
