import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import smCrypto from "sm-crypto";
import type { Cipher } from "./crypto.ts";

const { sm3, sm4 } = smCrypto;

/** Thrown for every ciphertext that cannot be trusted: tampered, truncated, wrong key, unknown format. */
export class DecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecryptError";
  }
}

/** One-letter alg codes used in the ciphertext header. */
export type AlgCode = "a" | "s";
export const algOf: Record<Cipher, AlgCode> = { "aes-256-gcm": "a", sm4: "s" };
export const cipherOf: Record<AlgCode, Cipher> = { a: "aes-256-gcm", s: "sm4" };

const PREFIX = "enc:v1:";
const FORMAT = /^enc:v1:([a-z]):(\d{1,9}):([A-Za-z0-9_-]+)$/;

export interface Envelope {
  alg: AlgCode;
  version: number;
  payload: Buffer;
}

export function isEnvelope(value: string): boolean {
  return FORMAT.test(value);
}

export function header(alg: AlgCode, version: number): string {
  return `${PREFIX}${alg}:${version}`;
}

export function formatEnvelope(alg: AlgCode, version: number, payload: Buffer): string {
  return `${header(alg, version)}:${payload.toString("base64url")}`;
}

export function parseEnvelope(value: string): Envelope {
  const m = FORMAT.exec(value);
  if (!m) throw new DecryptError("not a Siyu ciphertext (expected enc:v1:<alg>:<version>:<payload>)");
  const alg = m[1];
  if (alg !== "a" && alg !== "s") throw new DecryptError(`unknown cipher alg "${alg}"`);
  return { alg, version: Number(m[2]), payload: Buffer.from(m[3] ?? "", "base64url") };
}

// ---- AES-256-GCM: payload = 12-byte IV | 16-byte tag | ciphertext; the header is the AAD ----

/** `iv` is only passed by tests (known-answer vectors); real callers get a random one. */
export function aesGcmSeal(
  key: Buffer,
  plaintext: Buffer,
  aad: Buffer,
  iv: Buffer = randomBytes(12),
): Buffer {
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(aad);
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
}

export function aesGcmOpen(key: Buffer, payload: Buffer, aad: Buffer): Buffer {
  if (payload.length < 28) throw new DecryptError("AES-GCM ciphertext is truncated");
  const d = createDecipheriv("aes-256-gcm", key, payload.subarray(0, 12));
  d.setAAD(aad);
  d.setAuthTag(payload.subarray(12, 28));
  try {
    return Buffer.concat([d.update(payload.subarray(28)), d.final()]);
  } catch {
    throw new DecryptError("AES-GCM authentication failed: ciphertext tampered or wrong key");
  }
}

// ---- SM4-CBC + HMAC-SM3, encrypt-then-MAC: payload = 16-byte IV | 32-byte MAC | ciphertext ----

export interface Sm4Keys {
  enc: Buffer; // 16 bytes
  mac: Buffer; // 32 bytes
}

/** Splits one 32-byte data key into independent SM4 and MAC keys. */
export function deriveSm4Keys(dataKey: Buffer): Sm4Keys {
  const salt = Buffer.alloc(0);
  return {
    enc: Buffer.from(hkdfSync("sha256", dataKey, salt, "siyu sm4-cbc key", 16)),
    mac: Buffer.from(hkdfSync("sha256", dataKey, salt, "siyu hmac-sm3 key", 32)),
  };
}

export function hmacSm3(key: Buffer, data: Buffer): Buffer {
  return Buffer.from(sm3(Array.from(data), { key: Array.from(key), mode: "hmac" }), "hex");
}

/** Raw SM4 (ECB/CBC) over bytes; exposed for the standard test vector. */
export function sm4Raw(
  direction: "encrypt" | "decrypt",
  key: Buffer,
  data: Buffer,
  opts: { iv?: Buffer; padding: "none" | "pkcs#7" },
): Buffer {
  const mode = opts.iv
    ? { mode: "cbc" as const, iv: Array.from(opts.iv), padding: opts.padding, output: "array" as const }
    : { padding: opts.padding, output: "array" as const };
  const out = sm4[direction](Array.from(data), Array.from(key), mode);
  return Buffer.from(out);
}

export function sm4Seal(keys: Sm4Keys, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(16);
  const body = sm4Raw("encrypt", keys.enc, plaintext, { iv, padding: "pkcs#7" });
  const mac = hmacSm3(keys.mac, Buffer.concat([aad, iv, body]));
  return Buffer.concat([iv, mac, body]);
}

export function sm4Open(keys: Sm4Keys, payload: Buffer, aad: Buffer): Buffer {
  if (payload.length < 64 || (payload.length - 48) % 16 !== 0) {
    throw new DecryptError("SM4 ciphertext is truncated");
  }
  const iv = payload.subarray(0, 16);
  const mac = payload.subarray(16, 48);
  const body = payload.subarray(48);
  const expected = hmacSm3(keys.mac, Buffer.concat([aad, iv, body]));
  // MAC first, in constant time; only authenticated bytes ever reach the SM4 decryption.
  if (!timingSafeEqual(mac, expected)) {
    throw new DecryptError("SM4 MAC check failed: ciphertext tampered or wrong key");
  }
  try {
    return sm4Raw("decrypt", keys.enc, body, { iv, padding: "pkcs#7" });
  } catch {
    throw new DecryptError("SM4 decryption failed");
  }
}
