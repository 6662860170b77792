import { createHash, randomInt } from "node:crypto";
import { MsgCryptError, signaturesEqual, WxMsgCrypt } from "../shared/wx-msg-crypt.ts";
import { parseWxXml, XmlError, type XmlObject, xmlText } from "../shared/xml.ts";

/**
 * The Official Account's server side (protocols/official-account.md §1–4): URL verification with
 * the plain signature, the three message modes, appid checks, passive replies.
 */

/** 明文 plain, 兼容 compatible (plaintext fields and Encrypt), 安全 safe (Encrypt only). */
export type OaMessageMode = "plain" | "compatible" | "safe";
export const oaMessageModes = ["plain", "compatible", "safe"] as const;

/** Why a callback was refused; the route maps each to a 4xx. */
export type OaCallbackFailure =
  /** `signature` (or `msg_signature`) does not match: 401. */
  | "bad_signature"
  /** The decrypted message is for another appid (receiveid or ToUserName mismatch): 400. */
  | "bad_appid"
  /** Not what the account's mode says it must be (e.g. plaintext to a safe-mode account): 400. */
  | "mode_mismatch"
  /** Missing parameters, bad XML (too large, DTD/entities, not `<xml>`), undecryptable: 400. */
  | "malformed";

export class OaCallbackError extends Error {
  readonly reason: OaCallbackFailure;
  constructor(reason: OaCallbackFailure, message: string) {
    super(message);
    this.name = "OaCallbackError";
    this.reason = reason;
  }
}

/** `sha1(sort([token, timestamp, nonce]).join(""))`, lowercase hex (§1). */
export function oaSignature(token: string, timestamp: string, nonce: string): string {
  return createHash("sha1").update([token, timestamp, nonce].sort().join("")).digest("hex");
}

export function verifyOaSignature(
  token: string,
  timestamp: string,
  nonce: string,
  signature: string,
): boolean {
  return signaturesEqual(oaSignature(token, timestamp, nonce), signature);
}

/** What the callback route knows of the account. */
export interface OaCallbackAccount {
  appId: string;
  token: string;
  mode: OaMessageMode;
  /** Required for compatible and safe mode. */
  encodingAesKey?: string | null;
}

/** A ready account: its crypt built once (the route caches it per tenant). */
export class OaCallbackVerifier {
  readonly account: OaCallbackAccount;
  readonly crypt: WxMsgCrypt | null;

  constructor(account: OaCallbackAccount) {
    this.account = account;
    this.crypt = account.encodingAesKey
      ? new WxMsgCrypt({
          token: account.token,
          encodingAesKey: account.encodingAesKey,
          receiveId: account.appId,
        })
      : null;
    if (account.mode !== "plain" && !this.crypt) {
      throw new OaCallbackError("malformed", `${account.mode} mode needs an EncodingAESKey`);
    }
  }

  /** GET verification: the echostr to answer verbatim (never encrypted, even in safe mode), or throws. */
  verifyUrl(query: { signature?: string; timestamp?: string; nonce?: string; echostr?: string }): string {
    const { signature, timestamp, nonce, echostr } = query;
    if (!signature || !timestamp || !nonce || echostr === undefined) {
      throw new OaCallbackError("malformed", "signature, timestamp, nonce and echostr are required");
    }
    if (!verifyOaSignature(this.account.token, timestamp, nonce, signature)) {
      throw new OaCallbackError("bad_signature", "signature does not match");
    }
    return echostr;
  }

  /**
   * Verifies and opens a POSTed message. Plain mode: `signature`, the plaintext body. Compatible and
   * safe mode: `signature` and `msg_signature`, `encrypt_type=aes`, and only the decrypted payload is
   * trusted (a compatible body's plaintext fields could differ). Safe mode also checks the envelope's
   * ToUserName against the decrypted one; the receiveid check proves the appid in both.
   */
  open(query: OaPostQuery, body: string): OpenedOaMessage {
    const { signature, timestamp, nonce } = query;
    if (!signature || !timestamp || !nonce) {
      throw new OaCallbackError("malformed", "signature, timestamp and nonce are required");
    }
    if (!verifyOaSignature(this.account.token, timestamp, nonce, signature)) {
      throw new OaCallbackError("bad_signature", "signature does not match");
    }
    const envelope = parseXml(body, "body");
    const mode = this.account.mode;
    const aes = query.encrypt_type === "aes";
    if (mode === "plain") {
      if (!xmlText(envelope, "MsgType")) {
        throw new OaCallbackError(
          "mode_mismatch",
          "no plaintext message: the account is set to plaintext mode",
        );
      }
      return { message: envelope, encrypted: false };
    }
    if (!aes) throw new OaCallbackError("mode_mismatch", `${mode} mode requires encrypt_type=aes`);
    const msgSignature = query.msg_signature;
    if (!msgSignature) throw new OaCallbackError("malformed", "msg_signature is required");
    const encrypt = xmlText(envelope, "Encrypt");
    if (!encrypt) throw new OaCallbackError("malformed", "the body has no Encrypt");
    let plain: string;
    try {
      plain = (this.crypt as WxMsgCrypt).open(msgSignature, timestamp, nonce, encrypt).message;
    } catch (err) {
      if (err instanceof MsgCryptError) {
        if (err.reason === "bad_signature")
          throw new OaCallbackError("bad_signature", "msg_signature does not match");
        if (err.reason === "bad_receiveid")
          throw new OaCallbackError("bad_appid", "the message is encrypted for another appid");
        throw new OaCallbackError("malformed", `cannot decrypt the message (${err.reason})`);
      }
      throw err;
    }
    const message = parseXml(plain, "decrypted message");
    const outer = xmlText(envelope, "ToUserName");
    if (outer !== undefined && outer !== xmlText(message, "ToUserName")) {
      throw new OaCallbackError("bad_appid", "the envelope and the message name different accounts");
    }
    if (!xmlText(message, "MsgType")) throw new OaCallbackError("malformed", "the message has no MsgType");
    return { message, encrypted: true };
  }

  /**
   * The HTTP body answering a message with a passive reply: encrypted (with its own signature) when
   * the message came encrypted, plaintext otherwise (§2, §4).
   */
  reply(xml: string, encrypted: boolean, options: { timestamp?: string; nonce?: string } = {}): string {
    if (!encrypted) return xml;
    const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
    const nonce = options.nonce ?? String(randomInt(100_000_000, 9_999_999_999));
    return (this.crypt as WxMsgCrypt).seal(xml, timestamp, nonce).xml;
  }
}

export interface OaPostQuery {
  signature?: string;
  timestamp?: string;
  nonce?: string;
  openid?: string;
  encrypt_type?: string;
  msg_signature?: string;
}

export interface OpenedOaMessage {
  /** The message's fields (strings). */
  message: XmlObject;
  /** It came encrypted: a passive reply must be encrypted too. */
  encrypted: boolean;
}

function parseXml(text: string, what: string): XmlObject {
  try {
    return parseWxXml(text);
  } catch (err) {
    if (err instanceof XmlError) throw new OaCallbackError("malformed", `${what}: ${err.message}`);
    throw err;
  }
}

/** Flattens a message into strings (nested elements such as ScanCodeInfo become `Parent.Child`). */
export function flattenOaMessage(message: XmlObject): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (obj: XmlObject, prefix: string) => {
    for (const [key, value] of Object.entries(obj)) {
      const name = prefix ? `${prefix}.${key}` : key;
      if (typeof value === "string") out[name] = value;
      else if (value && typeof value === "object" && !Array.isArray(value) && prefix === "")
        walk(value, name);
    }
  };
  walk(message, "");
  return out;
}

// ── passive replies (§4) ──────────────────────────────────────────────────────────────────────

export interface ReplyArticle {
  title: string;
  description?: string;
  picUrl?: string;
  url?: string;
}

export type PassiveReply =
  | { type: "text"; content: string }
  | { type: "image"; mediaId: string }
  | { type: "voice"; mediaId: string }
  | { type: "video"; mediaId: string; title?: string; description?: string }
  | {
      type: "music";
      title?: string;
      description?: string;
      musicUrl?: string;
      hqMusicUrl?: string;
      thumbMediaId: string;
    }
  | { type: "news"; articles: ReplyArticle[] }
  | { type: "transfer_customer_service" };

/** CDATA that survives `]]>` inside the value (split into two sections). */
export function cdata(value: string): string {
  return `<![CDATA[${value.replace(/]]>/g, "]]]]><![CDATA[>")}]]>`;
}

/**
 * The reply XML: ToUserName = the follower's openid, FromUserName = the account's original id
 * (`gh_…`, the ToUserName of the message answered).
 */
export function buildReplyXml(
  reply: PassiveReply,
  to: { openid: string; accountId: string; createTime?: number },
): string {
  const createTime = to.createTime ?? Math.floor(Date.now() / 1000);
  const head = `<ToUserName>${cdata(to.openid)}</ToUserName><FromUserName>${cdata(to.accountId)}</FromUserName><CreateTime>${createTime}</CreateTime><MsgType>${cdata(reply.type)}</MsgType>`;
  const opt = (tag: string, v: string | undefined) => (v === undefined ? "" : `<${tag}>${cdata(v)}</${tag}>`);
  let body: string;
  switch (reply.type) {
    case "text":
      body = `<Content>${cdata(reply.content)}</Content>`;
      break;
    case "image":
      body = `<Image><MediaId>${cdata(reply.mediaId)}</MediaId></Image>`;
      break;
    case "voice":
      body = `<Voice><MediaId>${cdata(reply.mediaId)}</MediaId></Voice>`;
      break;
    case "video":
      body = `<Video><MediaId>${cdata(reply.mediaId)}</MediaId>${opt("Title", reply.title)}${opt("Description", reply.description)}</Video>`;
      break;
    case "music":
      body = `<Music>${opt("Title", reply.title)}${opt("Description", reply.description)}${opt("MusicUrl", reply.musicUrl)}${opt("HQMusicUrl", reply.hqMusicUrl)}<ThumbMediaId>${cdata(reply.thumbMediaId)}</ThumbMediaId></Music>`;
      break;
    case "news": {
      const items = reply.articles
        .slice(0, 8)
        .map(
          (a) =>
            `<item>${opt("Title", a.title)}${opt("Description", a.description)}${opt("PicUrl", a.picUrl)}${opt("Url", a.url)}</item>`,
        )
        .join("");
      body = `<ArticleCount>${Math.min(reply.articles.length, 8)}</ArticleCount><Articles>${items}</Articles>`;
      break;
    }
    case "transfer_customer_service":
      body = "";
      break;
  }
  return `<xml>${head}${body}</xml>`;
}
