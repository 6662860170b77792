import { AppError } from "../../platform/errors.ts";

/**
 * Normalises a phone number to E.164. Mainland numbers may be written any usual way
 * (`138 1234 1234`, `138-1234-1234`, `+86 13812341234`, `0086…`, `(+86)…`); other countries need
 * their `+` code. Landlines keep their area code (`010-12345678` → `+861012345678`).
 */
export function normalizePhone(input: string): string {
  const phone = tryNormalizePhone(input);
  if (!phone)
    throw new AppError("validation_failed", `not a valid phone number: ${input.slice(0, 40)}`, {
      field: "phone",
    });
  return phone;
}

export function tryNormalizePhone(input: string): string | null {
  if (typeof input !== "string" || input.length > 40) return null;
  const compact = input.trim().replace(/[\s\-().]/g, "");
  if (!/^(\+|00)?\d+$/.test(compact)) return null;
  let digits: string;
  if (compact.startsWith("+")) digits = compact.slice(1);
  else if (compact.startsWith("00")) digits = compact.slice(2);
  else digits = `86${compact.replace(/^0(?=[1-9]\d{8,10}$)/, "0")}`;
  if (digits.startsWith("86")) {
    const national = digits.slice(2).replace(/^0/, "");
    if (/^1[3-9]\d{9}$/.test(national)) return `+86${national}`;
    // Landline: area code (2–3 digits after the 0) + 7–8 digit subscriber number.
    if (/^[2-9]\d{8,10}$/.test(national) || /^10\d{8}$/.test(national)) return `+86${national}`;
    return null;
  }
  if (digits.length < 8 || digits.length > 15 || digits.startsWith("0")) return null;
  return `+${digits}`;
}

/** `+8613812341234` → `13812341234` (how Chinese users read and type it); others stay E.164. */
export function displayPhone(e164: string): string {
  return e164.startsWith("+861") && e164.length === 14 ? e164.slice(3) : e164;
}
