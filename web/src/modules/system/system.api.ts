import type { DeadLetter, QueueCounts, SystemOverview } from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http, type Page } from "../../api/client.ts";

export const queueColumns = [
  "waiting",
  "delayed",
  "active",
  "failed",
  "dead",
] as const satisfies readonly (keyof QueueCounts)[];

export function useOverview(refetchInterval?: number) {
  return useQuery({
    queryKey: ["system", "overview"],
    queryFn: () => http.get<SystemOverview>("/api/system/overview"),
    refetchInterval,
  });
}

export function useDeadLetters(refetchInterval?: number) {
  return useQuery({
    queryKey: ["system", "dead-letters"],
    queryFn: () => http.get<Page<DeadLetter>>("/api/system/dead-letters", { limit: 100 }),
    refetchInterval,
  });
}

export function retryDeadLetter(id: string): Promise<unknown> {
  return http.post(`/api/system/dead-letters/${encodeURIComponent(id)}/retry`);
}

export function queueRows(overview: SystemOverview | undefined): (QueueCounts & { queue: string })[] {
  return Object.entries(overview?.queues ?? {})
    .map(([queue, counts]) => ({ queue, ...counts }))
    .sort((a, b) => a.queue.localeCompare(b.queue));
}
