import Fastify, { type FastifyInstance } from "fastify";

/**
 * A tiny WeCom look-alike for the client's tests: per-secret tokens with an `expires_in` the
 * test chooses, token checks like WeCom's (41001/40014/42001), and scripted answers per API so
 * a test can say "42001 once, then ok" or "HTTP 502 forever". Real HTTP on 127.0.0.1.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Scripted =
  | { errcode: number; errmsg?: string }
  | { http: number }
  | { delayMs: number }
  | { ok: Record<string, unknown> };

export interface Hit {
  api: string;
  query: Record<string, string>;
  body: unknown;
}

export interface FakeWecom {
  url: string;
  /** gettoken calls so far, per secret. */
  tokenCalls: Map<string, number>;
  hits: Hit[];
  hitsOf(api: string): Hit[];
  /** Answers for `api` taken in order, before the normal one. */
  script(api: string, ...answers: Scripted[]): void;
  /** Answer `api` this way every time (until `clear`). */
  always(api: string, answer: Scripted): void;
  clear(api: string): void;
  /** WeCom-side early invalidation: every issued token now answers 42001. */
  expireAllTokens(): void;
  /** Makes answers to `api` come from `handler` (body/query in, JSON out). */
  route(api: string, handler: (hit: Hit) => Record<string, unknown>): void;
  close(): Promise<void>;
}

export async function startFakeWecom(options: { secrets: string[]; expiresIn?: number }): Promise<FakeWecom> {
  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });
  const valid = new Map<string, number>(); // token → expiry (ms)
  const tokenCalls = new Map<string, number>();
  const hits: Hit[] = [];
  const scripts = new Map<string, Scripted[]>();
  const forever = new Map<string, Scripted>();
  const routes = new Map<string, (hit: Hit) => Record<string, unknown>>();
  let serial = 0;

  app.get("/cgi-bin/gettoken", async (req) => {
    const q = req.query as Record<string, string>;
    const secret = q.corpsecret ?? "";
    hits.push({ api: "gettoken", query: q, body: undefined });
    let scripted = scripts.get("gettoken")?.shift() ?? forever.get("gettoken");
    while (scripted && "delayMs" in scripted) {
      await sleep(scripted.delayMs);
      scripted = scripts.get("gettoken")?.shift();
    }
    if (scripted && "errcode" in scripted)
      return { errcode: scripted.errcode, errmsg: scripted.errmsg ?? "scripted" };
    tokenCalls.set(secret, (tokenCalls.get(secret) ?? 0) + 1);
    if (!options.secrets.includes(secret))
      // WeCom's real answer shape; it does not echo the secret, but the client must scrub anyway.
      return { errcode: 40001, errmsg: `invalid credential, hint: [${Date.now()}-${secret}]` };
    const token = `TOKEN_${options.secrets.indexOf(secret)}_${++serial}_${"x".repeat(20)}`;
    const expiresIn = options.expiresIn ?? 7200;
    valid.set(token, Date.now() + expiresIn * 1000);
    return { errcode: 0, errmsg: "ok", access_token: token, expires_in: expiresIn };
  });

  app.all("/cgi-bin/*", async (req, reply) => {
    const api = (req.params as { "*": string })["*"];
    const query = req.query as Record<string, string>;
    const hit: Hit = { api, query, body: req.body };
    hits.push(hit);
    let scripted = scripts.get(api)?.shift() ?? forever.get(api);
    while (scripted && "delayMs" in scripted) {
      await sleep(scripted.delayMs);
      scripted = scripts.get(api)?.shift();
    }
    if (scripted && "http" in scripted) return reply.code(scripted.http).send("Bad Gateway");
    const token = query.access_token;
    if (!token) return { errcode: 41001, errmsg: "access_token missing" };
    const expiry = valid.get(token);
    if (expiry === undefined) return { errcode: 40014, errmsg: `invalid access_token: ${token}` };
    if (Date.now() >= expiry) return { errcode: 42001, errmsg: "access_token expired" };
    if (scripted && "errcode" in scripted)
      return { errcode: scripted.errcode, errmsg: scripted.errmsg ?? "scripted" };
    if (scripted && "ok" in scripted) return { errcode: 0, errmsg: "ok", ...scripted.ok };
    const handler = routes.get(api);
    return { errcode: 0, errmsg: "ok", ...(handler ? handler(hit) : {}) };
  });

  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    url,
    tokenCalls,
    hits,
    hitsOf: (api) => hits.filter((h) => h.api === api),
    script: (api, ...answers) => scripts.set(api, [...(scripts.get(api) ?? []), ...answers]),
    always: (api, answer) => forever.set(api, answer),
    clear: (api) => {
      forever.delete(api);
      scripts.delete(api);
    },
    expireAllTokens: () => {
      for (const token of valid.keys()) valid.set(token, 0);
    },
    route: (api, handler) => routes.set(api, handler),
    close: () => app.close(),
  };
}
