import type { ApiKeyCreated, ApiKeyDto } from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http, type Page } from "../../api/client.ts";

export interface CreateApiKeyInput {
  name: string;
  scopes: string[];
  expiresAt?: string;
}

export function useApiKeys() {
  return useQuery({
    queryKey: ["api-keys"],
    queryFn: () => http.get<Page<ApiKeyDto>>("/api/api-keys", { limit: 200 }),
  });
}

export const createApiKey = (input: CreateApiKeyInput) => http.post<ApiKeyCreated>("/api/api-keys", input);
export const revokeApiKey = (id: string) => http.del(`/api/api-keys/${encodeURIComponent(id)}`);

export type ApiKeyState = "active" | "revoked" | "expired";

export function apiKeyState(key: ApiKeyDto, now = Date.now()): ApiKeyState {
  if (key.revokedAt) return "revoked";
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return "expired";
  return "active";
}
