import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WxMsgCrypt } from "../../../connectors/shared/wx-msg-crypt.ts";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { loadVector } from "../../../testing/vectors.ts";
import { saveWecomSettings } from "../settings.service.ts";
import { signedEvent, type TestCorp } from "./callbacks.ts";

const official = loadVector("wecom.callback.verify_url.official_sample");
const corp: TestCorp = {
  corpId: official.input.receiveid!,
  token: official.input.token!,
  encodingAesKey: official.input.encoding_aes_key!,
};
const settingsBody = {
  corpId: corp.corpId,
  agentId: "1000002",
  secret: "app-secret-value-1234",
  contactSecret: "contact-secret-value-5678",
  callbackToken: corp.token,
  encodingAesKey: corp.encodingAesKey,
  // Nothing is called in this suite: processing jobs would fail against this closed port, harmlessly.
  apiBase: "http://127.0.0.1:9",
};

async function inboxCount(t: TestApp): Promise<number> {
  const rows = await t.siyu.platform.db.query<{ n: number }>("select count(*)::int as n from inbox");
  return rows[0]?.n ?? -1;
}

describe.each(dbKinds)("WeCom settings and callback route (%s)", (kind) => {
  let t: TestApp;
  let owner: string;
  let agent: string;
  let tenantId: string;

  beforeAll(async () => {
    // The official vectors are from 2014: a wide window lets them through; the replay test below
    // uses a second app with the default window.
    t = await startTestApp(kind, { SIYU_CALLBACK_TOLERANCE_S: "2000000000", SIYU_ROLE: "api" });
    owner = await t.login();
    tenantId = (await t.call("GET", "/api/auth/me", { token: owner })).json().user.tenantId;
    const res = await t.call("POST", "/api/users", {
      token: owner,
      body: { email: "agent@example.com", password: "Agent-Passw0rd", name: "导购", roles: ["agent"] },
    });
    expect(res.statusCode).toBe(201);
    agent = await t.login("agent@example.com", "Agent-Passw0rd");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("GET settings before configuring: not configured, with the callback URL", async () => {
    const res = await t.call("GET", "/api/settings/wecom", { token: owner });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      configured: false,
      corpId: null,
      secret: null,
      apiBase: "https://qyapi.weixin.qq.com",
      callbackUrl: `http://localhost:3000/callbacks/wecom/${tenantId}`,
    });
  });

  it("the OpenAPI document has every WeCom route with its schemas, the callback URL included", async () => {
    const doc = (await t.call("GET", "/api/openapi.json")).json() as {
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: unknown;
            parameters?: Array<{ name: string }>;
            responses: Record<string, { content?: unknown }>;
          }
        >
      >;
    };
    const wecomRoutes = t.app.siyuRoutes.filter(
      (r) => (r.url.startsWith("/api/wecom") || r.url === "/api/settings/wecom") && r.method !== "HEAD",
    );
    expect(wecomRoutes.length).toBeGreaterThan(25);
    for (const r of wecomRoutes) {
      const op = doc.paths[r.url.replace(/:([A-Za-z]+)/g, "{$1}")]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.url}`).toBeDefined();
      const ok = Object.entries(op?.responses ?? {}).find(([code]) => code.startsWith("2"));
      expect(ok?.[1].content, `${r.method} ${r.url} response schema`).toBeDefined();
      if (r.hasBody) expect(op?.requestBody, `${r.method} ${r.url} body`).toBeDefined();
    }
    const callback = doc.paths["/callbacks/wecom/{tenantId}"];
    expect(callback?.get?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(["tenantId", "msg_signature", "timestamp", "nonce", "echostr"]),
    );
    expect(callback?.post?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(["tenantId", "msg_signature", "timestamp", "nonce"]),
    );
  });

  it("a callback for a tenant without settings is 404 and stores nothing", async () => {
    const ev = signedEvent(corp, { Event: "change_external_contact", ChangeType: "add_external_contact" });
    const res = await t.call("POST", `/callbacks/wecom/${tenantId}?${ev.query}`, {
      headers: { "content-type": "text/xml" },
      body: ev.body,
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("not_found");
    expect(await inboxCount(t)).toBe(0);
  });

  it("validates the settings body", async () => {
    const bad = [
      { ...settingsBody, encodingAesKey: "short" },
      { ...settingsBody, encodingAesKey: `${corp.encodingAesKey}x` },
      { ...settingsBody, callbackToken: "has space" },
      { ...settingsBody, corpId: "" },
      { ...settingsBody, apiBase: "ftp://example.com" },
      { ...settingsBody, unknown: 1 },
      { corpId: corp.corpId },
    ];
    for (const body of bad) {
      const res = await t.call("PUT", "/api/settings/wecom", { token: owner, body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe("validation_failed");
    }
  });

  it("agents may neither read nor write the settings", async () => {
    expect((await t.call("GET", "/api/settings/wecom", { token: agent })).statusCode).toBe(403);
    const res = await t.call("PUT", "/api/settings/wecom", { token: agent, body: settingsBody });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("forbidden");
  });

  it("PUT stores the settings encrypted and audited; GET masks every secret", async () => {
    const put = await t.call("PUT", "/api/settings/wecom", { token: owner, body: settingsBody });
    expect(put.statusCode).toBe(200);
    const res = await t.call("GET", "/api/settings/wecom", { token: owner });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      configured: true,
      corpId: corp.corpId,
      agentId: "1000002",
      secret: "ap****34",
      contactSecret: "co****78",
      callbackToken: "****",
      apiBase: "http://127.0.0.1:9",
    });
    for (const secret of [settingsBody.secret, settingsBody.contactSecret, corp.encodingAesKey]) {
      expect(res.body).not.toContain(secret);
      expect(put.body).not.toContain(secret);
    }
    const [row] = await t.siyu.platform.db.query<Record<string, string>>("select * from wecom_settings");
    for (const col of ["secret_enc", "contact_secret_enc", "callback_token_enc", "encoding_aes_key_enc"]) {
      expect(row?.[col]).toMatch(/^enc:v1:/);
    }
    expect(JSON.stringify(row)).not.toContain(settingsBody.secret);
    const audit = await t.siyu.platform.db.query<{ action: string; data: unknown }>(
      "select action, data from audit_log where action like 'wecom.%'",
    );
    expect(audit.map((a) => a.action)).toEqual(["wecom.settings_created"]);
    expect(JSON.stringify(audit)).not.toContain(settingsBody.secret);
  });

  it("URL verification answers the bare plaintext of the official sample, `+` in echostr included", async () => {
    const q = `msg_signature=${official.input.msg_signature}&timestamp=${official.input.timestamp}&nonce=${official.input.nonce}&echostr=${official.input.echostr_as_sent_in_query}`;
    const res = await t.call("GET", `/callbacks/wecom/${tenantId}?${q}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toBe(official.expected.reply_body);

    // A literal `+` (not percent-encoded) must not turn into a space.
    const literal = `msg_signature=${official.input.msg_signature}&timestamp=${official.input.timestamp}&nonce=${official.input.nonce}&echostr=${official.input.echostr}`;
    const res2 = await t.call("GET", `/callbacks/wecom/${tenantId}?${literal}`);
    expect(res2.statusCode).toBe(200);
    expect(res2.body).toBe(official.expected.reply_body);

    const bad = await t.call(
      "GET",
      `/callbacks/wecom/${tenantId}?${q.replace("msg_signature=5", "msg_signature=6")}`,
    );
    expect(bad.statusCode).toBe(401);
    expect((await t.call("GET", `/callbacks/wecom/${tenantId}`)).statusCode).toBe(400);
  });

  it("the official POST sample is stored once; an unknown kind is stored and marked ignored later", async () => {
    const v = loadVector("wecom.callback.decrypt_post.official_sample");
    const q = `msg_signature=${v.input.msg_signature}&timestamp=${v.input.timestamp}&nonce=${v.input.nonce}`;
    for (let i = 0; i < 2; i++) {
      const res = await t.call("POST", `/callbacks/wecom/${tenantId}?${q}`, {
        headers: { "content-type": "text/xml" },
        body: v.input.body,
      });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe("");
    }
    const rows = await t.siyu.platform.db.query<{ kind: string; payload: Record<string, string> }>(
      "select kind, payload from inbox where platform = 'wecom'",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.kind).toBe("message.text");
    expect(rows[0]?.payload.Content).toBe("hello");
  });

  it("the derived add_external_contact vector is accepted as WeCom sends it", async () => {
    const v = loadVector("wecom.callback.event.derived_add_external_contact");
    const res = await t.call("POST", `/callbacks/wecom/${tenantId}?${v.expected.post_url_query}`, {
      headers: { "content-type": "text/xml" },
      body: String(v.expected.post_body),
    });
    expect(res.statusCode).toBe(200);
    const rows = await t.siyu.platform.db.query<{ kind: string; payload: Record<string, string> }>(
      "select kind, payload from inbox where kind like 'change_external_contact%'",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.kind).toBe("change_external_contact.add_external_contact");
    expect(rows[0]?.payload.ExternalUserID).toBe("wmAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  });

  it("refuses bad signature, wrong receiveid, tampered ciphertext, bad XML, XXE, oversize — storing nothing", async () => {
    const before = await inboxCount(t);
    const fields = {
      CreateTime: "1700000000",
      Event: "change_external_contact",
      ChangeType: "add_external_contact",
      UserID: "zhangsan",
      ExternalUserID: "wmBAD",
    };
    const post = (query: string, body: string, type = "text/xml") =>
      t.call("POST", `/callbacks/wecom/${tenantId}?${query}`, { headers: { "content-type": type }, body });

    const good = signedEvent(corp, fields);
    const cases: Array<[string, Promise<{ statusCode: number; json(): { error: { code: string } } }>]> = [
      ["bad signature", post(good.query.replace(/msg_signature=[0-9a-f]/, "msg_signature=x"), good.body)],
      ["no signature", post(good.query.replace(/msg_signature=[0-9a-f]+&/, ""), good.body)],
      [
        "wrong receiveid",
        (() => {
          const e = signedEvent(corp, fields, { receiveId: "wwOtherCorp" });
          return post(e.query, e.body);
        })(),
      ],
      [
        "tampered ciphertext",
        (() => {
          // Flip a character and re-sign: the signature holds, the ciphertext does not decrypt.
          const crypt = new WxMsgCrypt({ ...corp, receiveId: corp.corpId });
          const flipped = `${good.encrypt.slice(0, 10)}${good.encrypt[10] === "A" ? "B" : "A"}${good.encrypt.slice(11)}`;
          const ts = String(Math.floor(Date.now() / 1000));
          const q = `msg_signature=${crypt.sign(ts, "1", flipped)}&timestamp=${ts}&nonce=1`;
          return post(q, good.body.replace(good.encrypt, flipped));
        })(),
      ],
      ["truncated XML", post(good.query, good.body.slice(0, good.body.length - 20))],
      ["not XML", post(good.query, "hello")],
      ["empty body", post(good.query, "")],
      [
        "XXE",
        post(
          good.query,
          `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Encrypt>&x;</Encrypt></xml>`,
        ),
      ],
      ["no Encrypt", post(good.query, "<xml><ToUserName>x</ToUserName></xml>")],
      ["non-numeric timestamp", post(good.query.replace(/timestamp=\d+/, "timestamp=abc"), good.body)],
    ];
    for (const [name, pending] of cases) {
      const res = await pending;
      expect({ name, status: res.statusCode >= 400 && res.statusCode < 500 }).toEqual({ name, status: true });
      expect(res.json().error.code).toBeTypeOf("string");
    }
    const big = await post(good.query, `<xml><Encrypt>${"A".repeat(70 * 1024)}</Encrypt></xml>`);
    expect(big.statusCode).toBe(413);
    const bad = await t.call("POST", `/callbacks/wecom/..%2F..%2Fetc?${good.query}`, {
      headers: { "content-type": "text/xml" },
      body: good.body,
    });
    expect(bad.statusCode).toBe(404);
    expect(await inboxCount(t)).toBe(before);
  });
});

describe.each(dbKinds)("WeCom callback replay window (%s)", (kind) => {
  let t: TestApp;
  let tenantId: string;
  beforeAll(async () => {
    t = await startTestApp(kind, { SIYU_ROLE: "api" });
    const owner = await t.login();
    tenantId = (await t.call("GET", "/api/auth/me", { token: owner })).json().user.tenantId;
    expect(
      (await t.call("PUT", "/api/settings/wecom", { token: owner, body: settingsBody })).statusCode,
    ).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("refuses a correctly signed callback whose timestamp is 10 minutes old, and accepts a fresh one", async () => {
    const fields = { CreateTime: "1", Event: "change_external_contact", ChangeType: "edit_external_contact" };
    const old = signedEvent(corp, fields, { timestamp: String(Math.floor(Date.now() / 1000) - 600) });
    const res = await t.call("POST", `/callbacks/wecom/${tenantId}?${old.query}`, {
      headers: { "content-type": "text/xml" },
      body: old.body,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("callback_rejected");
    expect(await inboxCount(t)).toBe(0);
    const fresh = signedEvent(corp, fields);
    const ok = await t.call("POST", `/callbacks/wecom/${tenantId}?${fresh.query}`, {
      headers: { "content-type": "text/xml" },
      body: fresh.body,
    });
    expect(ok.statusCode).toBe(200);
    expect(await inboxCount(t)).toBe(1);
  });

  it("a changed callback token applies at once here, and after a reload when another process changed it", async () => {
    const owner = await t.login();
    const post = (c: TestCorp, n: number) => {
      const ev = signedEvent(c, {
        CreateTime: String(n),
        Event: "change_external_contact",
        ChangeType: "edit_external_contact",
      });
      return t.call("POST", `/callbacks/wecom/${tenantId}?${ev.query}`, {
        headers: { "content-type": "text/xml" },
        body: ev.body,
      });
    };
    expect((await post(corp, 100)).statusCode).toBe(200);
    // Through the route: this process forgets its cached copy at once.
    const rotated = { ...corp, token: "RotatedToken1" };
    const put = await t.call("PUT", "/api/settings/wecom", {
      token: owner,
      body: { ...settingsBody, callbackToken: rotated.token },
    });
    expect(put.statusCode).toBe(200);
    expect((await post(rotated, 101)).statusCode).toBe(200);
    expect((await post(corp, 102)).statusCode).toBe(401);
    // Behind this process's back (as another API process would save it): the cached copy is stale.
    const again = { ...corp, token: "RotatedToken2" };
    await t.siyu.platform.db.tenant(tenantId, (scope) =>
      saveWecomSettings(
        scope,
        t.siyu.platform,
        { email: "other-process@example.com" },
        { ...settingsBody, callbackToken: again.token },
      ),
    );
    await new Promise((r) => setTimeout(r, 1100));
    expect((await post(again, 103)).statusCode).toBe(200);
    expect((await post(rotated, 104)).statusCode).toBe(401);
  });
});
