import type { Scope } from "../../../platform/db/index.ts";
import { str, type WecomEventPayload } from "../events.ts";

/**
 * Where a `change_external_chat` update stands against the stored group (protocols/wecom.md §4.2:
 * `LastMemVer` → `CurMemVer`):
 * - `current`: the stored version is already `CurMemVer` — a later re-read included this change;
 * - `next`: the stored version is `LastMemVer` — the event follows what we hold;
 * - `gap`: anything else — at least one member event was missed, the member list is rebuilt from
 *   `groupchat/get` and the members it adds or drops beyond `MemChangeList` are marked as repaired;
 * - `unknown`: the event carries no versions (name/notice changes) or the group is not stored yet.
 */
export type MemberVersionState = "current" | "next" | "gap" | "unknown";

export async function memberVersionState(
  scope: Scope,
  payload: WecomEventPayload,
): Promise<MemberVersionState> {
  const last = str(payload, "LastMemVer");
  const cur = str(payload, "CurMemVer");
  if (!cur) return "unknown";
  const [row] = await scope.query<{ member_version: string | null; dismissed_at: Date | null }>(
    "select member_version, dismissed_at from wecom_groups where chat_id = $1",
    [str(payload, "ChatId")],
  );
  if (!row?.member_version || row.dismissed_at) return "unknown";
  if (row.member_version === cur) return "current";
  return row.member_version === last ? "next" : "gap";
}

/** The userids an update event names as joined or left. */
export function memChangeList(payload: WecomEventPayload): string[] {
  const v = payload.MemChangeList;
  return Array.isArray(v) ? v : typeof v === "string" && v ? [v] : [];
}
