import { afterEach, describe, expect, it, vi } from "vitest";
import { createTenantCache } from "./tenant-cache.ts";

describe("tenant cache", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const counting = (values: Record<string, string | null>) => {
    const loads: string[] = [];
    const cache = createTenantCache<string, { prefix: string }>({
      ttlMs: 1000,
      missingTtlMs: 100,
      load: async (ctx, tenantId) => {
        loads.push(tenantId);
        const v = values[tenantId];
        return v ? `${ctx.prefix}${v}` : null;
      },
    });
    return { cache, loads };
  };

  it("keeps a value for its TTL, an absent one for the shorter TTL, and shares a load in flight", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const values: Record<string, string | null> = { a: "1", b: null };
    const { cache, loads } = counting(values);
    const ctx = { prefix: "v" };
    expect(await Promise.all([cache.get(ctx, "a"), cache.get(ctx, "a")])).toEqual(["v1", "v1"]);
    expect(loads).toEqual(["a"]);
    expect(await cache.get(ctx, "b")).toBeNull();
    values.a = "2";
    values.b = "3";
    vi.advanceTimersByTime(500);
    expect(cache.age("a")).toBe(500);
    expect(cache.age("zz")).toBe(Number.POSITIVE_INFINITY);
    // a still cached; b was absent and is asked again after 100 ms.
    expect(await cache.get(ctx, "a")).toBe("v1");
    expect(await cache.get(ctx, "b")).toBe("v3");
    vi.advanceTimersByTime(600);
    expect(await cache.get(ctx, "a")).toBe("v2");
    expect(loads).toEqual(["a", "b", "b", "a"]);
  });

  it("fresh re-reads and forget drops the entry at once", async () => {
    const values: Record<string, string | null> = { a: "1" };
    const { cache, loads } = counting(values);
    const ctx = { prefix: "" };
    expect(await cache.get(ctx, "a")).toBe("1");
    values.a = "2";
    expect(await cache.get(ctx, "a")).toBe("1");
    expect(await cache.get(ctx, "a", { fresh: true })).toBe("2");
    values.a = "3";
    cache.forget("a");
    expect(cache.age("a")).toBe(Number.POSITIVE_INFINITY);
    expect(await cache.get(ctx, "a")).toBe("3");
    expect(loads).toEqual(["a", "a", "a"]);
  });
});
