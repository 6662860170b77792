import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../testing/app-harness.ts";

describe("HTTP basics (CONTRACT.md)", () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp("pglite", { SIYU_BODY_LIMIT: "65536" });
    token = await t.login();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("GET /healthz answers 200 {status: ok}", async () => {
    const res = await t.call("GET", "/healthz");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
  });

  it("GET /readyz answers 200 when the database answers", async () => {
    const res = await t.call("GET", "/readyz");
    expect(res.statusCode).toBe(200);
  });

  it("serves the OpenAPI document of the /api routes", async () => {
    const res = await t.call("GET", "/api/openapi.json");
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/auth/login", "/api/users", "/api/users/{id}"]),
    );
    expect(doc.paths["/api/users"].post.requestBody).toBeDefined();
  });

  it("serves a human docs page for the API", async () => {
    const res = await t.call("GET", "/api/docs/");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/html");
  });

  it("serves Prometheus metrics including queue depths", async () => {
    await t.call("GET", "/healthz");
    const res = await t.call("GET", "/metrics");
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("siyu_http_requests_total");
    expect(res.body).toMatch(/siyu_queue_jobs\{queue="realtime",state="waiting"\} \d+/);
  });

  it("unknown /api route → 404 with the error shape", async () => {
    const res = await t.call("GET", "/api/nope", { token });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: "route_not_found", message: expect.any(String) } });
  });

  it("missing or malformed token → 401 with the error shape", async () => {
    const variants: Array<Record<string, string>> = [
      {},
      { authorization: "Bearer nope" },
      { authorization: "Basic abc" },
      { authorization: "Bearer sys_x" },
    ];
    for (const headers of variants) {
      const res = await t.call("GET", "/api/users", { headers });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe("unauthorized");
    }
  });

  it("malformed JSON → 400 invalid_json", async () => {
    const res = await t.call("POST", "/api/users", { token, body: '{"email": "x@y.z",' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("invalid_json");
  });

  it("wrong types and unknown fields → 400 validation_failed with details", async () => {
    const wrong = await t.call("POST", "/api/users", {
      token,
      body: { email: 42, password: [], name: {}, roles: "agent" },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.code).toBe("validation_failed");
    expect(wrong.json().error.details.length).toBeGreaterThan(0);
    const unknown = await t.call("POST", "/api/users", {
      token,
      body: { email: "a@b.co", password: "Passw0rd-long", name: "A", roles: ["agent"], isAdmin: true },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe("validation_failed");
    const badRole = await t.call("POST", "/api/users", {
      token,
      body: { email: "a@b.co", password: "Passw0rd-long", name: "A", roles: ["superuser"] },
    });
    expect(badRole.statusCode).toBe(400);
  });

  it("body over the limit → 413 payload_too_large", async () => {
    const res = await t.call("POST", "/api/users", { token, body: { name: "x".repeat(70_000) } });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe("payload_too_large");
  });

  it("non-JSON content type → 415 with the error shape", async () => {
    const res = await t.call("POST", "/api/users", {
      token,
      body: "a=b",
      headers: { "content-type": "text/csv" },
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe("unsupported_media_type");
  });

  it("lists take limit (max 500) and cursor", async () => {
    const bad = await t.call("GET", "/api/users?limit=501", { token });
    expect(bad.statusCode).toBe(400);
    for (let i = 0; i < 3; i++) {
      const res = await t.call("POST", "/api/users", {
        token,
        body: {
          email: `page${i}@example.com`,
          password: "Paging-Passw0rd",
          name: `Page ${i}`,
          roles: ["agent"],
        },
      });
      expect(res.statusCode).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.call("GET", `/api/users?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token });
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((u: { id: string }) => u.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(4);
  });

  it("SQL-ish strings in text fields are stored and returned verbatim", async () => {
    const nasty = [
      "'; drop table users; --",
      "Robert'); DELETE FROM tenants;--",
      '" or 1=1 --',
      "$1::text",
      "\\x00 ☃ 私域",
    ];
    for (const [i, name] of nasty.entries()) {
      const res = await t.call("POST", "/api/users", {
        token,
        body: { email: `sqlish${i}@example.com`, password: "Sql-ish-Passw0rd", name, roles: ["agent"] },
      });
      expect(res.statusCode).toBe(201);
      const got = await t.call("GET", `/api/users/${res.json().id}`, { token });
      expect(got.json().name).toBe(name);
      const search = await t.call("GET", `/api/users?q=${encodeURIComponent(name)}`, { token });
      expect(search.statusCode).toBe(200);
      expect(search.json().items.map((u: { name: string }) => u.name)).toContain(name);
    }
    const dep = await t.call("POST", "/api/departments", {
      token,
      body: { name: "x'); drop table departments; --" },
    });
    expect(dep.statusCode).toBe(201);
    const tenants = await t.siyu.platform.db.query<{ n: number }>("select count(*)::int as n from tenants");
    expect(tenants[0]?.n).toBe(1);
  });

  it("answers with x-request-id, echoing the caller's", async () => {
    const res = await t.call("GET", "/healthz", { headers: { "x-request-id": "req-abc" } });
    expect(res.headers["x-request-id"]).toBe("req-abc");
  });
});
