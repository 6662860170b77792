import type { CorpTagGroup } from "../../../connectors/wecom/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { ensureTags } from "../../customers/index.ts";

/**
 * Mirrors WeCom's corp tag list (the whole list, or the groups a tag event named): every tag gets a
 * Siyu tag of the same name; tags WeCom deleted lose their mapping (the Siyu tag stays: customers
 * keep the history). Idempotent.
 */
export async function applyCorpTags(
  scope: Scope,
  groups: CorpTagGroup[],
  options: { complete: boolean },
): Promise<{ tags: number }> {
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
      const [siyu] = deleted ? [] : await ensureTags(scope, [t.name.slice(0, 50)]);
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
  return { tags: count };
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
