import { z } from "zod";
import { listRotations, startKeyRotation } from "../../platform/crypto/index.ts";
import type { Api, Platform } from "../../platform/platform.ts";
import { rotateKeysJob } from "./rotate-keys.job.ts";

const rotationSchema = z.object({
  id: z.string(),
  status: z.enum(["running", "completed", "failed"]),
  fromVersion: z.number(),
  toVersion: z.number(),
  rowsDone: z.number(),
  rowsTotal: z.number(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
});

/**
 * Data keys are platform-wide (every tenant's values are under the same key versions), so rotating
 * them is for platform admins; tenants choose their cipher in tenant settings.
 */
export function encryptionRoutes(api: Api, platform: Platform) {
  api.get(
    "/settings/encryption",
    {
      config: { permission: "settings.read" },
      schema: {
        tags: ["settings"],
        response: {
          200: z.object({
            keyVersion: z.number(),
            rotations: z.array(rotationSchema),
            canRotate: z.boolean(),
          }),
        },
      },
    },
    async (req) => ({
      keyVersion: platform.crypto.keyVersion,
      rotations: await listRotations(platform.db, 10),
      canRotate: req.caller().platformAdmin,
    }),
  );

  api.post(
    "/settings/encryption/rotate",
    {
      config: { platformAdmin: true },
      schema: { tags: ["settings"], response: { 202: z.object({ rotationId: z.string() }) } },
    },
    async (req, reply) => {
      const rotationId = await startKeyRotation({ db: platform.db, crypto: platform.crypto });
      await req.inTenant((s) =>
        platform.audit.record(s, req.actor(), {
          action: "crypto.rotation_started",
          targetType: "key_rotation",
          targetId: rotationId,
        }),
      );
      await platform.jobs.send(rotateKeysJob.name, { rotationId }, { key: rotationId });
      return reply.status(202).send({ rotationId });
    },
  );
}
