import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oaSignature } from "../../../connectors/official-account/index.ts";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { signedOaMessage, type TestOaAccount } from "../../../testing/oa-world.ts";
import { loadVector } from "../../../testing/vectors.ts";

const compat = loadVector("oa.safe_mode.decrypt_compat_envelope");
const ci = compat.input as Record<string, string>;
const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(ci.body!)?.[1] as string;
const vectorOpenid = "oyORnuP8q7ou2gfYjqLzSIWZf0rs";

describe.each(dbKinds)("Official Account settings and callback route (%s)", (kind) => {
  let t: TestApp;
  let owner: string;
  let tenantId: string;

  const inboxCount = async () =>
    (
      await t.siyu.platform.db.query<{ n: number }>(
        "select count(*)::int as n from inbox where platform = 'official-account'",
      )
    )[0]?.n ?? -1;
  const put = (body: Record<string, unknown>) =>
    t.call("PUT", "/api/settings/official-account", { token: owner, body });
  const settingsFor = (mode: string, appId = ci.appid) => ({
    appId,
    secret: "oa-secret-value-123456",
    token: ci.token,
    encodingAesKey: ci.encoding_aes_key,
    mode,
    apiBase: "http://127.0.0.1:9",
  });
  const post = (query: string, body: string) =>
    t.call("POST", `/callbacks/official-account/${tenantId}?${query}`, {
      headers: { "content-type": "text/xml" },
      body,
    });
  const vectorQuery = (extra = "") =>
    `signature=${oaSignature(ci.token!, ci.timestamp!, ci.nonce!)}&timestamp=${ci.timestamp}&nonce=${ci.nonce}&openid=${vectorOpenid}${extra}`;
  const aes = `&encrypt_type=aes&msg_signature=${ci.msg_signature}`;

  beforeAll(async () => {
    // The vectors are from 2014: a wide window lets them through (the replay test is in the e2e suite).
    t = await startTestApp(kind, { SIYU_CALLBACK_TOLERANCE_S: "2000000000", SIYU_ROLE: "api" });
    owner = await t.login();
    tenantId = (await t.call("GET", "/api/auth/me", { token: owner })).json().user.tenantId;
  });
  afterAll(async () => {
    await t?.close();
  });

  it("settings: not configured, then saved with secrets encrypted, masked on GET, audited; bad input is 400", async () => {
    const before = await t.call("GET", "/api/settings/official-account", { token: owner });
    expect(before.json()).toMatchObject({
      configured: false,
      mode: null,
      apiBase: "https://api.weixin.qq.com",
      callbackUrl: `http://localhost:3000/callbacks/official-account/${tenantId}`,
    });
    const missingKey = await put({ ...settingsFor("safe"), encodingAesKey: undefined });
    expect(missingKey.statusCode).toBe(400);
    expect(missingKey.json().error.code).toBe("validation_failed");
    expect((await put({ ...settingsFor("safe"), mode: "loud" })).statusCode).toBe(400);
    expect((await put({ ...settingsFor("safe"), appId: "not-an-appid" })).statusCode).toBe(400);
    expect((await put({ ...settingsFor("safe"), extra: 1 })).statusCode).toBe(400);
    const saved = await put(settingsFor("compatible"));
    expect(saved.statusCode, saved.body).toBe(200);
    const body = saved.json();
    expect(body).toMatchObject({ configured: true, appId: ci.appid, mode: "compatible", secret: "oa****56" });
    expect(JSON.stringify(body)).not.toContain("oa-secret-value-123456");
    expect(JSON.stringify(body)).not.toContain(ci.encoding_aes_key);
    const [raw] = await t.siyu.platform.db.query<{ secret_enc: string; token_enc: string }>(
      "select secret_enc, token_enc from oa_settings",
    );
    expect(raw?.secret_enc).toMatch(/^enc:/);
    expect(raw?.token_enc).not.toContain(ci.token);
    const audit = await t.siyu.platform.db.query<{ action: string; data: unknown }>(
      "select action, data from audit_log where action like 'official_account.%'",
    );
    expect(audit.map((a) => a.action)).toContain("official_account.settings_created");
    expect(JSON.stringify(audit)).not.toContain("oa-secret-value-123456");
    const agentLike = await t.call("GET", "/api/settings/official-account");
    expect(agentLike.statusCode).toBe(401);
  });

  it("GET verification echoes echostr verbatim; a bad signature is 401 with the error shape", async () => {
    const q = `signature=${oaSignature(ci.token!, "1700000000", "77")}&timestamp=1700000000&nonce=77&echostr=12345%2B678`;
    const ok = await t.call("GET", `/callbacks/official-account/${tenantId}?${q}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe("12345+678");
    const bad = await t.call(
      "GET",
      `/callbacks/official-account/${tenantId}?${q.replace(/^signature=./, "signature=0")}`,
    );
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error.code).toBe("unauthorized");
    expect((await t.call("GET", `/callbacks/official-account/nosuchtenant?${q}`)).statusCode).toBe(404);
  });

  it("compatible mode: the vector is verified, decrypted, stored once and answered success", async () => {
    const res = await post(vectorQuery(aes), ci.body!);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toBe("success");
    expect(await inboxCount()).toBe(1);
    const again = await post(vectorQuery(aes), ci.body!);
    expect(again.statusCode).toBe(200);
    expect(await inboxCount()).toBe(1);
    const [row] = await t.siyu.platform.db.query<{
      kind: string;
      event_key: string;
      payload: Record<string, string>;
    }>("select kind, event_key, payload from inbox where platform = 'official-account'");
    expect(row).toMatchObject({ kind: "message.text", event_key: "msg:6054768590064713728" });
    expect(row?.payload.Content).toBe("abcdteT");
    // A plaintext message to a compatible account is a downgrade: refused, nothing stored.
    const plain = await post(vectorQuery(), ci.body!);
    expect(plain.statusCode).toBe(400);
    expect(plain.json().error.code).toBe("callback_rejected");
  });

  it("safe mode: the vector's Encrypt alone; a wrong appid is refused and stores nothing", async () => {
    expect((await put(settingsFor("safe"))).statusCode).toBe(200);
    const safeBody = `<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
    const before = await inboxCount();
    const ok = await post(vectorQuery(aes), safeBody);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await inboxCount()).toBe(before); // the same message as the compatible one: a duplicate
    expect((await put(settingsFor("safe", "wx00000000000000aa"))).statusCode).toBe(200);
    const wrong = await post(vectorQuery(aes), safeBody);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.message).toMatch(/appid/);
    const badSig = await post(vectorQuery(`&encrypt_type=aes&msg_signature=${"0".repeat(40)}`), safeBody);
    expect(badSig.statusCode).toBe(401);
    expect(await inboxCount()).toBe(before);
  });

  it("plain mode: signature only; hostile bodies are 4xx with the error shape and store nothing", async () => {
    const account: TestOaAccount = {
      appId: "wx2c2769f8efd9abc2",
      originalId: "gh_10f6c3c3ac5a",
      token: "PlainToken1",
      encodingAesKey: ci.encoding_aes_key!,
      mode: "plain",
    };
    expect(
      (await put({ ...settingsFor("plain"), token: account.token, encodingAesKey: undefined })).statusCode,
    ).toBe(200);
    const before = await inboxCount();
    const m = signedOaMessage(account, {
      FromUserName: "o_plain_1",
      MsgType: "event",
      Event: "subscribe",
      EventKey: "",
    });
    const ok = await post(m.query, m.body);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.body).toBe("success");
    expect(await inboxCount()).toBe(before + 1);
    const entity = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "x">]><xml><ToUserName>&a;</ToUserName></xml>`;
    const sig = m.query;
    const bad = await post(sig, entity);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe("callback_rejected");
    const big = await post(sig, `<xml><Content>${"A".repeat(70_000)}</Content></xml>`);
    expect(big.statusCode).toBe(413);
    expect(big.json().error).toBeDefined();
    expect((await post(sig, "<notxml")).statusCode).toBe(400);
    expect((await post(`${sig.replace(/signature=[0-9a-f]+/, "signature=abc")}`, m.body)).statusCode).toBe(
      401,
    );
    expect((await post("timestamp=1&nonce=2", m.body)).statusCode).toBe(400);
    expect((await post(`${sig}&x=%E0%A4%A`, m.body)).statusCode).toBe(400);
    expect(await inboxCount()).toBe(before + 1);
  });
});
