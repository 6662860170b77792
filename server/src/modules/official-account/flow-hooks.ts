import { oaSendTemplateActionSchema } from "@siyu/contracts";
import { AppError } from "../../platform/errors.ts";
import type { Platform } from "../../platform/platform.ts";
import { FlowActionError, registerAction, registerTriggerEvent } from "../flows/index.ts";
import { oaEvents } from "./events.ts";
import { startTemplateSend } from "./ops/templates.ts";

/**
 * What the Official Account engine gives flows (SPEC §6):
 * - triggers (and event waits) on its events — `oa.subscribed` (payload `scene`: the parametric QR's
 *   scene, null for a plain follow), `oa.scanned` (`scene`), `oa.message_received` (`content`,
 *   `msgType`; the trigger's `keyword` param matches text containing it), `oa.menu_clicked` (`key`);
 *   the content library's `content.clicked` (`articleId`) and the channel adds, `channel.live_code_added`
 *   (`liveCodeId`) and `channel.oa_qr_followed` (`qrCodeId`, `scene`). Trigger params name payload
 *   fields to equal (`{"event":"oa.subscribed","scene":"spring"}`) or a `filter` expression.
 * - the action `oa.send_template`: a template message to the instance's customer, guarded by the
 *   contact policy on channel `oa_template`.
 */
export function registerOaFlowHooks(platform: Platform) {
  for (const type of [
    oaEvents.subscribed,
    oaEvents.scanned,
    oaEvents.messageReceived,
    oaEvents.menuClicked,
    "content.clicked",
    "channel.live_code_added",
    "channel.oa_qr_followed",
  ])
    registerTriggerEvent(platform, type);

  registerAction(platform, {
    action: "oa.send_template",
    title: "Send an Official Account template message",
    params: oaSendTemplateActionSchema,
    // The batch, its send row and the job's enqueue commit with the token's move: once per visit.
    // The job sends each row as a stored step (client_msg_id = the send id), so a retry never resends.
    kind: "transactional",
    guard: (p) => ({ channel: "oa_template", purpose: p.purpose }),
    describe: (p) => `OA template ${p.templateId}`,
    async run(ctx, p) {
      if (!ctx.customerId) throw new FlowActionError("this instance has no customer", { permanent: true });
      let batch: Awaited<ReturnType<typeof startTemplateSend>>;
      try {
        batch = await startTemplateSend(
          ctx.scope!,
          ctx.platform,
          { email: `system:flow:${ctx.flowId}` },
          {
            templateId: p.templateId,
            customerIds: [ctx.customerId],
            data: p.data,
            purpose: p.purpose,
            ...(p.articleId ? { articleId: p.articleId } : {}),
            ...(p.url ? { url: p.url } : {}),
          },
          `flow:${ctx.flowId}`,
          // The engine reserved this touch under the same ref: not counted a second time.
          { policyRef: `flow:${ctx.stepKey}` },
        );
      } catch (err) {
        // An unknown template or article: no retry can fix the flow's params.
        if (err instanceof AppError) throw new FlowActionError(err.message, { permanent: true });
        throw err;
      }
      // Not a follower of the account: the journey goes on without the message (the touch released).
      if (batch.total === 0)
        return { result: { skipped: "not_following", batchId: batch.id }, untouched: true };
      return { result: { batchId: batch.id, blocked: batch.counts.blocked ?? 0 } };
    },
  });
}
