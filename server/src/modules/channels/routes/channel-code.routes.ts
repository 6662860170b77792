import type { FastifyRequest } from "fastify";
import QRCode from "qrcode";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import type { Caller } from "../live-codes.service.ts";

// What the channel-code route files (live codes, group live codes, OA QR codes) share: the `:id`
// params, the caller of an operation, the mapping of an engine's refusals, and the QR PNG route.
// Their other routes differ in services, bodies and answers, so each file keeps them.

export const channelCodeIdParams = z.object({ id: z.string().min(1).max(100) });

/** The operation caller of a request: tenant, user, actor and the audit log. */
export function channelCaller(platform: Platform): (req: FastifyRequest) => Caller {
  return (req) => {
    const auth = req.caller();
    return {
      tenantId: auth.tenantId,
      userId: auth.userId ?? null,
      actor: req.actor(),
      audit: platform.audit,
    };
  };
}

/** Runs an operation that calls an engine, mapping its refusals (`wecomRouteError`, `oaRouteError`). */
export function engineGuard(mapError: (err: unknown) => unknown): <T>(fn: () => Promise<T>) => Promise<T> {
  return async (fn) => {
    try {
      return await fn();
    } catch (err) {
      throw mapError(err);
    }
  };
}

/**
 * `GET <path>/:id/qr.png?size=`: the code as a PNG for print and download. `target` reads the code
 * (404 when not the tenant's) and says what the QR encodes and the file's name.
 */
export function channelCodeQrRoute(
  api: Api,
  input: {
    path: string;
    tags: string[];
    resource: string;
    target(req: FastifyRequest, id: string): Promise<{ text: string; filename: string }>;
  },
): void {
  api.get(
    `${input.path}/:id/qr.png`,
    {
      config: { permission: "channels.read", resource: input.resource },
      schema: {
        tags: input.tags,
        params: channelCodeIdParams,
        querystring: z.object({ size: z.coerce.number().int().min(128).max(2048).default(512) }),
      },
    },
    async (req, reply) => {
      const { text, filename } = await input.target(req, req.params.id);
      const png = await QRCode.toBuffer(text, {
        type: "png",
        width: req.query.size,
        margin: 2,
        errorCorrectionLevel: "M",
      });
      return reply
        .type("image/png")
        .header("content-disposition", `inline; filename="${filename}"`)
        .send(png);
    },
  );
}
