import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { SimError } from "./actions.ts";
import { contactWayApis } from "./api/contact-ways.api.ts";
import { contactApis } from "./api/contacts.api.ts";
import { groupApis } from "./api/groups.api.ts";
import { massMessageApis } from "./api/mass-messages.api.ts";
import { momentApis } from "./api/moments.api.ts";
import type { ApiTable, Json } from "./api/params.ts";
import { tagApis } from "./api/tags.api.ts";
import { transferApis } from "./api/transfers.api.ts";
import type { Corp } from "./corp.ts";
import { errcodes, errmsgOf, WecomError } from "./errcodes.ts";
import type { WecomSandbox } from "./sandbox.ts";
import { registerSimRoutes, SimHttpError } from "./sim.routes.ts";

/** Every WeCom API the simulator serves, by path after `/cgi-bin/`. */
export const wecomApis: ApiTable = {
  ...contactApis,
  ...contactWayApis,
  ...tagApis,
  ...massMessageApis,
  ...groupApis,
  ...transferApis,
  ...momentApis,
};

export interface WecomSandboxPluginOptions {
  sandbox: WecomSandbox;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A Fastify plugin serving WeCom's real paths (`/cgi-bin/…`) and the simulator's own `/_sim/…` API.
 * Register it under a prefix: `app.register(wecomSandbox({ sandbox }), { prefix: "/sandbox/wecom" })`;
 * a connector's apiBase is then `<origin>/sandbox/wecom`.
 */
export function wecomSandbox(options: WecomSandboxPluginOptions) {
  const { sandbox } = options;
  return async function wecomSandboxPlugin(app: FastifyInstance): Promise<void> {
    // Bodies are read as text and parsed here: WeCom answers bad JSON with errcode 47001, and the sim
    // API with its own 400, neither with the host app's parsers.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));

    const answer = (reply: FastifyReply, errcode: number, message: string) =>
      reply.code(200).send({ errcode, errmsg: errmsgOf(errcode, message, sandbox.clock.seconds()) });

    app.setErrorHandler(
      (err: Error & { code?: string; statusCode?: number; status?: number }, req, reply) => {
        const isWecom = req.url.includes("/cgi-bin/");
        if (err instanceof WecomError) return answer(reply, err.errcode, err.message);
        if (err instanceof SimHttpError && err.details !== undefined) {
          return reply
            .code(err.status)
            .send({ error: { code: err.code, message: err.message, details: err.details } });
        }
        if (err instanceof SimError || err instanceof SimHttpError) {
          return reply.code(err.status).send({ error: { code: err.code, message: err.message } });
        }
        // Fastify errors carry statusCode; the host app's AppError (e.g. its NUL-character guard) carries status.
        const given = err.statusCode ?? err.status;
        const status = typeof given === "number" && given >= 400 && given < 500 ? given : 500;
        if (isWecom)
          return status < 500 ? answer(reply, 47001, errcodes[47001]) : answer(reply, -1, errcodes[-1]);
        if (status >= 500) req.log.error({ err }, "sandbox error");
        return reply.code(status).send({
          error: {
            code: status === 413 ? "payload_too_large" : status < 500 ? "bad_request" : "internal_error",
            message: status < 500 ? err.message : "internal error",
          },
        });
      },
    );
    app.setNotFoundHandler((req, reply) =>
      reply.code(404).send({
        error: { code: "route_not_found", message: `no route ${req.method} ${req.url.split("?")[0]}` },
      }),
    );

    app.get("/cgi-bin/gettoken", async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      const corp = q.corpid ? sandbox.corp(q.corpid) : undefined;
      if (corp && (await applyFaults(corp, "gettoken", reply))) return reply;
      return { errcode: 0, errmsg: "ok", ...sandbox.issueToken(q.corpid, q.corpsecret) };
    });

    /** Injected faults and the rate limit; true when the call was answered here. */
    async function applyFaults(corp: Corp, api: string, reply: FastifyReply): Promise<boolean> {
      const effect = corp.faults.take(api);
      if (effect?.delayMs) await sleep(effect.delayMs);
      if (effect?.httpStatus) {
        reply
          .code(effect.httpStatus)
          .type("text/html")
          .send(`<html><body>${effect.httpStatus}</body></html>`);
        return true;
      }
      if (effect?.errcode !== undefined) {
        const known = (errcodes as Record<number, string>)[effect.errcode];
        answer(reply, effect.errcode, known ?? "injected error");
        return true;
      }
      if (!corp.faults.allow(api, sandbox.clock.now())) {
        answer(reply, 45009, errcodes[45009]);
        return true;
      }
      return false;
    }

    for (const [path, route] of Object.entries(wecomApis)) {
      app.route({
        method: route.method,
        url: `/cgi-bin/${path}`,
        handler: async (req: FastifyRequest, reply: FastifyReply) => {
          const query = req.query as Record<string, string | undefined>;
          const token = query.access_token;
          const faulty = sandbox.corpOfToken(token);
          if (faulty && (await applyFaults(faulty, path, reply))) return reply;
          const corp = sandbox.authenticate(token);
          let input: Json;
          if (route.method === "GET") input = query as Json;
          else {
            const raw = typeof req.body === "string" ? req.body : "";
            let parsed: unknown;
            try {
              parsed = raw.trim() === "" ? {} : JSON.parse(raw);
            } catch {
              throw new WecomError(47001);
            }
            if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new WecomError(47001);
            input = parsed as Json;
          }
          sandbox.settle(corp);
          const result = route.handler({ sandbox, corp, input, now: sandbox.clock.seconds() });
          if (route.method === "POST") sandbox.changed(corp);
          return { errcode: 0, errmsg: "ok", ...result };
        },
      });
    }

    await app.register(async (sim) => registerSimRoutes(sim, sandbox), { prefix: "/_sim" });
  };
}
