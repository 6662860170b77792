/**
 * A circuit breaker per account: after `failureThreshold` consecutive failed exchanges it opens
 * and calls fail fast (a platform that is down, or a revoked secret, should not be hammered by
 * every job retry); after `cooldownMs` one probe is let through (half-open) and its outcome
 * closes or re-opens the circuit.
 */
export interface BreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold: number;
  /** How long the circuit stays open before a probe. Default 30 s. */
  cooldownMs: number;
}

export type BreakerState = "closed" | "open" | "half_open";

/** How an exchange ended, for the breaker: `neutral` (caller aborted) neither heals nor hurts. */
export type BreakerOutcome = "success" | "failure" | "neutral";

export const defaultBreakerOptions: BreakerOptions = { failureThreshold: 5, cooldownMs: 30_000 };

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private current: BreakerState = "closed";

  constructor(private readonly options: BreakerOptions) {}

  get state(): BreakerState {
    return this.current;
  }

  /** Ms until a probe may pass when fast-failing now, else 0. Does not claim the probe. */
  blockedForMs(now = Date.now()): number {
    if (this.current === "closed") return 0;
    if (this.current === "half_open") return this.probing ? Math.max(1, this.options.cooldownMs) : 0;
    return Math.max(0, this.openedAt + this.options.cooldownMs - now);
  }

  /** Claims the right to make one exchange: always when closed, only the single probe otherwise. */
  allow(now = Date.now()): boolean {
    if (this.current === "closed") return true;
    if (this.current === "open" && now - this.openedAt >= this.options.cooldownMs) {
      this.current = "half_open";
      this.probing = false;
    }
    if (this.current === "half_open" && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  record(outcome: BreakerOutcome, now = Date.now()): void {
    if (outcome === "neutral") {
      if (this.current === "half_open") this.probing = false;
      return;
    }
    if (outcome === "success") {
      this.failures = 0;
      this.current = "closed";
      this.probing = false;
      return;
    }
    this.failures++;
    if (this.current === "half_open" || this.failures >= this.options.failureThreshold) {
      this.current = "open";
      this.openedAt = now;
      this.probing = false;
    }
  }
}
