import { forbidden } from "../../../platform/errors.ts";
import type { AuthContext } from "../../../platform/http/auth-context.ts";

/** Bulk WeCom actions (mass messages, moments, succession) are for managers, admins and owners. */
const managerRoles = new Set(["owner", "admin", "manager"]);

export function isManager(auth: AuthContext): boolean {
  return auth.platformAdmin || auth.roles.some((r) => managerRoles.has(r));
}

export function requireManager(auth: AuthContext): void {
  if (!isManager(auth)) throw forbidden("this WeCom action needs a manager, admin or owner");
}
