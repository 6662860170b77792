import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryRateLimiter } from "../../platform/ratelimit/index.ts";
import { type FakeWecom, startFakeWecom } from "./fake-wecom.fixture.ts";
import { createWecomClient, WecomApiError, type WecomClientOptions } from "./index.ts";

const APP_SECRET = "app-secret-Zq9xK2mW7pL4vN8rT1yU";
const CONTACT_SECRET = "contact-secret-Hb3nJ6kD0sF5gA2e";
const fastRetry = {
  attempts: 3,
  baseDelayMs: 5,
  maxDelayMs: 20,
  throttledBaseDelayMs: 30,
  throttledMaxDelayMs: 60,
};

// Token cache and breakers are per process and keyed by account: each test takes its own corp.
let corpSeq = 0;
const nextCorp = () => `ww-test-${process.pid}-${++corpSeq}`;

async function caught(p: Promise<unknown>): Promise<WecomApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WecomApiError) return err;
    throw err;
  }
  throw new Error("expected a WecomApiError");
}

describe("WeCom client over real HTTP", () => {
  let wecom: FakeWecom;
  const logLines: string[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) });
  const client = (over: Partial<WecomClientOptions> = {}) =>
    createWecomClient({
      apiBase: wecom.url,
      corpId: nextCorp(),
      secret: APP_SECRET,
      retry: fastRetry,
      log,
      ...over,
    });

  beforeAll(async () => {
    wecom = await startFakeWecom({ secrets: [APP_SECRET, CONTACT_SECRET] });
  });
  afterAll(async () => {
    await wecom.close();
    // Nothing logged along the way may carry a secret or a live token.
    const all = logLines.join("\n");
    expect(all).not.toContain(APP_SECRET);
    expect(all).not.toContain(CONTACT_SECRET);
    expect(all).not.toMatch(/TOKEN_\d+_\d+/);
  });

  it("fetches one token per secret and reuses it", async () => {
    const corpId = nextCorp();
    const before = wecom.tokenCalls.get(APP_SECRET) ?? 0;
    const beforeContact = wecom.tokenCalls.get(CONTACT_SECRET) ?? 0;
    const app = client({ corpId });
    const contact = client({ corpId, secret: CONTACT_SECRET });
    await app.externalContact.followUsers();
    await app.externalContact.followUsers();
    await app.org.departments();
    await contact.externalContact.followUsers();
    expect(wecom.tokenCalls.get(APP_SECRET)! - before).toBe(1);
    expect(wecom.tokenCalls.get(CONTACT_SECRET)! - beforeContact).toBe(1);
    const used = wecom.hitsOf("externalcontact/get_follow_user_list").slice(-3);
    expect(used[0]?.query.access_token).toBe(used[1]?.query.access_token);
    expect(used[2]?.query.access_token).not.toBe(used[0]?.query.access_token);
    // A second client of the same (corp, secret) shares the cached token.
    await client({ corpId }).org.departments();
    expect(wecom.tokenCalls.get(APP_SECRET)! - before).toBe(1);
  });

  it("20 concurrent calls after the token expired cause exactly one gettoken", async () => {
    const short = await startFakeWecom({ secrets: [APP_SECRET], expiresIn: 1 });
    try {
      const c = createWecomClient({
        apiBase: short.url,
        corpId: nextCorp(),
        secret: APP_SECRET,
        retry: fastRetry,
      });
      await c.org.departments();
      expect(short.tokenCalls.get(APP_SECRET)).toBe(1);
      await new Promise((r) => setTimeout(r, 1_000));
      await Promise.all(Array.from({ length: 20 }, () => c.org.departments()));
      expect(short.tokenCalls.get(APP_SECRET)).toBe(2);
      expect(short.hitsOf("department/list").filter((h) => h.query.access_token)).toHaveLength(21);
    } finally {
      await short.close();
    }
  });

  it("on 42001 for 20 concurrent calls refetches the token once and retries each call once", async () => {
    const c = client();
    await c.org.departments();
    const before = wecom.tokenCalls.get(APP_SECRET)!;
    wecom.expireAllTokens();
    const answers = await Promise.all(Array.from({ length: 20 }, () => c.org.departments()));
    expect(answers.every((a) => a.errcode === 0)).toBe(true);
    expect(wecom.tokenCalls.get(APP_SECRET)! - before).toBe(1);
  });

  it("refreshes and retries once on 40014 and on a scripted 42001", async () => {
    const c = client();
    await c.org.user("zhangsan");
    const before = wecom.tokenCalls.get(APP_SECRET)!;
    wecom.script("user/get", { errcode: 42001, errmsg: "access_token expired" });
    const user = await c.org.user("zhangsan");
    expect(user.errcode).toBe(0);
    expect(wecom.tokenCalls.get(APP_SECRET)! - before).toBe(1);
    wecom.script("user/get", { errcode: 40014 });
    await c.org.user("zhangsan");
    expect(wecom.tokenCalls.get(APP_SECRET)! - before).toBe(2);
  });

  it("40001 on an API refetches the token once and then gives up — no loop", async () => {
    const c = client();
    await c.org.departments();
    const tokensBefore = wecom.tokenCalls.get(APP_SECRET)!;
    const hitsBefore = wecom.hitsOf("externalcontact/get_corp_tag_list").length;
    wecom.always("externalcontact/get_corp_tag_list", { errcode: 40001, errmsg: "invalid credential" });
    try {
      const err = await caught(c.tags.list());
      expect(err.errcode).toBe(40001);
      expect(err.kind).toBe("api");
      expect(err.retryable).toBe(false);
      expect(err.api).toBe("externalcontact/get_corp_tag_list");
      expect(wecom.hitsOf("externalcontact/get_corp_tag_list").length - hitsBefore).toBe(2);
      expect(wecom.tokenCalls.get(APP_SECRET)! - tokensBefore).toBe(1);
    } finally {
      wecom.clear("externalcontact/get_corp_tag_list");
    }
  });

  it("a wrong secret fails at gettoken without retries and without the secret in the error", async () => {
    const wrong = "wrong-secret-Pp0Oo9Ii8Uu7Yy6T";
    const c = client({ secret: wrong });
    const hitsBefore = wecom.hitsOf("gettoken").length;
    const err = await caught(c.org.departments());
    expect(err.api).toBe("gettoken");
    expect(err.errcode).toBe(40001);
    expect(err.retryable).toBe(false);
    expect(wecom.hitsOf("gettoken").length - hitsBefore).toBe(1);
    expect(err.message).not.toContain(wrong);
    expect(JSON.stringify(err)).not.toContain(wrong);
    expect(err.errmsg).toContain("[redacted]");
  });

  it("never shows an access token that WeCom's errmsg echoed", async () => {
    const c = client();
    const missing = await caught(c.call("GET", "/cgi-bin/department/list", { noToken: true }));
    expect(missing.errcode).toBe(41001);
    // The fake answers 40014 with "invalid access_token: <token>", as WeCom's hints sometimes do.
    const bad = await caught(
      c.call("GET", "/cgi-bin/department/list", { noToken: true, query: { access_token: "TOKEN_9_9_leak" } }),
    );
    expect(bad.errcode).toBe(40014);
    expect(bad.errmsg).toContain("[redacted]");
    expect(bad.message).not.toContain("TOKEN_9_9_leak");
    expect(JSON.stringify(bad)).not.toContain("TOKEN_9_9_leak");
  });

  it("retries with backoff on -1, 45009, 45033 and HTTP 502, then succeeds", async () => {
    const c = client();
    await c.org.departments();
    const count = () => wecom.hitsOf("externalcontact/list").length;
    for (const answer of [{ errcode: -1 }, { errcode: 45009 }, { errcode: 45033 }, { http: 502 }]) {
      const before = count();
      wecom.script("externalcontact/list", answer);
      const tokensBefore = wecom.tokenCalls.get(APP_SECRET);
      const res = await c.externalContact.list("zhangsan");
      expect(res.errcode).toBe(0);
      expect(count() - before).toBe(2);
      // Throttling and busy answers keep the token.
      expect(wecom.tokenCalls.get(APP_SECRET)).toBe(tokensBefore);
    }
  });

  it("gives up after the configured attempts with a retryable error", async () => {
    const c = client({ retry: { ...fastRetry, attempts: 2 } });
    wecom.always("externalcontact/remark", { errcode: -1, errmsg: "system busy" });
    try {
      const before = wecom.hitsOf("externalcontact/remark").length;
      const err = await caught(
        c.externalContact.remark({ userid: "u", external_userid: "wo1", remark: "r" }),
      );
      expect(err.errcode).toBe(-1);
      expect(err.retryable).toBe(true);
      expect(err.attempts).toBe(2);
      expect(wecom.hitsOf("externalcontact/remark").length - before).toBe(2);
    } finally {
      wecom.clear("externalcontact/remark");
    }
  });

  it("does not retry a permanent API error", async () => {
    const c = client();
    await c.org.departments();
    wecom.script("externalcontact/mark_tag", { errcode: 40096, errmsg: "invalid external userid" });
    const before = wecom.hitsOf("externalcontact/mark_tag").length;
    const err = await caught(c.tags.mark({ userid: "u", external_userid: "bad", add_tag: ["t"] }));
    expect(err.errcode).toBe(40096);
    expect(err.permanent).toBe(true);
    expect(wecom.hitsOf("externalcontact/mark_tag").length - before).toBe(1);
  });

  it("times out a slow answer and retries it", async () => {
    const c = client({ timeoutMs: 150 });
    await c.org.departments();
    wecom.script("externalcontact/get_contact_way", { delayMs: 600 });
    const res = await c.contactWay.get("cfg1");
    expect(res.errcode).toBe(0);
    const slow = client({ timeoutMs: 100, retry: { ...fastRetry, attempts: 2 } });
    await slow.org.departments();
    wecom.script("externalcontact/del_contact_way", { delayMs: 400 }, { delayMs: 400 });
    const started = Date.now();
    const err = await caught(slow.contactWay.delete("cfg1"));
    expect(err.kind).toBe("timeout");
    expect(err.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(400);
  });

  it("reports a refused connection as a retryable network error", async () => {
    const c = createWecomClient({
      apiBase: "http://127.0.0.1:1",
      corpId: nextCorp(),
      secret: APP_SECRET,
      retry: { ...fastRetry, attempts: 2 },
    });
    const err = await caught(c.org.departments());
    expect(err.kind).toBe("network");
    expect(err.api).toBe("gettoken");
    expect(err.retryable).toBe(true);
    expect(err.message).not.toContain(APP_SECRET);
  });

  it("opens the circuit after repeated failures, fails fast, then recovers through a probe", async () => {
    const breaker = { failureThreshold: 3, cooldownMs: 300 };
    const c = client({ breaker, retry: { ...fastRetry, attempts: 1 } });
    await c.org.departments();
    wecom.always("externalcontact/groupchat/list", { http: 502 });
    const count = () => wecom.hitsOf("externalcontact/groupchat/list").length;
    const before = count();
    for (let i = 0; i < 3; i++) expect((await caught(c.groupChat.list({ limit: 10 }))).kind).toBe("http");
    expect(c.breakerState()).toBe("open");
    const fast = await caught(c.groupChat.list({ limit: 10 }));
    expect(fast.kind).toBe("circuit_open");
    expect(fast.retryAfterMs).toBeGreaterThan(0);
    // Other APIs of the same account fail fast too; nothing reached the server.
    expect((await caught(c.org.departments())).kind).toBe("circuit_open");
    expect(count() - before).toBe(3);

    // Half-open probe fails → open again.
    await new Promise((r) => setTimeout(r, 320));
    expect((await caught(c.groupChat.list({ limit: 10 }))).kind).toBe("http");
    expect(c.breakerState()).toBe("open");
    expect((await caught(c.groupChat.list({ limit: 10 }))).kind).toBe("circuit_open");

    // Platform healthy again: the next probe closes the circuit.
    wecom.clear("externalcontact/groupchat/list");
    await new Promise((r) => setTimeout(r, 320));
    const ok = await c.groupChat.list({ limit: 10 });
    expect(ok.errcode).toBe(0);
    expect(c.breakerState()).toBe("closed");
    expect((await c.org.departments()).errcode).toBe(0);
  });

  it("makes the (N+1)th call within a window wait for the rate limit", async () => {
    const limiter = createMemoryRateLimiter();
    const c = client({ limiter, limits: { perApi: { limit: 3, windowMs: 400 } } });
    await c.org.user("warm"); // token fetched outside the measured window
    await new Promise((r) => setTimeout(r, 420));
    const started = Date.now();
    const finished: number[] = [];
    await Promise.all(
      Array.from({ length: 4 }, () => c.org.departments().then(() => finished.push(Date.now() - started))),
    );
    finished.sort((a, b) => a - b);
    expect(finished[2]).toBeLessThan(200);
    expect(finished[3]).toBeGreaterThanOrEqual(380);
    // Another API of the account has its own per-API budget.
    const t = Date.now();
    await c.org.user("x");
    expect(Date.now() - t).toBeLessThan(200);
    await limiter.close();
  });

  it("applies the per-account limit across APIs", async () => {
    const limiter = createMemoryRateLimiter();
    const c = client({ limiter, limits: { perAccount: { limit: 2, windowMs: 400 } } });
    const started = Date.now();
    await c.org.user("a"); // gettoken is not counted; this is slot 1
    await c.org.departments(); // slot 2
    await c.externalContact.followUsers(); // waits
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    await limiter.close();
  });

  it("logs URLs with the access token redacted", async () => {
    const c = client();
    await c.org.user("someone");
    const line = logLines.find((l) => l.includes("user/get") && l.includes("api exchange"));
    expect(line).toBeDefined();
    expect(line).toContain("access_token=%5Bredacted%5D");
  });

  it("walks cursor pages: batch/get_by_user over chunks of 100 userids, follow_user pages of get", async () => {
    // 3 customers per member, served 2 per page with an opaque cursor.
    wecom.route("externalcontact/batch/get_by_user", (hit) => {
      const body = hit.body as { userid_list: string[]; cursor?: string; limit?: number };
      const all = body.userid_list.flatMap((u) => [1, 2, 3].map((n) => ({ u, n })));
      const start = body.cursor ? Number(body.cursor.slice(1)) : 0;
      const page = all.slice(start, start + 2);
      return {
        external_contact_list: page.map(({ u, n }) => ({
          external_contact: { external_userid: `wo_${u}_${n}`, name: `c${n}`, type: 1 },
          follow_info: { userid: u, createtime: 1, tag_id: [] },
        })),
        next_cursor: start + 2 < all.length ? `c${start + 2}` : "",
      };
    });
    wecom.route("externalcontact/get", (hit) => {
      const cursor = hit.query.cursor;
      return {
        external_contact: { external_userid: hit.query.external_userid, name: "n", type: 1 },
        follow_user: cursor ? [{ userid: "b", createtime: 2 }] : [{ userid: "a", createtime: 1 }],
        next_cursor: cursor ? "" : "page2",
      };
    });
    const c = client();
    const userids = Array.from({ length: 150 }, (_, i) => `u${i}`);
    const seen: string[] = [];
    for await (const item of c.externalContact.iterateByUsers(userids, 100))
      seen.push(item.external_contact.external_userid);
    expect(seen).toHaveLength(450);
    expect(new Set(seen).size).toBe(450);
    const calls = wecom.hitsOf("externalcontact/batch/get_by_user");
    expect(calls.every((h) => (h.body as { userid_list: string[] }).userid_list.length <= 100)).toBe(true);

    const detail = await c.externalContact.getAll("wo_x");
    expect(detail.external_contact.external_userid).toBe("wo_x");
    expect(detail.follow_user.map((f) => f.userid)).toEqual(["a", "b"]);
  });

  it("a caller that aborts stops waiting, is not retried, and does not fail others sharing the token fetch", async () => {
    const c = client({ timeoutMs: 2_000 });
    wecom.script("gettoken", { delayMs: 300 });
    const controller = new AbortController();
    const first = c.org.departments(undefined, { signal: controller.signal });
    const second = c.org.departments();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const err = await caught(first);
    expect(err.kind).toBe("aborted");
    expect(err.retryable).toBe(false);
    expect(Date.now() - started).toBeLessThan(250);
    expect((await second).errcode).toBe(0);

    // Aborting a slow call: one hit, no retry.
    wecom.script("externalcontact/get_follow_user_list", { delayMs: 500 });
    const before = wecom.hitsOf("externalcontact/get_follow_user_list").length;
    const slow = new AbortController();
    setTimeout(() => slow.abort(), 50);
    const aborted = await caught(
      c.call("GET", "/cgi-bin/externalcontact/get_follow_user_list", { signal: slow.signal }),
    );
    expect(aborted.kind).toBe("aborted");
    expect(wecom.hitsOf("externalcontact/get_follow_user_list").length - before).toBe(1);
  });
});
