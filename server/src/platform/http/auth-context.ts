import type { DataScope, Permission, Role } from "@siyu/contracts";
import type { Actor } from "../audit/audit.ts";

/** Who is calling, resolved from the bearer token by the IAM module. */
export interface AuthContext {
  kind: "session" | "api_key";
  tenantId: string;
  userId: string | null;
  email: string | null;
  roles: Role[];
  permissions: ReadonlySet<Permission>;
  dataScope: DataScope;
  departmentId: string | null;
  platformAdmin: boolean;
  sessionId?: string;
  apiKeyId?: string;
}

/** Resolves a bearer token or throws AppError (401 unauthorized / token_expired / token_revoked). */
export type Authenticator = (token: string) => Promise<AuthContext>;

export function actorOf(auth: AuthContext | null, ip?: string | null, requestId?: string | null): Actor {
  return {
    userId: auth?.userId ?? null,
    email: auth?.email ?? null,
    apiKeyId: auth?.apiKeyId ?? null,
    ip: ip ?? null,
    requestId: requestId ?? null,
  };
}
