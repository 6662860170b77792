import { randomBytes, scrypt as scryptCb, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { AppError } from "../../platform/errors.ts";

const scrypt = promisify(scryptCb) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;

// scrypt N=2^15, r=8, p=1 (OWASP's minimum for scrypt): ~60 ms here, 32 MiB of memory per hash.
const N = 32768;
const r = 8;
const p = 1;
const keyLen = 32;
const maxmem = 64 * 1024 * 1024;

/** `scrypt$N$r$p$salt$hash`, base64. Parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, keyLen, { N, r, p, maxmem });
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [, n, rr, pp, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, "base64");
  const actual = await scrypt(password, Buffer.from(salt, "base64"), expected.length, {
    N: Number(n),
    r: Number(rr),
    p: Number(pp),
    maxmem,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash of a random password, verified against when the e-mail is unknown so timing reveals nothing. */
let dummy: string | undefined;
export async function dummyVerify(password: string): Promise<void> {
  dummy ??= await hashPassword(randomBytes(12).toString("hex"));
  await verifyPassword(password, dummy);
}

/** Minimum policy: 8–200 characters, not the e-mail, not a famous password. */
export function checkPasswordPolicy(password: string, email?: string): void {
  const weak = new Set([
    "password",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyui",
    "11111111",
    "88888888",
  ]);
  if (password.length < 8) throw new AppError("weak_password", "password must have at least 8 characters");
  if (password.length > 200) throw new AppError("weak_password", "password is too long");
  if (weak.has(password.toLowerCase())) throw new AppError("weak_password", "password is too common");
  if (email && password.toLowerCase() === email.toLowerCase()) {
    throw new AppError("weak_password", "password must not be the e-mail address");
  }
}

export function randomPassword(): string {
  return randomBytes(12).toString("base64url");
}
