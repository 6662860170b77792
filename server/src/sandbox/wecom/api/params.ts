import type { Corp } from "../corp.ts";
import { type Errcode, WecomError } from "../errcodes.ts";
import type { Follow } from "../model.ts";
import type { WecomSandbox } from "../sandbox.ts";

export type Json = Record<string, unknown>;

export interface ApiContext {
  sandbox: WecomSandbox;
  corp: Corp;
  /** The query string for GET APIs, the JSON body for POST APIs. */
  input: Json;
  /** Simulator clock, seconds. */
  now: number;
}

export type ApiHandler = (ctx: ApiContext) => Json;

export interface ApiRoute {
  method: "GET" | "POST";
  handler: ApiHandler;
}

/** API path after `/cgi-bin/` → its method and handler. */
export type ApiTable = Record<string, ApiRoute>;

// Readers of WeCom request fields. WeCom is strict about types; a wrong type or an out-of-range
// value answers 40058 (invalid parameter) unless a more specific code exists.

export function optString(input: Json, key: string, max?: number, code: Errcode = 40058): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new WecomError(40058, `${key} must be a string`);
  if (max !== undefined && [...v].length > max)
    throw new WecomError(code, `${key} exceeds ${max} characters`);
  return v;
}

export function reqString(input: Json, key: string, missing: Errcode = 40058, max?: number): string {
  const v = optString(input, key, max);
  if (v === undefined || v === "") throw new WecomError(missing, `${key} is required`);
  return v;
}

export function optInt(input: Json, key: string): number | undefined {
  const v = input[key];
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "string" && /^-?\d{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n)) throw new WecomError(40058, `${key} must be an integer`);
  return n;
}

/** An integer bound like WeCom's `limit`: out of range answers 40058 rather than clamping. */
export function boundedInt(
  input: Json,
  key: string,
  bounds: { min: number; max: number; default?: number },
): number {
  const v = optInt(input, key);
  if (v === undefined) {
    if (bounds.default === undefined) throw new WecomError(40058, `${key} is required`);
    return bounds.default;
  }
  if (v < bounds.min || v > bounds.max) {
    throw new WecomError(40058, `${key} must be between ${bounds.min} and ${bounds.max}`);
  }
  return v;
}

export function optBool(input: Json, key: string): boolean | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return v;
  if (v === 0 || v === 1) return v === 1;
  throw new WecomError(40058, `${key} must be a boolean`);
}

export function stringList(input: Json, key: string, maxItems?: number, tooMany: Errcode = 40058): string[] {
  const v = input[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new WecomError(40058, `${key} must be a list of strings`);
  }
  if (maxItems !== undefined && v.length > maxItems) {
    throw new WecomError(tooMany, `${key} holds at most ${maxItems} items`);
  }
  return v as string[];
}

export function intList(input: Json, key: string): number[] {
  const v = input[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number" || !Number.isInteger(x))) {
    throw new WecomError(40058, `${key} must be a list of integers`);
  }
  return v as number[];
}

export function optObject(input: Json, key: string): Json | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw new WecomError(40058, `${key} must be an object`);
  return v as Json;
}

export function optList(input: Json, key: string, maxItems?: number): unknown[] {
  const v = input[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new WecomError(40058, `${key} must be a list`);
  if (maxItems !== undefined && v.length > maxItems)
    throw new WecomError(40058, `${key} holds at most ${maxItems} items`);
  return v;
}

/** An existing member userid, else 41009 / 40003. */
export function memberId(ctx: ApiContext, key = "userid"): string {
  const userid = reqString(ctx.input, key, 41009);
  if (!ctx.corp.members.has(userid)) throw new WecomError(40003, userid);
  return userid;
}

/** An existing external contact, else 41035 / 40096. */
export function externalId(ctx: ApiContext, key = "external_userid"): string {
  const id = reqString(ctx.input, key, 41035);
  if (!ctx.corp.contacts.has(id)) throw new WecomError(40096, id);
  return id;
}

/** The follow relation (userid ↔ external_userid), else 84061. */
export function relation(ctx: ApiContext): Follow {
  const userid = memberId(ctx);
  const external = externalId(ctx);
  const f = ctx.corp.follow(external, userid);
  if (!f) throw new WecomError(84061);
  return f;
}

/** Text content limits of WeCom messages: bytes, not characters. */
export function textContent(input: Json, maxBytes = 4000): { content: string } | undefined {
  const text = optObject(input, "text");
  if (!text) return undefined;
  const content = optString(text, "content");
  if (content === undefined) return undefined;
  if (Buffer.byteLength(content, "utf8") > maxBytes)
    throw new WecomError(45002, `text exceeds ${maxBytes} bytes`);
  return { content };
}

const attachmentTypes = new Set(["image", "link", "miniprogram", "video", "file"]);

export function attachments(input: Json, max = 9): Json[] {
  const list = optList(input, "attachments", max);
  for (const a of list) {
    if (!a || typeof a !== "object" || Array.isArray(a))
      throw new WecomError(40058, "attachment must be an object");
    const msgtype = (a as Json).msgtype;
    if (typeof msgtype !== "string" || !attachmentTypes.has(msgtype)) {
      throw new WecomError(40058, "attachment msgtype must be image, link, miniprogram, video or file");
    }
    if (!optObject(a as Json, msgtype)) throw new WecomError(40058, `attachment ${msgtype} body missing`);
  }
  return list as Json[];
}
