import { describe, expect, it } from "vitest";
import { loadVector } from "../../testing/vectors.ts";
import { WxMsgCrypt } from "../shared/wx-msg-crypt.ts";
import { parseWxXml, xmlText } from "../shared/xml.ts";
import {
  buildReplyXml,
  cdata,
  OaCallbackError,
  OaCallbackVerifier,
  type OaMessageMode,
  oaSignature,
  verifyOaSignature,
} from "./callback.ts";

const plainVector = loadVector("oa.server.plain_signature.wechatpy");
const compat = loadVector("oa.safe_mode.decrypt_compat_envelope");
const binary = loadVector("oa.safe_mode.decrypt_reply_binary_random");

const ci = compat.input as Record<string, string>;
const encryptOf = (body: string) => /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(body)?.[1] as string;
const encrypt = encryptOf(ci.body!);
const safeBody = `<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;

function verifier(mode: OaMessageMode, appId = ci.appid!) {
  return new OaCallbackVerifier({ appId, token: ci.token!, encodingAesKey: ci.encoding_aes_key!, mode });
}
const query = (extra: Record<string, string> = {}) => ({
  signature: oaSignature(ci.token!, ci.timestamp!, ci.nonce!),
  timestamp: ci.timestamp!,
  nonce: ci.nonce!,
  openid: "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
  ...extra,
});
const aes = { encrypt_type: "aes", msg_signature: ci.msg_signature! };

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof OaCallbackError ? err.reason : `other: ${(err as Error).message}`;
  }
  return "accepted";
}

describe("Official Account server verification (§1)", () => {
  it("computes the plain signature of the wechatpy vector and refuses its negative", () => {
    const i = plainVector.input;
    expect(oaSignature(i.token!, i.timestamp!, i.nonce!)).toBe(plainVector.expected.signature);
    expect(
      verifyOaSignature(i.token!, i.timestamp!, i.nonce!, plainVector.expected.signature as string),
    ).toBe(true);
    const negative = (plainVector as unknown as { negative: { signature: string } }).negative.signature;
    expect(verifyOaSignature(i.token!, i.timestamp!, i.nonce!, negative)).toBe(false);
  });

  it("echoes echostr verbatim in every mode (never encrypted), refuses a bad signature", () => {
    const i = plainVector.input;
    for (const mode of ["plain", "compatible", "safe"] as const) {
      const v = new OaCallbackVerifier({
        appId: "wx2c2769f8efd9abc2",
        token: i.token!,
        encodingAesKey: ci.encoding_aes_key!,
        mode,
      });
      const q = { timestamp: i.timestamp!, nonce: i.nonce!, echostr: "5837397520665436492+/=" };
      expect(v.verifyUrl({ ...q, signature: plainVector.expected.signature as string })).toBe(q.echostr);
      expect(reason(() => v.verifyUrl({ ...q, signature: "f21891de399b4e33a1a93c9a7b8a8fffb5a443fe" }))).toBe(
        "bad_signature",
      );
      expect(reason(() => v.verifyUrl({ ...q, signature: "" }))).toBe("malformed");
    }
  });
});

describe("the three message modes (§2)", () => {
  it("compatible: the vector's envelope verifies and only the decrypted payload is returned", () => {
    const opened = verifier("compatible").open(query(aes), ci.body!);
    expect(opened.encrypted).toBe(true);
    expect(xmlText(opened.message, "Content")).toBe("abcdteT");
    expect(xmlText(opened.message, "MsgId")).toBe("6054768590064713728");
    expect(xmlText(opened.message, "Encrypt")).toBeUndefined();
  });

  it("compatible: plaintext fields that differ from the encrypted ones are not trusted", () => {
    const forged = ci.body!.replace("abcdteT", "forged!");
    const opened = verifier("compatible").open(query(aes), forged);
    expect(xmlText(opened.message, "Content")).toBe("abcdteT");
  });

  it("safe: Encrypt only, appid checked by the receiveid, envelope ToUserName checked", () => {
    const opened = verifier("safe").open(query(aes), safeBody);
    expect(xmlText(opened.message, "FromUserName")).toBe("oyORnuP8q7ou2gfYjqLzSIWZf0rs");
    expect(reason(() => verifier("safe", "wx0000000000000000").open(query(aes), safeBody))).toBe("bad_appid");
    expect(
      reason(() => verifier("safe").open(query(aes), safeBody.replace("gh_10f6c3c3ac5a", "gh_someoneelse"))),
    ).toBe("bad_appid");
  });

  it("plain: the plaintext body, signature only", () => {
    const body =
      "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o_1]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_spring]]></EventKey></xml>";
    const v = new OaCallbackVerifier({ appId: "wx1", token: "tok", mode: "plain" });
    const q = { signature: oaSignature("tok", "100", "n"), timestamp: "100", nonce: "n" };
    const opened = v.open(q, body);
    expect(opened.encrypted).toBe(false);
    expect(xmlText(opened.message, "EventKey")).toBe("qrscene_spring");
    expect(reason(() => v.open({ ...q, signature: oaSignature("other", "100", "n") }, body))).toBe(
      "bad_signature",
    );
  });

  it("refuses bad msg_signature, downgrades, missing parts, hostile XML", () => {
    const safe = verifier("safe");
    expect(reason(() => safe.open(query({ ...aes, msg_signature: "0".repeat(40) }), safeBody))).toBe(
      "bad_signature",
    );
    expect(reason(() => safe.open(query({ encrypt_type: "aes" }), safeBody))).toBe("malformed");
    // A plaintext message to a safe or compatible account is a downgrade.
    expect(reason(() => safe.open(query(), ci.body!))).toBe("mode_mismatch");
    expect(reason(() => verifier("compatible").open(query(), ci.body!))).toBe("mode_mismatch");
    expect(reason(() => verifier("plain").open(query(), safeBody))).toBe("mode_mismatch");
    expect(reason(() => safe.open({ ...query(aes), signature: "bad" }, safeBody))).toBe("bad_signature");
    const entity = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>`;
    expect(reason(() => safe.open(query(aes), entity))).toBe("malformed");
    expect(reason(() => safe.open(query(aes), `<xml><Encrypt>${"A".repeat(70_000)}</Encrypt></xml>`))).toBe(
      "malformed",
    );
    expect(reason(() => safe.open(query(aes), "not xml"))).toBe("malformed");
  });

  it("a compatible or safe account needs an EncodingAESKey", () => {
    expect(reason(() => new OaCallbackVerifier({ appId: "wx1", token: "t", mode: "safe" }))).toBe(
      "malformed",
    );
  });
});

describe("passive replies (§4)", () => {
  it("opens the binary-random reply vector (random16 is bytes, not text)", () => {
    const b = binary.input as Record<string, string>;
    const crypt = new WxMsgCrypt({
      token: b.token!,
      encodingAesKey: b.encoding_aes_key!,
      receiveId: binary.expected.receiveid as string,
    });
    const opened = crypt.open(b.msg_signature!, b.timestamp!, b.nonce!, b.encrypt!);
    expect(opened.message).toBe(binary.expected.plaintext);
    expect(opened.random.toString("hex")).toBe(binary.expected.random16_hex);
  });

  it("builds reply XML, escapes ]]> and seals it in the mode of the message", () => {
    const xml = buildReplyXml(
      { type: "text", content: "加密消息应答 ]]> ok" },
      { openid: "o_1", accountId: "gh_1", createTime: 5 },
    );
    expect(xmlText(parseWxXml(xml), "Content")).toBe("加密消息应答 ]]> ok");
    expect(cdata("a]]>b")).toBe("<![CDATA[a]]]]><![CDATA[>b]]>");
    const news = buildReplyXml(
      { type: "news", articles: [{ title: "T", url: "https://x" }] },
      { openid: "o", accountId: "gh" },
    );
    expect(news).toContain("<ArticleCount>1</ArticleCount><Articles><item>");

    const v = verifier("safe");
    expect(v.reply(xml, false)).toBe(xml);
    const sealed = v.reply(xml, true, { timestamp: "123", nonce: "456" });
    const envelope = parseWxXml(sealed);
    const crypt = new WxMsgCrypt({
      token: ci.token!,
      encodingAesKey: ci.encoding_aes_key!,
      receiveId: ci.appid!,
    });
    expect(
      crypt.open(
        xmlText(envelope, "MsgSignature")!,
        xmlText(envelope, "TimeStamp")!,
        xmlText(envelope, "Nonce")!,
        xmlText(envelope, "Encrypt")!,
      ).message,
    ).toBe(xml);
  });
});
