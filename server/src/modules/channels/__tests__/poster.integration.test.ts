import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StandaloneWecomSandbox, startWecomSandbox } from "../../../sandbox/wecom/index.ts";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { pngSize, posterSize } from "../poster.service.ts";

type Json = Record<string, unknown>;

describe.each(dbKinds)("GET /api/live-codes/:id/poster.png over HTTP (%s)", (kind) => {
  let t: TestApp;
  let sb: StandaloneWecomSandbox;
  let owner: string;
  let codeId: string;

  beforeAll(async () => {
    sb = await startWecomSandbox({ callbackRetryDelayMs: 20 });
    t = await startTestApp(kind);
    owner = await t.login();
    const corpRes = await fetch(`${sb.url}/_sim/corps`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        corpName: "海报企业",
        members: [{ userid: "zhangsan", name: "张三", department: [1], customerContact: true }],
      }),
    });
    const corp = (await corpRes.json()) as Json;
    const put = await t.call("PUT", "/api/settings/wecom", {
      token: owner,
      body: {
        corpId: corp.corpId,
        agentId: String(corp.agentId ?? 1000002),
        secret: corp.appSecret,
        contactSecret: corp.contactSecret,
        callbackToken: "PosterToken1",
        encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        apiBase: sb.url,
      },
    });
    expect(put.statusCode, put.body).toBe(200);
    const created = await t.call("POST", "/api/live-codes", {
      token: owner,
      body: { name: "门店开业活码", staffUserIds: ["zhangsan"] },
    });
    expect(created.statusCode, created.body).toBe(201);
    codeId = created.json().id;
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await sb?.close();
  });

  it("renders every template as a PNG of the poster size, as a download", async () => {
    for (const template of ["classic", "festive", "minimal"]) {
      const res = await t.call(
        "GET",
        `/api/live-codes/${codeId}/poster.png?template=${template}&subtitle=${encodeURIComponent("扫码领新人礼")}&store=${encodeURIComponent("静安店")}`,
        { token: owner },
      );
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers["content-type"]).toBe("image/png");
      expect(String(res.headers["content-disposition"])).toContain(`live-code-${codeId}-${template}.png`);
      expect(pngSize(res.rawPayload)).toEqual(posterSize);
    }
    // No template: the classic one, titled with the code's name.
    const plain = await t.call("GET", `/api/live-codes/${codeId}/poster.png`, { token: owner });
    expect(plain.statusCode).toBe(200);
    expect(pngSize(plain.rawPayload)).toEqual(posterSize);
  });

  it("answers bad input and unknown codes with the error shape", async () => {
    const bad = await t.call("GET", `/api/live-codes/${codeId}/poster.png?template=glitter`, {
      token: owner,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe("validation_failed");
    const long = await t.call("GET", `/api/live-codes/${codeId}/poster.png?title=${"长".repeat(41)}`, {
      token: owner,
    });
    expect(long.statusCode).toBe(400);
    const missing = await t.call("GET", "/api/live-codes/lc_nope/poster.png", { token: owner });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe("not_found");
    const anonymous = await t.call("GET", `/api/live-codes/${codeId}/poster.png`);
    expect(anonymous.statusCode).toBe(401);
  });
});
