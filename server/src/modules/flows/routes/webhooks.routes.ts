import { flowWebhookAcceptedSchema, flowWebhookBodyLimit, flowWebhookBodySchema } from "@siyu/contracts";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import { receiveWebhook, WebhookRateLimited } from "../webhooks.service.ts";

/**
 * `POST /hooks/flows/:token` (public; the token is the secret): a JSON object of at most 64 KiB
 * starts the flow (202 `{instanceIds}`). Unknown token 404, archived flow 409, unknown customer 422,
 * oversize 413, not JSON 400, over the token's rate 429 with Retry-After — all in the one error shape.
 */
export function flowWebhookRoutes(app: Api, platform: Platform) {
  app.post(
    "/hooks/flows/:token",
    {
      config: { public: true },
      bodyLimit: flowWebhookBodyLimit,
      schema: {
        hide: true,
        params: z.object({ token: z.string().max(200) }),
        headers: z.object({ "idempotency-key": z.string().min(1).max(200).optional() }),
        body: flowWebhookBodySchema,
        response: { 202: flowWebhookAcceptedSchema },
      },
    },
    async (req, reply) => {
      try {
        const out = await receiveWebhook(platform, {
          token: req.params.token,
          body: req.body,
          idempotencyKey: req.headers["idempotency-key"] ?? null,
        });
        return reply.status(202).send(out);
      } catch (err) {
        if (err instanceof WebhookRateLimited) reply.header("retry-after", String(err.retryAfterS));
        throw err;
      }
    },
  );
}
