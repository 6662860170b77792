import type { GroupChat } from "../../../connectors/wecom/index.ts";
import type { Scope } from "../../../platform/db/index.ts";

const ts = (s: number | undefined) => (s ? new Date(s * 1000) : null);

/**
 * Replaces a group's stored state with a `groupchat/get` answer; returns who joined and who left
 * compared with the stored members, so callers can write timeline facts.
 */
export async function applyGroup(
  scope: Scope,
  chat: GroupChat,
  status = 0,
): Promise<{ joined: string[]; left: string[] }> {
  const before = await scope.query<{ member_id: string }>(
    "select member_id from wecom_group_members where chat_id = $1",
    [chat.chat_id],
  );
  const had = new Set(before.map((r) => r.member_id));
  const now = new Set(chat.member_list.map((m) => m.userid));
  await scope.query(
    `insert into wecom_groups (tenant_id, chat_id, name, owner_userid, notice, status, member_version, member_count, create_time)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict (tenant_id, chat_id) do update set name = excluded.name, owner_userid = excluded.owner_userid,
       notice = excluded.notice, status = excluded.status, member_version = excluded.member_version,
       member_count = excluded.member_count, create_time = excluded.create_time, dismissed_at = null, updated_at = now()`,
    [
      scope.tenantId,
      chat.chat_id,
      chat.name ?? "",
      chat.owner ?? null,
      chat.notice ?? null,
      status,
      chat.member_version ?? null,
      chat.member_list.length,
      ts(chat.create_time),
    ],
  );
  await scope.query(
    "delete from wecom_group_members where chat_id = $1 and not (member_id = any($2::text[]))",
    [chat.chat_id, [...now]],
  );
  for (const m of chat.member_list) {
    await scope.query(
      `insert into wecom_group_members (tenant_id, chat_id, member_id, type, unionid, join_time, join_scene, invitor,
         group_nickname, name, customer_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
         (select customer_id from wecom_contacts where external_userid = $3))
       on conflict (tenant_id, chat_id, member_id) do update set type = excluded.type, unionid = excluded.unionid,
         join_time = excluded.join_time, join_scene = excluded.join_scene, invitor = excluded.invitor,
         group_nickname = excluded.group_nickname, name = excluded.name, customer_id = excluded.customer_id`,
      [
        scope.tenantId,
        chat.chat_id,
        m.userid,
        m.type,
        m.unionid ?? null,
        ts(m.join_time),
        m.join_scene ?? null,
        m.invitor?.userid ?? null,
        m.group_nickname ?? null,
        m.name ?? null,
      ],
    );
  }
  return { joined: [...now].filter((m) => !had.has(m)), left: [...had].filter((m) => !now.has(m)) };
}

export async function dismissGroup(scope: Scope, chatId: string): Promise<boolean> {
  const rows = await scope.query(
    `insert into wecom_groups (tenant_id, chat_id, dismissed_at) values ($1, $2, now())
     on conflict (tenant_id, chat_id) do update set dismissed_at = coalesce(wecom_groups.dismissed_at, now()), updated_at = now()
     returning chat_id`,
    [scope.tenantId, chatId],
  );
  return rows.length > 0;
}
