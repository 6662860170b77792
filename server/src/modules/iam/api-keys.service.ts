import type { Permission } from "@siyu/contracts";
import type { Actor, AuditLog } from "../../platform/audit/audit.ts";
import type { Scope } from "../../platform/db/index.ts";
import { AppError, notFound } from "../../platform/errors.ts";
import { newId } from "../../platform/ids/ids.ts";
import { hashToken, newSecretToken } from "./tokens.ts";

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: Permission[];
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const toDto = (r: KeyRow) => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: iso(r.last_used_at),
  expiresAt: iso(r.expires_at),
  revokedAt: iso(r.revoked_at),
});

export async function listApiKeys(scope: Scope, q: { limit: number; cursor?: string }) {
  const rows = await scope.query<KeyRow>(
    `select id, name, prefix, scopes, created_at, last_used_at, expires_at, revoked_at from api_keys
      where ($2::text is null or id < $2) order by id desc limit $1`,
    [q.limit + 1, q.cursor ?? null],
  );
  const items = rows.slice(0, q.limit).map(toDto);
  return { items, nextCursor: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null };
}

/**
 * Creates an API key whose scopes may not exceed the creator's own permissions. The key is returned
 * once; only its hash is kept.
 */
export async function createApiKey(
  scope: Scope,
  audit: AuditLog,
  actor: Actor,
  held: ReadonlySet<Permission>,
  input: { name: string; scopes: Permission[]; expiresAt?: string | null },
) {
  const scopes = [...new Set(input.scopes)];
  const excess = scopes.filter((s) => !held.has(s) || s === "tenants.manage");
  if (excess.length)
    throw new AppError("forbidden", "a key cannot have permissions its creator lacks", { scopes: excess });
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new AppError("validation_failed", "expiresAt must be in the future", { field: "expiresAt" });
  }
  const key = newSecretToken("sk");
  const id = newId("key");
  await scope.query(
    `insert into api_keys (id, tenant_id, name, prefix, key_hash, scopes, created_by, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      id,
      scope.tenantId,
      input.name,
      key.slice(0, 10),
      hashToken(key),
      scopes,
      actor.userId ?? null,
      expiresAt,
    ],
  );
  await audit.record(scope, actor, {
    action: "apikey.created",
    targetType: "api_key",
    targetId: id,
    data: { name: input.name, scopes },
  });
  const [row] = await scope.query<KeyRow>(
    "select id, name, prefix, scopes, created_at, last_used_at, expires_at, revoked_at from api_keys where id = $1",
    [id],
  );
  return { ...toDto(row!), key };
}

export async function revokeApiKey(scope: Scope, audit: AuditLog, actor: Actor, id: string) {
  const rows = await scope.query(
    "update api_keys set revoked_at = coalesce(revoked_at, now()) where id = $1 returning id",
    [id],
  );
  if (!rows.length) throw notFound("API key");
  await audit.record(scope, actor, { action: "apikey.revoked", targetType: "api_key", targetId: id });
}
