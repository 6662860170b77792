import { type DataScope, lockedRoles, type Permission, type Role } from "@siyu/contracts";
import type { Actor, AuditLog } from "../../platform/audit/audit.ts";
import type { Scope } from "../../platform/db/index.ts";
import { AppError } from "../../platform/errors.ts";
import { loadRoleGrants, type RoleGrant } from "./permissions.ts";

/** Changes what a role may do in this tenant; every change is audited with before and after. */
export async function updateRole(
  scope: Scope,
  audit: AuditLog,
  actor: Actor,
  role: Role,
  input: { permissions: Permission[]; dataScope: DataScope },
): Promise<RoleGrant> {
  if (lockedRoles.includes(role)) throw new AppError("forbidden", `role ${role} cannot be changed`);
  const permissions = [...new Set(input.permissions)].filter((p) => p !== "tenants.manage").sort();
  const before = (await loadRoleGrants(scope)).find((g) => g.role === role);
  await scope.query(
    `insert into role_permissions (tenant_id, role, permissions, data_scope) values ($1, $2, $3, $4)
     on conflict (tenant_id, role) do update set permissions = excluded.permissions,
       data_scope = excluded.data_scope, updated_at = now()`,
    [scope.tenantId, role, permissions, input.dataScope],
  );
  await audit.record(scope, actor, {
    action: "role.permissions_changed",
    targetType: "role",
    targetId: role,
    data: {
      before: { permissions: before?.permissions ?? [], dataScope: before?.dataScope },
      after: { permissions, dataScope: input.dataScope },
    },
  });
  const after = (await loadRoleGrants(scope)).find((g) => g.role === role);
  if (!after) throw new AppError("not_found", "role not found");
  return after;
}
