/**
 * The delivery machinery both platform simulators share (WeCom's callback sender, the Official
 * Account's): each delivery is recorded (capped per target), optionally held back and released
 * newest first (reordering fault), POSTed with a timeout and retried when the answer is not HTTP 200,
 * every attempt recorded, then optionally repeated verbatim (duplicate fault). What differs per
 * platform — how the signed request is built and how an HTTP 200 answer is judged — is the
 * `request` hook.
 */

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

export interface CallbackRecord {
  id: number;
  state: "held" | "pending" | "delivered" | "failed";
  attempts: DeliveryAttempt[];
}

/** A corp or an account: what the sender reads of its injected callback faults. */
export interface CallbackTarget {
  faults: { callbackReorderWindow: number; callbackDuplicates: number };
}

/** The signed request of one delivery; `judge` sees each HTTP 200 answer before it is recorded. */
export type SignedRequest =
  | {
      url: string;
      body: string;
      /** May add the platform's verdict to the attempt (a method: an engine's attempt type is wider). */
      judge?(attempt: DeliveryAttempt, text: string): void;
    }
  | { error: string };

export interface SignedCallbackSenderOptions<T, R> {
  /** The platform gives up on an answer after this long (WeCom and WeChat: 5 s). */
  timeoutMs?: number;
  /** Pause between retries, ms (default 1000; tests shorten it). */
  retryDelayMs?: number;
  /** Retries after the first attempt (WeCom and WeChat: 3). */
  retries?: number;
  /** Longest time a reordered (held) delivery waits for its window to fill, ms. */
  holdMs?: number;
  /** The target's id, which records and flushes are kept by. */
  keyOf(target: T): string;
  /** Builds the signed request when the delivery starts; `{ error }` when it cannot be sent. */
  request(target: T, record: R): SignedRequest;
}

const recordCap = 10_000;

export class SignedCallbackSender<T extends CallbackTarget, R extends CallbackRecord> {
  readonly timeoutMs: number;
  readonly #retryDelayMs: number;
  readonly #retries: number;
  readonly #holdMs: number;
  readonly #keyOf: (target: T) => string;
  readonly #request: (target: T, record: R) => SignedRequest;
  #nextId = 1;
  readonly #records = new Map<string, R[]>();
  readonly #held = new Map<string, Array<{ target: T; record: R }>>();
  readonly #pending = new Set<Promise<void>>();
  readonly #pendingByKey = new Map<string, Set<Promise<void>>>();
  #stopped = false;

  constructor(options: SignedCallbackSenderOptions<T, R>) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
    this.#retries = options.retries ?? 3;
    this.#holdMs = options.holdMs ?? 2000;
    this.#keyOf = options.keyOf;
    this.#request = options.request;
  }

  nextId(): number {
    return this.#nextId++;
  }

  deliveries(key: string): R[] {
    return this.#records.get(key) ?? [];
  }

  /** Records a new delivery and starts it, or holds it while a reordering window fills. */
  send(target: T, record: R): R {
    const key = this.#keyOf(target);
    const list = this.#records.get(key) ?? [];
    this.#records.set(key, list);
    list.push(record);
    if (list.length > recordCap) list.splice(0, list.length - recordCap);
    const window = target.faults.callbackReorderWindow;
    if (window > 1) {
      record.state = "held";
      const held = this.#held.get(key) ?? [];
      this.#held.set(key, held);
      held.push({ target, record });
      if (held.length >= window) this.#release(key);
      // A window that never fills must not hold deliveries forever: release what is held after a while.
      else if (held.length === 1) setTimeout(() => this.#release(key), this.#holdMs).unref();
    } else {
      this.#start(target, record);
    }
    return record;
  }

  /** Sends held (reordered) deliveries now, newest first. */
  #release(key: string): void {
    const held = this.#held.get(key) ?? [];
    this.#held.delete(key);
    for (const { target, record } of held.reverse()) {
      record.state = "pending";
      this.#start(target, record);
    }
  }

  #start(target: T, record: R): void {
    const key = this.#keyOf(target);
    const p = this.#deliver(target, record).finally(() => {
      this.#pending.delete(p);
      this.#pendingByKey.get(key)?.delete(p);
    });
    this.#pending.add(p);
    const set = this.#pendingByKey.get(key) ?? new Set<Promise<void>>();
    this.#pendingByKey.set(key, set);
    set.add(p);
  }

  /** Releases held deliveries and waits until every delivery of the target (or all) has finished. */
  async flush(key?: string): Promise<void> {
    if (key) this.#release(key);
    else for (const k of [...this.#held.keys()]) this.#release(k);
    for (;;) {
      const set = key ? this.#pendingByKey.get(key) : this.#pending;
      if (!set || set.size === 0) return;
      await Promise.allSettled([...set]);
    }
  }

  async #deliver(target: T, record: R): Promise<void> {
    const request = this.#request(target, record);
    if ("error" in request) {
      record.state = "failed";
      record.attempts.push({ at: Date.now(), status: null, error: request.error, latencyMs: 0 });
      return;
    }
    const { url, body, judge } = request;
    let delivered = false;
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      const { result, text } = await this.#post(url, body);
      if (result.status === 200) judge?.(result, text);
      record.attempts.push(result);
      if (result.status === 200) {
        delivered = true;
        break;
      }
      if (attempt < this.#retries && !this.#stopped) await sleep(this.#retryDelayMs);
      if (this.#stopped) break;
    }
    record.state = delivered ? "delivered" : "failed";
    // Duplicate deliveries repeat the very same request, as a platform retry after a lost answer does.
    for (let i = 0; i < target.faults.callbackDuplicates && !this.#stopped; i++) {
      const { result } = await this.#post(url, body);
      record.attempts.push({ ...result, duplicate: true });
    }
  }

  async #post(url: string, body: string): Promise<{ result: DeliveryAttempt; text: string }> {
    const at = Date.now();
    const started = performance.now();
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "text/xml; charset=utf-8" },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      return { result: { at, status: res.status, latencyMs: Math.round(performance.now() - started) }, text };
    } catch (err) {
      const name = (err as Error).name;
      return {
        result: {
          at,
          status: null,
          error: name === "TimeoutError" || name === "AbortError" ? "timeout" : (err as Error).message,
          latencyMs: Math.round(performance.now() - started),
        },
        text: "",
      };
    }
  }

  /** Shutdown: no more retries; in-flight requests end within the timeout. */
  async close(): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled([...this.#pending]);
  }
}

/** Appends percent-encoded parameters (encodeURIComponent turns `+` into %2B, as the platforms send it). */
export function withQuery(base: string, params: Record<string, string>): string {
  const q = Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join("&");
  return base + (base.includes("?") ? "&" : "?") + q;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
