import type { BatchExternalContact, GroupChat } from "../../../connectors/wecom/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import { appendTimeline } from "../../customers/index.ts";
import { customerOfContact } from "./apply-contact.ts";
import { dismissGroup } from "./apply-group.ts";

/**
 * The backup channel (SPEC §2): callbacks are the fast path, never the only one. A full sync or a
 * reconciliation marks every relation it sees (`seen_at`) and, once it has walked its staff, closes
 * the relations of those staff it did not see since the walk started: WeCom no longer has them, and
 * the `del_*` callback that should have said so was missed.
 */

const sameSet = (a: readonly string[], b: readonly string[]) => {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
};

/**
 * The items of a `batch/get_by_user` page Siyu does not hold as WeCom has them: a relation missing
 * or closed here, a different remark, description or tag set, or a contact never stored.
 */
export async function differingContacts(
  scope: Scope,
  items: BatchExternalContact[],
): Promise<BatchExternalContact[]> {
  if (items.length === 0) return [];
  const rows = await scope.query<{
    external_userid: string;
    userid: string;
    remark: string;
    description: string;
    tag_ids: string[];
    deleted_at: Date | null;
    name: string | null;
  }>(
    `select f.external_userid, f.userid, f.remark, f.description, f.tag_ids, f.deleted_at, c.name
       from wecom_follows f left join wecom_contacts c on c.external_userid = f.external_userid
      where (f.external_userid, f.userid) in (select * from unnest($1::text[], $2::text[]))`,
    [items.map((i) => i.external_contact.external_userid), items.map((i) => i.follow_info.userid)],
  );
  const held = new Map(rows.map((r) => [`${r.external_userid}\u0000${r.userid}`, r]));
  return items.filter((i) => {
    const r = held.get(`${i.external_contact.external_userid}\u0000${i.follow_info.userid}`);
    return (
      !r ||
      r.deleted_at !== null ||
      r.name === null ||
      r.name !== (i.external_contact.name ?? "") ||
      r.remark !== (i.follow_info.remark ?? "") ||
      r.description !== (i.follow_info.description ?? "") ||
      !sameSet(r.tag_ids, i.follow_info.tag_id ?? [])
    );
  });
}

/** Marks the relations of a page as seen by the current walk. */
export async function markFollowsSeen(scope: Scope, items: BatchExternalContact[]): Promise<void> {
  if (items.length === 0) return;
  await scope.query(
    `update wecom_follows set seen_at = now()
      where (external_userid, userid) in (select * from unnest($1::text[], $2::text[]))`,
    [items.map((i) => i.external_contact.external_userid), items.map((i) => i.follow_info.userid)],
  );
}

/** The database's clock, which `seen_at` and `updated_at` are compared against. */
export async function dbNow(scope: Scope): Promise<string> {
  const [row] = await scope.query<{ now: Date }>("select now() as now");
  return (row?.now ?? new Date()).toISOString();
}

/**
 * Closes the open relations of `userids` that nothing touched since `since` (neither the walk nor an
 * event), with a timeline entry on each customer. Returns how many were closed.
 */
export async function closeUnseenFollows(
  scope: Scope,
  platform: Platform,
  userids: string[],
  since: string,
): Promise<number> {
  if (userids.length === 0) return 0;
  const closed = await scope.query<{ external_userid: string; userid: string }>(
    `update wecom_follows set deleted_at = now(), ended_by = 'reconciliation', updated_at = now()
      where deleted_at is null and userid = any($1::text[])
        and greatest(coalesce(seen_at, '-infinity'::timestamptz), updated_at) < $2::timestamptz
      returning external_userid, userid`,
    [userids, since],
  );
  for (const f of closed) {
    const customerId = await customerOfContact(scope, f.external_userid);
    if (!customerId) continue;
    await appendTimeline(scope, platform.events, customerId, "wecom.relation_ended", {
      wecomUserid: f.userid,
      externalUserid: f.external_userid,
      foundBy: "reconciliation",
      summary: "relation ended (found by reconciliation)",
    });
  }
  return closed.length;
}

/** Whether a `groupchat/get` answer differs from the stored group (so it needs applying). */
export async function groupDiffers(scope: Scope, chat: GroupChat, status: number): Promise<boolean> {
  const [g] = await scope.query<{
    name: string;
    owner_userid: string | null;
    notice: string | null;
    status: number;
    member_version: string | null;
    member_count: number;
    dismissed_at: Date | null;
  }>(
    "select name, owner_userid, notice, status, member_version, member_count, dismissed_at from wecom_groups where chat_id = $1",
    [chat.chat_id],
  );
  return (
    !g ||
    g.dismissed_at !== null ||
    g.name !== (chat.name ?? "") ||
    g.owner_userid !== (chat.owner ?? null) ||
    g.notice !== (chat.notice ?? null) ||
    g.status !== status ||
    g.member_version !== (chat.member_version ?? null) ||
    g.member_count !== chat.member_list.length
  );
}

/** Marks groups as seen by the current walk. */
export async function markGroupsSeen(scope: Scope, chatIds: string[]): Promise<void> {
  if (chatIds.length === 0) return;
  await scope.query("update wecom_groups set seen_at = now() where chat_id = any($1::text[])", [chatIds]);
}

/**
 * Dismisses stored groups that WeCom no longer lists and nothing touched since `since` (a missed
 * `dismiss` callback), with a timeline entry on each member customer. Returns the chat ids.
 */
export async function dismissUnseenGroups(
  scope: Scope,
  platform: Platform,
  since: string,
): Promise<string[]> {
  const gone = await scope.query<{ chat_id: string }>(
    `select chat_id from wecom_groups where dismissed_at is null
        and greatest(coalesce(seen_at, '-infinity'::timestamptz), updated_at) < $1::timestamptz`,
    [since],
  );
  for (const g of gone) {
    const members = await scope.query<{ customer_id: string }>(
      "select customer_id from wecom_group_members where chat_id = $1 and customer_id is not null",
      [g.chat_id],
    );
    await dismissGroup(scope, g.chat_id);
    for (const m of members) {
      await appendTimeline(scope, platform.events, m.customer_id, "wecom.group_dismissed", {
        chatId: g.chat_id,
        foundBy: "reconciliation",
      });
    }
  }
  return gone.map((g) => g.chat_id);
}
