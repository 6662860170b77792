import type { Platform } from "../../platform/platform.ts";
import { oaReplyFor } from "../content/index.ts";
import { registerPassiveReplyProvider } from "../official-account/index.ts";
import { oaQrWelcome } from "./oa-qr-codes.service.ts";

/**
 * A follow (or SCAN) through a QR code with its own welcome is answered with that welcome, in the
 * callback's response; above the account's welcome and keyword replies. Cached: no query per callback
 * after the first (oa-qr-codes.service.ts).
 */
export function registerOaQrWelcome(platform: Platform) {
  registerPassiveReplyProvider(
    platform,
    "channels.oa-qr-welcome",
    async (ctx) => {
      if (ctx.msgType !== "event" || (ctx.event !== "subscribe" && ctx.event !== "SCAN") || !ctx.content)
        return null;
      const welcome = await oaQrWelcome(platform, ctx.tenantId, ctx.appId, ctx.content);
      return welcome
        ? oaReplyFor(platform, ctx.tenantId, { openid: ctx.openid, appId: ctx.appId }, welcome)
        : null;
    },
    { priority: 30 },
  );
}
