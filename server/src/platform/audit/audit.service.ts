import type { AuditEntry } from "@siyu/contracts";
import type { Scope } from "../db/index.ts";
import { AppError } from "../errors.ts";
import type { Actor, AuditLog, AuditRecord } from "./audit.ts";
import { GENESIS_HASH, type HashedFields, rowHash } from "./canonical.ts";

interface AuditRow {
  id: number | string;
  tenant_id: string;
  at: Date | string;
  actor_id: string | null;
  actor_email: string | null;
  api_key_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  data: unknown;
  ip: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

function tenantOf(scope: Scope): string {
  if (!scope.tenantId) throw new Error("the audit log is per tenant: call it inside db.tenant()");
  return scope.tenantId;
}

function isoOf(at: Date | string): string {
  return (at instanceof Date ? at : new Date(at)).toISOString();
}

function fieldsOf(row: AuditRow): HashedFields {
  return {
    tenantId: row.tenant_id,
    at: isoOf(row.at),
    actorId: row.actor_id,
    actorEmail: row.actor_email,
    apiKeyId: row.api_key_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    data: row.data,
    ip: row.ip,
    requestId: row.request_id,
  };
}

/**
 * Writes in the caller's transaction under a per-tenant transaction-scoped advisory lock, so
 * concurrent writers of one tenant form a single chain (and a rolled-back action leaves no row).
 */
async function record(scope: Scope, actor: Actor, rec: AuditRecord): Promise<void> {
  const tenantId = tenantOf(scope);
  await scope.query("select pg_advisory_xact_lock(hashtext('audit:' || $1::text))", [tenantId]);
  const [last] = await scope.query<{ hash: string }>(
    "select hash from audit_log where tenant_id = $1 order by id desc limit 1",
    [tenantId],
  );
  const prevHash = last?.hash ?? GENESIS_HASH;
  // Round-trip through JSON so the hashed value is exactly what jsonb will store (no undefined, no Dates).
  const data: unknown = JSON.parse(JSON.stringify(rec.data ?? {}));
  const fields: HashedFields = {
    tenantId,
    at: new Date().toISOString(),
    actorId: actor.userId ?? null,
    actorEmail: actor.email ?? null,
    apiKeyId: actor.apiKeyId ?? null,
    action: rec.action,
    targetType: rec.targetType ?? null,
    targetId: rec.targetId ?? null,
    data,
    ip: actor.ip ?? null,
    requestId: actor.requestId ?? null,
  };
  await scope.query(
    `insert into audit_log (tenant_id, at, actor_id, actor_email, api_key_id, action, target_type, target_id,
       data, ip, request_id, prev_hash, hash)
     values ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13)`,
    [
      tenantId,
      fields.at,
      fields.actorId,
      fields.actorEmail,
      fields.apiKeyId,
      fields.action,
      fields.targetType,
      fields.targetId,
      JSON.stringify(data),
      fields.ip,
      fields.requestId,
      prevHash,
      rowHash(prevHash, fields),
    ],
  );
}

/** Recomputes the tenant's chain in id order; `brokenAt` is the first row whose link or hash is wrong. */
async function verify(scope: Scope): Promise<{ ok: boolean; rows: number; brokenAt?: string }> {
  const tenantId = tenantOf(scope);
  let prev = GENESIS_HASH;
  let after = 0;
  let rows = 0;
  for (;;) {
    const batch = await scope.query<AuditRow>(
      "select * from audit_log where tenant_id = $1 and id > $2 order by id limit 1000",
      [tenantId, after],
    );
    for (const row of batch) {
      rows++;
      if (row.prev_hash !== prev || rowHash(prev, fieldsOf(row)) !== row.hash) {
        return { ok: false, rows, brokenAt: String(row.id) };
      }
      prev = row.hash;
    }
    const lastRow = batch.at(-1);
    if (batch.length < 1000 || !lastRow) return { ok: true, rows };
    after = Number(lastRow.id);
  }
}

export interface AuditFilters {
  /** Matches actions starting with this text, e.g. `customer.` */
  action?: string;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  /** ISO instants, inclusive `from`, exclusive `to`. */
  from?: string;
  to?: string;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  limit?: number;
}

/** Newest first, keyset-paginated on id. */
export async function listAudit(
  scope: Scope,
  filters: AuditFilters = {},
): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
  const tenantId = tenantOf(scope);
  const limit = Math.min(Math.max(Math.floor(filters.limit ?? 50), 1), 500);
  const where = ["tenant_id = $1"];
  const params: unknown[] = [tenantId];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace("?", `$${params.length}`));
  };
  if (filters.action) add("action like ? escape '\\'", `${filters.action.replace(/[\\%_]/g, "\\$&")}%`);
  if (filters.actorId) add("actor_id = ?", filters.actorId);
  if (filters.targetType) add("target_type = ?", filters.targetType);
  if (filters.targetId) add("target_id = ?", filters.targetId);
  if (filters.from) add("at >= ?::timestamptz", filters.from);
  if (filters.to) add("at < ?::timestamptz", filters.to);
  if (filters.cursor) {
    if (!/^\d{1,18}$/.test(filters.cursor))
      throw new AppError("validation_failed", "invalid audit cursor", { field: "cursor" });
    add("id < ?::bigint", filters.cursor);
  }
  params.push(limit + 1);
  const rows = await scope.query<AuditRow>(
    `select * from audit_log where ${where.join(" and ")} order by id desc limit $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  const items = page.map((r) => ({
    id: String(r.id),
    at: isoOf(r.at),
    actorId: r.actor_id,
    actorEmail: r.actor_email,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    data: r.data,
    ip: r.ip,
    hash: r.hash,
  }));
  const last = page.at(-1);
  return { items, nextCursor: rows.length > limit && last ? String(last.id) : null };
}

export function createAuditLog(): AuditLog {
  return { record, verify };
}
