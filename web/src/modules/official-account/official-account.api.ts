import type {
  OaFollowerDto,
  OaKeywordReplyDto,
  OaKeywordReplyInput,
  OaSettingsDto,
  OaSettingsInput,
  OaSyncRunDto,
} from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http, type Page } from "../../api/client.ts";

export const oaSettingsKey = ["official-account", "settings"] as const;
export const oaSyncKey = ["official-account", "sync"] as const;
export const oaRepliesKey = ["official-account", "auto-replies"] as const;

export function useOaSettings() {
  return useQuery({
    queryKey: oaSettingsKey,
    queryFn: () => http.get<OaSettingsDto>("/api/settings/official-account"),
  });
}

export const saveOaSettings = (input: OaSettingsInput) =>
  http.put<OaSettingsDto>("/api/settings/official-account", input);

export const isActiveRun = (run: OaSyncRunDto) => run.status === "queued" || run.status === "running";

/** Polls every second while a run is active, so its bar moves. */
export function useOaSyncRuns() {
  return useQuery({
    queryKey: oaSyncKey,
    queryFn: () => http.get<{ items: OaSyncRunDto[] }>("/api/official-account/sync", { limit: 20 }),
    refetchInterval: (query) => (query.state.data?.items.some(isActiveRun) ? 1000 : false),
  });
}

export const startOaSync = () => http.post<OaSyncRunDto>("/api/official-account/sync", { kind: "followers" });

/** Applied followers of the listed total (the sync reports both). */
export function oaSyncPercent(run: OaSyncRunDto): number {
  if (run.status === "completed") return 100;
  const total = run.progress.total ?? 0;
  if (!total) return run.status === "failed" ? 0 : 2;
  return Math.max(2, Math.min(99, Math.round(((run.progress.applied ?? 0) / total) * 100)));
}

export interface OaFollowerStats {
  followers: number;
  subscribed: number;
  unsubscribed: number;
  withUnionid: number;
  linkedToWecom: number;
}

export function useOaFollowerStats(refresh: boolean) {
  return useQuery({
    queryKey: ["official-account", "stats"],
    queryFn: () => http.get<OaFollowerStats>("/api/official-account/followers/stats"),
    refetchInterval: refresh ? 2000 : false,
  });
}

export function useOaFollowers(params: { subscribed?: string; q?: string; cursor?: string }) {
  return useQuery({
    queryKey: ["official-account", "followers", params],
    queryFn: () =>
      http.get<Page<OaFollowerDto>>("/api/official-account/followers", {
        limit: 20,
        ...(params.subscribed ? { subscribed: params.subscribed } : {}),
        ...(params.q ? { q: params.q } : {}),
        ...(params.cursor ? { cursor: params.cursor } : {}),
      }),
  });
}

export function useOaReplies() {
  return useQuery({
    queryKey: oaRepliesKey,
    queryFn: () => http.get<{ items: OaKeywordReplyDto[] }>("/api/official-account/auto-replies"),
  });
}

export const createOaReply = (input: OaKeywordReplyInput) =>
  http.post<OaKeywordReplyDto>("/api/official-account/auto-replies", input);
export const deleteOaReply = (id: string) => http.del<void>(`/api/official-account/auto-replies/${id}`);
