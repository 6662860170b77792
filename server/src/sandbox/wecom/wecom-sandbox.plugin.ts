import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { applyInjectedFaults, jsonObjectBody, preparePlatformApp } from "../shared/platform-plugin.ts";
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
import { registerSimRoutes } from "./sim.routes.ts";

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

/**
 * A Fastify plugin serving WeCom's real paths (`/cgi-bin/…`) and the simulator's own `/_sim/…` API.
 * Register it under a prefix: `app.register(wecomSandbox({ sandbox }), { prefix: "/sandbox/wecom" })`;
 * a connector's apiBase is then `<origin>/sandbox/wecom`.
 */
export function wecomSandbox(options: WecomSandboxPluginOptions) {
  const { sandbox } = options;
  return async function wecomSandboxPlugin(app: FastifyInstance): Promise<void> {
    const answer = (reply: FastifyReply, errcode: number, message: string) =>
      reply.code(200).send({ errcode, errmsg: errmsgOf(errcode, message, sandbox.clock.seconds()) });
    preparePlatformApp(app, {
      answer,
      platformError: (err) => (err instanceof WecomError ? err : undefined),
      isSimError: (err) => err instanceof SimError,
      errcodes,
      logMessage: "sandbox error",
    });

    /** Injected faults and the rate limit; true when the call was answered here. */
    const applyFaults = (corp: Corp, api: string, reply: FastifyReply) =>
      applyInjectedFaults(corp, api, reply, {
        answer,
        errcodes,
        rateErrcode: 45009,
        now: () => sandbox.clock.now(),
      });

    app.get("/cgi-bin/gettoken", async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      const corp = q.corpid ? sandbox.corp(q.corpid) : undefined;
      if (corp && (await applyFaults(corp, "gettoken", reply))) return reply;
      return { errcode: 0, errmsg: "ok", ...sandbox.issueToken(q.corpid, q.corpsecret) };
    });

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
          const input: Json =
            route.method === "GET" ? (query as Json) : jsonObjectBody(req, () => new WecomError(47001));
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
