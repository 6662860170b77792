/**
 * The simulator's clock: real time plus an offset that tests and benches move forward, so token
 * expiry (7200 s), welcome codes (20 s) and transfers (24 h) can be crossed without waiting.
 */
export class SimClock {
  #offsetMs = 0;

  constructor(offsetMs = 0) {
    this.#offsetMs = offsetMs;
  }

  now(): number {
    return Date.now() + this.#offsetMs;
  }

  seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError("the clock only moves forward");
    this.#offsetMs += ms;
  }
}
