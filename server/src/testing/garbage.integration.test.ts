import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./app-harness.ts";
import { dbKinds } from "./databases.ts";

// Every /api route, fed garbage the way a careless client or an attacker would: malformed JSON,
// wrong types, hostile path parameters and query strings. Whatever the route, the answer is a 4xx
// in the error shape — never a 500 and never a hang. Written over the route inventory, so routes
// added later are covered too.
const hostileIds = [
  "'",
  "1' or '1'='1",
  "%00",
  "..%2F..%2Fetc%2Fpasswd",
  "x".repeat(150),
  "😀",
  "-1",
  "null",
];
const bodies: unknown[] = [
  '{"unterminated": ',
  "[]",
  '"a string"',
  "123",
  { name: ["array"], email: { nested: true }, tags: "not-a-list", phone: 13812341234, expression: 42 },
  { a: "x".repeat(10_000) },
];
const queries = [
  "limit=-5",
  "limit=abc",
  "limit=100000",
  "cursor=%27%3B--",
  "tag=",
  "q=%00",
  "from=yesterday",
  "status=maybe",
];

describe.each(dbKinds)("every route answers garbage with a 4xx in the error shape (%s)", (kind) => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    token = await t.login();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("never answers 5xx", async () => {
    const failures: string[] = [];
    let calls = 0;
    const routes = t.app.siyuRoutes.filter(
      (r) =>
        r.url.startsWith("/api/") &&
        !r.url.startsWith("/api/docs") &&
        r.method !== "HEAD" &&
        r.url !== "/api/auth/logout",
    );
    expect(routes.length).toBeGreaterThan(40);
    for (const route of routes) {
      const urls = route.url.includes(":")
        ? hostileIds.map((id) => route.url.replace(/:[A-Za-z]+/g, encodeURIComponent(id)))
        : [route.url];
      for (const base of urls) {
        const variants: Array<{ url: string; body?: unknown }> = [];
        if (route.method === "GET" || route.method === "DELETE") {
          variants.push({ url: base }, ...queries.map((q) => ({ url: `${base}?${q}` })));
        } else {
          variants.push(...bodies.map((body) => ({ url: base, body })));
        }
        for (const v of variants) {
          let res: Awaited<ReturnType<TestApp["call"]>>;
          try {
            res = await t.call(route.method, v.url, {
              token,
              ...(v.body !== undefined ? { body: v.body } : {}),
            });
          } catch (err) {
            failures.push(`${route.method} ${v.url.slice(0, 80)} → ${(err as Error).message}`);
            continue;
          }
          calls++;
          if (res.statusCode >= 500)
            failures.push(
              `${route.method} ${v.url.slice(0, 80)} → ${res.statusCode} ${res.body.slice(0, 120)}`,
            );
          else if (res.statusCode >= 400) {
            const err = res.json().error;
            if (typeof err?.code !== "string" || typeof err?.message !== "string") {
              failures.push(
                `${route.method} ${v.url.slice(0, 80)} → ${res.statusCode} without the error shape`,
              );
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(300);
  }, 240_000);

  it("an undecodable or over-long path is a 4xx in the error shape too (API and callback URLs)", async () => {
    for (const url of [
      "/api/customers/%E0%A4%A",
      `/api/customers/${"x".repeat(300)}`,
      "/callbacks/wecom/%E0%A4%A?msg_signature=a&timestamp=1&nonce=1",
      `/callbacks/wecom/${"t".repeat(300)}`,
    ]) {
      for (const method of ["GET", "POST"]) {
        const res = await t.call(method, url, { token });
        expect(res.statusCode, `${method} ${url.slice(0, 40)}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
        expect(res.json().error, `${method} ${url.slice(0, 40)}: ${res.body}`).toMatchObject({
          code: expect.any(String),
          message: expect.any(String),
        });
      }
    }
  });
});
