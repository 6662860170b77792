import type {
  ChannelAlertDto,
  GroupCodeCreateInput,
  GroupCodeDto,
  GroupCodeStatsDto,
  GroupCodeUpdateInput,
  LiveCodeAddDto,
  LiveCodeCreateInput,
  LiveCodeDto,
  LiveCodeSpendDto,
  LiveCodeStatsDto,
  LiveCodeUpdateInput,
  PosterTemplate,
  WecomGroupDto,
} from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { buildUrl, http, type Page, type Query } from "../../api/client.ts";
import { getToken } from "../../api/session.ts";

const enc = encodeURIComponent;

export type LiveCode = LiveCodeDto;
export type LiveCodeStats = LiveCodeStatsDto;
export type LiveCodeAdd = LiveCodeAddDto;
export type LiveCodeSpend = LiveCodeSpendDto;

export interface ChannelSummary {
  from: string;
  to: string;
  items: Array<{ liveCodeId: string | null; name: string; adds: number; deletes: number; netAdds: number }>;
}

export interface StatsRange {
  from?: string;
  to?: string;
}

export const liveCodesKey = ["live-codes"] as const;

export const createLiveCode = (input: LiveCodeCreateInput) => http.post<LiveCode>("/api/live-codes", input);
export const updateLiveCode = (id: string, input: LiveCodeUpdateInput) =>
  http.patch<LiveCode>(`/api/live-codes/${enc(id)}`, input);
export const deleteLiveCode = (id: string) => http.del<LiveCode>(`/api/live-codes/${enc(id)}`);
export const addSpend = (
  id: string,
  input: { periodStart: string; periodEnd: string; amountFen: number; note?: string },
) => http.post<LiveCodeSpend>(`/api/live-codes/${enc(id)}/spend`, input);

export function useLiveCode(id: string) {
  return useQuery({
    queryKey: [...liveCodesKey, id],
    queryFn: () => http.get<LiveCode>(`/api/live-codes/${enc(id)}`),
  });
}

export function useLiveCodeStats(id: string, range: StatsRange, poll = false) {
  return useQuery({
    queryKey: [...liveCodesKey, id, "stats", range],
    queryFn: () => http.get<LiveCodeStats>(`/api/live-codes/${enc(id)}/stats`, { ...range }),
    // The detail page polls so an add made elsewhere (a scan) shows up without a reload.
    refetchInterval: poll ? 5000 : false,
  });
}

export function useLiveCodeAdds(id: string) {
  return useQuery({
    queryKey: [...liveCodesKey, id, "adds"],
    queryFn: () => http.get<Page<LiveCodeAdd>>(`/api/live-codes/${enc(id)}/adds`, { limit: 20 }),
    refetchInterval: 5000,
  });
}

export function useLiveCodeSpend(id: string) {
  return useQuery({
    queryKey: [...liveCodesKey, id, "spend"],
    queryFn: () => http.get<Page<LiveCodeSpend>>(`/api/live-codes/${enc(id)}/spend`),
  });
}

export function useChannelSummary(range: StatsRange) {
  return useQuery({
    queryKey: [...liveCodesKey, "summary", range],
    queryFn: () => http.get<ChannelSummary>("/api/live-codes/summary", { ...range }),
  });
}

/**
 * Fetches a file the API serves behind the bearer token (QR, poster, CSV): a plain link or `<img src>`
 * would go without it.
 */
export async function fetchBlob(path: string, query?: Query): Promise<Blob> {
  const token = getToken();
  const res = await fetch(buildUrl(path, query), {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  if (!res.ok) {
    let message = res.statusText || `HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { error?: { message?: string } };
      if (body.error?.message) message = body.error.message;
    } catch {
      // not JSON
    }
    throw new Error(message);
  }
  return res.blob();
}

/** Saves a blob under `filename` through a temporary link. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const qrPath = (id: string) => `/api/live-codes/${enc(id)}/qr.png`;
export const statsCsvPath = (id: string) => `/api/live-codes/${enc(id)}/stats.csv`;
export const posterPath = (id: string) => `/api/live-codes/${enc(id)}/poster.png`;

export interface PosterOptions {
  template: PosterTemplate;
  title?: string;
  subtitle?: string;
  store?: string;
}

/** An object URL of a protected image (the QR); kept for the session, as the image never changes. */
export function useProtectedImage(path: string, query?: Query) {
  return useQuery({
    queryKey: ["protected-image", path, query],
    queryFn: async () => URL.createObjectURL(await fetchBlob(path, query)),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

/** Fen → "¥1,234.50". */
export function formatFen(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return "—";
  return `¥${(fen / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

// ---- group live codes (群活码) ----

export type GroupCode = GroupCodeDto;
export const groupCodesKey = ["group-live-codes"] as const;

export const createGroupCode = (input: GroupCodeCreateInput) =>
  http.post<GroupCode>("/api/group-live-codes", input);
export const updateGroupCode = (id: string, input: GroupCodeUpdateInput) =>
  http.patch<GroupCode>(`/api/group-live-codes/${enc(id)}`, input);
export const deleteGroupCode = (id: string) => http.del<GroupCode>(`/api/group-live-codes/${enc(id)}`);

export function useGroupCodes() {
  return useQuery({
    queryKey: [...groupCodesKey],
    queryFn: () => http.get<Page<GroupCode>>("/api/group-live-codes", { limit: 200 }),
    // Member counts move with WeCom's group events: the page follows without a reload.
    refetchInterval: 5000,
  });
}

export function useGroupCodeStats(id: string | null) {
  return useQuery({
    queryKey: [...groupCodesKey, id, "stats"],
    queryFn: () => http.get<GroupCodeStatsDto>(`/api/group-live-codes/${enc(id ?? "")}/stats`),
    enabled: Boolean(id),
    refetchInterval: 5000,
  });
}

export function useChannelAlerts() {
  return useQuery({
    queryKey: [...groupCodesKey, "alerts"],
    queryFn: () => http.get<{ items: ChannelAlertDto[] }>("/api/group-live-codes/alerts"),
    refetchInterval: 10_000,
  });
}

/** The synced WeCom customer groups a group code can rotate through. */
export function useWecomGroupOptions() {
  return useQuery({
    queryKey: ["wecom-groups", "options"],
    queryFn: () => http.get<Page<WecomGroupDto>>("/api/wecom/groups", { limit: 500 }),
  });
}

export const groupQrPath = (id: string) => `/api/group-live-codes/${enc(id)}/qr.png`;
