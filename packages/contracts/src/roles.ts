/** Built-in roles (CONTRACT.md). String union, not an enum. */
export const roles = ["owner", "admin", "manager", "agent", "technician", "finance", "auditor"] as const;
export type Role = (typeof roles)[number];

/** Data scope of a role: which rows of the tenant it sees. */
export type DataScope = "own" | "department" | "all";

/**
 * Permission keys. A route names the permission it needs; a role grants a set of them. Tenants may
 * change the grants of every role but `owner` (every change is audited).
 */
export const permissions = [
  "users.read",
  "users.manage",
  "roles.manage",
  "audit.read",
  "settings.read",
  "settings.manage",
  "apikeys.manage",
  "customers.read",
  "customers.write",
  "customers.export",
  "customers.phone.full",
  "customers.delete",
  "quickreplies.use",
  "quickreplies.manage",
  "channels.read",
  "channels.manage",
  "flows.read",
  "flows.manage",
  "tasks.read",
  "tasks.manage",
  "tenants.manage",
] as const;
export type Permission = (typeof permissions)[number];

/** Permissions each role starts with. `tenants.manage` belongs to platform admins only. */
export const defaultRolePermissions: Record<Role, Permission[]> = {
  owner: permissions.filter((p) => p !== "tenants.manage"),
  admin: permissions.filter((p) => p !== "tenants.manage"),
  manager: [
    "users.read",
    "customers.read",
    "customers.write",
    "customers.export",
    "settings.read",
    "quickreplies.use",
    "quickreplies.manage",
    "channels.read",
    "channels.manage",
    "flows.read",
    "flows.manage",
    "tasks.read",
    "tasks.manage",
  ],
  agent: ["customers.read", "customers.write", "quickreplies.use", "tasks.read"],
  technician: ["customers.read", "tasks.read"],
  finance: ["customers.read", "settings.read", "tasks.read"],
  auditor: ["audit.read", "users.read", "customers.read", "settings.read", "flows.read"],
};

export const defaultRoleScopes: Record<Role, DataScope> = {
  owner: "all",
  admin: "all",
  manager: "department",
  agent: "own",
  technician: "own",
  finance: "all",
  auditor: "all",
};

/** Roles whose permissions a tenant cannot edit. */
export const lockedRoles: Role[] = ["owner"];
