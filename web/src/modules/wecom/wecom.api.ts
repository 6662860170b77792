import type {
  WecomContactDto,
  WecomGroupDetailDto,
  WecomSettingsDto,
  WecomSettingsInput,
  WecomStaffDto,
  WecomSyncKind,
  WecomSyncRunDto,
} from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http } from "../../api/client.ts";

export const wecomSettingsKey = ["wecom", "settings"] as const;

export function useWecomSettings() {
  return useQuery({
    queryKey: wecomSettingsKey,
    queryFn: () => http.get<WecomSettingsDto>("/api/settings/wecom"),
  });
}

export const saveWecomSettings = (input: WecomSettingsInput) =>
  http.put<WecomSettingsDto>("/api/settings/wecom", input);

/** Siyu's public origin, read off the callback URL the server builds from it. */
export function publicOrigin(settings: WecomSettingsDto): string {
  const at = settings.callbackUrl.indexOf("/callbacks/wecom/");
  return at > 0 ? settings.callbackUrl.slice(0, at) : window.location.origin;
}

export const syncRunsKey = ["wecom", "sync"] as const;

export function isActive(run: WecomSyncRunDto): boolean {
  return run.status === "queued" || run.status === "running";
}

/** Polls every second while a run is queued or running, so its bar moves; idle otherwise. */
export function useSyncRuns() {
  return useQuery({
    queryKey: syncRunsKey,
    queryFn: () => http.get<{ items: WecomSyncRunDto[] }>("/api/wecom/sync", { limit: 30 }),
    refetchInterval: (query) => (query.state.data?.items.some(isActive) ? 1000 : false),
  });
}

export const startSync = (kind: WecomSyncKind) => http.post<WecomSyncRunDto>("/api/wecom/sync", { kind });

/** The steps each kind of run goes through, in order (server/src/modules/wecom/jobs/sync.job.ts). */
export const syncSteps: Record<WecomSyncKind, string[]> = {
  all: ["org", "tags", "contacts", "groups"],
  org: ["org"],
  tags: ["tags"],
  contacts: ["org", "contacts"],
  groups: ["groups"],
  reconcile: ["org", "tags", "reconcile", "reconcile_groups"],
};

/**
 * A run's share done, by finished steps: the API reports the current step, not a total of
 * contacts, so a step counts whole once the run moves past it.
 */
export function syncPercent(run: WecomSyncRunDto): number {
  if (run.status === "completed") return 100;
  const steps = syncSteps[run.kind as WecomSyncKind] ?? [];
  if (!steps.length || !run.step) return run.status === "failed" ? 0 : 2;
  const at = steps.indexOf(run.step);
  return Math.max(2, Math.round((Math.max(0, at) / steps.length) * 100));
}

export function useGroupDetail(chatId: string | null) {
  return useQuery({
    queryKey: ["wecom", "group", chatId],
    queryFn: () => http.get<WecomGroupDetailDto>(`/api/wecom/groups/${encodeURIComponent(chatId ?? "")}`),
    enabled: chatId !== null,
  });
}

export function useCustomerWecom(customerId: string) {
  return useQuery({
    queryKey: ["wecom", "customer", customerId],
    queryFn: () =>
      http.get<{ contacts: WecomContactDto[] }>(`/api/wecom/customers/${encodeURIComponent(customerId)}`),
  });
}

export const getWecomContact = (externalUserid: string) =>
  http.get<WecomContactDto>(`/api/wecom/contacts/${encodeURIComponent(externalUserid)}`);

/** Links a WeCom member to a Siyu login, or unlinks it (`null`): the user ↔ member map, set by hand. */
export const linkStaffUser = (userid: string, userId: string | null) =>
  http.put<WecomStaffDto>(`/api/wecom/staff/${encodeURIComponent(userid)}/user`, { userId });
