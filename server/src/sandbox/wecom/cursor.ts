import { WecomError } from "./errcodes.ts";

/**
 * Opaque cursors: base64url of a small JSON position tagged with the API it belongs to, so a cursor
 * handed to another API (or tampered with) answers 50100 like WeCom instead of paging wrongly.
 */
export function encodeCursor(api: string, position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify({ a: api, ...position }), "utf8").toString("base64url");
}

export function decodeCursor(api: string, cursor: string | undefined): Record<string, unknown> | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) throw new Error("alphabet");
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new WecomError(50100);
  }
  if (!parsed || typeof parsed !== "object" || (parsed as { a?: unknown }).a !== api)
    throw new WecomError(50100);
  return parsed as Record<string, unknown>;
}

export function cursorNumber(position: Record<string, unknown> | undefined, key: string): number {
  if (!position) return 0;
  const v = position[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new WecomError(50100);
  return v;
}
