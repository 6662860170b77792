import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../testing/app-harness.ts";
import { getWecomSandbox, wireSandboxTenant } from "../index.ts";

describe("the sandbox module mounts the WeCom simulator in the app", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp("pglite", { SIYU_SANDBOX: "1" });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("serves WeCom paths and the sim API under /sandbox/wecom without auth", async () => {
    const created = await t.call("POST", "/sandbox/wecom/_sim/corps", { body: { corpId: "wwmodule01" } });
    expect(created.statusCode).toBe(201);
    const corp = created.json() as { appSecret: string };
    const tok = await t.call(
      "GET",
      `/sandbox/wecom/cgi-bin/gettoken?corpid=wwmodule01&corpsecret=${corp.appSecret}`,
    );
    expect(tok.json()).toMatchObject({ errcode: 0, expires_in: 7200 });
    const bad = await t.call("GET", "/sandbox/wecom/cgi-bin/user/get?access_token=nope&userid=zhangsan");
    expect(bad.statusCode).toBe(200);
    expect(bad.json().errcode).toBe(40014);
    // The host app's NUL guard is answered in the simulator's shapes, never a 500.
    const nul = await t.call("POST", "/sandbox/wecom/_sim/corps", { body: { corpName: "a\u0000b" } });
    expect(nul.statusCode).toBeLessThan(500);
    const missing = await t.call("GET", "/sandbox/wecom/_sim/nowhere");
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe("route_not_found");
  });

  it("wires a tenant: a stable corp whose callbacks point at /callbacks/wecom/<tenantId>", () => {
    const platform = t.siyu.platform;
    const s1 = wireSandboxTenant(platform, "ten_demo");
    const s2 = wireSandboxTenant(platform, "ten_demo");
    expect(s2).toEqual(s1);
    expect(s1.apiBase).toBe(`${platform.config.publicUrl}/sandbox/wecom`);
    expect(s1.encodingAesKey).toMatch(/^[A-Za-z0-9]{43}$/);
    const corp = getWecomSandbox(platform)!.corp(s1.corpId)!;
    expect(corp.callback?.url).toBe(`${platform.config.publicUrl}/callbacks/wecom/ten_demo`);
  });
});

describe("SIYU_SANDBOX=0", () => {
  it("mounts nothing", async () => {
    const t = await startTestApp("pglite", { SIYU_SANDBOX: "0" });
    try {
      const res = await t.call("GET", "/sandbox/wecom/_sim/corps");
      // 404, or the console's index.html when web/dist is built (its SPA fallback): never the sim API.
      if (res.statusCode !== 404) expect(String(res.headers["content-type"])).toMatch(/^text\/html/);
      expect(getWecomSandbox(t.siyu.platform)).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
