import { describe, expect, it } from "vitest";
import { canonicalJson, GENESIS_HASH, type HashedFields, rowHash } from "./canonical.ts";

const fields: HashedFields = {
  tenantId: "ten_a",
  at: "2026-01-02T03:04:05.678Z",
  actorId: "usr_1",
  actorEmail: null,
  apiKeyId: null,
  action: "customer.view",
  targetType: "customer",
  targetId: "cus_1",
  data: { b: 1, a: { d: [2, { y: 1, x: 2 }], c: "三" } },
  ip: null,
  requestId: null,
};

describe("canonical JSON", () => {
  it("sorts keys at every depth, keeps array order, drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 2 }], c: "三" }, u: undefined })).toBe(
      '{"a":{"c":"三","d":[2,{"x":2,"y":1}]},"b":1}',
    );
    expect(canonicalJson(null)).toBe("null");
    expect(canonicalJson([3, 1])).toBe("[3,1]");
  });
});

describe("rowHash", () => {
  it("is sha256 hex, independent of data key order, and covers every field and the previous hash", () => {
    const h = rowHash(GENESIS_HASH, fields);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(rowHash(GENESIS_HASH, { ...fields, data: { a: { c: "三", d: [2, { x: 2, y: 1 }] }, b: 1 } })).toBe(
      h,
    );
    expect(rowHash("1".repeat(64), fields)).not.toBe(h);
    for (const key of Object.keys(fields) as Array<keyof HashedFields>) {
      const changed = { ...fields, [key]: key === "data" ? { b: 2 } : "other" };
      expect(rowHash(GENESIS_HASH, changed), key).not.toBe(h);
    }
    // null and the string "null" must not collide.
    expect(rowHash(GENESIS_HASH, { ...fields, ip: "null" })).not.toBe(h);
  });
});
