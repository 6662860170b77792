import { randomInt } from "node:crypto";
import { oaSignature } from "../../connectors/official-account/index.ts";
import { WxMsgCrypt } from "../../connectors/shared/wx-msg-crypt.ts";
import { buildWxXml, parseWxXml, type XmlObject, xmlText } from "../../connectors/shared/xml.ts";
import { type DeliveryAttempt, SignedCallbackSender, withQuery } from "../shared/signed-callback-sender.ts";
import type { SimClock } from "../wecom/clock.ts";
import type { OaAccount } from "./account.ts";

export type MessageFields = Record<string, string | number | undefined>;

export interface OaDeliveryAttempt extends DeliveryAttempt {
  /** What the answer was, as WeChat judges it. */
  outcome?: "success" | "empty" | "reply" | "service_unavailable";
}

export interface OaDelivery {
  id: number;
  appId: string;
  mode: string;
  /** The plaintext message the receiver should see. */
  xml: string;
  fields: Record<string, string | number>;
  createdAt: number;
  state: "held" | "pending" | "delivered" | "failed";
  attempts: OaDeliveryAttempt[];
  /** The passive reply the receiver answered (decrypted), if any. */
  reply?: Record<string, string>;
  /** Why the answer made the client show "该公众号暂时无法提供服务". */
  replyError?: string;
}

export interface OaCallbackSenderOptions {
  clock: SimClock;
  /** WeChat waits 5 s for an answer. */
  timeoutMs?: number;
  retryDelayMs?: number;
  /** WeChat retries 3 times. */
  retries?: number;
  holdMs?: number;
}

const replyTypes = new Set(["text", "image", "voice", "video", "music", "news", "transfer_customer_service"]);

/**
 * Delivers messages and events to an account's server URL the way WeChat does (§2–3): the query's
 * `signature`, `timestamp`, `nonce`, `openid`, plus `encrypt_type=aes` and `msg_signature` in
 * compatible and safe mode; the body plaintext, both, or Encrypt only. Up to 3 retries when no
 * answer comes in 5 s or it is not HTTP 200. The answer is judged: "success", an empty body or a
 * valid passive reply (encrypted in the mode of the message) are fine; anything else is recorded as
 * "service unavailable", as the client would show it. The delivery machinery (records, hold/reorder,
 * retries, duplicates) is shared with the WeCom simulator: sandbox/shared/signed-callback-sender.ts.
 */
export class OaCallbackSender {
  readonly #clock: SimClock;
  readonly #core: SignedCallbackSender<OaAccount, OaDelivery>;

  constructor(options: OaCallbackSenderOptions) {
    this.#clock = options.clock;
    this.#core = new SignedCallbackSender<OaAccount, OaDelivery>({
      ...options,
      keyOf: (account) => account.appId,
      request: (account, record) => this.#request(account, record),
    });
  }

  deliveries(appId: string): OaDelivery[] {
    return this.#core.deliveries(appId);
  }

  delivery(appId: string, id: number): OaDelivery | undefined {
    return this.deliveries(appId).find((d) => d.id === id);
  }

  /** Sends one message from `openid` (the common header is added here). */
  emit(account: OaAccount, openid: string, msgType: string, extra: MessageFields): OaDelivery {
    const fields: Record<string, string | number> = {
      ToUserName: account.originalId,
      FromUserName: openid,
      CreateTime: this.#clock.seconds(),
      MsgType: msgType,
    };
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) fields[k] = v;
    return this.#core.send(account, {
      id: this.#core.nextId(),
      appId: account.appId,
      mode: account.callback?.mode ?? "none",
      xml: buildWxXml(fields),
      fields,
      createdAt: Date.now(),
      state: "pending",
      attempts: [],
    });
  }

  /** Releases held messages and waits until every delivery of the account (or all) finished. */
  flush(appId?: string): Promise<void> {
    return this.#core.flush(appId);
  }

  /** The signed request of one message in the account's mode (also used by tests and benches). */
  static request(
    account: {
      appId: string;
      originalId: string;
      callback: { url: string; token: string; encodingAesKey?: string; mode: string };
    },
    xml: string,
    openid: string,
    timestamp: string,
    nonce = String(randomInt(100_000_000, 9_999_999_999)),
  ): { url: string; body: string; crypt: WxMsgCrypt | null } {
    const config = account.callback;
    const query: Record<string, string> = {
      signature: oaSignature(config.token, timestamp, nonce),
      timestamp,
      nonce,
      openid,
    };
    let body = xml;
    let crypt: WxMsgCrypt | null = null;
    if (config.mode !== "plain") {
      if (!config.encodingAesKey) throw new Error(`${config.mode} mode needs an encodingAesKey`);
      crypt = new WxMsgCrypt({
        token: config.token,
        encodingAesKey: config.encodingAesKey,
        receiveId: account.appId,
      });
      const encrypt = crypt.encrypt(xml);
      query.encrypt_type = "aes";
      query.msg_signature = crypt.sign(timestamp, nonce, encrypt);
      body =
        config.mode === "safe"
          ? buildWxXml({ ToUserName: account.originalId, Encrypt: encrypt })
          : xml.replace(/<\/xml>\s*$/, `<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`);
    }
    return { url: withQuery(config.url, query), body, crypt };
  }

  /** The message signed in the account's mode when the delivery starts; each 200 answer judged. */
  #request(account: OaAccount, record: OaDelivery) {
    const config = account.callback;
    if (!config) return { error: "no server URL configured" };
    const openid = String(record.fields.FromUserName);
    const { url, body, crypt } = OaCallbackSender.request(
      { appId: account.appId, originalId: account.originalId, callback: config },
      record.xml,
      openid,
      String(this.#clock.seconds()),
    );
    const judge = (attempt: OaDeliveryAttempt, text: string) => {
      const verdict = judgeAnswer(text, crypt, config.token, openid, account.originalId);
      attempt.outcome = verdict.outcome;
      if (verdict.reply) record.reply = verdict.reply;
      if (verdict.error) record.replyError = verdict.error;
    };
    return { url, body, judge };
  }

  /** GET URL verification: plain signature, echostr to be answered verbatim (§1). */
  async verifyUrl(
    account: OaAccount,
  ): Promise<{ ok: boolean; status: number | null; body: string; echostr: string }> {
    const config = account.callback;
    if (!config) throw new Error("no server URL configured");
    const timestamp = String(this.#clock.seconds());
    const nonce = String(randomInt(100_000_000, 9_999_999_999));
    const echostr =
      String(randomInt(100_000_000, 9_999_999_999)) + String(randomInt(100_000_000, 999_999_999));
    const url = withQuery(config.url, {
      signature: oaSignature(config.token, timestamp, nonce),
      timestamp,
      nonce,
      echostr,
    });
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.#core.timeoutMs) });
      const body = await res.text();
      return { ok: res.status === 200 && body === echostr, status: res.status, body, echostr };
    } catch {
      return { ok: false, status: null, body: "", echostr };
    }
  }

  close(): Promise<void> {
    return this.#core.close();
  }
}

/** WeChat's judgement of an HTTP 200 answer (§3 delivery rules, §4 replies). */
export function judgeAnswer(
  text: string,
  crypt: WxMsgCrypt | null,
  token: string,
  openid: string,
  originalId: string,
): { outcome: OaDeliveryAttempt["outcome"]; reply?: Record<string, string>; error?: string } {
  if (text === "") return { outcome: "empty" };
  if (text === "success") return { outcome: "success" };
  const bad = (error: string) => ({ outcome: "service_unavailable" as const, error });
  let xml: XmlObject;
  try {
    xml = parseWxXml(text);
  } catch (err) {
    return bad(`not XML: ${(err as Error).message}`);
  }
  let message = xml;
  const encrypt = xmlText(xml, "Encrypt");
  if (crypt) {
    if (!encrypt) return bad("the message came encrypted but the reply is not");
    const sig = xmlText(xml, "MsgSignature") ?? "";
    const ts = xmlText(xml, "TimeStamp") ?? "";
    const nonce = xmlText(xml, "Nonce") ?? "";
    try {
      message = parseWxXml(crypt.open(sig, ts, nonce, encrypt).message);
    } catch (err) {
      return bad(`reply does not verify or decrypt: ${(err as Error).message}`);
    }
  } else if (encrypt) {
    return bad("an encrypted reply to a plaintext message");
  }
  void token;
  const type = xmlText(message, "MsgType") ?? "";
  if (xmlText(message, "ToUserName") !== openid) return bad("reply ToUserName is not the follower's openid");
  if (xmlText(message, "FromUserName") !== originalId)
    return bad("reply FromUserName is not the account's id");
  if (!/^\d+$/.test(xmlText(message, "CreateTime") ?? "")) return bad("reply CreateTime is not a number");
  if (!replyTypes.has(type)) return bad(`unknown reply MsgType ${type}`);
  if (type === "text" && !xmlText(message, "Content")) return bad("text reply without Content");
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(message)) if (typeof v === "string") flat[k] = v;
  // A news reply's first article, flattened (ArticleTitle, ArticleUrl…) so a follower view can show it.
  const items = (message.Articles as XmlObject | undefined)?.item;
  const first = Array.isArray(items) ? items[0] : items;
  if (first && typeof first === "object" && !Array.isArray(first))
    for (const k of ["Title", "Description", "PicUrl", "Url"]) {
      const v = first[k];
      if (typeof v === "string") flat[`Article${k}`] = v;
    }
  return { outcome: "reply", reply: flat };
}
