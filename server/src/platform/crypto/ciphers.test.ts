import { createCipheriv } from "node:crypto";
import smCrypto from "sm-crypto";
import { describe, expect, it } from "vitest";
import {
  aesGcmOpen,
  aesGcmSeal,
  DecryptError,
  deriveSm4Keys,
  formatEnvelope,
  hmacSm3,
  isEnvelope,
  parseEnvelope,
  sm4Open,
  sm4Raw,
  sm4Seal,
} from "./ciphers.ts";

const { sm3 } = smCrypto;
const hex = (s: string) => Buffer.from(s, "hex");

describe("SM4", () => {
  it("matches the GB/T 32907 standard vector", () => {
    const key = hex("0123456789abcdeffedcba9876543210");
    const out = sm4Raw("encrypt", key, key, { padding: "none" });
    expect(out.toString("hex")).toBe("681edf34d206965e86b3e94f536e4246");
    expect(sm4Raw("decrypt", key, out, { padding: "none" }).toString("hex")).toBe(key.toString("hex"));
  });

  it("SM3 matches the GB/T 32905 vector, and HMAC-SM3 is RFC 2104 over it", () => {
    expect(sm3(Array.from(Buffer.from("abc")))).toBe(
      "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
    );
    const key = Buffer.alloc(32, 0x0b);
    const msg = Buffer.from("Hi There");
    const block = Buffer.concat([key, Buffer.alloc(32)]); // SM3 block = 64 bytes
    const xor = (pad: number) => Buffer.from(block.map((b) => b ^ pad));
    const inner = hex(sm3(Array.from(Buffer.concat([xor(0x36), msg]))));
    const expected = sm3(Array.from(Buffer.concat([xor(0x5c), inner])));
    expect(hmacSm3(key, msg).toString("hex")).toBe(expected);
    expect(hmacSm3(Buffer.alloc(32, 1), msg).toString("hex")).not.toBe(expected);
  });

  it("seals and opens, encrypt-then-MAC, and rejects every tampered byte region", () => {
    const keys = deriveSm4Keys(Buffer.alloc(32, 7));
    const aad = Buffer.from("enc:v1:s:1");
    const sealed = sm4Seal(keys, Buffer.from("手机 13800138000"), aad);
    expect(sm4Open(keys, sealed, aad).toString()).toBe("手机 13800138000");
    for (const at of [0, 20, 50, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] = (bad[at] ?? 0) ^ 1;
      expect(() => sm4Open(keys, bad, aad)).toThrow(DecryptError);
    }
    expect(() => sm4Open(keys, sealed, Buffer.from("enc:v1:s:2"))).toThrow(/MAC check failed/);
    expect(() => sm4Open(keys, sealed.subarray(0, 40), aad)).toThrow(/truncated/);
    expect(() => sm4Open(deriveSm4Keys(Buffer.alloc(32, 8)), sealed, aad)).toThrow(DecryptError);
  });

  it("derives distinct 16-byte SM4 and 32-byte MAC keys", () => {
    const k = deriveSm4Keys(Buffer.alloc(32, 1));
    expect(k.enc).toHaveLength(16);
    expect(k.mac).toHaveLength(32);
    expect(k.mac.subarray(0, 16).equals(k.enc)).toBe(false);
  });
});

describe("AES-256-GCM", () => {
  // NIST / McGrew–Viega GCM spec, test case 16 (256-bit key, 96-bit IV, with AAD).
  const key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const iv = hex("cafebabefacedbaddecaf888");
  const pt = hex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
  );
  const aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const ct =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
  const tag = "76fc6ece0f4e1768cddf8853bb2d551b";

  it("matches the NIST known-answer vector", () => {
    const payload = aesGcmSeal(key, pt, aad, iv);
    expect(payload.subarray(12, 28).toString("hex")).toBe(tag);
    expect(payload.subarray(28).toString("hex")).toBe(ct);
    expect(aesGcmOpen(key, payload, aad).equals(pt)).toBe(true);
    // And node's own primitive agrees, so the payload layout is the only thing we add.
    const c = createCipheriv("aes-256-gcm", key, iv).setAAD(aad);
    expect(Buffer.concat([c.update(pt), c.final()]).toString("hex")).toBe(ct);
  });

  it("rejects a flipped bit, a wrong AAD and a truncated payload", () => {
    const payload = aesGcmSeal(key, Buffer.from("hello"), aad);
    const bad = Buffer.from(payload);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0x80;
    expect(() => aesGcmOpen(key, bad, aad)).toThrow(/authentication failed/);
    expect(() => aesGcmOpen(key, payload, Buffer.from("other"))).toThrow(DecryptError);
    expect(() => aesGcmOpen(key, payload.subarray(0, 20), aad)).toThrow(/truncated/);
  });
});

describe("envelope", () => {
  it("round-trips and refuses unknown formats and algs", () => {
    const text = formatEnvelope("a", 3, Buffer.from([1, 2, 3, 250]));
    expect(text).toBe("enc:v1:a:3:AQID-g");
    expect(isEnvelope(text)).toBe(true);
    expect(parseEnvelope(text)).toEqual({ alg: "a", version: 3, payload: Buffer.from([1, 2, 3, 250]) });
    expect(isEnvelope("13800138000")).toBe(false);
    expect(() => parseEnvelope("enc:v2:a:1:AAAA")).toThrow(DecryptError);
    expect(() => parseEnvelope("enc:v1:x:1:AAAA")).toThrow(/unknown cipher alg "x"/);
  });
});
