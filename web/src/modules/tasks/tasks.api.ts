import type { TaskDto } from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http, type Page } from "../../api/client.ts";

export type Task = TaskDto;
export const tasksKey = ["tasks"] as const;

export function useTasks(filters: { status?: string; scope?: "mine" | "all" }, poll = true) {
  return useQuery({
    queryKey: [...tasksKey, filters],
    queryFn: () => http.get<Page<Task>>("/api/tasks", { ...filters, limit: 100 }),
    refetchInterval: poll ? 5000 : false,
  });
}

export const completeTask = (id: string, input: { outcome: string; comment?: string }) =>
  http.post<Task>(`/api/tasks/${encodeURIComponent(id)}/complete`, input);
