import type {
  ChannelAccountFilter,
  ChannelOverviewDto,
  ChannelStatsDto,
  ChannelType,
  ContentArticleDto,
  ContentArticleInput,
  EngagementRuleDto,
  EngagementRuleInput,
  FollowUpDto,
  OaMenuDto,
  OaMenuInput,
  OaPassiveReplyInput,
  OaQrCodeCreateInput,
  OaQrCodeDto,
  OaTagMapDto,
  OaTemplateBatchDto,
  OaTemplateDto,
  OaTemplateSendInput,
  OaTemplateSendRowDto,
} from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http, type Page } from "../../api/client.ts";

const enc = encodeURIComponent;
type Items<T> = { items: T[] };

export interface StatsRange {
  from?: string;
  to?: string;
}

export const oafKey = ["oa-features"] as const;

// ── channels (both engines) and OA QR codes ──
/** `account`: all channels (default, the current account's first), or the current / a previous account's only. */
export function useChannelOverview(range: StatsRange, type?: ChannelType, account?: ChannelAccountFilter) {
  return useQuery({
    queryKey: [...oafKey, "channels", range, type, account],
    queryFn: () => http.get<ChannelOverviewDto>("/api/channels", { ...range, type, account }),
  });
}
export const channelsCsvPath = "/api/channels.csv";

export function useChannelStats(type: ChannelType, id: string | null, range: StatsRange) {
  return useQuery({
    queryKey: [...oafKey, "channel-stats", type, id, range],
    enabled: Boolean(id),
    queryFn: () =>
      http.get<ChannelStatsDto>(`/api/channels/${type}/${enc(id as string)}/stats`, { ...range }),
    refetchInterval: 5000,
  });
}
export const oaQrStatsCsvPath = (id: string) => `/api/oa-qr-codes/${enc(id)}/stats.csv`;
export const oaQrPngPath = (id: string) => `/api/oa-qr-codes/${enc(id)}/qr.png`;

export function useOaQrCodes() {
  return useQuery({
    queryKey: [...oafKey, "qr-codes"],
    queryFn: () => http.get<Page<OaQrCodeDto>>("/api/oa-qr-codes", { limit: 200 }),
  });
}
export const createOaQrCode = (input: OaQrCodeCreateInput) =>
  http.post<OaQrCodeDto>("/api/oa-qr-codes", input);
export const deleteOaQrCode = (id: string) => http.del<void>(`/api/oa-qr-codes/${enc(id)}`);
export const addOaQrSpend = (
  id: string,
  input: { periodStart: string; periodEnd: string; amountFen: number },
) => http.post<{ id: string }>(`/api/oa-qr-codes/${enc(id)}/spend`, input);

// ── templates ──
export function useOaTemplates() {
  return useQuery({
    queryKey: [...oafKey, "templates"],
    queryFn: () => http.get<Items<OaTemplateDto>>("/api/official-account/templates"),
  });
}
export const syncOaTemplates = () => http.post<Items<OaTemplateDto>>("/api/official-account/templates/sync");
export const saveOaTemplate = (input: { templateId: string; title: string; content?: string }) =>
  http.post<OaTemplateDto>("/api/official-account/templates", input);
export const deleteOaTemplate = (id: string) => http.del<void>(`/api/official-account/templates/${enc(id)}`);
export const sendOaTemplate = (input: OaTemplateSendInput) =>
  http.post<OaTemplateBatchDto>("/api/official-account/template-sends", input);
export function useOaTemplateBatches() {
  return useQuery({
    queryKey: [...oafKey, "batches"],
    queryFn: () => http.get<Items<OaTemplateBatchDto>>("/api/official-account/template-batches"),
    refetchInterval: 3000,
  });
}
export function useOaTemplateSends(q: { batchId?: string; customerId?: string }) {
  return useQuery({
    queryKey: [...oafKey, "sends", q],
    enabled: Boolean(q.batchId || q.customerId),
    queryFn: () => http.get<Items<OaTemplateSendRowDto>>("/api/official-account/template-sends", q),
    refetchInterval: 3000,
  });
}

// ── menus and tags ──
export function useOaMenus() {
  return useQuery({
    queryKey: [...oafKey, "menus"],
    queryFn: () => http.get<Items<OaMenuDto>>("/api/official-account/menus"),
    // A removal under way (just deleted or retried) settles in seconds: watch it until then.
    refetchInterval: (q) => (q.state.data?.items.some((m) => m.removal === "pending") ? 2_000 : false),
  });
}
export const saveOaMenu = (input: OaMenuInput, id?: string) =>
  id
    ? http.put<OaMenuDto>(`/api/official-account/menus/${enc(id)}`, input)
    : http.post<OaMenuDto>("/api/official-account/menus", input);
export const deleteOaMenu = (id: string) => http.del<void>(`/api/official-account/menus/${enc(id)}`);
/** A failed removal from WeChat, tried again (a fresh call). */
export const retryOaMenuRemoval = (id: string) =>
  http.post<OaMenuDto>(`/api/official-account/menus/${enc(id)}/retry-removal`);
/** A failed removal forgotten in Siyu (WeChat is not called). */
export const dismissOaMenuRemoval = (id: string) =>
  http.post<void>(`/api/official-account/menus/${enc(id)}/dismiss-removal`);
export const publishOaMenus = () => http.post<Items<OaMenuDto>>("/api/official-account/menus/publish");
export function useOaTagMap() {
  return useQuery({
    queryKey: [...oafKey, "tag-map"],
    queryFn: () => http.get<Items<OaTagMapDto>>("/api/official-account/tag-map"),
  });
}
export const syncOaTag = (tag: string) => http.post<OaTagMapDto>("/api/official-account/tag-map", { tag });

// ── replies ──
export function useOaWelcome() {
  return useQuery({
    queryKey: [...oafKey, "welcome"],
    queryFn: () => http.get<{ reply: OaPassiveReplyInput | null }>("/api/official-account/welcome"),
  });
}
export const saveOaWelcome = (reply: OaPassiveReplyInput | null) =>
  http.put<{ reply: OaPassiveReplyInput | null }>("/api/official-account/welcome", { reply });

export interface KeywordReply {
  id: string;
  keyword: string;
  match: "exact" | "contains";
  reply: { type: "text"; content: string } | { type: string; [k: string]: unknown };
  enabled: boolean;
  priority: number;
}
export function useKeywordReplies() {
  return useQuery({
    queryKey: [...oafKey, "auto-replies"],
    queryFn: () => http.get<Items<KeywordReply>>("/api/official-account/auto-replies"),
  });
}
export const saveKeywordReply = (input: Omit<KeywordReply, "id">, id?: string) =>
  id
    ? http.put<KeywordReply>(`/api/official-account/auto-replies/${enc(id)}`, input)
    : http.post<KeywordReply>("/api/official-account/auto-replies", input);
export const deleteKeywordReply = (id: string) =>
  http.del<void>(`/api/official-account/auto-replies/${enc(id)}`);

// ── content ──
export function useArticles() {
  return useQuery({
    queryKey: [...oafKey, "articles"],
    queryFn: () => http.get<Items<ContentArticleDto>>("/api/content/articles"),
  });
}
export const saveArticle = (input: ContentArticleInput, id?: string) =>
  id
    ? http.put<ContentArticleDto>(`/api/content/articles/${enc(id)}`, input)
    : http.post<ContentArticleDto>("/api/content/articles", input);
export const deleteArticle = (id: string) => http.del<void>(`/api/content/articles/${enc(id)}`);

// ── rules and follow-ups ──
export function useEngagementRules() {
  return useQuery({
    queryKey: [...oafKey, "rules"],
    queryFn: () => http.get<Items<EngagementRuleDto>>("/api/engagement/rules"),
  });
}
export const saveEngagementRule = (input: EngagementRuleInput, id?: string) =>
  id
    ? http.put<EngagementRuleDto>(`/api/engagement/rules/${enc(id)}`, input)
    : http.post<EngagementRuleDto>("/api/engagement/rules", input);
export const deleteEngagementRule = (id: string) => http.del<void>(`/api/engagement/rules/${enc(id)}`);
export function useFollowUps(q: { status?: "open" | "done"; customerId?: string }) {
  return useQuery({
    queryKey: [...oafKey, "follow-ups", q],
    queryFn: () => http.get<Items<FollowUpDto>>("/api/follow-ups", { ...q, limit: 100 }),
    refetchInterval: 5000,
  });
}
export const completeFollowUp = (id: string) =>
  http.post<{ ok: true }>(`/api/follow-ups/${enc(id)}/complete`);
