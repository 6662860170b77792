import { describe, expect, it } from "vitest";
import { isId, newId } from "./ids.ts";

describe("newId", () => {
  it("makes prefixed ids that sort by creation time", async () => {
    const a = newId("usr");
    await new Promise((r) => setTimeout(r, 3));
    const b = newId("usr");
    expect(isId(a, "usr")).toBe(true);
    expect(a < b).toBe(true);
    expect(isId(a, "cus")).toBe(false);
  });

  it("does not repeat", () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId("x")));
    expect(ids.size).toBe(10_000);
  });
});
