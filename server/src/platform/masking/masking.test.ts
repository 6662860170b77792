import type { Permission } from "@siyu/contracts";
import { describe, expect, it } from "vitest";
import { applyMasks, type MaskRule, maskAddress, maskEmail, maskName, maskPhone } from "./masking.ts";

describe("maskers", () => {
  it("masks mainland mobiles as CONTRACT.md shows (138****1234)", () => {
    expect(maskPhone("13812341234")).toBe("138****1234");
    expect(maskPhone("+86 138-1234-1234")).toBe("+86 138****1234");
    expect(maskPhone("+8613812341234")).toBe("+86 138****1234");
    expect(maskPhone("+1 415 555 0100")).toBe("141****0100");
    expect(maskPhone("12")).toBe("**");
  });
  it("masks e-mails, addresses and names", () => {
    expect(maskEmail("zhang.san@example.com")).toBe("z***@example.com");
    expect(maskAddress("上海市浦东新区世纪大道100号")).toBe("上海市浦东新****");
    expect(maskName("张三丰")).toBe("张**");
  });
});

describe("applyMasks", () => {
  const rules: MaskRule[] = [
    { path: "phone", mask: maskPhone, unless: "customers.phone.full" },
    { path: "identities.value", mask: maskPhone, unless: "customers.phone.full" },
  ];
  const customer = {
    id: "cus_1",
    phone: "13812341234",
    identities: [{ type: "phone", value: "13812341234" }],
  };

  it("masks for a caller without the permission, and leaves the original untouched", () => {
    const agent = new Set<Permission>(["customers.read"]);
    const out = applyMasks(customer, rules, agent);
    expect(out).toEqual({
      id: "cus_1",
      phone: "138****1234",
      identities: [{ type: "phone", value: "138****1234" }],
    });
    expect(customer.phone).toBe("13812341234");
  });

  it("shows everything to a caller holding the permission", () => {
    const owner = new Set<Permission>(["customers.read", "customers.phone.full"]);
    expect(applyMasks(customer, rules, owner)).toBe(customer);
  });

  it("ignores missing, null and empty fields", () => {
    const out = applyMasks({ phone: null, other: "x" }, rules, new Set());
    expect(out).toEqual({ phone: null, other: "x" });
  });
});
