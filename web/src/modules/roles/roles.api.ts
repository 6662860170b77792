import type { DataScope, Permission, Role, RoleGrant } from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http } from "../../api/client.ts";

export function useRoles() {
  return useQuery({ queryKey: ["roles"], queryFn: () => http.get<{ items: RoleGrant[] }>("/api/roles") });
}

export function usePermissionKeys() {
  return useQuery({
    queryKey: ["permissions"],
    queryFn: () => http.get<{ items: Permission[] }>("/api/permissions"),
    staleTime: 5 * 60_000,
  });
}

export const saveRole = (role: Role, input: { permissions: Permission[]; dataScope: DataScope }) =>
  http.put<RoleGrant>(`/api/roles/${encodeURIComponent(role)}`, input);
