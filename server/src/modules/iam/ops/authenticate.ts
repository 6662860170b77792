import type { Permission, Role } from "@siyu/contracts";
import type { Database } from "../../../platform/db/index.ts";
import { AppError } from "../../../platform/errors.ts";
import type { AuthContext } from "../../../platform/http/auth-context.ts";
import { loadRoleGrants, resolveGrants } from "../permissions.ts";
import { hashToken } from "../tokens.ts";

interface SessionRow {
  session_id: string;
  tenant_id: string;
  expires_at: Date;
  revoked_at: Date | null;
  user_id: string;
  email: string;
  roles: Role[];
  department_id: string | null;
  platform_admin: boolean;
  status: string;
  deleted_at: Date | null;
  tenant_status: string;
}

interface KeyRow {
  id: string;
  tenant_id: string;
  scopes: Permission[];
  expires_at: Date | null;
  revoked_at: Date | null;
  tenant_status: string;
}

/**
 * Resolves a bearer token (session `sys_…` or API key `sk_…`). The token lookup runs as the system
 * (the tenant is not known yet); everything after it runs inside the token's tenant.
 */
export function createAuthenticator(db: Database) {
  return async function authenticate(token: string): Promise<AuthContext> {
    if (token.length > 200) throw new AppError("unauthorized", "invalid token");
    const hash = hashToken(token);
    if (token.startsWith("sk_")) return apiKey(hash);
    if (!token.startsWith("sys_")) throw new AppError("unauthorized", "invalid token");

    const [row] = await db.query<SessionRow>(
      `select s.id as session_id, s.tenant_id, s.expires_at, s.revoked_at, u.id as user_id, u.email, u.roles,
              u.department_id, u.platform_admin, u.status, u.deleted_at, t.status as tenant_status
         from sessions s join users u on u.id = s.user_id join tenants t on t.id = s.tenant_id
        where s.token_hash = $1`,
      [hash],
    );
    if (!row) throw new AppError("unauthorized", "invalid token");
    if (row.revoked_at) throw new AppError("token_revoked", "token has been revoked");
    if (row.expires_at.getTime() <= Date.now()) throw new AppError("token_expired", "token has expired");
    if (row.status !== "active" || row.deleted_at || row.tenant_status !== "active") {
      throw new AppError("unauthorized", "account is disabled");
    }
    const grants = await db.tenant(row.tenant_id, (s) => loadRoleGrants(s));
    const { permissions, dataScope } = resolveGrants(grants, row.roles);
    if (row.platform_admin) permissions.add("tenants.manage");
    return {
      kind: "session",
      tenantId: row.tenant_id,
      userId: row.user_id,
      email: row.email,
      roles: row.roles,
      permissions,
      dataScope,
      departmentId: row.department_id,
      platformAdmin: row.platform_admin,
      sessionId: row.session_id,
    };
  };

  async function apiKey(hash: string): Promise<AuthContext> {
    const [row] = await db.query<KeyRow>(
      `select k.id, k.tenant_id, k.scopes, k.expires_at, k.revoked_at, t.status as tenant_status
         from api_keys k join tenants t on t.id = k.tenant_id where k.key_hash = $1`,
      [hash],
    );
    if (!row) throw new AppError("unauthorized", "invalid token");
    if (row.revoked_at) throw new AppError("token_revoked", "API key has been revoked");
    if (row.expires_at && row.expires_at.getTime() <= Date.now()) {
      throw new AppError("token_expired", "API key has expired");
    }
    if (row.tenant_status !== "active") throw new AppError("unauthorized", "tenant is suspended");
    // Best effort: a lost update of last_used_at is harmless.
    void db.query("update api_keys set last_used_at = now() where id = $1", [row.id]).catch(() => undefined);
    return {
      kind: "api_key",
      tenantId: row.tenant_id,
      userId: null,
      email: null,
      roles: [],
      permissions: new Set(row.scopes.filter((s) => s !== "tenants.manage")),
      dataScope: "all",
      departmentId: null,
      platformAdmin: false,
      apiKeyId: row.id,
    };
  }
}
