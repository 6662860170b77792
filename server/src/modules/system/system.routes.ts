import { listQuerySchema } from "@siyu/contracts";
import { z } from "zod";
import { AppError } from "../../platform/errors.ts";
import { queueNames } from "../../platform/jobs/jobs.ts";
import type { Api, Platform } from "../../platform/platform.ts";

export const version = "0.1.0";

const countsSchema = z.object({
  waiting: z.number(),
  delayed: z.number(),
  active: z.number(),
  completed: z.number(),
  failed: z.number(),
  dead: z.number(),
});

export function systemRoutes(api: Api, platform: Platform) {
  api.get(
    "/system/overview",
    {
      schema: {
        tags: ["system"],
        response: {
          200: z.object({
            tenant: z.object({ id: z.string(), name: z.string() }),
            users: z.number(),
            queues: z.record(z.string(), countsSchema),
            mode: z.enum(["embedded", "cluster"]),
            role: z.enum(["all", "api", "worker"]),
            jobsDriver: z.string(),
            version: z.string(),
          }),
        },
      },
    },
    async (req) => {
      const auth = req.caller();
      const { tenant, users } = await req.inTenant(async (s) => {
        const [t] = await s.query<{ id: string; name: string }>(
          "select id, name from tenants where id = $1",
          [auth.tenantId],
        );
        const [u] = await s.query<{ n: number }>(
          "select count(*)::int as n from users where deleted_at is null",
        );
        return { tenant: t!, users: u?.n ?? 0 };
      });
      const queues = await platform.jobs.counts();
      return {
        tenant,
        users,
        queues: Object.fromEntries(queueNames.map((q) => [q, queues[q]])),
        mode: platform.config.mode,
        role: platform.config.role,
        jobsDriver: platform.jobs.driver,
        version,
      };
    },
  );

  const deadSchema = z.object({
    id: z.string(),
    name: z.string(),
    queue: z.string(),
    error: z.string(),
    attempts: z.number(),
    failedAt: z.string(),
  });
  // Dead letters are platform-wide (jobs carry no tenant of their own): platform admins only.
  api.get(
    "/system/dead-letters",
    {
      config: { platformAdmin: true },
      schema: {
        tags: ["system"],
        querystring: listQuerySchema,
        response: { 200: z.object({ items: z.array(deadSchema), nextCursor: z.null() }) },
      },
    },
    async (req) => {
      const items = await platform.jobs.deadLetters({ limit: req.query.limit });
      return { items: items.map(({ data: _data, ...rest }) => rest), nextCursor: null };
    },
  );

  api.post(
    "/system/dead-letters/:id/retry",
    {
      config: { platformAdmin: true, resource: "dead_letter" },
      schema: {
        tags: ["system"],
        params: z.object({ id: z.string().max(100) }),
        response: { 200: z.object({ ok: z.literal(true) }) },
      },
    },
    async (req) => {
      await platform.jobs.retryDead(req.params.id).catch((err: unknown) => {
        throw new AppError("not_found", err instanceof Error ? err.message : "dead letter not found");
      });
      await req.inTenant((s) =>
        platform.audit.record(s, req.actor(), {
          action: "job.dead_letter_retried",
          targetType: "job",
          targetId: req.params.id,
        }),
      );
      return { ok: true as const };
    },
  );
}
