import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import QRCode from "qrcode";
import { applyInjectedFaults, jsonObjectBody, preparePlatformApp } from "../shared/platform-plugin.ts";
import type { OaAccount } from "./account.ts";
import { type Json, oaApis } from "./api.ts";
import { OaError, oaErrcodes, oaErrmsg } from "./errcodes.ts";
import type { OaSandbox } from "./sandbox.ts";
import { registerOaSimRoutes } from "./sim.routes.ts";

export interface OaSandboxPluginOptions {
  sandbox: OaSandbox;
}

/**
 * A Fastify plugin serving the Official Account's real paths (`/cgi-bin/…`) and the simulator's own
 * `/_sim/…` API. Register it under a prefix: the connector's apiBase is then `<origin><prefix>`.
 */
export function oaSandbox(options: OaSandboxPluginOptions) {
  const { sandbox } = options;
  return async function oaSandboxPlugin(app: FastifyInstance): Promise<void> {
    const answer = (reply: FastifyReply, errcode: number, message: string) =>
      reply.code(200).send({ errcode, errmsg: oaErrmsg(message, randomBytes(8).toString("hex")) });
    preparePlatformApp(app, {
      answer,
      platformError: (err) => (err instanceof OaError ? err : undefined),
      errcodes: oaErrcodes,
      logMessage: "OA sandbox error",
    });
    const bodyOf = (req: FastifyRequest): Json => jsonObjectBody(req, () => new OaError(47001));

    /** Injected faults, the per-minute rate (45011) and the daily quota (45009); true when answered. */
    async function applyLimits(account: OaAccount, api: string, reply: FastifyReply): Promise<boolean> {
      const faults = { answer, errcodes: oaErrcodes, rateErrcode: 45011, now: () => sandbox.clock.now() };
      if (await applyInjectedFaults(account, api, reply, faults)) return true;
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
