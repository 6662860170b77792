import {
  permissions as allPermissions,
  roles as allRoles,
  type DataScope,
  defaultRolePermissions,
  defaultRoleScopes,
  lockedRoles,
  type Permission,
  type Role,
} from "@siyu/contracts";
import type { Scope } from "../../platform/db/index.ts";

export interface RoleGrant {
  role: Role;
  permissions: Permission[];
  dataScope: DataScope;
  locked: boolean;
}

const scopeRank: Record<DataScope, number> = { own: 0, department: 1, all: 2 };

/** The tenant's grants for every role: its overrides where present, else the defaults. */
export async function loadRoleGrants(scope: Scope): Promise<RoleGrant[]> {
  const rows = await scope.query<{ role: Role; permissions: string[]; data_scope: DataScope }>(
    "select role, permissions, data_scope from role_permissions",
  );
  const byRole = new Map(rows.map((r) => [r.role, r]));
  return allRoles.map((role) => {
    const row = lockedRoles.includes(role) ? undefined : byRole.get(role);
    return {
      role,
      permissions: row
        ? row.permissions.filter((p): p is Permission => (allPermissions as readonly string[]).includes(p))
        : [...defaultRolePermissions[role]],
      dataScope: row ? row.data_scope : defaultRoleScopes[role],
      locked: lockedRoles.includes(role),
    };
  });
}

/** Union of the permissions of `roles`, and the widest data scope among them. */
export function resolveGrants(
  grants: RoleGrant[],
  roles: Role[],
): { permissions: Set<Permission>; dataScope: DataScope } {
  const permissions = new Set<Permission>();
  let dataScope: DataScope = "own";
  for (const g of grants) {
    if (!roles.includes(g.role)) continue;
    for (const p of g.permissions) permissions.add(p);
    if (scopeRank[g.dataScope] > scopeRank[dataScope]) dataScope = g.dataScope;
  }
  return { permissions, dataScope };
}
