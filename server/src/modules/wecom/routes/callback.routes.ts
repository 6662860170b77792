import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { MsgCryptError } from "../../../connectors/shared/wx-msg-crypt.ts";
import {
  maxCallbackXmlBytes,
  parseWxXml,
  XmlError,
  type XmlObject,
  xmlText,
} from "../../../connectors/shared/xml.ts";
import { AppError, notFound } from "../../../platform/errors.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { type WecomEventPayload, wecomEventIdentity } from "../events.ts";
import { type CallbackSettings, callbackSettings, callbackSettingsAge } from "../settings.cache.ts";
import type { WecomCorpSettings } from "../settings.service.ts";

const tenantIdPattern = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * Documentation of the callback URL in the OpenAPI document. Loose on purpose: the handler reads the
 * raw query itself (WeCom's base64 values keep their `+`) and answers each bad part with its own 4xx.
 */
const signedQuery = {
  msg_signature: z
    .string()
    .optional()
    .describe("SHA1 signature of token, timestamp, nonce and the ciphertext"),
  timestamp: z.string().optional().describe("Unix seconds; POSTs outside the tolerance are refused"),
  nonce: z.string().optional(),
};
const callbackDocs = {
  tags: ["wecom"],
  params: z.object({ tenantId: z.string().describe("The tenant whose WeCom settings sign the callback") }),
} as const;
const verifySchema = {
  ...callbackDocs,
  summary: "WeCom callback URL verification",
  description: "Answers the decrypted `echostr` as bare text/plain (protocols/wecom.md §1.3).",
  querystring: z.object({ ...signedQuery, echostr: z.string().optional().describe("Encrypted echo string") }),
};
const deliverySchema = {
  ...callbackDocs,
  summary: "WeCom event delivery",
  description:
    "Body: WeCom's XML envelope `<xml><ToUserName/><Encrypt/><AgentID/></xml>` (at most 64 KiB, no DTD or " +
    "entities). Verified, decrypted and stored in the inbox before the empty 200; a bad signature is 401, " +
    "any other bad part 400, an unknown tenant 404, and nothing is stored.",
  querystring: z.object(signedQuery),
};

/**
 * The raw query, each value decoded with decodeURIComponent only: WeCom's echostr and signatures are
 * base64/hex, and a generic parser would turn a literal `+` into a space (protocols/wecom.md §1.3).
 */
export function rawQuery(url: string): Map<string, string> {
  const out = new Map<string, string>();
  const at = url.indexOf("?");
  if (at < 0) return out;
  for (const part of url.slice(at + 1).split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    try {
      out.set(decodeURIComponent(key), decodeURIComponent(value));
    } catch {
      throw new AppError("callback_rejected", "malformed query string");
    }
  }
  return out;
}

function required(q: Map<string, string>, name: string): string {
  const v = q.get(name);
  if (!v || v.length > 4096) throw new AppError("callback_rejected", `missing or invalid ${name}`);
  return v;
}

function cryptFailure(err: unknown): never {
  if (err instanceof MsgCryptError) {
    if (err.reason === "bad_signature") throw new AppError("unauthorized", "msg_signature does not match");
    throw new AppError("callback_rejected", `cannot decrypt the callback (${err.reason})`);
  }
  throw err;
}

/** Flattens the decrypted event into strings (and string lists for `<Item>` lists). */
function toPayload(message: XmlObject): WecomEventPayload {
  const out: WecomEventPayload = {};
  for (const [key, value] of Object.entries(message)) {
    if (typeof value === "string") out[key] = value;
    else if (!Array.isArray(value) && typeof value === "object") {
      const items = value.Item;
      if (Array.isArray(items)) out[key] = items.filter((i): i is string => typeof i === "string");
      else if (typeof items === "string") out[key] = [items];
    }
  }
  return out;
}

/**
 * `GET|POST /callbacks/wecom/:tenantId`: URL verification and event delivery (protocols/wecom.md
 * §1.3–1.4). A delivered event is verified, decrypted and stored in the inbox (unique per event
 * identity, so WeCom's retries drop out) before the empty 200; processing happens in jobs.
 */
export async function wecomCallbackRoutes(app: Api, platform: Platform) {
  await app.register(async (cb: Api) => {
    // Only this scope reads XML bodies, as plain strings, with WeCom's own small limit.
    cb.removeAllContentTypeParsers();
    cb.addContentTypeParser("*", { parseAs: "string", bodyLimit: maxCallbackXmlBytes }, (_req, body, done) =>
      done(null, body),
    );

    async function settingsOf(req: FastifyRequest, fresh = false): Promise<CallbackSettings> {
      const { tenantId } = req.params as { tenantId: string };
      if (!tenantIdPattern.test(tenantId)) throw notFound("WeCom callback");
      const found = await callbackSettings(platform, tenantId, { fresh });
      if (!found) throw notFound("WeCom callback");
      return found;
    }

    /**
     * Verifies and decrypts with the cached settings; when that fails on the signature or the
     * receiveid and the cached copy is more than a second old, the token or corp may have just
     * changed in another process, so it reads them once more before refusing.
     */
    async function openWith(
      req: FastifyRequest,
      signature: string,
      timestamp: string,
      nonce: string,
      encrypted: string,
    ): Promise<{ settings: WecomCorpSettings; message: string }> {
      let current = await settingsOf(req);
      for (let attempt = 0; ; attempt++) {
        try {
          return {
            settings: current.settings,
            message: current.crypt.open(signature, timestamp, nonce, encrypted).message,
          };
        } catch (err) {
          const stale =
            err instanceof MsgCryptError &&
            (err.reason === "bad_signature" || err.reason === "bad_receiveid") &&
            callbackSettingsAge(current.settings.tenantId) > 1000;
          if (attempt > 0 || !stale) cryptFailure(err);
          current = await settingsOf(req, true);
        }
      }
    }

    function checkTimestamp(timestamp: string) {
      const ts = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
      if (!Number.isFinite(ts)) throw new AppError("callback_rejected", "invalid timestamp");
      if (Math.abs(Date.now() / 1000 - ts) > platform.config.callbackToleranceS) {
        throw new AppError("callback_rejected", "timestamp is outside the accepted window (replay?)");
      }
    }

    cb.get(
      "/callbacks/wecom/:tenantId",
      { config: { public: true }, schema: verifySchema },
      async (req: FastifyRequest, reply: FastifyReply) => {
        await settingsOf(req);
        const q = rawQuery(req.raw.url ?? "");
        const signature = required(q, "msg_signature");
        const timestamp = required(q, "timestamp");
        const nonce = required(q, "nonce");
        const echostr = required(q, "echostr");
        const plain = (await openWith(req, signature, timestamp, nonce, echostr)).message;
        // WeCom compares the body byte for byte: no quotes, no newline.
        return reply.status(200).type("text/plain; charset=utf-8").send(plain);
      },
    );

    cb.post(
      "/callbacks/wecom/:tenantId",
      { config: { public: true }, bodyLimit: maxCallbackXmlBytes, schema: deliverySchema },
      async (req: FastifyRequest, reply: FastifyReply) => {
        await settingsOf(req);
        const q = rawQuery(req.raw.url ?? "");
        const signature = required(q, "msg_signature");
        const timestamp = required(q, "timestamp");
        const nonce = required(q, "nonce");
        checkTimestamp(timestamp);
        const body = typeof req.body === "string" ? req.body : "";
        let envelope: XmlObject;
        let event: XmlObject;
        try {
          envelope = parseWxXml(body);
        } catch (err) {
          if (err instanceof XmlError) throw new AppError("callback_rejected", err.message);
          throw err;
        }
        const encrypted = xmlText(envelope, "Encrypt");
        if (!encrypted) throw new AppError("callback_rejected", "the envelope has no Encrypt");
        const { settings, message } = await openWith(req, signature, timestamp, nonce, encrypted);
        try {
          event = parseWxXml(message);
        } catch (err) {
          if (err instanceof XmlError) throw new AppError("callback_rejected", `decrypted ${err.message}`);
          throw err;
        }
        const payload = toPayload(event);
        const identity = wecomEventIdentity(payload);
        await platform.inbox.receive(settings.tenantId, {
          platform: "wecom",
          eventKey: identity.key,
          kind: identity.kind,
          payload,
        });
        return reply.status(200).type("text/plain; charset=utf-8").send("");
      },
    );
  });
}
