import { evalExpr, truthy } from "@siyu/contracts";
import type { Scope } from "../../../platform/db/index.ts";
import type { DomainEvent } from "../../../platform/events/index.ts";
import { customerFacts } from "../../customers/index.ts";
import { compiled } from "./graph-cache.ts";

/** Does a trigger's params match the event? (`tag`, payload fields, `filter`.) */
export async function triggerMatches(
  scope: Scope,
  params: Record<string, unknown>,
  event: DomainEvent,
  customerId: string | null,
): Promise<boolean> {
  const {
    event: _e,
    tag,
    keyword,
    filter,
    cron: _c,
    tz: _tz,
    segmentId: _s,
    includeExisting: _i,
    ...fields
  } = params;
  if (typeof tag === "string" && String(event.payload.tag ?? "").toLowerCase() !== tag.toLowerCase())
    return false;
  // `keyword`: the message text (`content`, e.g. oa.message_received) contains it, ignoring case.
  if (
    typeof keyword === "string" &&
    !String(event.payload.content ?? "")
      .toLowerCase()
      .includes(keyword.toLowerCase())
  )
    return false;
  for (const [k, v] of Object.entries(fields)) {
    if (v !== null && typeof v === "object") continue;
    if (event.payload[k] !== v) return false;
  }
  if (typeof filter === "string") {
    const customer = customerId ? await customerFacts(scope, customerId) : null;
    if (!truthy(evalExpr(compiled(filter), { customer, event: { type: event.type, ...event.payload } })))
      return false;
  }
  return true;
}
