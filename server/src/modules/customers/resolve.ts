import type { CryptoService } from "../../platform/crypto/index.ts";
import type { Scope } from "../../platform/db/index.ts";
import { AppError } from "../../platform/errors.ts";
import type { IdentityInput } from "./model.ts";
import { normalizePhone } from "./phone.ts";

/** One identity as stored: phones by blind index, everything else by its value. */
export interface IdentityKey {
  type: string;
  scope: string;
  value: string;
}

const emailPattern = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{2,63}$/;

export function normalizeEmail(input: string): string {
  const email = input.trim().toLowerCase();
  if (email.length > 254 || !emailPattern.test(email)) {
    throw new AppError("validation_failed", `not a valid e-mail address: ${input.slice(0, 60)}`, {
      field: "email",
    });
  }
  return email;
}

/** Normalises identities to their stored keys (phone → E.164 → blind index). */
export function identityKeys(
  crypto: CryptoService,
  input: { phone?: string | null; email?: string | null; identities?: IdentityInput[] },
): { keys: IdentityKey[]; phone: string | null; email: string | null } {
  const keys: IdentityKey[] = [];
  const phone = input.phone ? normalizePhone(input.phone) : null;
  const email = input.email ? normalizeEmail(input.email) : null;
  if (phone) keys.push({ type: "phone", scope: "", value: crypto.blindIndex("phone", phone) });
  if (email) keys.push({ type: "email", scope: "", value: email });
  for (const id of input.identities ?? []) {
    const value = id.value.trim();
    if (!value || value.length > 200) {
      throw new AppError("validation_failed", `identity ${id.type} needs a value of 1–200 characters`, {
        field: "identities",
      });
    }
    if (id.type === "phone") {
      keys.push({ type: "phone", scope: "", value: crypto.blindIndex("phone", normalizePhone(value)) });
    } else if (id.type === "email") {
      keys.push({ type: "email", scope: "", value: normalizeEmail(value) });
    } else {
      keys.push({ type: id.type, scope: (id.scope ?? "").slice(0, 100), value });
    }
  }
  const seen = new Set<string>();
  return {
    keys: keys.filter((k) => {
      const s = `${k.type}\u0000${k.scope}\u0000${k.value}`;
      if (seen.has(s)) return false;
      seen.add(s);
      return true;
    }),
    phone,
    email,
  };
}

/** Identity locks are taken per bucket: a bulk import of thousands of people stays within
 * PostgreSQL's shared lock table (max_locks_per_transaction × max_connections, 6,400 by default). */
export const identityLockBuckets = 1024;

export function identityBuckets(keys: IdentityKey[]): number[] {
  const buckets = new Set<number>();
  for (const k of keys) {
    // FNV-1a over the key: stable across processes and versions.
    let h = 0x811c9dc5;
    for (const ch of `${k.type}|${k.scope}|${k.value}`) {
      h ^= ch.codePointAt(0) ?? 0;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    buckets.add(h % identityLockBuckets);
  }
  return [...buckets].sort((a, b) => a - b);
}

/**
 * Serialises writers of the same person: transaction-scoped advisory locks on the identity keys'
 * buckets, taken in ascending order so two writers never deadlock. Two concurrent creates with one
 * phone make one customer; an import batch and a single write of the same person wait for each other.
 */
export async function lockIdentities(scope: Scope, keys: IdentityKey[]): Promise<void> {
  const buckets = identityBuckets(keys);
  if (buckets.length === 0) return;
  await scope.query(
    `select count(pg_advisory_xact_lock(hashtextextended($1 || '|' || b, 0)))
       from (select b from unnest($2::int[]) with ordinality as x(b, o) order by o) l`,
    [`identity|${scope.tenantId}`, buckets],
  );
}

/** Live customers owning any of the keys, oldest first. */
export async function customersByIdentity(scope: Scope, keys: IdentityKey[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const rows = await scope.query<{ customer_id: string }>(
    `select distinct i.customer_id, c.created_at from customer_identities i
       join customers c on c.id = i.customer_id
      where (i.type, i.scope, i.value) in (select * from unnest($1::text[], $2::text[], $3::text[]))
        and c.merged_into is null and c.deleted_at is null
      order by c.created_at, i.customer_id`,
    [keys.map((k) => k.type), keys.map((k) => k.scope), keys.map((k) => k.value)],
  );
  return rows.map((r) => r.customer_id);
}

/** Identity types whose value is a contact detail: a phone is stored as its blind index, and an
 * e-mail is personal data that the timeline and the events leaving Siyu do not repeat. */
const contactIdentityTypes: ReadonlySet<string> = new Set(["phone", "email"]);

/**
 * What a `customer.identity_added` fact says about the identity: its type, its scope (the corp,
 * appid or shop it is unique in) and its value — except for contact details, which only the
 * profile shows (masked where the caller may not see them).
 */
export function identityFactData(k: IdentityKey): { type: string; scope?: string; value?: string } {
  return {
    type: k.type,
    ...(k.scope ? { scope: k.scope } : {}),
    ...(contactIdentityTypes.has(k.type) ? {} : { value: k.value }),
  };
}

export function isContactIdentityType(type: string): boolean {
  return contactIdentityTypes.has(type);
}

export async function insertIdentities(
  scope: Scope,
  customerId: string,
  keys: IdentityKey[],
): Promise<IdentityKey[]> {
  if (keys.length === 0) return [];
  const rows = await scope.query<IdentityKey>(
    `insert into customer_identities (tenant_id, customer_id, type, scope, value)
     select $1, $2, t, s, v from unnest($3::text[], $4::text[], $5::text[]) as x(t, s, v)
     on conflict do nothing returning type, scope, value`,
    [scope.tenantId, customerId, keys.map((k) => k.type), keys.map((k) => k.scope), keys.map((k) => k.value)],
  );
  return rows;
}
