import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * AES-256-GCM key wrap of a data key under the master key. The AAD names the key's purpose and
 * version, so a wrapped key copied onto another row (another version) fails to unwrap.
 * Format: `w1:<base64 of 12-byte IV | 16-byte tag | wrapped key>`.
 */
export function wrapKey(masterKey: Buffer, key: Buffer, label: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", masterKey, iv);
  c.setAAD(Buffer.from(label));
  const body = Buffer.concat([c.update(key), c.final()]);
  return `w1:${Buffer.concat([iv, c.getAuthTag(), body]).toString("base64")}`;
}

export function unwrapKey(masterKey: Buffer, wrapped: string, label: string): Buffer {
  if (!wrapped.startsWith("w1:")) throw new Error(`wrapped key ${label} has an unknown format`);
  const raw = Buffer.from(wrapped.slice(3), "base64");
  const d = createDecipheriv("aes-256-gcm", masterKey, raw.subarray(0, 12));
  d.setAAD(Buffer.from(label));
  d.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]);
  } catch {
    throw new Error(
      `cannot unwrap encryption key ${label}: the master key does not match the one these keys were created with`,
    );
  }
}

export function keyLabel(purpose: "data" | "index", version: number): string {
  return `siyu:${purpose}:${version}`;
}
