import { describe, expect, it } from "vitest";
import { loadVector } from "../../testing/vectors.ts";
import { MsgCryptError, msgSignature, pad32, unpad32, WxMsgCrypt } from "./wx-msg-crypt.ts";
import { buildWxXml, parseWxXml, XmlError, xmlText } from "./xml.ts";

function cryptFor(id: string, receiveId?: string): { crypt: WxMsgCrypt; input: Record<string, string> } {
  const { input } = loadVector(id);
  const crypt = new WxMsgCrypt({
    token: input.token as string,
    encodingAesKey: input.encoding_aes_key as string,
    receiveId: receiveId ?? (input.receiveid as string) ?? (input.appid as string),
  });
  return { crypt, input };
}

function encryptOf(body: string): string {
  const match = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(body);
  if (!match?.[1]) throw new Error("no Encrypt in body");
  return match[1];
}

describe("WXBizMsgCrypt against the verified vectors", () => {
  it("verifies the URL of the official sample and answers its echostr", () => {
    const v = loadVector("wecom.callback.verify_url.official_sample");
    const { crypt, input } = cryptFor(v.id);
    // The query form percent-encodes + / =; decodeURIComponent restores the base64 text.
    const echostr = decodeURIComponent(input.echostr_as_sent_in_query as string);
    expect(echostr).toBe(input.echostr);
    const opened = crypt.open(
      input.msg_signature as string,
      input.timestamp as string,
      input.nonce as string,
      echostr,
    );
    expect(opened.message).toBe(v.expected.reply_body);
    expect(opened.random.toString("hex")).toBe(Buffer.from(v.expected.random16 as string).toString("hex"));
  });

  it("decrypts the official POST sample", () => {
    const v = loadVector("wecom.callback.decrypt_post.official_sample");
    const { crypt, input } = cryptFor(v.id);
    const opened = crypt.open(
      input.msg_signature as string,
      input.timestamp as string,
      input.nonce as string,
      encryptOf(input.body as string),
    );
    expect(opened.message).toBe(v.expected.plaintext);
    expect(opened.receiveId).toBe(v.expected.receiveid);
  });

  it("verifies and decrypts the wechatpy samples", () => {
    for (const id of ["wecom.callback.verify_url.wechatpy", "wecom.callback.decrypt_post.wechatpy"]) {
      const v = loadVector(id);
      const { crypt, input } = cryptFor(id);
      const encrypted = input.echostr ?? input.encrypt ?? encryptOf(input.body as string);
      const opened = crypt.open(
        input.msg_signature as string,
        input.timestamp as string,
        input.nonce as string,
        encrypted,
      );
      const expected = v.expected.reply_body ?? v.expected.plaintext;
      expect(opened.message).toBe(expected);
    }
  });

  it("builds the wechatpy reply envelope byte for byte", () => {
    const v = loadVector("wecom.callback.encrypt_reply.wechatpy");
    const { crypt, input } = cryptFor(v.id);
    const sealed = crypt.seal(
      input.reply_plaintext as string,
      input.timestamp as string,
      input.nonce as string,
      Buffer.from(input.random16 as string),
    );
    expect(sealed.encrypt).toBe(v.expected.encrypt);
    expect(sealed.signature).toBe(v.expected.msg_signature);
    expect(sealed.xml).toBe(v.expected.envelope);
  });

  it("counts the message length in UTF-8 bytes", () => {
    const v = loadVector("wecom.callback.encrypt.derived_utf8_length");
    const { crypt, input } = cryptFor(v.id);
    const encrypted = crypt.encrypt(input.plaintext as string, Buffer.from(input.random16 as string));
    expect(encrypted).toBe(v.expected.encrypt);
    expect(
      msgSignature(input.token as string, input.timestamp as string, input.nonce as string, encrypted),
    ).toBe(v.expected.msg_signature);
    expect(crypt.decrypt(encrypted).message).toBe(input.plaintext);
  });

  it("pads a whole block with 32 bytes of 0x20", () => {
    const v = loadVector("wecom.callback.encrypt.derived_full_block_pad");
    const { crypt, input } = cryptFor(v.id);
    const encrypted = crypt.encrypt(input.plaintext as string, Buffer.from(input.random16 as string));
    expect(encrypted).toBe(v.expected.encrypt);
    expect(Buffer.from(encrypted, "base64").length).toBe(v.expected.ciphertext_bytes);
    expect(pad32(Buffer.alloc(64)).subarray(64)).toEqual(Buffer.alloc(32, 32));
    expect(unpad32(pad32(Buffer.from("abc"))).toString()).toBe("abc");
  });

  it("produces the add_external_contact callback of the simulator fixture", () => {
    const v = loadVector("wecom.callback.event.derived_add_external_contact");
    const { crypt, input } = cryptFor(v.id);
    const encrypted = crypt.encrypt(input.plaintext as string, Buffer.from(input.random16 as string));
    expect(encrypted).toBe(v.expected.encrypt);
    expect(crypt.sign(input.timestamp as string, input.nonce as string, encrypted)).toBe(
      v.expected.msg_signature,
    );
    const event = parseWxXml(crypt.decrypt(encrypted).message);
    expect(xmlText(event, "ChangeType")).toBe("add_external_contact");
    expect(xmlText(event, "State")).toBe("ch_2024_spring");
    expect(xmlText(event, "CreateTime")).toBe("1700000100");
  });

  it("opens the Official Account compatible-mode and binary-random vectors", () => {
    const compat = loadVector("oa.safe_mode.decrypt_compat_envelope");
    const a = cryptFor(compat.id, compat.input.appid);
    expect(
      a.crypt.open(
        a.input.msg_signature as string,
        a.input.timestamp as string,
        a.input.nonce as string,
        encryptOf(a.input.body as string),
      ).message,
    ).toBe(compat.expected.plaintext);
    const binary = loadVector("oa.safe_mode.decrypt_reply_binary_random");
    const b = cryptFor(binary.id, binary.expected.receiveid as string);
    const opened = b.crypt.open(
      b.input.msg_signature as string,
      b.input.timestamp as string,
      b.input.nonce as string,
      b.input.encrypt as string,
    );
    expect(opened.message).toBe(binary.expected.plaintext);
    expect(opened.random.toString("hex")).toBe(binary.expected.random16_hex);
  });
});

describe("WXBizMsgCrypt refuses what it must", () => {
  const v = loadVector("wecom.callback.decrypt_post.official_sample");
  const { crypt, input } = cryptFor(v.id);
  const encrypted = encryptOf(input.body as string);
  const reason = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return err instanceof MsgCryptError ? err.reason : "other";
    }
    return "accepted";
  };

  it("a wrong signature, even one differing in one character", () => {
    const sig = input.msg_signature as string;
    const flipped = `${sig.slice(0, -1)}${sig.endsWith("0") ? "1" : "0"}`;
    expect(
      reason(() => crypt.open(flipped, input.timestamp as string, input.nonce as string, encrypted)),
    ).toBe("bad_signature");
    expect(reason(() => crypt.open("", input.timestamp as string, input.nonce as string, encrypted))).toBe(
      "bad_signature",
    );
  });

  it("a wrong receiveid", () => {
    const other = new WxMsgCrypt({
      token: input.token as string,
      encodingAesKey: input.encoding_aes_key as string,
      receiveId: "wwOTHER",
    });
    expect(
      reason(() =>
        other.open(
          input.msg_signature as string,
          input.timestamp as string,
          input.nonce as string,
          encrypted,
        ),
      ),
    ).toBe("bad_receiveid");
  });

  it("tampered or truncated ciphertext", () => {
    const bytes = Buffer.from(encrypted, "base64");
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    const tampered = bytes.toString("base64");
    expect(["decrypt_failed", "bad_buffer", "bad_receiveid"]).toContain(
      reason(() => crypt.decrypt(tampered)),
    );
    expect(reason(() => crypt.decrypt(encrypted.slice(0, 40)))).toBe("decrypt_failed");
    expect(reason(() => crypt.decrypt(""))).toBe("decrypt_failed");
  });

  it("a malformed EncodingAESKey", () => {
    expect(reason(() => new WxMsgCrypt({ token: "t", encodingAesKey: "short", receiveId: "x" }))).toBe(
      "bad_aes_key",
    );
  });
});

describe("callback XML", () => {
  it("parses CDATA and bare values as strings and MemChangeList items as a list", () => {
    const xml =
      "<xml><ChatId><![CDATA[wr1]]></ChatId><JoinScene>1</JoinScene><MemChangeList><Item>Jack</Item><Item>Rose</Item></MemChangeList></xml>";
    const parsed = parseWxXml(xml);
    expect(xmlText(parsed, "ChatId")).toBe("wr1");
    expect(xmlText(parsed, "JoinScene")).toBe("1");
    expect((parsed.MemChangeList as { Item: string[] }).Item).toEqual(["Jack", "Rose"]);
  });

  it("refuses entities, oversize, truncated and non-xml bodies", () => {
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><A>&e;</A></xml>';
    expect(() => parseWxXml(xxe)).toThrow(XmlError);
    expect(() => parseWxXml(`<xml><A>${"a".repeat(70_000)}</A></xml>`)).toThrow(XmlError);
    expect(() => parseWxXml("<xml><A><![CDATA[x]]></A")).toThrow(XmlError);
    expect(() => parseWxXml('{"json":true}')).toThrow(XmlError);
  });

  it("builds XML that parses back to the same fields", () => {
    const xml = buildWxXml({
      ToUserName: "ww1",
      CreateTime: 1700000000,
      Content: "你好 <b>&",
      MemChangeList: ["a", "b"],
    });
    const parsed = parseWxXml(xml);
    expect(xmlText(parsed, "Content")).toBe("你好 <b>&");
    expect(xmlText(parsed, "CreateTime")).toBe("1700000000");
    expect((parsed.MemChangeList as { Item: string[] }).Item).toEqual(["a", "b"]);
  });
});
