import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import QRCode from "qrcode";
import type { OaAccount } from "./account.ts";
import { type Json, oaApis } from "./api.ts";
import { OaError, oaErrcodes, oaErrmsg } from "./errcodes.ts";
import type { OaSandbox } from "./sandbox.ts";
import { OaSimHttpError, registerOaSimRoutes } from "./sim.routes.ts";

export interface OaSandboxPluginOptions {
  sandbox: OaSandbox;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A Fastify plugin serving the Official Account's real paths (`/cgi-bin/…`) and the simulator's own
 * `/_sim/…` API. Register it under a prefix: the connector's apiBase is then `<origin><prefix>`.
 */
export function oaSandbox(options: OaSandboxPluginOptions) {
  const { sandbox } = options;
  return async function oaSandboxPlugin(app: FastifyInstance): Promise<void> {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));

    const answer = (reply: FastifyReply, errcode: number, message: string) =>
      reply.code(200).send({ errcode, errmsg: oaErrmsg(message, randomBytes(8).toString("hex")) });

    app.setErrorHandler((err: Error & { statusCode?: number; status?: number }, req, reply) => {
      if (err instanceof OaError) return answer(reply, err.errcode, err.message);
      if (err instanceof OaSimHttpError) {
        return reply.code(err.status).send({
          error: {
            code: err.code,
            message: err.message,
            ...(err.details !== undefined ? { details: err.details } : {}),
          },
        });
      }
      const given = err.statusCode ?? err.status;
      const status = typeof given === "number" && given >= 400 && given < 500 ? given : 500;
      if (req.url.includes("/cgi-bin/"))
        return status < 500 ? answer(reply, 47001, oaErrcodes[47001]) : answer(reply, -1, oaErrcodes[-1]);
      if (status >= 500) req.log.error({ err }, "OA sandbox error");
      return reply.code(status).send({
        error: {
          code: status === 413 ? "payload_too_large" : status < 500 ? "bad_request" : "internal_error",
          message: status < 500 ? err.message : "internal error",
        },
      });
    });
    app.setNotFoundHandler((req, reply) => {
      const message = `no route ${req.method} ${req.url.split("?")[0]}`;
      return reply.code(404).send({ error: { code: "route_not_found", message } });
    });

    const bodyOf = (req: FastifyRequest): Json => {
      const raw = typeof req.body === "string" ? req.body : "";
      let parsed: unknown;
      try {
        parsed = raw.trim() === "" ? {} : JSON.parse(raw);
      } catch {
        throw new OaError(47001);
      }
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new OaError(47001);
      return parsed as Json;
    };

    /** Injected faults, the per-minute rate (45011) and the daily quota (45009); true when answered. */
    async function applyLimits(account: OaAccount, api: string, reply: FastifyReply): Promise<boolean> {
      const effect = account.faults.take(api);
      if (effect?.delayMs) await sleep(effect.delayMs);
      if (effect?.httpStatus) {
        reply
          .code(effect.httpStatus)
          .type("text/html")
          .send(`<html><body>${effect.httpStatus}</body></html>`);
        return true;
      }
      if (effect?.errcode !== undefined) {
        answer(
          reply,
          effect.errcode,
          (oaErrcodes as Record<number, string>)[effect.errcode] ?? "injected error",
        );
        return true;
      }
      if (!account.faults.allow(api, sandbox.clock.now())) {
        answer(reply, 45011, oaErrcodes[45011]);
        return true;
      }
      if (!sandbox.takeQuota(account, api)) {
        answer(reply, 45009, oaErrcodes[45009]);
        return true;
      }
      return false;
    }

    app.get("/cgi-bin/token", async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      if (q.grant_type !== "client_credential") throw new OaError(47001, "grant_type");
      const account = q.appid ? sandbox.account(q.appid) : undefined;
      if (account && (await applyLimits(account, "token", reply))) return reply;
      return sandbox.issueToken(q.appid, q.secret);
    });
    app.post("/cgi-bin/stable_token", async (req, reply) => {
      const b = bodyOf(req);
      if (b.grant_type !== "client_credential") throw new OaError(47001, "grant_type");
      const appid = typeof b.appid === "string" ? b.appid : undefined;
      const account = appid ? sandbox.account(appid) : undefined;
      if (account && (await applyLimits(account, "stable_token", reply))) return reply;
      return sandbox.issueStableToken(
        appid,
        typeof b.secret === "string" ? b.secret : undefined,
        b.force_refresh === true,
      );
    });
    app.post("/cgi-bin/clear_quota", async (req) => {
      const account = sandbox.authenticate((req.query as { access_token?: string }).access_token);
      const b = bodyOf(req);
      if (b.appid !== account.appId) throw new OaError(40013);
      sandbox.clearQuota(account);
      return { errcode: 0, errmsg: "ok" };
    });
    // The QR image of a ticket (no token, as on mp.weixin.qq.com).
    app.get("/cgi-bin/showqrcode", async (req, reply) => {
      const ticket = (req.query as { ticket?: string }).ticket ?? "";
      for (const account of sandbox.accounts.values()) {
        const qr = account.qrcodes.get(ticket);
        if (!qr) continue;
        if (qr.expires_at !== null && qr.expires_at <= sandbox.clock.now()) break;
        const png = await QRCode.toBuffer(qr.url, { type: "png", margin: 1, width: 430 });
        return reply.type("image/png").send(png);
      }
      return reply.code(404).type("text/html").send("<html><body>ticket not found or expired</body></html>");
    });

    for (const [path, route] of Object.entries(oaApis)) {
      app.route({
        method: route.method,
        url: `/cgi-bin/${path}`,
        handler: async (req: FastifyRequest, reply: FastifyReply) => {
          const query = req.query as Record<string, string | undefined>;
          const token = query.access_token;
          const faulty = sandbox.accountOfToken(token);
          if (faulty && (await applyLimits(faulty, path, reply))) return reply;
          const account = sandbox.authenticate(token);
          const input: Json = route.method === "GET" ? (query as Json) : bodyOf(req);
          const origin = `${req.protocol}://${req.host}`;
          const result = route.handler({ sandbox, account, input, origin });
          // A 200,000-follower account is tens of MB of JSON: only writes schedule a save.
          if (route.method === "POST" && !route.reads) sandbox.changed(account);
          return path.startsWith("user/") || path.startsWith("tags/get") || path === "menu/get"
            ? result
            : { errcode: 0, errmsg: "ok", ...result };
        },
      });
    }

    await app.register(async (sim) => registerOaSimRoutes(sim, sandbox), { prefix: "/_sim" });
  };
}
