import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient } from "./api-client.ts";
import { ApiError } from "./api-error.ts";

// The core must serve the Official Account as well: its token endpoint is `/cgi-bin/token` with
// `appid`/`secret`, successes often carry no errcode, and 40001 means "token invalid".
const SECRET = "oa-secret-7f3c9a1b5d2e8f4a";

describe("token API core with an Official-Account-shaped server", () => {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  let url = "";
  let tokenCalls = 0;
  let refuseNext = 0;
  const seenQueries: Record<string, string>[] = [];

  beforeAll(async () => {
    app.get("/cgi-bin/token", async (req) => {
      const q = req.query as Record<string, string>;
      seenQueries.push(q);
      if (q.grant_type !== "client_credential" || q.secret !== SECRET)
        return { errcode: 40125, errmsg: `invalid appsecret ${q.secret}` };
      tokenCalls++;
      return { access_token: `OA_TOKEN_${tokenCalls}`, expires_in: 7200 };
    });
    app.post("/cgi-bin/user/info/batchget", async (req) => {
      const q = req.query as Record<string, string>;
      if (refuseNext > 0) {
        refuseNext--;
        return { errcode: 40001, errmsg: "invalid credential, access_token is invalid or not latest" };
      }
      return { user_info_list: [{ openid: "o1", token: q.access_token }] };
    });
    url = await app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(() => app.close());

  const client = (secret = SECRET) =>
    createApiClient({
      platform: "official-account",
      apiBase: url,
      account: "wx-app-1",
      secret,
      token: {
        method: "GET",
        path: "/cgi-bin/token",
        query: { grant_type: "client_credential", appid: "wx-app-1", secret },
      },
      errcodes: { tokenInvalid: [40001, 40014, 42001], retry: [-1], throttled: [45009] },
      retry: { baseDelayMs: 5, maxDelayMs: 10 },
    });

  it("accepts answers without errcode and refreshes once on the platform's token errcode", async () => {
    const c = client();
    const first = await c.call<{ user_info_list: { token: string }[] }>(
      "POST",
      "/cgi-bin/user/info/batchget",
      {
        body: { user_list: [{ openid: "o1" }] },
      },
    );
    expect(first.user_info_list[0]?.token).toBe("OA_TOKEN_1");
    refuseNext = 1;
    const second = await c.call<{ user_info_list: { token: string }[] }>(
      "POST",
      "/cgi-bin/user/info/batchget",
      {
        body: {},
      },
    );
    expect(second.user_info_list[0]?.token).toBe("OA_TOKEN_2");
    expect(tokenCalls).toBe(2);
  });

  it("throws ApiError without the secret when the token endpoint refuses", async () => {
    const wrong = "wrong-oa-secret-0123456789";
    const err = await client(wrong)
      .call("POST", "/cgi-bin/user/info/batchget", { body: {} })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApiError);
    if (!(err instanceof ApiError)) return;
    expect(err.api).toBe("token");
    expect(err.errcode).toBe(40125);
    expect(err.message).not.toContain(wrong);
    expect(JSON.stringify(err)).not.toContain(wrong);
  });

  it("refuses a base that is not an http(s) URL", () => {
    expect(() =>
      createApiClient({
        platform: "x",
        apiBase: "ftp://example.com",
        account: "a",
        secret: "s",
        token: { method: "GET", path: "/t" },
        errcodes: { tokenInvalid: [], retry: [], throttled: [] },
      }),
    ).toThrow(TypeError);
  });
});
