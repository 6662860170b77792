import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";

// What the route-generic garbage suite cannot reach: values that pass the schemas' shape and then
// reach PostgreSQL against existing rows. Each must be a 4xx in the error shape (or a plain answer),
// never a 500.
describe.each(dbKinds)("customer routes with well-formed but hostile values (%s)", (kind) => {
  let t: TestApp;
  let token: string;
  let customerId: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    token = await t.login();
    const res = await t.call("POST", "/api/customers", {
      token,
      body: { name: "Hostile", phone: "13912340000", attributes: { age: 30, birthday: "1990-01-01" } },
    });
    expect(res.statusCode, res.body).toBe(201);
    customerId = res.json().id;
  });
  afterAll(async () => {
    await t?.close();
  });

  function expect4xx(res: Awaited<ReturnType<TestApp["call"]>>, what: string) {
    expect(res.statusCode, `${what}: ${res.body}`).toBeGreaterThanOrEqual(400);
    expect(res.statusCode, `${what}: ${res.body}`).toBeLessThan(500);
    expect(res.json().error, what).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  }

  function expectAnswered(res: Awaited<ReturnType<TestApp["call"]>>, what: string) {
    if (res.statusCode === 200) expect(res.json().count, what).toEqual(expect.any(Number));
    else expect4xx(res, what);
  }

  it("refuses dates PostgreSQL cannot hold (year 0, 30 February, out of range) in segment comparisons", async () => {
    for (const value of [
      "0000-01-01",
      "2026-02-30",
      "2026-02-29",
      "2023-04-31T10:00:00Z",
      "0000-06-01T00:00:00Z",
    ]) {
      const expression = `created_at >= "${value}"`;
      for (const path of ["/api/segments/preview", "/api/segments"]) {
        const res = await t.call("POST", path, {
          token,
          body: path.endsWith("preview") ? { expression } : { name: `s ${value}`, expression },
        });
        expect4xx(res, `${path} ${expression}`);
      }
      const ast = await t.call("POST", "/api/segments/preview", {
        token,
        body: { ast: { type: "compare", field: "created_at", op: ">=", value } },
      });
      expect4xx(ast, `ast ${value}`);
    }
    // A real leap day and the far past still work.
    for (const value of ["2024-02-29", "0001-01-01", "1900-01-01T00:00:00+08:00"]) {
      const res = await t.call("POST", "/api/segments/preview", {
        token,
        body: { expression: `created_at >= "${value}"` },
      });
      expect(res.statusCode, `${value}: ${res.body}`).toBe(200);
      expect(res.json().count).toBe(1);
    }
  });

  it("answers extreme numbers in attribute comparisons (a count, or a clear refusal)", async () => {
    const huge = "9".repeat(400);
    for (const expression of [
      `attr.age > ${huge}`,
      `attr.age < -${huge}`,
      `attr.age in [${huge}, 2]`,
      "attr.age = 0.1",
    ]) {
      const res = await t.call("POST", "/api/segments/preview", { token, body: { expression } });
      expectAnswered(res, expression);
    }
    for (const value of [1e308, -1e308, Number.MAX_SAFE_INTEGER + 2]) {
      const res = await t.call("POST", "/api/segments/preview", {
        token,
        body: { ast: { type: "compare", field: "attr.age", op: ">", value } },
      });
      expectAnswered(res, String(value));
    }
  });

  it("refuses impossible dates on the timeline cursor", async () => {
    for (const before of ["0000-01-01T00:00:00Z", "2026-02-30T00:00:00Z"]) {
      const res = await t.call(
        "GET",
        `/api/customers/${customerId}/timeline?before=${encodeURIComponent(before)}`,
        { token },
      );
      expect4xx(res, `timeline before=${before}`);
    }
    const ok = await t.call(
      "GET",
      `/api/customers/${customerId}/timeline?before=${encodeURIComponent("2999-01-01T00:00:00Z")}`,
      { token },
    );
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it("refuses impossible date attributes instead of storing them", async () => {
    for (const birthday of ["2026-02-30", "0000-01-01"]) {
      const res = await t.call("PATCH", `/api/customers/${customerId}`, {
        token,
        body: { attributes: { birthday } },
      });
      expect4xx(res, `birthday ${birthday}`);
    }
  });
});
