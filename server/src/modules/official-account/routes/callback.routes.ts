import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  buildReplyXml,
  flattenOaMessage,
  OaCallbackError,
  type OaPostQuery,
  type OpenedOaMessage,
} from "../../../connectors/official-account/index.ts";
import { rawQuery } from "../../../connectors/shared/raw-query.ts";
import { maxCallbackXmlBytes } from "../../../connectors/shared/xml.ts";
import { AppError, notFound } from "../../../platform/errors.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { field, oaEventIdentity, oaInboxPlatform, oaReceivedForAppId, sceneOf } from "../events.ts";
import { findPassiveReply } from "../passive-replies.ts";
import { type OaCallbackSettings, oaCallbackSettings, oaCallbackSettingsAge } from "../settings.cache.ts";

const tenantIdPattern = /^[A-Za-z0-9_-]{1,100}$/;

const signedQuery = {
  signature: z.string().optional().describe("sha1 of the sorted token, timestamp and nonce"),
  timestamp: z.string().optional().describe("Unix seconds; POSTs outside the tolerance are refused"),
  nonce: z.string().optional(),
};
const docs = {
  tags: ["official-account"],
  params: z.object({ tenantId: z.string().describe("The tenant whose Official Account signs the callback") }),
} as const;
const verifySchema = {
  ...docs,
  summary: "Official Account server URL verification",
  description:
    "Answers `echostr` verbatim as text/plain after the signature check (protocols/official-account.md §1).",
  querystring: z.object({ ...signedQuery, echostr: z.string().optional() }),
};
const deliverySchema = {
  ...docs,
  summary: "Official Account message and event delivery",
  description:
    "Body: the message XML in the account's mode — plaintext, compatible (plaintext fields and Encrypt) or safe " +
    "(Encrypt only), at most 64 KiB, no DTD or entities. Verified (signature, and msg_signature when encrypted), " +
    "decrypted, appid-checked and stored in the inbox before the answer: `success`, or a passive reply XML " +
    "(encrypted when the message was). A bad signature is 401, any other bad part 400, an unknown tenant 404; " +
    "nothing is stored then.",
  querystring: z.object({
    ...signedQuery,
    openid: z.string().optional(),
    encrypt_type: z.string().optional().describe("`aes` in compatible and safe mode"),
    msg_signature: z.string().optional().describe("sha1 over token, timestamp, nonce and Encrypt"),
  }),
};

function queryOf(url: string): Map<string, string> {
  try {
    return rawQuery(url);
  } catch {
    throw new AppError("callback_rejected", "malformed query string");
  }
}

function rejected(err: unknown): never {
  if (err instanceof OaCallbackError) {
    if (err.reason === "bad_signature") throw new AppError("unauthorized", err.message);
    throw new AppError("callback_rejected", err.message);
  }
  throw err;
}

/**
 * `GET|POST /callbacks/official-account/:tenantId` (protocols/official-account.md §1–4). A delivered
 * message is verified, decrypted, stored in the inbox (unique per message identity, so WeChat's
 * retries drop out) and then answered: `success`, or the passive reply of the first provider that
 * has one (passive-replies.ts). Processing happens in jobs.
 */
export async function oaCallbackRoutes(app: Api, platform: Platform) {
  await app.register(async (cb: Api) => {
    cb.removeAllContentTypeParsers();
    cb.addContentTypeParser("*", { parseAs: "string", bodyLimit: maxCallbackXmlBytes }, (_req, body, done) =>
      done(null, body),
    );

    async function settingsOf(req: FastifyRequest, fresh = false): Promise<OaCallbackSettings> {
      const { tenantId } = req.params as { tenantId: string };
      if (!tenantIdPattern.test(tenantId)) throw notFound("Official Account callback");
      const found = await oaCallbackSettings(platform, tenantId, { fresh });
      if (!found) throw notFound("Official Account callback");
      return found;
    }

    /** Runs `fn` with the cached settings; on a signature/appid mismatch with an older copy, re-reads once. */
    async function withSettings<T>(
      req: FastifyRequest,
      fn: (s: OaCallbackSettings) => T,
    ): Promise<{ s: OaCallbackSettings; value: T }> {
      let current = await settingsOf(req);
      for (let attempt = 0; ; attempt++) {
        try {
          return { s: current, value: fn(current) };
        } catch (err) {
          const stale =
            err instanceof OaCallbackError &&
            (err.reason === "bad_signature" ||
              err.reason === "bad_appid" ||
              err.reason === "mode_mismatch") &&
            oaCallbackSettingsAge(current.settings.tenantId) > 1000;
          if (attempt > 0 || !stale) rejected(err);
          current = await settingsOf(req, true);
        }
      }
    }

    function checkTimestamp(timestamp: string | undefined) {
      const ts = timestamp && /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
      if (!Number.isFinite(ts)) throw new AppError("callback_rejected", "invalid timestamp");
      if (Math.abs(Date.now() / 1000 - ts) > platform.config.callbackToleranceS) {
        throw new AppError("callback_rejected", "timestamp is outside the accepted window (replay?)");
      }
    }

    cb.get(
      "/callbacks/official-account/:tenantId",
      { config: { public: true }, schema: verifySchema },
      async (req: FastifyRequest, reply: FastifyReply) => {
        const q = queryOf(req.raw.url ?? "");
        const { value } = await withSettings(req, (s) =>
          s.verifier.verifyUrl({
            signature: q.get("signature"),
            timestamp: q.get("timestamp"),
            nonce: q.get("nonce"),
            echostr: q.get("echostr"),
          }),
        );
        // WeChat compares the body byte for byte: no quotes, no newline.
        return reply.status(200).type("text/plain; charset=utf-8").send(value);
      },
    );

    cb.post(
      "/callbacks/official-account/:tenantId",
      { config: { public: true }, bodyLimit: maxCallbackXmlBytes, schema: deliverySchema },
      async (req: FastifyRequest, reply: FastifyReply) => {
        await settingsOf(req);
        const q = queryOf(req.raw.url ?? "");
        const query: OaPostQuery = {
          signature: q.get("signature"),
          timestamp: q.get("timestamp"),
          nonce: q.get("nonce"),
          openid: q.get("openid"),
          encrypt_type: q.get("encrypt_type"),
          msg_signature: q.get("msg_signature"),
        };
        checkTimestamp(query.timestamp);
        const body = typeof req.body === "string" ? req.body : "";
        const { s, value: opened } = await withSettings<OpenedOaMessage>(req, (cur) =>
          cur.verifier.open(query, body),
        );
        const payload = flattenOaMessage(opened.message);
        const openid = field(payload, "FromUserName");
        if (!openid || !field(payload, "ToUserName"))
          throw new AppError("callback_rejected", "the message names no user");
        const identity = oaEventIdentity(payload);
        const stored = await platform.inbox.receive(s.settings.tenantId, {
          platform: oaInboxPlatform,
          eventKey: identity.key,
          kind: identity.kind,
          // Siyu's note of the account it verified the message for (WeChat's own fields name none).
          payload: { ...payload, [oaReceivedForAppId]: s.settings.appId },
        });
        const msgType = field(payload, "MsgType");
        const event = field(payload, "Event");
        const found = await findPassiveReply(platform, {
          tenantId: s.settings.tenantId,
          appId: s.settings.appId,
          openid,
          msgType,
          event,
          content:
            msgType === "text"
              ? field(payload, "Content")
              : event === "CLICK"
                ? field(payload, "EventKey")
                : (sceneOf(identity.kind, field(payload, "EventKey")) ?? ""),
          message: payload,
          duplicate: stored.duplicate,
        });
        if (!found) return reply.status(200).type("text/plain; charset=utf-8").send("success");
        const xml = buildReplyXml(found.reply, { openid, accountId: field(payload, "ToUserName") });
        return reply
          .status(200)
          .type("application/xml; charset=utf-8")
          .send(s.verifier.reply(xml, opened.encrypted));
      },
    );
  });
}
