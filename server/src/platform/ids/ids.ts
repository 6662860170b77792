import { randomBytes } from "node:crypto";

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

// Random bytes drawn 4 KB at a time (one call per 256 ids instead of one per id); each byte is used once.
let pool = Buffer.alloc(0);
let poolAt = 0;

/**
 * Prefixed, time-sortable text ids (`usr_01hq…`): readable in logs, sortable by creation, and
 * safe in URLs. 10 chars of millisecond time + 16 chars (80 bits) of randomness.
 */
export function newId(prefix: string): string {
  let time = Date.now();
  let head = "";
  for (let i = 0; i < 10; i++) {
    head = alphabet[time % 32] + head;
    time = Math.floor(time / 32);
  }
  if (poolAt + 16 > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  let tail = "";
  for (let i = poolAt; i < poolAt + 16; i++) tail += alphabet[pool[i]! % 32];
  poolAt += 16;
  return `${prefix}_${head}${tail}`;
}

/** True when `id` looks like an id this process could have made with `prefix`. */
export function isId(id: string, prefix: string): boolean {
  return new RegExp(`^${prefix}_[0-9a-z]{26}$`).test(id);
}
