import { createHash } from "node:crypto";

export const GENESIS_HASH = "0".repeat(64);

/** The fields a row's hash covers, in the fixed order they are serialised. */
export interface HashedFields {
  tenantId: string;
  at: string;
  actorId: string | null;
  actorEmail: string | null;
  apiKeyId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  data: unknown;
  ip: string | null;
  requestId: string | null;
}

const order: Array<keyof HashedFields> = [
  "tenantId",
  "at",
  "actorId",
  "actorEmail",
  "apiKeyId",
  "action",
  "targetType",
  "targetId",
  "data",
  "ip",
  "requestId",
];

/** JSON with object keys sorted at every depth, so jsonb's own key reordering cannot change it. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

export function rowHash(prevHash: string, fields: HashedFields): string {
  const parts = order.map((k) => `${JSON.stringify(k)}:${canonicalJson(fields[k])}`);
  return createHash("sha256")
    .update(`${prevHash}\n{${parts.join(",")}}`)
    .digest("hex");
}
