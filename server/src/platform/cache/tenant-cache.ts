/**
 * A per-process, per-tenant cache of something read from the database on a hot path — the callback
 * routes' settings (token, key, ready-made crypt) of WeCom and the Official Account. Reading and
 * decrypting them per request was a transaction per callback, the largest cost of the ack path, so
 * each process keeps them briefly:
 * - a value is trusted `ttlMs`, an absent one (tenant not configured) `missingTtlMs`; other
 *   processes' saves show up within that;
 * - concurrent reads of one tenant share one load;
 * - `fresh` re-reads (a route's retry after a signature mismatch), `forget` drops the entry at once
 *   (a save in this process).
 */
export interface TenantCache<T, C> {
  get(context: C, tenantId: string, options?: { fresh?: boolean }): Promise<T | null>;
  /** Age of what is held for a tenant, in ms (Infinity when nothing). */
  age(tenantId: string): number;
  forget(tenantId: string): void;
}

export interface TenantCacheOptions<T, C> {
  /** Reads a tenant's value; null when the tenant has none. */
  load(context: C, tenantId: string): Promise<T | null>;
  /** How long a process trusts what it read, ms (default 30 s). */
  ttlMs?: number;
  /** How soon an absent value is asked again, ms (default 5 s). */
  missingTtlMs?: number;
}

export function createTenantCache<T, C>(options: TenantCacheOptions<T, C>): TenantCache<T, C> {
  const ttlMs = options.ttlMs ?? 30_000;
  const missingTtlMs = options.missingTtlMs ?? 5_000;
  const entries = new Map<string, { value: T | null; loadedAt: number }>();
  const loading = new Map<string, Promise<T | null>>();
  return {
    async get(context, tenantId, { fresh = false } = {}) {
      const entry = entries.get(tenantId);
      if (entry && !fresh && Date.now() - entry.loadedAt < (entry.value ? ttlMs : missingTtlMs))
        return entry.value;
      const pending = loading.get(tenantId);
      if (pending) return pending;
      const load = options
        .load(context, tenantId)
        .then((value) => {
          entries.set(tenantId, { value, loadedAt: Date.now() });
          return value;
        })
        .finally(() => loading.delete(tenantId));
      loading.set(tenantId, load);
      return load;
    },
    age(tenantId) {
      const entry = entries.get(tenantId);
      return entry ? Date.now() - entry.loadedAt : Number.POSITIVE_INFINITY;
    },
    forget(tenantId) {
      entries.delete(tenantId);
    },
  };
}
