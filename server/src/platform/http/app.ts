import { existsSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyContextConfig,
  type FastifyRequest,
  LogController,
} from "fastify";
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { Scope } from "../db/index.ts";
import { AppError } from "../errors.ts";
import { newId } from "../ids/ids.ts";
import type { Api, Module, Platform } from "../platform.ts";
import { type Authenticator, actorOf } from "./auth-context.ts";
import { errorHandler, sendError } from "./errors.ts";
import { registerOps } from "./ops.ts";
import "./fastify.d.ts";

export interface AppOptions {
  platform: Platform;
  modules: Module[];
  authenticate: Authenticator;
  /** Extra readiness checks (Redis). */
  readiness?: Array<() => Promise<void>>;
}

const bearer = /^Bearer\s+(\S+)$/i;

function hasNul(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (depth > 32 || value === null || typeof value !== "object") return false;
  // Streams (CSV uploads) and buffers are checked by their own parsers.
  if (Buffer.isBuffer(value) || typeof (value as { pipe?: unknown }).pipe === "function") return false;
  for (const v of Array.isArray(value) ? value : Object.values(value)) if (hasNul(v, depth + 1)) return true;
  return false;
}

export interface RouteInfo {
  method: string;
  url: string;
  config: FastifyContextConfig;
  hasBody: boolean;
}

/** Builds the HTTP app: ops routes, `/api` (authenticated by default), callbacks, the web console. */
export async function buildApp(options: AppOptions): Promise<Api> {
  const { platform, modules, authenticate } = options;
  const app = Fastify({
    loggerInstance: platform.log as FastifyBaseLogger,
    bodyLimit: platform.config.bodyLimit,
    requestIdHeader: "x-request-id",
    genReqId: () => newId("req"),
    // Per-request lines only at debug/trace: the metrics carry request counts and latencies.
    logController: new LogController({
      disableRequestLogging: platform.config.logLevel !== "debug" && platform.config.logLevel !== "trace",
    }),
    trustProxy: true,
    // Embedded PGlite runs on this thread: a process resuming heavy work (10,000 due flow timers)
    // can hold the loop long enough to trip avvio's default 10 s per plugin at start.
    pluginTimeout: 120_000,
    routerOptions: { maxParamLength: 200 },
    // Undecodable or over-long paths are refused before routing: in the one error shape too.
    frameworkErrors: (err, req, reply) => errorHandler(err, req, reply),
  }).withTypeProvider<ZodTypeProvider>();

  // Every route with its config, for the cross-tenant suite and the route inventory.
  const routes: RouteInfo[] = [];
  app.decorate("siyuRoutes", routes);
  app.addHook("onRoute", (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const method of methods) {
      routes.push({
        method: String(method),
        url: r.url,
        config: (r.config ?? {}) as RouteInfo["config"],
        hasBody: Boolean(r.schema?.body),
      });
    }
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);

  app.decorateRequest("auth", null);
  app.decorateRequest("caller", function caller(this: FastifyRequest) {
    if (!this.auth) throw new AppError("unauthorized", "authentication required");
    return this.auth;
  });
  app.decorateRequest("inTenant", function inTenant<T>(this: FastifyRequest, fn: (s: Scope) => Promise<T>) {
    return platform.db.tenant(this.caller().tenantId, fn);
  });
  app.decorateRequest("actor", function actor(this: FastifyRequest) {
    return actorOf(this.auth, this.ip, this.id);
  });
  // PostgreSQL text cannot hold NUL; refuse it at the door instead of failing deep in a query.
  app.addHook("preValidation", async (req) => {
    for (const [where, value] of [
      ["query", req.query],
      ["params", req.params],
      ["body", req.body],
    ] as const) {
      if (hasNul(value))
        throw new AppError("validation_failed", `the ${where} contains a NUL character`, { field: where });
    }
  });
  app.addHook("onSend", async (req, reply) => {
    reply.header("x-request-id", req.id);
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: "Siyu API", version: "0.1.0", description: "Siyu (私域) SCRM REST API" },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    hideUntagged: false,
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/api/docs" });

  await registerOps(app, platform, options.readiness ?? []);

  await app.register(
    async (api: Api) => {
      api.addHook("onRequest", async (req) => {
        const config = req.routeOptions.config;
        const header = req.headers.authorization;
        const match = typeof header === "string" ? bearer.exec(header) : null;
        if (config.public) {
          // Public routes still learn the caller when a valid token comes along (logout).
          if (match) req.auth = await authenticate(match[1]!).catch(() => null);
          return;
        }
        if (!match) throw new AppError("unauthorized", "missing bearer token");
        req.auth = await authenticate(match[1]!);
        if (config.platformAdmin && !req.auth.platformAdmin)
          throw new AppError("forbidden", "platform admins only");
        if (config.permission && !req.auth.permissions.has(config.permission)) {
          throw new AppError("forbidden", `permission ${config.permission} required`);
        }
      });
      api.get("/openapi.json", { config: { public: true }, schema: { hide: true } }, async () =>
        app.swagger(),
      );
      for (const m of modules) await m.routes?.(api, platform);
    },
    { prefix: "/api" },
  );

  await app.register(async (cb: Api) => {
    for (const m of modules) await m.callbacks?.(cb, platform);
  });

  const webDir = platform.config.webDir;
  const hasWeb = webDir !== undefined && existsSync(join(webDir, "index.html"));
  if (hasWeb) {
    await app.register(fastifyStatic, { root: webDir, wildcard: false, index: ["index.html"] });
  }

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0] ?? "";
    if (path.startsWith("/api/") || path === "/api" || path.startsWith("/callbacks/")) {
      return sendError(reply, "route_not_found", `no route ${req.method} ${path}`);
    }
    if (hasWeb && req.method === "GET" && !path.includes(".")) {
      // Client-side routes of the single-page console.
      return reply.type("text/html").sendFile("index.html");
    }
    return sendError(reply, "route_not_found", `no route ${req.method} ${path}`);
  });

  return app;
}
