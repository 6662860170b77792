import type { OaPassiveReplyInput, OaQrCodeCreateInput, OaQrCodeDto } from "@siyu/contracts";
import type { Scope } from "../../platform/db/index.ts";
import { AppError, notFound } from "../../platform/errors.ts";
import { newId } from "../../platform/ids/ids.ts";
import type { Platform } from "../../platform/platform.ts";
import { ensureTags } from "../customers/index.ts";
import { connectedOaAppId, oaClient, requireOaSettings } from "../official-account/index.ts";
import type { Caller } from "./live-codes.service.ts";

/**
 * Official Account parametric QR codes as channel codes (SPEC §3/§4): `qrcode/create` with a scene
 * string (temporary up to 30 days, or permanent), stored with its ticket; a follow or SCAN with the
 * scene is attributed to the code (subscribers/oa-scene.subscriber.ts) and counted in the channel
 * statistics shared with WeCom live codes (channel-stats.service.ts).
 *
 * A code is its account's (`app_id`: the ticket and scene are that account's). After the tenant
 * connects another account, the old account's codes stay listed with their statistics, read-only
 * (`otherAccount`), and match no callback of the new account; they are live again when it is back.
 */
export interface OaQrCodeRow {
  id: string;
  name: string;
  scene: string;
  permanent: boolean;
  expire_seconds: number | null;
  expires_at: Date | null;
  ticket: string;
  url: string;
  image_url: string;
  tags: string[];
  oa_tag_ids: number[];
  welcome: OaPassiveReplyInput | null;
  created_at: Date;
  deleted_at: Date | null;
  app_id: string;
  /** The code's account is not the one connected now (selected with the row). */
  other_account?: boolean;
}

/** The longest a temporary code lives (WeChat's limit) and the default. */
export const oaQrMaxExpireSeconds = 2_592_000;

export function oaQrDto(r: OaQrCodeRow, totals?: { adds: number; scans: number }): OaQrCodeDto {
  return {
    id: r.id,
    appId: r.app_id,
    otherAccount: r.other_account ?? false,
    name: r.name,
    scene: r.scene,
    permanent: r.permanent,
    expireSeconds: r.expire_seconds,
    expiresAt: r.expires_at?.toISOString() ?? null,
    expired: Boolean(r.expires_at && r.expires_at.getTime() <= Date.now()),
    ticket: r.ticket,
    url: r.url,
    imageUrl: r.image_url,
    tags: r.tags,
    oaTagIds: r.oa_tag_ids,
    welcome: r.welcome,
    createdAt: r.created_at.toISOString(),
    deletedAt: r.deleted_at?.toISOString() ?? null,
    ...(totals ?? {}),
  };
}

export async function oaQrRow(scope: Scope, id: string): Promise<OaQrCodeRow> {
  const [row] = await scope.query<OaQrCodeRow>(
    "select *, app_id <> $2 as other_account from oa_qr_codes where id = $1",
    [id, await connectedOaAppId(scope)],
  );
  if (!row) throw notFound("QR code");
  return row;
}

/** A code of the connected account, to change: another account's is read-only (its ticket is that account's). */
async function ownQrRow(scope: Scope, id: string): Promise<OaQrCodeRow> {
  const row = await oaQrRow(scope, id);
  if (row.other_account)
    throw new AppError(
      "conflict",
      `the QR code belongs to another Official Account (${row.app_id || "none"})`,
    );
  return row;
}

export async function createOaQrCode(
  platform: Platform,
  caller: Caller,
  input: Omit<OaQrCodeCreateInput, "permanent" | "tags" | "oaTagIds"> & {
    permanent: boolean;
    tags: string[];
    oaTagIds: number[];
  },
): Promise<OaQrCodeDto> {
  const id = newId("oqr");
  const scene = input.scene ?? `siyu_${id.slice(4, 24)}`;
  const settings = await requireOaSettings(platform, caller.tenantId);
  // Scenes are the account's: another account may use the same scene string for its own code.
  const taken = await platform.db.tenant(caller.tenantId, (s) =>
    s.query("select 1 from oa_qr_codes where scene = $1 and app_id = $2", [scene, settings.appId]),
  );
  if (taken.length) throw new AppError("conflict", "a QR code with this scene exists");
  const client = oaClient(platform, settings);
  const expireSeconds = input.permanent ? null : (input.expireSeconds ?? oaQrMaxExpireSeconds);
  const answer = await client.qrcode.create(
    input.permanent
      ? { action_name: "QR_LIMIT_STR_SCENE", action_info: { scene: { scene_str: scene } } }
      : {
          action_name: "QR_STR_SCENE",
          expire_seconds: expireSeconds ?? oaQrMaxExpireSeconds,
          action_info: { scene: { scene_str: scene } },
        },
  );
  const lifetime = input.permanent ? null : (answer.expire_seconds ?? expireSeconds);
  return platform.db.tenant(caller.tenantId, async (s) => {
    if (input.tags.length) await ensureTags(s, input.tags);
    let row: OaQrCodeRow | undefined;
    try {
      [row] = await s.query<OaQrCodeRow>(
        `insert into oa_qr_codes (id, tenant_id, name, scene, permanent, expire_seconds, expires_at, ticket, url,
           image_url, tags, oa_tag_ids, welcome, created_by, app_id)
         values ($1, $2, $3, $4, $5, $6, case when $6::int is null then null else now() + make_interval(secs => $6::int) end,
                 $7, $8, $9, $10, $11, $12, $13, $14)
         returning *, false as other_account`,
        [
          id,
          caller.tenantId,
          input.name,
          scene,
          input.permanent,
          lifetime,
          answer.ticket,
          answer.url,
          client.qrcode.showUrl(answer.ticket),
          input.tags,
          input.oaTagIds,
          input.welcome ? JSON.stringify(input.welcome) : null,
          caller.userId,
          settings.appId,
        ],
      );
    } catch (err) {
      if ((err as { code?: string }).code === "23505")
        throw new AppError("conflict", "a QR code with this scene exists");
      throw err;
    }
    await caller.audit.record(s, caller.actor, {
      action: "oa_qr_code.created",
      targetType: "oa_qr_code",
      targetId: id,
      data: {
        name: input.name,
        scene,
        permanent: input.permanent,
        expireSeconds: lifetime,
        appId: settings.appId,
      },
    });
    forgetOaQrWelcomes(caller.tenantId);
    return oaQrDto(row as OaQrCodeRow);
  });
}

export async function listOaQrCodes(
  scope: Scope,
  q: { limit: number; cursor?: string | undefined; includeDeleted?: boolean | undefined },
): Promise<{ items: OaQrCodeDto[]; nextCursor: string | null }> {
  const rows = await scope.query<OaQrCodeRow & { adds: number; scans: number }>(
    `select c.*, c.app_id <> $4 as other_account,
            (select count(*)::int from oa_qr_events e where e.qr_code_id = c.id and e.kind = 'subscribe'
                and e.at > now() - interval '30 days') as adds,
            (select count(*)::int from oa_qr_events e where e.qr_code_id = c.id and e.kind in ('subscribe', 'scan')
                and e.at > now() - interval '30 days') as scans
       from oa_qr_codes c
      where ($2::text is null or c.id < $2) and ($3 or c.deleted_at is null)
      order by c.id desc limit $1`,
    [q.limit + 1, q.cursor ?? null, q.includeDeleted ?? false, await connectedOaAppId(scope)],
  );
  return {
    items: rows.slice(0, q.limit).map((r) => oaQrDto(r, { adds: r.adds, scans: r.scans })),
    nextCursor: rows.length > q.limit ? (rows[q.limit - 1]?.id ?? null) : null,
  };
}

export async function updateOaQrCode(
  scope: Scope,
  caller: Caller,
  id: string,
  input: { name?: string; tags?: string[]; oaTagIds?: number[]; welcome?: OaPassiveReplyInput | null },
): Promise<OaQrCodeDto> {
  const row = await ownQrRow(scope, id);
  if (row.deleted_at) throw new AppError("conflict", "the QR code is deleted");
  if (input.tags?.length) await ensureTags(scope, input.tags);
  const [saved] = await scope.query<OaQrCodeRow>(
    `update oa_qr_codes set name = $2, tags = $3, oa_tag_ids = $4, welcome = $5, updated_at = now()
      where id = $1 returning *, false as other_account`,
    [
      id,
      input.name ?? row.name,
      input.tags ?? row.tags,
      input.oaTagIds ?? row.oa_tag_ids,
      input.welcome === undefined
        ? row.welcome && JSON.stringify(row.welcome)
        : input.welcome && JSON.stringify(input.welcome),
    ],
  );
  await caller.audit.record(scope, caller.actor, {
    action: "oa_qr_code.updated",
    targetType: "oa_qr_code",
    targetId: id,
    data: { ...input },
  });
  forgetOaQrWelcomes(caller.tenantId);
  return oaQrDto(saved as OaQrCodeRow);
}

/** Soft delete: a printed code may still be scanned; its follows still count to it. */
export async function deleteOaQrCode(scope: Scope, caller: Caller, id: string): Promise<void> {
  const row = await ownQrRow(scope, id);
  if (row.deleted_at) return;
  await scope.query("update oa_qr_codes set deleted_at = now(), updated_at = now() where id = $1", [id]);
  await caller.audit.record(scope, caller.actor, {
    action: "oa_qr_code.deleted",
    targetType: "oa_qr_code",
    targetId: id,
    data: { name: row.name, scene: row.scene },
  });
  forgetOaQrWelcomes(caller.tenantId);
}

// ── per-code welcome replies, from a per-process cache (the callback must not wait for the database) ──

const ttlMs = 30_000;
/** Per tenant: welcomes by `<appid>\u0000<scene>` (a scene is its account's). */
const welcomeCache = new Map<string, { byScene: Map<string, OaPassiveReplyInput>; at: number }>();

export function forgetOaQrWelcomes(tenantId: string): void {
  welcomeCache.delete(tenantId);
}

export async function oaQrWelcome(
  platform: Platform,
  tenantId: string,
  appId: string,
  scene: string,
): Promise<OaPassiveReplyInput | null> {
  let hit = welcomeCache.get(tenantId);
  if (!hit || Date.now() - hit.at > ttlMs) {
    const rows = await platform.db.tenant(tenantId, (s) =>
      s.query<{ app_id: string; scene: string; welcome: OaPassiveReplyInput }>(
        "select app_id, scene, welcome from oa_qr_codes where welcome is not null and deleted_at is null",
      ),
    );
    hit = { byScene: new Map(rows.map((r) => [`${r.app_id}\u0000${r.scene}`, r.welcome])), at: Date.now() };
    welcomeCache.set(tenantId, hit);
  }
  return hit.byScene.get(`${appId}\u0000${scene}`) ?? null;
}
