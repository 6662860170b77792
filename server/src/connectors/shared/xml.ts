import { XMLBuilder, XMLParser } from "fast-xml-parser";

/** Why an XML body was refused. */
export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XmlError";
  }
}

/** Longest body accepted from a platform callback; WeCom and OA events are a few KB. */
export const maxCallbackXmlBytes = 64 * 1024;

const parser = new XMLParser({
  // Ids and timestamps stay strings; the caller converts explicitly.
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreAttributes: true,
  // No entity expansion at all: a DOCTYPE is refused before parsing (no XXE, no billion laughs).
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  isArray: (name) => name === "Item",
});

export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [key: string]: XmlValue;
}

/**
 * Parses a platform's `<xml>…</xml>` message into a flat-ish object of strings. Refuses oversized
 * bodies, DOCTYPE/ENTITY declarations and anything that is not one `<xml>` root element.
 */
export function parseWxXml(text: string, maxBytes = maxCallbackXmlBytes): XmlObject {
  if (Buffer.byteLength(text, "utf8") > maxBytes) throw new XmlError("XML body is too large");
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new XmlError("XML with DOCTYPE or entities is not accepted");
  const trimmed = text.trim();
  if (!trimmed.startsWith("<xml>") && !trimmed.startsWith("<xml ") && !trimmed.startsWith("<?xml")) {
    throw new XmlError("body is not an <xml> message");
  }
  let parsed: unknown;
  try {
    parsed = parser.parse(trimmed, true);
  } catch (err) {
    throw new XmlError(`malformed XML: ${(err as Error).message}`);
  }
  const root = (parsed as { xml?: unknown }).xml;
  if (!root || typeof root !== "object" || Array.isArray(root))
    throw new XmlError("missing <xml> root element");
  return root as XmlObject;
}

/** The text of a field, or undefined when it is absent or not text. */
export function xmlText(message: XmlObject, field: string): string | undefined {
  const value = message[field];
  return typeof value === "string" ? value : undefined;
}

const builder = new XMLBuilder({ cdataPropName: "__cdata", suppressEmptyNode: false });

/** Builds `<xml>` with every string value in CDATA, numbers bare, arrays of strings as `<Item>`. */
export function buildWxXml(fields: Record<string, string | number | string[] | undefined>): string {
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) body[key] = { Item: value.map((item) => ({ __cdata: item })) };
    else if (typeof value === "number") body[key] = value;
    else body[key] = { __cdata: value };
  }
  return builder.build({ xml: body }) as string;
}
