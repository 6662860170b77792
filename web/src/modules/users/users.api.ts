import type { DepartmentDto, Role, UserDto } from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http, type Page } from "../../api/client.ts";

export interface CreateUserInput {
  email: string;
  password: string;
  name: string;
  roles: Role[];
  departmentId?: string;
}

export interface UpdateUserInput {
  name?: string;
  roles?: Role[];
  departmentId?: string | null;
  status?: UserDto["status"];
}

export const createUser = (input: CreateUserInput) => http.post<UserDto>("/api/users", input);
export const updateUser = (id: string, input: UpdateUserInput) =>
  http.patch<UserDto>(`/api/users/${encodeURIComponent(id)}`, input);
/** Soft delete: the login is gone, its audit trail and its records stay. */
export const deleteUser = (id: string) => http.del<void>(`/api/users/${encodeURIComponent(id)}`);
export const resetPassword = (id: string, password: string) =>
  http.post(`/api/users/${encodeURIComponent(id)}/password`, { password });

export function useDepartments() {
  return useQuery({
    queryKey: ["departments"],
    queryFn: () => http.get<Page<DepartmentDto>>("/api/departments", { limit: 500 }),
    staleTime: 60_000,
  });
}
