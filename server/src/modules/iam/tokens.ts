import { createHash, randomBytes } from "node:crypto";

/** Session tokens `sys_…` and API keys `sk_…`: 32 random bytes; only their SHA-256 is stored. */
export function newSecretToken(prefix: "sys" | "sk"): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
