import { loginBodySchema, loginResultSchema, permissionSchema, roleSchema } from "@siyu/contracts";
import { z } from "zod";
import { notFound } from "../../../platform/errors.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { login } from "../ops/login.ts";

const meSchema = z.object({
  user: z.object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    tenantId: z.string(),
    roles: z.array(roleSchema),
    permissions: z.array(permissionSchema),
    platformAdmin: z.boolean(),
    dataScope: z.enum(["own", "department", "all"]),
  }),
  tenant: z.object({ id: z.string(), name: z.string(), timezone: z.string(), cipher: z.string() }),
});

export function authRoutes(api: Api, platform: Platform) {
  api.post(
    "/auth/login",
    {
      config: { public: true },
      schema: { tags: ["auth"], body: loginBodySchema, response: { 200: loginResultSchema } },
    },
    async (req) => {
      const out = await login(platform, {
        email: req.body.email,
        password: req.body.password,
        ip: req.ip,
        userAgent: req.headers["user-agent"] ?? null,
        requestId: req.id,
      });
      return { token: out.token, user: out.user, expiresAt: out.expiresAt.toISOString() };
    },
  );

  api.post(
    "/auth/logout",
    { schema: { tags: ["auth"], response: { 200: z.object({ ok: z.literal(true) }) } } },
    async (req) => {
      const auth = req.caller();
      if (auth.sessionId) {
        await req.inTenant(async (s) => {
          await s.query("update sessions set revoked_at = now() where id = $1 and revoked_at is null", [
            auth.sessionId,
          ]);
          await platform.audit.record(s, req.actor(), {
            action: "auth.logout",
            targetType: "session",
            targetId: auth.sessionId,
          });
        });
      }
      return { ok: true as const };
    },
  );

  api.get("/auth/me", { schema: { tags: ["auth"], response: { 200: meSchema } } }, async (req) => {
    const auth = req.caller();
    return req.inTenant(async (s) => {
      const [t] = await s.query<{ id: string; name: string; timezone: string; cipher: string }>(
        "select id, name, timezone, cipher from tenants where id = $1",
        [auth.tenantId],
      );
      const [u] = auth.userId
        ? await s.query<{ name: string }>("select name from users where id = $1", [auth.userId])
        : [];
      return {
        user: {
          id: auth.userId ?? auth.apiKeyId ?? "",
          email: auth.email ?? "",
          name: u?.name ?? "API key",
          tenantId: auth.tenantId,
          roles: auth.roles,
          permissions: [...auth.permissions],
          platformAdmin: auth.platformAdmin,
          dataScope: auth.dataScope,
        },
        tenant: t!,
      };
    });
  });

  const sessionSchema = z.object({
    id: z.string(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    createdAt: z.string(),
    expiresAt: z.string(),
    current: z.boolean(),
  });
  api.get(
    "/auth/sessions",
    {
      schema: {
        tags: ["auth"],
        response: { 200: z.object({ items: z.array(sessionSchema), nextCursor: z.null() }) },
      },
    },
    async (req) => {
      const auth = req.caller();
      const rows = await req.inTenant((s) =>
        s.query<{
          id: string;
          ip: string | null;
          user_agent: string | null;
          created_at: Date;
          expires_at: Date;
        }>(
          `select id, ip, user_agent, created_at, expires_at from sessions
            where user_id = $1 and revoked_at is null and expires_at > now() order by created_at desc limit 100`,
          [auth.userId],
        ),
      );
      return {
        items: rows.map((r) => ({
          id: r.id,
          ip: r.ip,
          userAgent: r.user_agent,
          createdAt: r.created_at.toISOString(),
          expiresAt: r.expires_at.toISOString(),
          current: r.id === auth.sessionId,
        })),
        nextCursor: null,
      };
    },
  );

  api.delete(
    "/auth/sessions/:id",
    {
      config: { resource: "session" },
      schema: {
        tags: ["auth"],
        params: z.object({ id: z.string().max(100) }),
        response: { 200: z.object({ ok: z.literal(true) }) },
      },
    },
    async (req) => {
      const auth = req.caller();
      await req.inTenant(async (s) => {
        const rows = await s.query(
          "update sessions set revoked_at = coalesce(revoked_at, now()) where id = $1 and user_id = $2 returning id",
          [req.params.id, auth.userId],
        );
        if (!rows.length) throw notFound("session");
        await platform.audit.record(s, req.actor(), {
          action: "auth.session_revoked",
          targetType: "session",
          targetId: req.params.id,
        });
      });
      return { ok: true as const };
    },
  );
}
