import { randomInt } from "node:crypto";
import { WxMsgCrypt } from "../../connectors/shared/wx-msg-crypt.ts";
import { buildWxXml } from "../../connectors/shared/xml.ts";
import type { SimClock } from "./clock.ts";
import type { Corp } from "./corp.ts";

export type EventFields = Record<string, string | number | string[] | undefined>;

export interface DeliveryAttempt {
  /** Wall-clock milliseconds when the attempt started. */
  at: number;
  /** HTTP status, or null when the request failed or timed out. */
  status: number | null;
  error?: string;
  latencyMs: number;
  /** A deliberate duplicate delivery (fault), not a retry. */
  duplicate?: boolean;
}

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
}

const recordCap = 10_000;

/**
 * Delivers client-side events to a corp's callback URL the way WeCom does: encrypted envelope,
 * msg_signature over the Encrypt text, binary random16, receiveid = corpid, a 5 s timeout and up to
 * 3 retries when the answer is not HTTP 200. Every attempt is recorded for inspection.
 */
export class CallbackSender {
  readonly #clock: SimClock;
  readonly #timeoutMs: number;
  readonly #retryDelayMs: number;
  readonly #retries: number;
  #nextId = 1;
  readonly #records = new Map<string, CallbackDelivery[]>();
  readonly #held = new Map<string, Array<{ corp: Corp; record: CallbackDelivery }>>();
  readonly #pending = new Set<Promise<void>>();
  readonly #pendingByCorp = new Map<string, Set<Promise<void>>>();
  #stopped = false;

  constructor(options: CallbackSenderOptions) {
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
    this.#retries = options.retries ?? 3;
  }

  deliveries(corpId: string): CallbackDelivery[] {
    return this.#records.get(corpId) ?? [];
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
    const record: CallbackDelivery = {
      id: this.#nextId++,
      corpId: corp.corpId,
      event,
      changeType,
      xml: buildWxXml(fields),
      fields,
      createdAt: Date.now(),
      state: "pending",
      attempts: [],
    };
    const list = this.#records.get(corp.corpId) ?? [];
    this.#records.set(corp.corpId, list);
    list.push(record);
    if (list.length > recordCap) list.splice(0, list.length - recordCap);

    const window = corp.faults.callbackReorderWindow;
    if (window > 1) {
      record.state = "held";
      const held = this.#held.get(corp.corpId) ?? [];
      this.#held.set(corp.corpId, held);
      held.push({ corp, record });
      if (held.length >= window) this.#release(corp.corpId);
    } else {
      this.#start(corp, record);
    }
    return record;
  }

  /** Sends held (reordered) events now, newest first. */
  #release(corpId: string): void {
    const held = this.#held.get(corpId) ?? [];
    this.#held.delete(corpId);
    for (const { corp, record } of held.reverse()) {
      record.state = "pending";
      this.#start(corp, record);
    }
  }

  #start(corp: Corp, record: CallbackDelivery): void {
    const p = this.#deliver(corp, record).finally(() => {
      this.#pending.delete(p);
      this.#pendingByCorp.get(corp.corpId)?.delete(p);
    });
    this.#pending.add(p);
    const set = this.#pendingByCorp.get(corp.corpId) ?? new Set<Promise<void>>();
    this.#pendingByCorp.set(corp.corpId, set);
    set.add(p);
  }

  /** Releases held events and waits until every delivery of the corp (or all corps) has finished. */
  async flush(corpId?: string): Promise<void> {
    if (corpId) this.#release(corpId);
    else for (const id of [...this.#held.keys()]) this.#release(id);
    for (;;) {
      const set = corpId ? this.#pendingByCorp.get(corpId) : this.#pending;
      if (!set || set.size === 0) return;
      await Promise.allSettled([...set]);
    }
  }

  async #deliver(corp: Corp, record: CallbackDelivery): Promise<void> {
    const config = corp.callback;
    if (!config) {
      record.state = "failed";
      record.attempts.push({ at: Date.now(), status: null, error: "no callback configured", latencyMs: 0 });
      return;
    }
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
    const url = withQuery(config.url, { msg_signature: signature, timestamp, nonce });

    let delivered = false;
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      const result = await this.#post(url, body);
      record.attempts.push(result);
      if (result.status === 200) {
        delivered = true;
        break;
      }
      if (attempt < this.#retries && !this.#stopped) await sleep(this.#retryDelayMs);
      if (this.#stopped) break;
    }
    record.state = delivered ? "delivered" : "failed";
    // Duplicate deliveries repeat the very same request, as a WeCom retry after a lost answer does.
    for (let i = 0; i < corp.faults.callbackDuplicates && !this.#stopped; i++) {
      record.attempts.push({ ...(await this.#post(url, body)), duplicate: true });
    }
  }

  async #post(url: string, body: string): Promise<DeliveryAttempt> {
    const at = Date.now();
    const started = performance.now();
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "text/xml; charset=utf-8" },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await res.arrayBuffer();
      return { at, status: res.status, latencyMs: Math.round(performance.now() - started) };
    } catch (err) {
      const name = (err as Error).name;
      return {
        at,
        status: null,
        error: name === "TimeoutError" || name === "AbortError" ? "timeout" : (err as Error).message,
        latencyMs: Math.round(performance.now() - started),
      };
    }
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
      const res = await fetch(url, { signal: AbortSignal.timeout(this.#timeoutMs) });
      const body = await res.text();
      return { ok: res.status === 200 && body === expected, status: res.status, body, expected, echostr };
    } catch (err) {
      return { ok: false, status: null, body: "", expected, echostr, error: (err as Error).message };
    }
  }

  /** Shutdown: no more retries; in-flight requests end within the timeout. */
  async close(): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled([...this.#pending]);
  }
}

/** Appends percent-encoded parameters (encodeURIComponent turns `+` into %2B, as WeCom sends it). */
function withQuery(base: string, params: Record<string, string>): string {
  const q = Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join("&");
  return base + (base.includes("?") ? "&" : "?") + q;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
