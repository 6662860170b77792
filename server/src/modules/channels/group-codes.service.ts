import type {
  ChannelAlertDto,
  GroupCodeCreateInput,
  GroupCodeDto,
  GroupCodeStatsDto,
  GroupCodeUpdateInput,
} from "@siyu/contracts";
import type { Scope } from "../../platform/db/index.ts";
import { AppError, badRequest, notFound } from "../../platform/errors.ts";
import { newId } from "../../platform/ids/ids.ts";
import type { Platform } from "../../platform/platform.ts";
import { type GroupChangedEvent, groupMemberCounts } from "../wecom/index.ts";
import type { Caller } from "./live-codes.service.ts";
import { localTime, tenantZone } from "./local-time.ts";

/**
 * Group live codes (群活码, SPEC §3): one landing link for an ordered list of WeCom customer groups.
 * The link shows the first group, in order, that is below its capacity and not dismissed; member
 * counts are the wecom module's (group sync and change_external_chat events), read at each visit, so
 * the link moves on to the next group as soon as WeCom reports the current one full. When every group
 * is full the page says so and the owner is alerted once (until a group has room again).
 */

interface GroupCodeRow {
  id: string;
  tenant_id: string;
  name: string;
  link_code: string;
  full_message: string | null;
  created_by: string | null;
  all_full_at: Date | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

interface ChatRow {
  position: number;
  chat_id: string;
  capacity: number;
  qr_image_url: string | null;
}

export interface GroupCodeState {
  row: GroupCodeRow;
  chats: Array<ChatRow & { name: string; memberCount: number; full: boolean; dismissed: boolean }>;
  current: (ChatRow & { name: string }) | null;
}

export const groupCodeEvents = { full: "channels.group_code_full" } as const;
export const defaultCapacity = 200;

const rowColumns =
  "id, tenant_id, name, link_code, full_message, created_by, all_full_at, created_at, updated_at, deleted_at";

async function groupCodeRow(scope: Scope, id: string): Promise<GroupCodeRow> {
  const [row] = await scope.query<GroupCodeRow>(`select ${rowColumns} from live_code_groups where id = $1`, [
    id,
  ]);
  if (!row) throw notFound("group live code");
  return row;
}

/** The code's groups with their member counts, and the one its landing page shows now. */
export async function groupCodeState(scope: Scope, idOrRow: string | GroupCodeRow): Promise<GroupCodeState> {
  const row = typeof idOrRow === "string" ? await groupCodeRow(scope, idOrRow) : idOrRow;
  const chatRows = await scope.query<ChatRow>(
    "select position, chat_id, capacity, qr_image_url from live_code_group_chats where group_code_id = $1 order by position",
    [row.id],
  );
  const counts = await groupMemberCounts(
    scope,
    chatRows.map((c) => c.chat_id),
  );
  const chats = chatRows.map((c) => {
    const g = counts.get(c.chat_id);
    const memberCount = g?.memberCount ?? 0;
    const dismissed = g?.dismissed ?? false;
    return {
      ...c,
      name: g?.name ?? "",
      memberCount,
      dismissed,
      full: dismissed || memberCount >= c.capacity,
    };
  });
  const current = chats.find((c) => !c.full) ?? null;
  return { row, chats, current };
}

/**
 * Alerts the owner when every group is full (once: `all_full_at` is set then), and clears that mark
 * when a group has room again, so the next time it fills up alerts again. The alert is a row the
 * console shows and a domain event (`channels.group_code_full`) for anything that notifies.
 */
export async function checkGroupCodeFull(
  scope: Scope,
  platform: Platform,
  state: GroupCodeState,
): Promise<void> {
  const { row } = state;
  if (row.deleted_at) return;
  const allFull = state.chats.length > 0 && !state.current;
  if (allFull && !row.all_full_at) {
    const [marked] = await scope.query<{ id: string }>(
      "update live_code_groups set all_full_at = now() where id = $1 and all_full_at is null returning id",
      [row.id],
    );
    if (!marked) return;
    const data = {
      name: row.name,
      chats: state.chats.map((c) => ({
        chatId: c.chat_id,
        memberCount: c.memberCount,
        capacity: c.capacity,
      })),
    };
    await scope.query(
      `insert into channel_alerts (id, tenant_id, kind, group_code_id, recipient_user_ids, data)
       values ($1, $2, 'group_code_full', $3, $4, $5)`,
      [newId("cal"), scope.tenantId, row.id, row.created_by ? [row.created_by] : [], JSON.stringify(data)],
    );
    await platform.events.publish(scope, {
      type: groupCodeEvents.full,
      aggregateType: "group_live_code",
      aggregateId: row.id,
      payload: { ...data, ownerUserId: row.created_by },
    });
    platform.log.info({ groupCodeId: row.id }, "every group of a group live code is full; owner alerted");
  } else if (!allFull && row.all_full_at) {
    await scope.query("update live_code_groups set all_full_at = null where id = $1", [row.id]);
  }
}

async function counts(scope: Scope, ids: string[]) {
  const rows = ids.length
    ? await scope.query<{ group_code_id: string; chat_id: string | null; kind: string; n: number }>(
        `select group_code_id, chat_id, kind, count(*)::int as n from live_code_group_activity
          where group_code_id = any($1::text[]) group by 1, 2, 3`,
        [ids],
      )
    : [];
  return rows;
}

function toDto(platform: Platform, state: GroupCodeState, activity: Awaited<ReturnType<typeof counts>>) {
  const { row } = state;
  const mine = activity.filter((a) => a.group_code_id === row.id);
  const sum = (kind: string, chatId?: string) =>
    mine
      .filter((a) => a.kind === kind && (chatId === undefined || a.chat_id === chatId))
      .reduce((n, a) => n + a.n, 0);
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const dto: GroupCodeDto = {
    id: row.id,
    name: row.name,
    landingUrl: `${platform.config.publicUrl}/l/${row.link_code}`,
    qrPngUrl: `/api/group-live-codes/${row.id}/qr.png`,
    chats: state.chats.map((c) => ({
      chatId: c.chat_id,
      name: c.name,
      capacity: c.capacity,
      qrImageUrl: c.qr_image_url,
      memberCount: c.memberCount,
      full: c.full,
      dismissed: c.dismissed,
      joins: sum("join", c.chat_id),
    })),
    currentChatId: state.current?.chat_id ?? null,
    fullMessage: row.full_message,
    status: row.deleted_at ? "deleted" : state.current ? "active" : "full",
    allFullAt: iso(row.all_full_at),
    scans: sum("scan"),
    joins: sum("join"),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    deletedAt: iso(row.deleted_at),
  };
  return dto;
}

export async function getGroupCode(scope: Scope, platform: Platform, id: string): Promise<GroupCodeDto> {
  const state = await groupCodeState(scope, id);
  return toDto(platform, state, await counts(scope, [id]));
}

export async function listGroupCodes(
  scope: Scope,
  platform: Platform,
  q: { limit: number; cursor?: string | undefined },
): Promise<{ items: GroupCodeDto[]; nextCursor: string | null }> {
  const rows = await scope.query<GroupCodeRow>(
    `select ${rowColumns} from live_code_groups
      where deleted_at is null and ($1::text is null or id < $1) order by id desc limit $2`,
    [q.cursor ?? null, q.limit + 1],
  );
  const page = rows.slice(0, q.limit);
  const activity = await counts(
    scope,
    page.map((r) => r.id),
  );
  const items: GroupCodeDto[] = [];
  for (const r of page) items.push(toDto(platform, await groupCodeState(scope, r), activity));
  return { items, nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null };
}

/** Every chat must be a group the wecom module knows (synced), so counts can move the code on. */
async function writeChats(scope: Scope, id: string, chats: GroupCodeCreateInput["chats"]) {
  const known = await groupMemberCounts(
    scope,
    chats.map((c) => c.chatId),
  );
  const unknown = chats.filter((c) => !known.has(c.chatId)).map((c) => c.chatId);
  if (unknown.length)
    throw badRequest("unknown customer groups (sync WeCom groups first)", { chatIds: unknown });
  await scope.query("delete from live_code_group_chats where group_code_id = $1", [id]);
  await scope.query(
    `insert into live_code_group_chats (tenant_id, group_code_id, position, chat_id, capacity, qr_image_url)
     select $1, $2, c.position, c.chat_id, c.capacity, c.qr_image_url
       from unnest($3::int[], $4::text[], $5::int[], $6::text[]) as c(position, chat_id, capacity, qr_image_url)`,
    [
      scope.tenantId,
      id,
      chats.map((_, i) => i),
      chats.map((c) => c.chatId),
      chats.map((c) => c.capacity ?? defaultCapacity),
      chats.map((c) => c.qrImageUrl ?? null),
    ],
  );
}

export async function createGroupCode(
  platform: Platform,
  caller: Caller,
  input: GroupCodeCreateInput,
): Promise<GroupCodeDto> {
  const id = newId("lcg");
  return platform.db.tenant(caller.tenantId, async (s) => {
    await s.query(
      `insert into live_code_groups (id, tenant_id, name, link_code, full_message, created_by)
       values ($1, $2, $3, $4, $5, $6)`,
      [id, caller.tenantId, input.name, newId("l").slice(-10), input.fullMessage ?? null, caller.userId],
    );
    await writeChats(s, id, input.chats);
    await caller.audit.record(s, caller.actor, {
      action: "group_live_code.created",
      targetType: "group_live_code",
      targetId: id,
      data: { name: input.name, chats: input.chats.map((c) => c.chatId) },
    });
    await checkGroupCodeFull(s, platform, await groupCodeState(s, id));
    return getGroupCode(s, platform, id);
  });
}

export async function updateGroupCode(
  platform: Platform,
  caller: Caller,
  id: string,
  input: GroupCodeUpdateInput,
): Promise<GroupCodeDto> {
  return platform.db.tenant(caller.tenantId, async (s) => {
    const row = await groupCodeRow(s, id);
    if (row.deleted_at) throw new AppError("conflict", "the group live code is deleted");
    await s.query(
      "update live_code_groups set name = $2, full_message = $3, updated_at = now() where id = $1",
      [id, input.name ?? row.name, input.fullMessage !== undefined ? input.fullMessage : row.full_message],
    );
    if (input.chats) await writeChats(s, id, input.chats);
    await caller.audit.record(s, caller.actor, {
      action: "group_live_code.updated",
      targetType: "group_live_code",
      targetId: id,
      data: { fields: Object.keys(input) },
    });
    await checkGroupCodeFull(s, platform, await groupCodeState(s, id));
    return getGroupCode(s, platform, id);
  });
}

export async function deleteGroupCode(platform: Platform, caller: Caller, id: string): Promise<GroupCodeDto> {
  return platform.db.tenant(caller.tenantId, async (s) => {
    const row = await groupCodeRow(s, id);
    if (!row.deleted_at) {
      await s.query("update live_code_groups set deleted_at = now(), updated_at = now() where id = $1", [id]);
      await caller.audit.record(s, caller.actor, {
        action: "group_live_code.deleted",
        targetType: "group_live_code",
        targetId: id,
        data: { name: row.name },
      });
    }
    return getGroupCode(s, platform, id);
  });
}

/** A landing visit: records the scan with the group shown. */
export async function recordGroupScan(
  scope: Scope,
  state: GroupCodeState,
  visit: { userAgent: string | null; params: Record<string, string> },
): Promise<void> {
  await scope.query(
    `insert into live_code_group_activity (id, tenant_id, group_code_id, kind, chat_id, user_agent, params)
     values ($1, $2, $3, 'scan', $4, $5, $6)`,
    [
      newId("lga"),
      scope.tenantId,
      state.row.id,
      state.current?.chat_id ?? null,
      visit.userAgent?.slice(0, 500) ?? null,
      JSON.stringify(visit.params),
    ],
  );
}

/**
 * WeCom reported a group's members changed (wecom `onGroupChanged`, in the event job's transaction):
 * joins of a group that is in a code count to that code, and the code may now be all full (alert) or
 * have room again.
 */
export async function groupChanged(scope: Scope, platform: Platform, ev: GroupChangedEvent): Promise<void> {
  const codes = await scope.query<{ group_code_id: string }>(
    `select distinct c.group_code_id from live_code_group_chats c join live_code_groups g on g.id = c.group_code_id
      where c.chat_id = $1 and g.deleted_at is null`,
    [ev.chatId],
  );
  for (const { group_code_id } of codes) {
    if (ev.joined.length) {
      await scope.query(
        `insert into live_code_group_activity (id, tenant_id, group_code_id, kind, chat_id, member_id, source_key)
         select m.id, $1, $2, 'join', $3, m.member, $4 || ':' || $2 || ':' || m.member
           from unnest($5::text[], $6::text[]) as m(id, member)
         on conflict (tenant_id, source_key) where source_key is not null do nothing`,
        [
          scope.tenantId,
          group_code_id,
          ev.chatId,
          String(ev.inboxId),
          ev.joined.map(() => newId("lga")),
          ev.joined,
        ],
      );
    }
    await checkGroupCodeFull(scope, platform, await groupCodeState(scope, group_code_id));
  }
}

export async function groupCodeStats(
  scope: Scope,
  id: string,
  range: { from?: string | undefined; to?: string | undefined },
): Promise<GroupCodeStatsDto> {
  await groupCodeRow(scope, id);
  const zone = await tenantZone(scope);
  const to = range.to ?? localTime(new Date(), zone).date;
  const from =
    range.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86400_000).toISOString().slice(0, 10);
  if (from > to) throw badRequest("from is after to");
  if (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`) > 366 * 86400_000)
    throw badRequest("at most 366 days at once");
  const rows = await scope.query<{ day: string; chat_id: string | null; kind: string; n: number }>(
    `select to_char((at at time zone $2)::date, 'YYYY-MM-DD') as day, chat_id, kind, count(*)::int as n
       from live_code_group_activity
      where group_code_id = $1 and (at at time zone $2)::date between $3::date and $4::date
      group by 1, 2, 3`,
    [id, zone, from, to],
  );
  const daily = new Map<string, { scans: number; joins: number }>();
  for (
    let d = from;
    d <= to;
    d = new Date(Date.parse(`${d}T00:00:00Z`) + 86400_000).toISOString().slice(0, 10)
  )
    daily.set(d, { scans: 0, joins: 0 });
  const chats = new Map<string, { scans: number; joins: number }>();
  let scans = 0;
  let joins = 0;
  for (const r of rows) {
    const day = daily.get(r.day) ?? { scans: 0, joins: 0 };
    daily.set(r.day, day);
    const chat = r.chat_id ? (chats.get(r.chat_id) ?? { scans: 0, joins: 0 }) : null;
    if (chat && r.chat_id) chats.set(r.chat_id, chat);
    if (r.kind === "scan") {
      scans += r.n;
      day.scans += r.n;
      if (chat) chat.scans += r.n;
    } else {
      joins += r.n;
      day.joins += r.n;
      if (chat) chat.joins += r.n;
    }
  }
  return {
    groupCodeId: id,
    from,
    to,
    timeZone: zone,
    scans,
    joins,
    daily: [...daily.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([date, c]) => ({ date, ...c })),
    chats: [...chats.entries()].map(([chatId, c]) => ({ chatId, ...c })),
  };
}

/** The channels alerts addressed to this user (or to nobody in particular), newest first. */
export async function listChannelAlerts(scope: Scope, userId: string | null): Promise<ChannelAlertDto[]> {
  const rows = await scope.query<{
    id: string;
    kind: string;
    group_code_id: string | null;
    data: Record<string, unknown>;
    created_at: Date;
    read_at: Date | null;
  }>(
    `select id, kind, group_code_id, data, created_at, read_at from channel_alerts
      where cardinality(recipient_user_ids) = 0 or $1::text = any(recipient_user_ids)
      order by created_at desc limit 100`,
    [userId],
  );
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    groupCodeId: r.group_code_id,
    data: r.data,
    createdAt: r.created_at.toISOString(),
    readAt: r.read_at?.toISOString() ?? null,
  }));
}
