import type { LoginResult, MeResult } from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http } from "../../api/client.ts";
import { clearToken, getToken, setToken } from "../../api/session.ts";

export async function login(input: { email: string; password: string }): Promise<LoginResult> {
  const result = await http.post<LoginResult>("/api/auth/login", input);
  setToken(result.token);
  return result;
}

export async function logout(): Promise<void> {
  // Forget the token even if the server is unreachable: signing out must always work locally.
  try {
    if (getToken()) await http.post("/api/auth/logout");
  } finally {
    clearToken();
  }
}

export const meQueryKey = ["auth", "me"] as const;

/** The signed-in user and tenant; the layout guarantees it is loaded before any page renders. */
export function useMe() {
  return useQuery({
    queryKey: meQueryKey,
    queryFn: () => http.get<MeResult>("/api/auth/me"),
    staleTime: 5 * 60_000,
  });
}

export function hasPermission(me: MeResult | undefined, permission: string): boolean {
  return Boolean(me?.user.platformAdmin || me?.user.permissions.some((p) => p === permission));
}
