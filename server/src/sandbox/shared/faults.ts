/** A fault a test arms for one corp or account: the next `remaining` calls of `api` (or every call) misbehave. */
export interface FaultRule {
  id: number;
  /** API path after `/cgi-bin/` (`gettoken`, `externalcontact/list`…) or `*` for every API. */
  api: string;
  /** Calls left to affect; `null` means every call until cleared. */
  remaining: number | null;
  errcode?: number;
  httpStatus?: 500 | 502 | 503 | 504;
  delayMs?: number;
}

export interface FaultEffect {
  errcode?: number;
  httpStatus?: number;
  delayMs?: number;
}

export const defaultRatePerMinute = 10_000;

export class Faults {
  rules: FaultRule[] = [];
  #nextId = 1;
  /** Per-API calls allowed per minute of the simulator clock; answers 45009 beyond. */
  readonly ratePerMinute = new Map<string, number>();
  defaultRatePerMinute = defaultRatePerMinute;
  readonly #windows = new Map<string, { minute: number; count: number }>();
  /** Each callback is delivered this many extra times (WeCom's duplicate deliveries). */
  callbackDuplicates = 0;
  /** Callbacks are held and released in reverse order, this many at a time (0 = in order). */
  callbackReorderWindow = 0;

  add(rule: Omit<FaultRule, "id">): FaultRule {
    const r = { ...rule, id: this.#nextId++ };
    this.rules.push(r);
    return r;
  }

  /** Arms a fault as the sim APIs take it: `times` calls (null: every call until cleared). */
  arm(input: {
    api: string;
    times: number | null;
    errcode?: number | undefined;
    httpStatus?: FaultRule["httpStatus"] | undefined;
    delayMs?: number | undefined;
  }): FaultRule {
    return this.add({
      api: input.api,
      remaining: input.times,
      ...(input.errcode !== undefined ? { errcode: input.errcode } : {}),
      ...(input.httpStatus !== undefined ? { httpStatus: input.httpStatus } : {}),
      ...(input.delayMs !== undefined ? { delayMs: input.delayMs } : {}),
    });
  }

  /** Sets the callback faults given (duplicates, reorder window); answers them all. */
  setCallbackFaults(input: { duplicates?: number | undefined; reorderWindow?: number | undefined }) {
    if (input.duplicates !== undefined) this.callbackDuplicates = input.duplicates;
    if (input.reorderWindow !== undefined) this.callbackReorderWindow = input.reorderWindow;
    return { duplicates: this.callbackDuplicates, reorderWindow: this.callbackReorderWindow };
  }

  clear(): void {
    this.rules = [];
    this.ratePerMinute.clear();
    this.defaultRatePerMinute = defaultRatePerMinute;
    this.#windows.clear();
    this.callbackDuplicates = 0;
    this.callbackReorderWindow = 0;
  }

  /** Consumes the first armed rule matching `api`. */
  take(api: string): FaultEffect | undefined {
    const rule = this.rules.find((r) => (r.api === "*" || r.api === api) && r.remaining !== 0);
    if (!rule) return undefined;
    if (rule.remaining !== null) rule.remaining--;
    if (rule.remaining === 0) this.rules.splice(this.rules.indexOf(rule), 1);
    return {
      ...(rule.errcode !== undefined ? { errcode: rule.errcode } : {}),
      ...(rule.httpStatus !== undefined ? { httpStatus: rule.httpStatus } : {}),
      ...(rule.delayMs !== undefined ? { delayMs: rule.delayMs } : {}),
    };
  }

  /** Counts one call in the current minute; false when the API is over its limit. */
  allow(api: string, nowMs: number): boolean {
    const limit = this.ratePerMinute.get(api) ?? this.defaultRatePerMinute;
    const minute = Math.floor(nowMs / 60_000);
    const w = this.#windows.get(api);
    if (!w || w.minute !== minute) {
      this.#windows.set(api, { minute, count: 1 });
      return limit >= 1;
    }
    w.count++;
    return w.count <= limit;
  }
}
