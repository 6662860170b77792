import { describe, expect, it } from "vitest";
import { displayPhone, normalizePhone, tryNormalizePhone } from "./phone.ts";

describe("normalizePhone", () => {
  it.each([
    ["13812341234", "+8613812341234"],
    ["138 1234 1234", "+8613812341234"],
    ["138-1234-1234", "+8613812341234"],
    ["+86 138 1234 1234", "+8613812341234"],
    ["0086 13812341234", "+8613812341234"],
    ["(+86) 138-1234-1234", "+8613812341234"],
    ["+8613812341234", "+8613812341234"],
    ["010-12345678", "+861012345678"],
    ["021 6123 4567", "+862161234567"],
    ["+1 415 555 0100", "+14155550100"],
    ["+852 9123 4567", "+85291234567"],
  ])("%s → %s", (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each([
    "",
    "abc",
    "1381234",
    "12812341234",
    "138123412345",
    "+86 128 1234 1234",
    "13812341234; drop table",
    "+0123456789",
  ])("refuses %j", (input) => {
    expect(tryNormalizePhone(input)).toBeNull();
    expect(() => normalizePhone(input)).toThrow(/not a valid phone/);
  });

  it("shows mainland mobiles without the country code", () => {
    expect(displayPhone("+8613812341234")).toBe("13812341234");
    expect(displayPhone("+14155550100")).toBe("+14155550100");
  });
});
