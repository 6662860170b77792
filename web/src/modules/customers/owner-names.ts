import type { UserDto } from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http, type Page } from "../../api/client.ts";

/**
 * Owner staff are user ids (or WeCom userids of follow users): shown by name when the console knows the
 * user, else as the id itself. Without `users.read` the lookup fails quietly and ids are shown.
 */
export function useOwnerName() {
  const users = useQuery({
    queryKey: ["users", "names"],
    queryFn: () => http.get<Page<UserDto>>("/api/users", { limit: 500 }),
    staleTime: 5 * 60_000,
    retry: false,
  });
  const names = new Map((users.data?.items ?? []).map((u) => [u.id, u.name || u.email]));
  return (id: string) => names.get(id) ?? id;
}
