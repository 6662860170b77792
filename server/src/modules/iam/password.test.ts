import { describe, expect, it } from "vitest";
import { checkPasswordPolicy, hashPassword, verifyPassword } from "./password.ts";

describe("password hashing", () => {
  it("verifies the right password and refuses a wrong one", async () => {
    const hash = await hashPassword("Correct-Horse-9");
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword("Correct-Horse-9", hash)).toBe(true);
    expect(await verifyPassword("correct-horse-9", hash)).toBe(false);
    expect(await verifyPassword("Correct-Horse-9", "plain")).toBe(false);
  });

  it("salts every hash", async () => {
    expect(await hashPassword("same-password")).not.toBe(await hashPassword("same-password"));
  });

  it("refuses short, famous and e-mail passwords", () => {
    expect(() => checkPasswordPolicy("short")).toThrow(/at least 8/);
    expect(() => checkPasswordPolicy("12345678")).toThrow(/common/);
    expect(() => checkPasswordPolicy("me@example.com", "me@example.com")).toThrow(/e-mail/);
    expect(() => checkPasswordPolicy("Fine-Passw0rd")).not.toThrow();
  });
});
