import type { Scope } from "../db/index.ts";

/** Who did it: a user, an API key, or the system. */
export interface Actor {
  userId?: string | null;
  email?: string | null;
  apiKeyId?: string | null;
  ip?: string | null;
  requestId?: string | null;
}

export interface AuditRecord {
  action: string;
  targetType?: string;
  targetId?: string;
  data?: Record<string, unknown>;
}

/**
 * Append-only, tamper-evident audit log. `record` writes in the caller's transaction (so the row
 * exists if and only if the action committed); each row's hash = sha256(prev hash | canonical row),
 * chained per tenant under a transaction-scoped advisory lock. `verify` recomputes the chain.
 */
export interface AuditLog {
  record(scope: Scope, actor: Actor, record: AuditRecord): Promise<void>;
  verify(scope: Scope): Promise<{ ok: boolean; rows: number; brokenAt?: string }>;
}
