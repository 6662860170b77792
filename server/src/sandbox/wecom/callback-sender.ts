import { randomInt } from "node:crypto";
import { WxMsgCrypt } from "../../connectors/shared/wx-msg-crypt.ts";
import { buildWxXml } from "../../connectors/shared/xml.ts";
import { type DeliveryAttempt, SignedCallbackSender, withQuery } from "../shared/signed-callback-sender.ts";
import type { SimClock } from "./clock.ts";
import type { Corp } from "./corp.ts";

export type { DeliveryAttempt } from "../shared/signed-callback-sender.ts";

export type EventFields = Record<string, string | number | string[] | undefined>;

export interface CallbackDelivery {
  id: number;
  corpId: string;
  event: string;
  changeType: string;
  /** The decrypted XML the receiver should see. */
  xml: string;
  fields: Record<string, string | number | string[]>;
  createdAt: number;
  state: "held" | "pending" | "delivered" | "failed";
  attempts: DeliveryAttempt[];
}

export interface CallbackSenderOptions {
  clock: SimClock;
  /** WeCom gives up on an answer after 5 s. */
  timeoutMs?: number;
  /** Pause between retries; WeCom's own spacing is unspecified, tests shorten it. */
  retryDelayMs?: number;
  /** WeCom retries up to 3 times. */
  retries?: number;
  /** Longest time a reordered (held) event waits for its window to fill, ms. */
  holdMs?: number;
}

/**
 * Delivers client-side events to a corp's callback URL the way WeCom does: encrypted envelope,
 * msg_signature over the Encrypt text, binary random16, receiveid = corpid, a 5 s timeout and up to
 * 3 retries when the answer is not HTTP 200. Every attempt is recorded for inspection (the delivery
 * machinery is shared with the OA simulator: sandbox/shared/signed-callback-sender.ts).
 */
export class CallbackSender {
  readonly #clock: SimClock;
  readonly #core: SignedCallbackSender<Corp, CallbackDelivery>;

  constructor(options: CallbackSenderOptions) {
    this.#clock = options.clock;
    this.#core = new SignedCallbackSender<Corp, CallbackDelivery>({
      ...options,
      keyOf: (corp) => corp.corpId,
      request: (corp, record) => this.#request(corp, record),
    });
  }

  deliveries(corpId: string): CallbackDelivery[] {
    return this.#core.deliveries(corpId);
  }

  /** Emits one event (the common header is added here). No callback config: recorded as failed. */
  emit(corp: Corp, event: string, changeType: string, extra: EventFields): CallbackDelivery {
    const fields: Record<string, string | number | string[]> = {
      ToUserName: corp.corpId,
      FromUserName: "sys",
      CreateTime: this.#clock.seconds(),
      MsgType: "event",
      Event: event,
    };
    // Chat events put ChatId before ChangeType (protocols/wecom.md §4.2); the receiver must not care.
    if (extra.ChatId !== undefined) fields.ChatId = extra.ChatId;
    fields.ChangeType = changeType;
    for (const [k, v] of Object.entries(extra)) if (v !== undefined && k !== "ChatId") fields[k] = v;
    return this.#core.send(corp, {
      id: this.#core.nextId(),
      corpId: corp.corpId,
      event,
      changeType,
      xml: buildWxXml(fields),
      fields,
      createdAt: Date.now(),
      state: "pending",
      attempts: [],
    });
  }

  /** Releases held events and waits until every delivery of the corp (or all corps) has finished. */
  flush(corpId?: string): Promise<void> {
    return this.#core.flush(corpId);
  }

  /** The encrypted envelope, signed when the delivery starts. */
  #request(corp: Corp, record: CallbackDelivery) {
    const config = corp.callback;
    if (!config) return { error: "no callback configured" };
    const crypt = new WxMsgCrypt({
      token: config.token,
      encodingAesKey: config.encodingAesKey,
      receiveId: corp.corpId,
    });
    const timestamp = String(this.#clock.seconds());
    const nonce = String(randomInt(100_000_000, 9_999_999_999));
    const encrypt = crypt.encrypt(record.xml);
    const signature = crypt.sign(timestamp, nonce, encrypt);
    const body = buildWxXml({ ToUserName: corp.corpId, Encrypt: encrypt, AgentID: String(corp.agentId) });
    return { url: withQuery(config.url, { msg_signature: signature, timestamp, nonce }), body };
  }

  /**
   * WeCom's URL verification: GET with msg_signature, timestamp, nonce and an encrypted echostr,
   * percent-encoded — the echostr is chosen so it contains `+`, which naive query parsers turn into a
   * space. The receiver must answer the bare plaintext.
   */
  async verifyUrl(corp: Corp): Promise<{
    ok: boolean;
    status: number | null;
    body: string;
    expected: string;
    echostr: string;
    error?: string;
  }> {
    const config = corp.callback;
    if (!config) throw new Error("no callback configured");
    const crypt = new WxMsgCrypt({
      token: config.token,
      encodingAesKey: config.encodingAesKey,
      receiveId: corp.corpId,
    });
    let expected = "";
    let echostr = "";
    for (let i = 0; i < 1000 && !echostr.includes("+"); i++) {
      expected = String(randomInt(100_000_000, 9_999_999_999)) + String(randomInt(100_000_000, 999_999_999));
      echostr = crypt.encrypt(expected);
    }
    const timestamp = String(this.#clock.seconds());
    const nonce = String(randomInt(100_000_000, 9_999_999_999));
    const url = withQuery(config.url, {
      msg_signature: crypt.sign(timestamp, nonce, echostr),
      timestamp,
      nonce,
      echostr,
    });
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.#core.timeoutMs) });
      const body = await res.text();
      return { ok: res.status === 200 && body === expected, status: res.status, body, expected, echostr };
    } catch (err) {
      return { ok: false, status: null, body: "", expected, echostr, error: (err as Error).message };
    }
  }

  /** Shutdown: no more retries; in-flight requests end within the timeout. */
  close(): Promise<void> {
    return this.#core.close();
  }
}
