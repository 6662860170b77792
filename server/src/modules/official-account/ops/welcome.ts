import type { OaPassiveReplyInput } from "@siyu/contracts";
import type { Actor } from "../../../platform/audit/audit.ts";
import type { Scope } from "../../../platform/db/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import { oaReplyFor } from "../../content/index.ts";
import { registerPassiveReplyProvider } from "../passive-replies.ts";

const ttlMs = 30_000;
const cache = new Map<string, { reply: OaPassiveReplyInput | null; at: number }>();

export async function getWelcome(scope: Scope): Promise<OaPassiveReplyInput | null> {
  const [row] = await scope.query<{ reply: OaPassiveReplyInput | null }>("select reply from oa_welcome");
  return row?.reply ?? null;
}

export async function saveWelcome(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  reply: OaPassiveReplyInput | null,
): Promise<OaPassiveReplyInput | null> {
  await scope.query(
    `insert into oa_welcome (tenant_id, reply) values ($1, $2)
     on conflict (tenant_id) do update set reply = excluded.reply, updated_at = now()`,
    [scope.tenantId, reply ? JSON.stringify(reply) : null],
  );
  await platform.audit.record(scope, actor, {
    action: "official_account.welcome_saved",
    targetType: "oa_welcome",
    targetId: scope.tenantId as string,
    data: { type: reply?.type ?? null },
  });
  if (scope.tenantId) cache.delete(scope.tenantId);
  return reply;
}

/**
 * The welcome on follow (关注回复): a subscribe is answered with the account's welcome in the
 * callback's response, below a QR code's own welcome and above keyword replies. Cached per process.
 */
export function registerWelcomeProvider(platform: Platform) {
  registerPassiveReplyProvider(
    platform,
    "official-account.welcome",
    async (ctx) => {
      if (ctx.msgType !== "event" || ctx.event !== "subscribe") return null;
      let hit = cache.get(ctx.tenantId);
      if (!hit || Date.now() - hit.at > ttlMs) {
        hit = { reply: await platform.db.tenant(ctx.tenantId, getWelcome), at: Date.now() };
        cache.set(ctx.tenantId, hit);
      }
      return hit.reply
        ? oaReplyFor(platform, ctx.tenantId, { openid: ctx.openid, appId: ctx.appId }, hit.reply)
        : null;
    },
    { priority: 20 },
  );
}
