import type { Permission } from "@siyu/contracts";

/**
 * Server-side field masking: what a caller may not see never leaves the server. Rules name a field
 * (dot path), the masker, and the permission that lifts the mask; `agent` lacks
 * `customers.phone.full` and so sees `138****1234`.
 */
export type Masker = (value: string) => string;

/** `13812341234` → `138****1234`; `+8613812341234` → `+86 138****1234`; short values keep their last 2. */
export function maskPhone(value: string): string {
  const trimmed = value.trim();
  const cn = /^(\+86)?\s*(1\d{2})\d{4}(\d{4})$/.exec(trimmed.replace(/[\s-]/g, ""));
  if (cn) return `${cn[1] ? "+86 " : ""}${cn[2]}****${cn[3]}`;
  const digits = trimmed.replace(/\D/g, "");
  if (digits.length >= 7) return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
  return digits.length > 2 ? `${"*".repeat(digits.length - 2)}${digits.slice(-2)}` : "**";
}

/** `zhang.san@example.com` → `z***@example.com`. */
export function maskEmail(value: string): string {
  const at = value.indexOf("@");
  if (at <= 0) return "***";
  return `${value[0]}***${value.slice(at)}`;
}

/** Keeps province/city level (the first 6 characters) of a Chinese address. */
export function maskAddress(value: string): string {
  const chars = [...value];
  return chars.length <= 6 ? "****" : `${chars.slice(0, 6).join("")}****`;
}

/** Keeps the family name: `张三丰` → `张**`. */
export function maskName(value: string): string {
  const chars = [...value];
  return chars.length <= 1 ? "*" : `${chars[0]}${"*".repeat(chars.length - 1)}`;
}

export interface MaskRule {
  /** Dot path into the object, e.g. `phone` or `address.detail`. Arrays are walked. */
  path: string;
  mask: Masker;
  /** Holding this permission shows the field in full. */
  unless: Permission;
}

/** Returns a copy of `value` with every rule applied that the caller's permissions do not lift. */
export function applyMasks<T>(value: T, rules: MaskRule[], permissions: ReadonlySet<Permission>): T {
  const active = rules.filter((r) => !permissions.has(r.unless));
  if (active.length === 0) return value;
  const copy = structuredClone(value);
  for (const rule of active) maskPath(copy, rule.path.split("."), rule.mask);
  return copy;
}

function maskPath(node: unknown, path: string[], mask: Masker): void {
  if (Array.isArray(node)) {
    for (const item of node) maskPath(item, path, mask);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const [head, ...rest] = path;
  if (head === undefined) return;
  const obj = node as Record<string, unknown>;
  if (!(head in obj)) return;
  if (rest.length === 0) {
    const v = obj[head];
    if (typeof v === "string" && v !== "") obj[head] = mask(v);
    else if (Array.isArray(v)) obj[head] = v.map((x) => (typeof x === "string" && x !== "" ? mask(x) : x));
    return;
  }
  maskPath(obj[head], rest, mask);
}
