import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./app-harness.ts";
import { dbKinds } from "./databases.ts";
import { globalParamRoutes, resourceFixtures, sampleBodies } from "./tenancy-fixtures.ts";

// Tenant B must get 404 for every object of tenant A on every route that names one, and must never
// see A's objects in any list. Written over the route inventory, so later routes are covered.
describe.each(dbKinds)("tenant isolation over every route (%s)", (kind) => {
  let t: TestApp;
  let tokenA: string;
  let tokenB: string;
  const idsOfA = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestApp(kind);
    tokenA = await t.login();
    const res = await t.call("POST", "/api/tenants", {
      token: tokenA,
      body: { name: "Tenant B", admin: { email: "owner-b@example.com", password: "Owner-B-Passw0rd" } },
    });
    expect(res.statusCode).toBe(201);
    tokenB = await t.login("owner-b@example.com", "Owner-B-Passw0rd");
    for (const [resource, fixture] of Object.entries(resourceFixtures)) {
      idsOfA.set(resource, await fixture.create(t, tokenA));
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it("every route with a path parameter declares the tenant object it names", () => {
    const undeclared = t.app.siyuRoutes
      .filter((r) => r.url.startsWith("/api/") && r.url.includes(":") && r.method !== "HEAD")
      .filter((r) => !r.config.resource && !globalParamRoutes[`${r.method} ${r.url}`])
      .map((r) => `${r.method} ${r.url}`);
    expect(undeclared).toEqual([]);
  });

  it("every declared resource has a fixture", () => {
    const resources = new Set(t.app.siyuRoutes.map((r) => r.config.resource).filter(Boolean));
    const platformWide = new Set(Object.keys(globalParamRoutes).map((k) => k.split(" ")[1]));
    const missing = [...resources].filter((r) => !resourceFixtures[r as string]);
    const routesOfMissing = t.app.siyuRoutes.filter(
      (r) => missing.includes(r.config.resource ?? "") && !platformWide.has(r.url),
    );
    expect(routesOfMissing.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });

  it("answers 404 to tenant B for each of tenant A's objects, and leaves them unchanged", async () => {
    const checked: string[] = [];
    for (const route of t.app.siyuRoutes) {
      const resource = route.config.resource;
      if (!resource || route.method === "HEAD" || globalParamRoutes[`${route.method} ${route.url}`]) continue;
      const id = idsOfA.get(resource);
      expect(id, `fixture id for ${resource}`).toBeDefined();
      const url = route.url.replace(/:[A-Za-z]+/, id as string);
      const key = `${route.method} ${route.url}`;
      const body = route.hasBody ? sampleBodies[key] : undefined;
      if (route.hasBody) expect(body, `sample body for ${key} in tenancy-fixtures.ts`).toBeDefined();
      const res = await t.call(route.method, url, { token: tokenB, ...(body !== undefined ? { body } : {}) });
      expect({ key, status: res.statusCode }).toEqual({ key, status: 404 });
      expect(res.json().error.code).toBe("not_found");
      checked.push(key);
    }
    expect(checked.length).toBeGreaterThanOrEqual(4);
    // A's user is untouched by B's attempts.
    const user = await t.call("GET", `/api/users/${idsOfA.get("user")}`, { token: tokenA });
    expect(user.statusCode).toBe(200);
    expect(user.json().name).toBe("Fixture");
    // …and so are A's objects that B tried to rename, delete, redeem or complete.
    const untouched = await t.siyu.platform.db.system((s) =>
      s.query<{ n: number }>(
        `select (select count(*) from content_articles where id = $1 and deleted_at is null and title = 'A 的文章')
              + (select count(*) from engagement_rules where id = $2 and deleted_at is null and name = 'A 的规则')
              + (select count(*) from oa_menus where id = $3 and deleted_at is null and name = 'A 的菜单')
              + (select count(*) from oa_keyword_replies where id = $4 and deleted_at is null)
              + (select count(*) from oa_templates where id = $5 and deleted_at is null)
              + (select count(*) from coupon_grants where id = $6 and status = 'issued')
              + (select count(*) from tasks where id = $7 and status = 'open')
              + (select count(*) from oa_qr_codes where id = $8 and deleted_at is null and name = 'A 的公众号码')
              + (select count(*) from live_code_groups where id = $9 and deleted_at is null and name = 'A 的群活码')
              as n`,
        [
          "content_article",
          "engagement_rule",
          "oa_menu",
          "oa_auto_reply",
          "oa_template",
          "coupon_grant",
          "follow_up",
          "oa_qr_code",
          "group_live_code",
        ].map((r) => idsOfA.get(r)),
      ),
    );
    expect(Number(untouched[0]?.n)).toBe(9);
  });

  it("answers 404 to tenant B for A's channels in the cross-channel stats (type and id)", async () => {
    const channels = [
      ["live_code", idsOfA.get("live_code")],
      ["oa_qr", idsOfA.get("oa_qr_code")],
    ] as const;
    for (const [type, id] of channels) {
      expect(id, `fixture id for ${type}`).toBeDefined();
      const url = `/api/channels/${type}/${id}/stats`;
      const own = await t.call("GET", url, { token: tokenA });
      expect({ url, status: own.statusCode }).toEqual({ url, status: 200 });
      const res = await t.call("GET", url, { token: tokenB });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 404 });
      expect(res.json().error.code).toBe("not_found");
    }
  });

  it("never lists tenant A's objects to tenant B", async () => {
    const lists = t.app.siyuRoutes.filter(
      (r) =>
        r.method === "GET" &&
        r.url.startsWith("/api/") &&
        !r.url.startsWith("/api/docs") &&
        !r.url.includes(":") &&
        !r.config.public,
    );
    let listed = 0;
    for (const route of lists) {
      const res = await t.call("GET", route.url, { token: tokenB });
      if (res.statusCode === 403) continue; // platform-admin routes: B's owner is not one
      expect({ url: route.url, status: res.statusCode }).toEqual({ url: route.url, status: 200 });
      for (const id of idsOfA.values()) expect(res.body.includes(id), `${route.url} leaks ${id}`).toBe(false);
      listed++;
    }
    expect(listed).toBeGreaterThanOrEqual(5);
  });

  it("a tenant transaction that forgets its tenant sees no rows", async () => {
    const rows = await t.siyu.platform.db.system(async (s) => {
      await s.query("select set_config('role', 'siyu_app', true)");
      return s.query("select id from users");
    });
    expect(rows).toEqual([]);
    const all = await t.siyu.platform.db.system((s) => s.query("select id from users"));
    expect(all.length).toBeGreaterThanOrEqual(3);
  });
});
