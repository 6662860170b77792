import type { TenantDto } from "@siyu/contracts";
import { http } from "../../api/client.ts";

export interface CreateTenantInput {
  name: string;
  admin: { email: string; password: string };
}

export const createTenant = (input: CreateTenantInput) =>
  http.post<Pick<TenantDto, "id" | "name">>("/api/tenants", input);
