import type {
  QuickReplyAttachment,
  QuickReplyDto,
  QuickReplyGroupDto,
  QuickReplySuggestion,
} from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http, type Page } from "../../api/client.ts";

export type { QuickReplyAttachment, QuickReplyDto, QuickReplyGroupDto, QuickReplySuggestion };

export interface QuickReplyInput {
  title: string;
  content: string;
  groupId?: string | null;
  keywords?: string[];
  attachments?: QuickReplyAttachment[];
  sortOrder?: number;
  personal?: boolean;
}

export interface QuickReplyFilters {
  q?: string;
  groupId?: string;
  scope?: "all" | "tenant" | "personal";
}

const enc = encodeURIComponent;

export const listQuickReplies = (filters: QuickReplyFilters, page: { limit: number; cursor?: string }) =>
  http.get<Page<QuickReplyDto>>("/api/quick-replies", { ...filters, ...page });
export const createQuickReply = (input: QuickReplyInput) =>
  http.post<QuickReplyDto>("/api/quick-replies", input);
export const updateQuickReply = (id: string, input: Omit<QuickReplyInput, "personal">) =>
  http.patch<QuickReplyDto>(`/api/quick-replies/${enc(id)}`, input);
export const deleteQuickReply = (id: string) => http.del(`/api/quick-replies/${enc(id)}`);
/** Counts a send; with a customer, the send lands on their timeline. */
export const markQuickReplyUsed = (id: string, customerId?: string) =>
  http.post<QuickReplyDto>(`/api/quick-replies/${enc(id)}/use`, customerId ? { customerId } : {});
export const createQuickReplyGroup = (name: string) =>
  http.post<QuickReplyGroupDto>("/api/quick-replies/groups", { name });
export const renameQuickReplyGroup = (id: string, name: string) =>
  http.patch<QuickReplyGroupDto>(`/api/quick-replies/groups/${enc(id)}`, { name });
export const deleteQuickReplyGroup = (id: string) => http.del(`/api/quick-replies/groups/${enc(id)}`);

export function useQuickReplyGroups() {
  return useQuery({
    queryKey: ["quick-replies", "groups"],
    queryFn: () => http.get<Page<QuickReplyGroupDto>>("/api/quick-replies/groups"),
    staleTime: 30_000,
  });
}

/** Replies whose keywords occur in `text`; with no text, the most used ones. */
export function useQuickReplySuggestions(text: string, limit = 5) {
  return useQuery({
    queryKey: ["quick-replies", "suggest", text, limit],
    queryFn: () => http.get<Page<QuickReplySuggestion>>("/api/quick-replies/suggest", { text, limit }),
    staleTime: 10_000,
  });
}
