import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { oaMessageModes } from "../../connectors/official-account/index.ts";
import { SimHttpError } from "../shared/platform-plugin.ts";
import type { OaAccount } from "./account.ts";
import type { OaDelivery } from "./callback-sender.ts";
import type { OaSandbox } from "./sandbox.ts";

/** A 4xx of the sim API, in Siyu's error shape. */
export class OaSimHttpError extends SimHttpError {
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(status, code, message, details, "OaSimHttpError");
  }
}

const openid = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const unionid = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const callback = z
  .object({
    url: z
      .string()
      .url()
      .max(1000)
      .refine((u) => /^https?:\/\//.test(u), "http(s) URL"),
    token: z.string().regex(/^[A-Za-z0-9]{3,32}$/, "3..32 letters or digits"),
    encodingAesKey: z
      .string()
      .regex(/^[A-Za-z0-9]{43}$/, "43 letters or digits")
      .optional(),
    mode: z.enum(oaMessageModes),
  })
  .strict()
  .refine((c) => c.mode === "plain" || c.encodingAesKey, "compatible and safe mode need an encodingAesKey");
const scene = z.string().min(1).max(64);

const schemas = {
  createAccount: z
    .object({
      appId: z
        .string()
        .regex(/^wx[A-Za-z0-9]{6,30}$/)
        .optional(),
      secret: z
        .string()
        .regex(/^[A-Za-z0-9]{8,64}$/)
        .optional(),
      originalId: z
        .string()
        .regex(/^gh_[A-Za-z0-9]{4,30}$/)
        .optional(),
      name: z.string().min(1).max(64).optional(),
      callback: callback.optional(),
    })
    .strict(),
  updateAccount: z
    .object({
      secret: z
        .string()
        .regex(/^[A-Za-z0-9]{8,64}$/)
        .optional(),
      name: z.string().min(1).max(64).optional(),
      callback: callback.nullable().optional(),
      ipBlocked: z.boolean().optional(),
      templateFailureRate: z.number().min(0).max(1).optional(),
    })
    .strict(),
  seed: z
    .object({
      count: z.number().int().min(1).max(1_000_000),
      /** Share of followers that get a (fresh) unionid; default 1. */
      unionidShare: z.number().min(0).max(1).optional(),
      /** Unionids for the first followers (e.g. those of WeCom contacts: the same people). */
      unionids: z.array(unionid).max(1_000_000).optional(),
      /** `{i}` is replaced by the follower's index plus `offset`: deterministic unionids for benches. */
      unionidTemplate: z
        .string()
        .regex(/^[A-Za-z0-9_-]{0,40}\{i\}[A-Za-z0-9_-]{0,20}$/)
        .optional(),
      offset: z.number().int().min(0).optional(),
    })
    .strict(),
  follow: z
    .object({
      openid: openid.optional(),
      unionid: unionid.optional(),
      scene: scene.optional(),
      ticket: z.string().min(1).max(200).optional(),
      subscribeScene: z
        .string()
        .regex(/^ADD_SCENE_[A-Z_]{1,40}$/)
        .optional(),
    })
    .strict(),
  openidOnly: z.object({ openid }).strict(),
  updateFollower: z
    .object({ unionid: unionid.nullable().optional(), blocksTemplates: z.boolean().optional() })
    .strict(),
  message: z
    .object({
      openid,
      type: z.enum(["text", "image", "voice", "video", "shortvideo", "location", "link"]).default("text"),
      content: z.string().max(2048).optional(),
      fields: z.record(z.string().regex(/^[A-Za-z_]{1,40}$/), z.string().max(2048)).optional(),
    })
    .strict(),
  click: z.object({ openid, key: z.string().min(1).max(128) }).strict(),
  view: z
    .object({ openid, url: z.string().min(1).max(1024), menuId: z.string().max(32).optional() })
    .strict(),
  location: z
    .object({ openid, latitude: z.number(), longitude: z.number(), precision: z.number().optional() })
    .strict(),
  fault: z
    .object({
      api: z.string().regex(/^(\*|[a-z_/]{1,80})$/),
      errcode: z.number().int().optional(),
      httpStatus: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).optional(),
      delayMs: z.number().int().min(0).max(60_000).optional(),
      times: z.number().int().min(1).max(1_000_000).nullable().optional(),
    })
    .strict(),
  callbackFaults: z
    .object({
      duplicates: z.number().int().min(0).max(5).optional(),
      reorderWindow: z.number().int().min(0).max(50).optional(),
    })
    .strict(),
  quota: z
    .object({ api: z.string().regex(/^[a-z_/]{1,80}$/), limit: z.number().int().min(0).max(100_000_000) })
    .strict(),
  ratePerMinute: z
    .object({ api: z.string().regex(/^[a-z_/]{1,80}$/), limit: z.number().int().min(0).max(10_000_000) })
    .strict(),
  template: z
    .object({
      template_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
      title: z.string().min(1).max(64),
      content: z.string().min(1).max(2000),
    })
    .strict(),
  advance: z
    .object({
      ms: z
        .number()
        .int()
        .min(0)
        .max(400 * 86_400_000),
    })
    .strict(),
};

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  let value = body;
  if (typeof body === "string") {
    try {
      value = body.trim() === "" ? {} : JSON.parse(body);
    } catch {
      throw new OaSimHttpError(400, "invalid_json", "the body is not JSON");
    }
  }
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw new OaSimHttpError(400, "validation_failed", "invalid body", result.error.issues);
  }
  return result.data;
}

export function accountJson(a: OaAccount) {
  return {
    appId: a.appId,
    secret: a.secret,
    originalId: a.originalId,
    name: a.name,
    callback: a.callback ?? null,
    followers: a.followers.size,
    subscribed: a.subscribedCount(),
    tags: a.tags,
    menu: a.menu,
    conditionalMenus: a.conditionalMenus,
    templates: a.templates,
    quotas: a.quotas,
    quotaUsed: a.quotaUsed,
  };
}

const deliveryJson = (d: OaDelivery) => d;

/**
 * The simulator's own JSON API (`/_sim/…`): make accounts, seed followers, act as WeChat users
 * (follow via a scene, scan, message, click, view, unfollow), inject faults, read what was delivered.
 * Action answers carry the delivery record; `?wait=1` waits for it to finish (reply included).
 */
export function registerOaSimRoutes(sim: FastifyInstance, sandbox: OaSandbox): void {
  const accountOf = (req: FastifyRequest): OaAccount => {
    const { appId } = req.params as { appId: string };
    const a = sandbox.account(appId);
    if (!a) throw new OaSimHttpError(404, "not_found", `no account ${appId}`);
    return a;
  };
  const waitFor = async (req: FastifyRequest, d: OaDelivery) => {
    if ((req.query as { wait?: string }).wait === "1") {
      await sandbox.callbacks.flush(d.appId);
    }
    return deliveryJson(d);
  };

  sim.get("/accounts", async () => ({ items: [...sandbox.accounts.values()].map(accountJson) }));
  sim.post("/accounts", async (req, reply) => {
    const body = parse(schemas.createAccount, req.body);
    if (body.appId && sandbox.account(body.appId))
      throw new OaSimHttpError(409, "conflict", "the appId exists");
    const a = sandbox.createAccount(body);
    return reply.code(201).send(accountJson(a));
  });
  sim.get("/accounts/:appId", async (req) => accountJson(accountOf(req)));
  sim.patch("/accounts/:appId", async (req) => {
    const a = accountOf(req);
    const body = parse(schemas.updateAccount, req.body);
    if (body.secret) {
      a.secret = body.secret;
    }
    if (body.name) a.name = body.name;
    if (body.callback !== undefined) a.callback = body.callback ?? undefined;
    if (body.ipBlocked !== undefined) a.ipBlocked = body.ipBlocked;
    if (body.templateFailureRate !== undefined) a.templateFailureRate = body.templateFailureRate;
    sandbox.changed(a);
    return accountJson(a);
  });

  sim.post("/accounts/:appId/followers/seed", async (req, reply) => {
    const a = accountOf(req);
    const started = performance.now();
    const result = sandbox.seedFollowers(a, parse(schemas.seed, req.body));
    return reply.code(201).send({ ...result, ms: Math.round(performance.now() - started) });
  });
  sim.get("/accounts/:appId/followers", async (req) => {
    const a = accountOf(req);
    const q = req.query as { limit?: string; offset?: string };
    const limit = Math.min(Math.max(Number(q.limit ?? 100) || 100, 1), 1000);
    const offset = Math.max(Number(q.offset ?? 0) || 0, 0);
    return {
      total: a.followers.size,
      items: a.order.slice(offset, offset + limit).map((o) => a.followers.get(o)),
    };
  });
  sim.get("/accounts/:appId/followers/:openid", async (req) => {
    const a = accountOf(req);
    const f = a.followers.get((req.params as { openid: string }).openid);
    if (!f) throw new OaSimHttpError(404, "not_found", "no such follower");
    return f;
  });
  sim.patch("/accounts/:appId/followers/:openid", async (req) => {
    const a = accountOf(req);
    const f = a.followers.get((req.params as { openid: string }).openid);
    if (!f) throw new OaSimHttpError(404, "not_found", "no such follower");
    const body = parse(schemas.updateFollower, req.body);
    if (body.unionid !== undefined) {
      if (body.unionid === null) delete f.unionid;
      else f.unionid = body.unionid;
    }
    if (body.blocksTemplates !== undefined) f.blocksTemplates = body.blocksTemplates;
    sandbox.changed(a);
    return f;
  });

  // ---- WeChat users acting ----
  sim.post("/accounts/:appId/follow", async (req) => {
    const a = accountOf(req);
    const r = sandbox.follow(a, parse(schemas.follow, req.body));
    return { openid: r.openid, event: r.event, delivery: await waitFor(req, r.delivery) };
  });
  sim.post("/accounts/:appId/unfollow", async (req) => {
    const a = accountOf(req);
    return { delivery: await waitFor(req, sandbox.unfollow(a, parse(schemas.openidOnly, req.body).openid)) };
  });
  sim.post("/accounts/:appId/message", async (req) => {
    const a = accountOf(req);
    const b = parse(schemas.message, req.body);
    const fields = { ...(b.fields ?? {}), ...(b.type === "text" ? { Content: b.content ?? "" } : {}) };
    return { delivery: await waitFor(req, sandbox.message(a, b.openid, b.type, fields)) };
  });
  sim.post("/accounts/:appId/click", async (req) => {
    const a = accountOf(req);
    const b = parse(schemas.click, req.body);
    return { delivery: await waitFor(req, sandbox.event(a, b.openid, "CLICK", { EventKey: b.key })) };
  });
  sim.post("/accounts/:appId/view", async (req) => {
    const a = accountOf(req);
    const b = parse(schemas.view, req.body);
    return {
      delivery: await waitFor(req, sandbox.event(a, b.openid, "VIEW", { EventKey: b.url, MenuId: b.menuId })),
    };
  });
  sim.post("/accounts/:appId/location", async (req) => {
    const a = accountOf(req);
    const b = parse(schemas.location, req.body);
    return {
      delivery: await waitFor(
        req,
        sandbox.event(a, b.openid, "LOCATION", {
          Latitude: String(b.latitude),
          Longitude: String(b.longitude),
          Precision: String(b.precision ?? 30),
        }),
      ),
    };
  });
  sim.post("/accounts/:appId/verify-url", async (req) => sandbox.callbacks.verifyUrl(accountOf(req)));

  // ---- inspection ----
  sim.get("/accounts/:appId/deliveries", async (req) => {
    const a = accountOf(req);
    const q = req.query as { limit?: string };
    const limit = Math.min(Math.max(Number(q.limit ?? 100) || 100, 1), 10_000);
    return { items: sandbox.callbacks.deliveries(a.appId).slice(-limit) };
  });
  sim.post("/accounts/:appId/flush", async (req) => {
    await sandbox.callbacks.flush(accountOf(req).appId);
    return { ok: true };
  });
  sim.get("/accounts/:appId/qrcodes", async (req) => ({ items: [...accountOf(req).qrcodes.values()] }));
  sim.get("/accounts/:appId/template-sends", async (req) => ({ items: accountOf(req).templateSends }));
  sim.post("/accounts/:appId/templates", async (req, reply) => {
    const a = accountOf(req);
    const t = parse(schemas.template, req.body);
    a.templates = [...a.templates.filter((x) => x.template_id !== t.template_id), t];
    sandbox.changed(a);
    return reply.code(201).send(t);
  });

  // ---- faults ----
  sim.post("/accounts/:appId/faults", async (req, reply) => {
    const a = accountOf(req);
    const b = parse(schemas.fault, req.body);
    const rule = a.faults.arm({ ...b, times: b.times === undefined ? 1 : b.times });
    return reply.code(201).send(rule);
  });
  sim.delete("/accounts/:appId/faults", async (req) => {
    accountOf(req).faults.clear();
    return { ok: true };
  });
  sim.put("/accounts/:appId/faults/callbacks", async (req) => {
    const b = parse(schemas.callbackFaults, req.body);
    return accountOf(req).faults.setCallbackFaults(b);
  });
  sim.put("/accounts/:appId/faults/rate", async (req) => {
    const a = accountOf(req);
    const b = parse(schemas.ratePerMinute, req.body);
    a.faults.ratePerMinute.set(b.api, b.limit);
    return { api: b.api, limit: b.limit };
  });
  sim.put("/accounts/:appId/quota", async (req) => {
    const a = accountOf(req);
    const b = parse(schemas.quota, req.body);
    a.quotas[b.api] = b.limit;
    sandbox.changed(a);
    return { api: b.api, limit: b.limit, used: a.quotaUsed[b.api] ?? 0 };
  });
  sim.post("/accounts/:appId/expire-tokens", async (req) => ({
    expired: sandbox.expireTokens(accountOf(req).appId),
  }));
  sim.post("/clock/advance", async (req) => {
    sandbox.advance(parse(schemas.advance, req.body).ms);
    return { now: new Date(sandbox.clock.now()).toISOString() };
  });
}
