import type { OaMenuButtonInput, OaMenuDto, OaMenuInput, OaTagMapDto } from "@siyu/contracts";
import { type MenuButton, tagMembersMax } from "../../../connectors/official-account/index.ts";
import type { Actor } from "../../../platform/audit/audit.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { AppError, badRequest, notFound } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { customerIdsWithTag } from "../../customers/index.ts";
import { enqueueMenuRemoval } from "../jobs/menu-removal.enqueue.ts";
import { oaClient, requireOaSettings } from "../oa-client.ts";
import { currentAppSql } from "./apply-followers.ts";

interface MenuRow {
  id: string;
  name: string;
  tag_name: string | null;
  buttons: OaMenuButtonInput[];
  status: "draft" | "published" | "failed";
  menuid: string | null;
  error: string | null;
  published_at: Date | null;
  updated_at: Date;
  removal: "pending" | "removed" | "failed" | "dismissed" | null;
  removal_retries: number;
  app_id: string;
}

const menuDto = (r: MenuRow, oaTagId: number | null): OaMenuDto => ({
  id: r.id,
  name: r.name,
  tag: r.tag_name,
  oaTagId,
  buttons: r.buttons,
  status: r.status,
  menuid: r.menuid,
  error: r.error,
  publishedAt: r.published_at?.toISOString() ?? null,
  updatedAt: r.updated_at.toISOString(),
  removal: r.removal === "pending" || r.removal === "failed" ? r.removal : null,
});

/** Byte limits of menu names (protocols §9): 16 bytes top level, 60 for sub buttons. */
export function validateButtons(buttons: OaMenuButtonInput[]): void {
  const bytes = (s: string) => Buffer.byteLength(s, "utf8");
  const leaf = (b: OaMenuButtonInput, where: string) => {
    if (b.type === "click" && !b.key) throw badRequest(`${where}: a click button needs a key`);
    if (b.type === "view" && !b.url) throw badRequest(`${where}: a view button needs a url`);
    if (b.type === "miniprogram" && (!b.appid || !b.pagepath || !b.url))
      throw badRequest(`${where}: a miniprogram button needs appid, pagepath and a fallback url`);
    if (b.key && bytes(b.key) > 128) throw badRequest(`${where}: key over 128 bytes`);
  };
  buttons.forEach((b, i) => {
    if (bytes(b.name) > 16) throw badRequest(`button ${i + 1}: name over 16 bytes`);
    if (b.sub_button?.length) {
      b.sub_button.forEach((s, j) => {
        if (bytes(s.name) > 60) throw badRequest(`button ${i + 1}.${j + 1}: name over 60 bytes`);
        leaf(s, `button ${i + 1}.${j + 1}`);
      });
    } else {
      if (!b.type) throw badRequest(`button ${i + 1}: a type, or sub buttons`);
      leaf(b, `button ${i + 1}`);
    }
  });
}

/** Siyu's buttons in WeChat's shape. */
function wire(buttons: OaMenuButtonInput[]): MenuButton[] {
  const one = (b: OaMenuButtonInput): MenuButton => {
    const out: Record<string, unknown> = { name: b.name };
    if (b.sub_button?.length) out.sub_button = b.sub_button.map(one);
    else {
      out.type = b.type;
      if (b.key) out.key = b.key;
      if (b.url) out.url = b.url;
      if (b.appid) out.appid = b.appid;
      if (b.pagepath) out.pagepath = b.pagepath;
    }
    return out as unknown as MenuButton;
  };
  return buttons.map(one);
}

/** The connected account's OA tag ids by Siyu tag (another account's ids mean nothing to it). */
async function tagIds(scope: Scope): Promise<Map<string, number>> {
  const rows = await scope.query<{ tag_name: string; oa_tag_id: number }>(
    `select tag_name, oa_tag_id from oa_tag_map where app_id = ${currentAppSql}`,
  );
  return new Map(rows.map((r) => [r.tag_name.toLowerCase(), r.oa_tag_id]));
}

/** The menus, and the deleted ones WeChat still has (removal pending, or failed with WeChat's error). */
export async function listMenus(scope: Scope): Promise<OaMenuDto[]> {
  const rows = await scope.query<MenuRow>(
    `select * from oa_menus where deleted_at is null or removal in ('pending', 'failed')
      order by deleted_at nulls first, tag_name nulls first, name`,
  );
  const ids = await tagIds(scope);
  return rows.map((r) => menuDto(r, r.tag_name ? (ids.get(r.tag_name.toLowerCase()) ?? null) : null));
}

export async function saveMenu(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  input: Required<OaMenuInput>,
  id?: string,
): Promise<OaMenuDto> {
  validateButtons(input.buttons);
  let row: MenuRow | undefined;
  try {
    [row] = id
      ? await scope.query<MenuRow>(
          `update oa_menus set name = $2, tag_name = $3, buttons = $4, status = 'draft', updated_at = now(),
                  edited_at = now()
            where id = $1 and deleted_at is null returning *`,
          [id, input.name, input.tag, JSON.stringify(input.buttons)],
        )
      : await scope.query<MenuRow>(
          `insert into oa_menus (id, tenant_id, name, tag_name, buttons, app_id)
           values ($1, $2, $3, $4, $5, ${currentAppSql}) returning *`,
          [newId("omn"), scope.tenantId, input.name, input.tag, JSON.stringify(input.buttons)],
        );
  } catch (err) {
    if ((err as { code?: string }).code === "23505")
      throw new AppError("conflict", input.tag ? "a menu for this tag exists" : "the default menu exists");
    throw err;
  }
  if (!row) throw notFound("menu");
  await platform.audit.record(scope, actor, {
    action: id ? "official_account.menu_updated" : "official_account.menu_created",
    targetType: "oa_menu",
    targetId: row.id,
    data: { name: input.name, tag: input.tag },
  });
  const ids = await tagIds(scope);
  return menuDto(row, row.tag_name ? (ids.get(row.tag_name.toLowerCase()) ?? null) : null);
}

/**
 * Deletes a menu in Siyu and, when WeChat has it (a conditional menu with the menuid its publish got,
 * a default menu ever published), removes it there through a job (`removal` pending → removed, or
 * failed with WeChat's error). A draft that never reached WeChat is just deleted.
 */
export async function deleteMenu(scope: Scope, platform: Platform, actor: Actor, id: string) {
  const [row] = await scope.query<{
    name: string;
    removal: string | null;
    menuid: string | null;
    app_id: string;
  }>(
    `update oa_menus set deleted_at = now(), updated_at = now(), error = null,
            removal = case when (tag_name is null and published_at is not null)
                            or (tag_name is not null and menuid is not null) then 'pending' end
      where id = $1 and deleted_at is null returning name, removal, menuid, app_id`,
    [id],
  );
  if (!row) throw notFound("menu");
  await platform.audit.record(scope, actor, {
    action: "official_account.menu_deleted",
    targetType: "oa_menu",
    targetId: id,
    data: { name: row.name, removeFromWechat: row.removal === "pending", menuid: row.menuid },
  });
  const tenantId = scope.tenantId as string;
  if (row.removal === "pending")
    scope.onCommit(() => {
      enqueueMenuRemoval(platform, tenantId, id, row.app_id).catch((err: unknown) =>
        platform.log.warn({ err, menuId: id }, "OA menu removal enqueue failed; the sweep retries"),
      );
    });
}

/**
 * Tries again the removal from WeChat of a deleted menu whose removal failed: `pending` again with a
 * new attempt number, so the job runs anew and its stored step (`…:r<n>`) calls WeChat again rather
 * than replaying the refusal stored by the failed attempt. Audited; the job is enqueued on commit.
 */
export async function retryMenuRemoval(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  id: string,
): Promise<OaMenuDto> {
  const row = await failedRemoval(scope, id);
  const [updated] = await scope.query<MenuRow>(
    `update oa_menus set removal = 'pending', removal_retries = removal_retries + 1, updated_at = now()
      where id = $1 and removal = 'failed' returning *`,
    [id],
  );
  if (!updated) throw new AppError("conflict", "the menu's removal is not failed");
  await platform.audit.record(scope, actor, {
    action: "official_account.menu_removal_retried",
    targetType: "oa_menu",
    targetId: id,
    data: { name: row.name, menuid: row.menuid, lastError: row.error, retry: updated.removal_retries },
  });
  const tenantId = scope.tenantId as string;
  const retries = updated.removal_retries;
  scope.onCommit(() => {
    enqueueMenuRemoval(platform, tenantId, id, updated.app_id, retries).catch((err: unknown) =>
      platform.log.warn({ err, menuId: id }, "OA menu removal enqueue failed; the sweep retries"),
    );
  });
  const ids = await tagIds(scope);
  return menuDto(updated, updated.tag_name ? (ids.get(updated.tag_name.toLowerCase()) ?? null) : null);
}

/**
 * Forgets a failed removal in Siyu (`dismissed`: no longer listed, never retried), e.g. after the menu
 * was removed by hand in WeChat's console. WeChat is not called; the audit row keeps the last error.
 */
export async function dismissMenuRemoval(scope: Scope, platform: Platform, actor: Actor, id: string) {
  const row = await failedRemoval(scope, id);
  const [updated] = await scope.query(
    "update oa_menus set removal = 'dismissed' where id = $1 and removal = 'failed' returning id",
    [id],
  );
  if (!updated) throw new AppError("conflict", "the menu's removal is not failed");
  await platform.audit.record(scope, actor, {
    action: "official_account.menu_removal_dismissed",
    targetType: "oa_menu",
    targetId: id,
    data: { name: row.name, tag: row.tag_name, menuid: row.menuid, lastError: row.error },
  });
}

/** A deleted menu whose removal failed, locked for the change: 404 when not listed, 409 while under way. */
async function failedRemoval(scope: Scope, id: string): Promise<MenuRow> {
  const [row] = await scope.query<MenuRow & { deleted_at: Date | null }>(
    "select * from oa_menus where id = $1 for update",
    [id],
  );
  // Only deleted menus WeChat may still have are listed (removal pending or failed); others are unknown here.
  if (!row?.deleted_at || (row.removal !== "pending" && row.removal !== "failed")) throw notFound("menu");
  if (row.removal === "pending") throw new AppError("conflict", "the menu's removal is under way");
  return row;
}

/**
 * Publishes the menus: the default with menu/create, then each conditional menu with
 * menu/addconditional matching its tag's OA tag id (its previously published menuid deleted first). A conditional
 * menu whose Siyu tag is not mapped to an OA tag fails alone (recorded on it). Calls WeChat outside
 * any transaction; each menu's outcome is stored.
 */
export async function publishMenus(platform: Platform, tenantId: string, actor: Actor): Promise<OaMenuDto[]> {
  const { menus, ids } = await platform.db.tenant(tenantId, async (s) => ({
    menus: await s.query<MenuRow>(
      "select * from oa_menus where deleted_at is null order by tag_name nulls first",
    ),
    ids: await tagIds(s),
  }));
  const main = menus.find((m) => m.tag_name === null);
  if (!main) throw badRequest("a default menu is needed before conditional menus (WeChat's rule)");
  const settings = await requireOaSettings(platform, tenantId);
  // Read under the account now connected: a switch in between would mix two accounts' menus and tags.
  if (menus.some((m) => m.app_id !== settings.appId))
    throw new AppError("conflict", "the Official Account was switched: publish again");
  const client = oaClient(platform, settings);
  const outcome = new Map<
    string,
    { status: "published" | "failed"; menuid: string | null; error: string | null }
  >();
  await client.menu.create({ button: wire(main.buttons) });
  outcome.set(main.id, { status: "published", menuid: null, error: null });
  for (const m of menus) {
    if (m.tag_name === null) continue;
    const tagId = ids.get(m.tag_name.toLowerCase());
    if (tagId === undefined) {
      outcome.set(m.id, {
        status: "failed",
        menuid: null,
        error: `tag ${m.tag_name} is not mapped to an OA tag`,
      });
      continue;
    }
    try {
      if (m.menuid) await client.menu.delConditional(m.menuid).catch(() => undefined);
      const answer = await client.menu.addConditional({
        button: wire(m.buttons),
        matchrule: { tag_id: String(tagId) },
      });
      outcome.set(m.id, { status: "published", menuid: String(answer.menuid), error: null });
    } catch (err) {
      outcome.set(m.id, {
        status: "failed",
        menuid: null,
        error: String(err instanceof Error ? err.message : err).slice(0, 500),
      });
    }
  }
  return platform.db.tenant(tenantId, async (s) => {
    // Each outcome is the state of the account it was published to: on the menu while that account
    // is connected, else parked with it (switched during the publish).
    for (const [id, o] of outcome) {
      const [live] = await s.query(
        `update oa_menus set status = $2, menuid = $3, error = $4,
                published_at = case when $2 = 'published' then now() else published_at end, updated_at = now()
          where id = $1 and app_id = $5 returning id`,
        [id, o.status, o.menuid, o.error, settings.appId],
      );
      if (!live)
        await s.query(
          `insert into oa_menu_account_states (tenant_id, menu_id, app_id, status, menuid, error, published_at)
           values ($1, $2, $3, $4, $5, $6, case when $4 = 'published' then now() end)
           on conflict (tenant_id, app_id, menu_id) do update set status = excluded.status,
             menuid = excluded.menuid, error = excluded.error,
             published_at = coalesce(excluded.published_at, oa_menu_account_states.published_at), parked_at = now()`,
          [tenantId, id, settings.appId, o.status, o.menuid, o.error],
        );
    }
    await platform.audit.record(s, actor, {
      action: "official_account.menus_published",
      targetType: "oa_menu",
      targetId: main.id,
      data: {
        menus: outcome.size,
        failed: [...outcome.values()].filter((o) => o.status === "failed").length,
      },
    });
    return listMenus(s);
  });
}

// ── Siyu tag ↔ OA tag ──

interface TagMapRow {
  tag_name: string;
  oa_tag_id: number;
  oa_tag_name: string;
  members: number;
  synced_at: Date | null;
}

const tagMapDto = (r: TagMapRow): OaTagMapDto => ({
  tag: r.tag_name,
  oaTagId: r.oa_tag_id,
  oaTagName: r.oa_tag_name,
  members: r.members,
  syncedAt: r.synced_at?.toISOString() ?? null,
});

/** The connected account's tag map (another account's stays stored and comes back with it). */
export async function listTagMap(scope: Scope): Promise<OaTagMapDto[]> {
  const rows = await scope.query<TagMapRow>(
    `select * from oa_tag_map where app_id = ${currentAppSql} order by tag_name`,
  );
  return rows.map(tagMapDto);
}

/**
 * Maps a Siyu tag to an OA tag (an existing OA tag of the same name, else tags/create), then marks the
 * followers whose customer has the tag (batchtagging, ≤50 per call). Re-running only marks again.
 */
export async function mapAndSyncTag(
  platform: Platform,
  tenantId: string,
  actor: Actor,
  tag: string,
): Promise<OaTagMapDto> {
  const settings = await requireOaSettings(platform, tenantId);
  const client = oaClient(platform, settings);
  // The connected account's own OA tag: another account's tag id means nothing to this one.
  let [mapped] = await platform.db.tenant(tenantId, (s) =>
    s.query<{ oa_tag_id: number; oa_tag_name: string }>(
      "select oa_tag_id, oa_tag_name from oa_tag_map where app_id = $2 and lower(tag_name) = lower($1)",
      [tag, settings.appId],
    ),
  );
  if (!mapped) {
    const name = tag.slice(0, 30);
    const existing = (await client.tags.get()).tags?.find((t) => t.name === name);
    const id = existing?.id ?? (await client.tags.create(name)).tag.id;
    mapped = { oa_tag_id: id, oa_tag_name: name };
  }
  const openids: string[] = await platform.db.tenant(tenantId, async (s) => {
    const out: string[] = [];
    let after: string | null = null;
    for (;;) {
      const ids = await customerIdsWithTag(s, tag, { limit: 1000, after });
      if (ids.length) {
        const rows = await s.query<{ openid: string }>(
          "select openid from oa_followers where customer_id = any($1::text[]) and subscribed and app_id = $2",
          [ids, settings.appId],
        );
        out.push(...rows.map((r) => r.openid));
      }
      if (ids.length < 1000) break;
      after = ids.at(-1) ?? null;
    }
    return out;
  });
  for (let i = 0; i < openids.length; i += tagMembersMax)
    await client.tags.tagMembers({
      openid_list: openids.slice(i, i + tagMembersMax),
      tagid: mapped.oa_tag_id,
    });
  return platform.db.tenant(tenantId, async (s) => {
    await s.query(
      `insert into oa_tag_map (tenant_id, app_id, tag_name, oa_tag_id, oa_tag_name, members, synced_at)
       values ($1, $6, $2, $3, $4, $5, now())
       on conflict (tenant_id, app_id, tag_name) do update set members = excluded.members, synced_at = now()`,
      [tenantId, tag, mapped.oa_tag_id, mapped.oa_tag_name, openids.length, settings.appId],
    );
    await platform.audit.record(s, actor, {
      action: "official_account.tag_synced",
      targetType: "oa_tag",
      targetId: String(mapped.oa_tag_id),
      data: { tag, members: openids.length, appId: settings.appId },
    });
    const [row] = await s.query<TagMapRow>("select * from oa_tag_map where app_id = $1 and tag_name = $2", [
      settings.appId,
      tag,
    ]);
    return tagMapDto(row as TagMapRow);
  });
}
