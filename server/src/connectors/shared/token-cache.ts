import { createHash } from "node:crypto";

/**
 * Access tokens per (apiBase, account, secret), shared by every client of this process: each
 * secret has its own token on the platform side and the token endpoint is itself rate limited.
 * Single flight: however many callers find the token missing or expired, one fetch runs and all
 * await it. Each process of a cluster holds its own copy; the platforms hand out the same token
 * while it is valid, so that costs one fetch per process, not a conflict.
 */
export interface FetchedToken {
  token: string;
  expiresInSec: number;
}

interface Entry {
  token: string | undefined;
  /** Refresh from this time on (a margin before the platform's expiry). */
  refreshAt: number;
  inflight: Promise<string> | undefined;
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  /** The key hashes the secret so a dump of the cache's keys reveals nothing. */
  static keyOf(apiBase: string, account: string, secret: string): string {
    return createHash("sha256").update(`${apiBase}\n${account}\n${secret}`).digest("base64url");
  }

  get(key: string, fetcher: () => Promise<FetchedToken>): Promise<string> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { token: undefined, refreshAt: 0, inflight: undefined };
      this.entries.set(key, entry);
    }
    if (entry.token !== undefined && Date.now() < entry.refreshAt) return Promise.resolve(entry.token);
    if (entry.inflight) return entry.inflight;
    const target = entry;
    const inflight = fetcher()
      .then(({ token, expiresInSec }) => {
        const lifeMs = Math.max(0, expiresInSec) * 1000;
        // Refresh a little early (10 %, at most 5 min) so a call never leaves with a token that
        // expires on the way.
        target.token = token;
        target.refreshAt = Date.now() + lifeMs - Math.min(300_000, lifeMs * 0.1);
        return token;
      })
      .finally(() => {
        target.inflight = undefined;
      });
    target.inflight = inflight;
    return inflight;
  }

  /**
   * Drops the token a caller was refused with. Only that exact token: when 20 calls fail with the
   * same stale token, the first drop forces one refetch and the other 19 find the fresh one.
   */
  invalidate(key: string, token: string): void {
    const entry = this.entries.get(key);
    if (entry && entry.token === token) {
      entry.token = undefined;
      entry.refreshAt = 0;
    }
  }

  /** The token held now, if any (for scrubbing messages). */
  peek(key: string): string | undefined {
    return this.entries.get(key)?.token;
  }
}
