import type { CorpTagGroup } from "../../../connectors/wecom/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { AppError } from "../../../platform/errors.ts";
import type { Platform } from "../../../platform/platform.ts";
import { ensureTags, renameTag } from "../../customers/index.ts";

/**
 * Mirrors WeCom's corp tag list (the whole list, or the groups a tag event named): every tag gets a
 * Siyu tag of the same name; tags WeCom deleted lose their mapping (the Siyu tag stays: customers
 * keep the history). Idempotent.
 */
export async function applyCorpTags(
  scope: Scope,
  groups: CorpTagGroup[],
  options: { complete: boolean; platform?: Platform },
): Promise<{ tags: number; renamed: number }> {
  let renamed = 0;
  const seen: string[] = [];
  let count = 0;
  for (const g of groups) {
    seen.push(g.group_id);
    await scope.query(
      `insert into wecom_corp_tags (tenant_id, wecom_id, kind, name, deleted_at) values ($1, $2, 'group', $3, $4)
       on conflict (tenant_id, wecom_id) do update set name = excluded.name, deleted_at = excluded.deleted_at, updated_at = now()`,
      [scope.tenantId, g.group_id, g.group_name, g.deleted ? new Date() : null],
    );
    for (const t of g.tag ?? []) {
      seen.push(t.id);
      const deleted = Boolean(t.deleted || g.deleted);
      // A mapped tag WeCom renamed: the Siyu tag follows (same id, so customers and rules keep it).
      const renamedTo =
        deleted || !options.platform ? null : await followRename(scope, options.platform, t.id, t.name);
      if (renamedTo) renamed++;
      // A mapping to a live Siyu tag stays, whatever that tag is called now (renamed in Siyu): making
      // a tag of the WeCom name would split customers over two tags and push the renamed one again.
      const kept = deleted || renamedTo ? null : await mappedSiyuTag(scope, t.id);
      const [siyu] = deleted || renamedTo || kept ? [] : await ensureTags(scope, [t.name.slice(0, 50)]);
      await scope.query(
        `insert into wecom_corp_tags (tenant_id, wecom_id, kind, group_wecom_id, name, siyu_tag_id, deleted_at)
         values ($1, $2, 'tag', $3, $4, $5, $6)
         on conflict (tenant_id, wecom_id) do update set group_wecom_id = excluded.group_wecom_id, name = excluded.name,
           siyu_tag_id = coalesce(excluded.siyu_tag_id, wecom_corp_tags.siyu_tag_id), deleted_at = excluded.deleted_at,
           updated_at = now()`,
        [scope.tenantId, t.id, g.group_id, t.name, siyu?.id ?? null, deleted ? new Date() : null],
      );
      if (!deleted) count++;
    }
  }
  if (options.complete) {
    await scope.query(
      "update wecom_corp_tags set deleted_at = now(), updated_at = now() where deleted_at is null and not (wecom_id = any($1::text[]))",
      [seen],
    );
  }
  return { tags: count, renamed };
}

/** The live Siyu tag a WeCom tag is mapped to, or null. */
async function mappedSiyuTag(scope: Scope, wecomId: string): Promise<string | null> {
  const [row] = await scope.query<{ id: string }>(
    `select t.id from wecom_corp_tags w join tags t on t.id = w.siyu_tag_id and t.deleted_at is null
      where w.wecom_id = $1 and w.deleted_at is null`,
    [wecomId],
  );
  return row?.id ?? null;
}

/** Renames the Siyu tag mapped to a WeCom tag whose name changed; the Siyu tag id, or null. */
async function followRename(
  scope: Scope,
  platform: Platform,
  wecomId: string,
  name: string,
): Promise<string | null> {
  const [stored] = await scope.query<{ siyu_tag_id: string | null; name: string }>(
    "select siyu_tag_id, name from wecom_corp_tags where wecom_id = $1 and deleted_at is null",
    [wecomId],
  );
  if (!stored?.siyu_tag_id || stored.name === name) return null;
  try {
    const done = await renameTag(
      scope,
      { platform, actor: { email: "wecom" } },
      { id: stored.siyu_tag_id, name: name.slice(0, 50) },
    );
    return done ? stored.siyu_tag_id : null;
  } catch (err) {
    // Another Siyu tag has the new name: keep the mapping as it is rather than merge tags silently.
    if (!(err instanceof AppError)) throw err;
    platform.log.warn({ wecomId, name, code: err.code }, "WeCom tag rename not applied to the Siyu tag");
    return null;
  }
}

/** Marks tags or groups WeCom no longer returns for the ids an event named. */
export async function markCorpTagsDeleted(scope: Scope, wecomIds: string[]): Promise<void> {
  if (wecomIds.length === 0) return;
  await scope.query(
    `update wecom_corp_tags set deleted_at = now(), updated_at = now()
      where deleted_at is null and (wecom_id = any($1::text[]) or group_wecom_id = any($1::text[]))`,
    [wecomIds],
  );
}
