import type { TFunction } from "i18next";
import { parseDuration } from "./duration.ts";
import type { Params } from "./flow-graph.ts";

function duration(t: TFunction, iso: unknown): string {
  const { amount, unit } = parseDuration(typeof iso === "string" ? iso : undefined);
  return amount === null ? "?" : `${amount} ${t(`flows.units.${unit}`)}`;
}

function assignee(t: TFunction, a: unknown, userName: (id: string) => string): string {
  if (!a || typeof a !== "object") return "?";
  const r = a as Record<string, unknown>;
  if (typeof r.role === "string") return t(`roles.names.${r.role}`, { defaultValue: r.role });
  if (typeof r.userId === "string") return userName(r.userId);
  if (Array.isArray(r.userIds)) return (r.userIds as string[]).map(userName).join("、");
  if (r.owner) return t("flows.customerOwner");
  if (typeof r.managerOf === "string")
    return t("flows.managerOf", {
      who: r.managerOf === "owner" ? t("flows.customerOwner") : userName(r.managerOf),
    });
  return "?";
}

export const eventLabel = (t: TFunction, e: unknown) =>
  t(`flows.events.${String(e)}`, { defaultValue: String(e ?? "?") });
export const actionLabel = (t: TFunction, a: unknown, title?: string) =>
  t(`flows.actions.${String(a)}`, { defaultValue: title ?? String(a ?? "?") });

/** One line saying what a node does, in the user's language (shown on the canvas node). */
export function summarize(
  t: TFunction,
  type: string,
  p: Params,
  opts: { userName: (id: string) => string; actionTitle?: (a: string) => string | undefined },
): string {
  switch (type) {
    case "trigger":
      return p.tag ? `${eventLabel(t, p.event)}「${String(p.tag)}」` : eventLabel(t, p.event);
    case "condition":
      if (Array.isArray(p.branches)) return t("flows.summary.branches", { n: p.branches.length });
      return String(p.expression || t("flows.summary.noExpression"));
    case "wait":
      if ("event" in p)
        return t("flows.summary.waitEvent", {
          event: eventLabel(t, p.event),
          timeout: duration(t, p.timeout),
        });
      if ("until" in p) return t("flows.summary.waitUntil", { until: String(p.until ?? "") });
      return t("flows.summary.wait", { duration: duration(t, p.duration) });
    case "action": {
      const name = actionLabel(t, p.action, opts.actionTitle?.(String(p.action)));
      if (p.action === "flow.start" && p.wait === true)
        return p.timeout
          ? t("flows.summary.subflowWaitTimeout", { timeout: duration(t, p.timeout) })
          : t("flows.summary.subflowWait");
      const detail = p.tag ?? p.stage ?? p.key ?? p.title ?? p.url ?? p.name;
      return detail ? `${name}「${String(detail)}」` : name;
    }
    case "approval":
    case "task":
      return `${String(p.title || t("flows.summary.untitled"))} · ${assignee(t, p.assignee, opts.userName)}`;
    case "join":
      return t(`flows.enums.join.mode.${String(p.mode ?? "all")}`, { defaultValue: String(p.mode ?? "all") });
    case "end":
      return t(`flows.enums.status.${String(p.status ?? "completed")}`);
    default:
      return "";
  }
}
