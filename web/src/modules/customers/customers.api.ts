import { useQuery } from "@tanstack/react-query";
import { buildUrl, http, type Page, type Query } from "../../api/client.ts";
import { getToken } from "../../api/session.ts";
import { useCursorQuery } from "../../api/use-cursor-page.ts";

// Shapes of docs/customers-api.md (the customers module's contract with the console).

export type AttributeValue = string | number | boolean | string[] | null;

export interface CustomerTag {
  id: string;
  name: string;
  group: string | null;
  color: string;
}

export interface Identity {
  type: string;
  value: string;
  scope?: string;
}

export interface Customer {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
  attributes: Record<string, AttributeValue>;
  tags: CustomerTag[];
  identities: Identity[];
  ownerUserIds: string[];
  lifecycleStage: string | null;
  source: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TimelineEntry {
  id: string;
  type: string;
  at: string;
  data: Record<string, unknown>;
}

export interface Tag {
  id: string;
  name: string;
  color: string;
  groupId: string | null;
  group: string | null;
  customers: number;
}

export interface TagGroup {
  id: string;
  name: string;
}

export interface TagRule {
  id: string;
  name: string;
  tag: string;
  expression: string;
  enabled: boolean;
  lastRunAt?: string | null;
}

export interface CustomField {
  key: string;
  label: string;
  type: "text" | "number" | "boolean" | "date" | "select" | "multiselect";
  options?: string[];
}

export interface CustomerStats {
  customers: number;
  identities: number;
  unificationRate: number;
  byIdentityType: Record<string, number>;
}

export interface MergeCandidate {
  id: string;
  customers: [Customer, Customer];
  reason: string;
  score: number;
  createdAt: string;
}

export interface MergeRecord {
  id: string;
  targetId: string;
  sourceId: string;
  at: string;
  undoneAt: string | null;
}

export interface CustomerFilters {
  q?: string;
  tags?: string[];
  segment?: string;
}

const enc = encodeURIComponent;

/** `tag` repeats (AND), which `buildUrl` cannot express: the query string is built here. */
export function customersUrl(path: string, filters: CustomerFilters, extra: Query = {}): string {
  const base = buildUrl(path, { q: filters.q, segment: filters.segment, ...extra });
  const tags = (filters.tags ?? []).map((tag) => `tag=${enc(tag)}`).join("&");
  if (!tags) return base;
  return base.includes("?") ? `${base}&${tags}` : `${base}?${tags}`;
}

export const getCustomer = (id: string) => http.get<Customer>(`/api/customers/${enc(id)}`);
export const createCustomer = (input: {
  name: string;
  phone?: string;
  email?: string;
  tags?: string[];
  attributes?: Record<string, AttributeValue>;
}) => http.post<Customer>("/api/customers", input);
export const updateCustomer = (
  id: string,
  input: Partial<
    Pick<Customer, "name" | "phone" | "email" | "attributes" | "lifecycleStage" | "ownerUserIds">
  >,
) => http.patch<Customer>(`/api/customers/${enc(id)}`, input);
export const addCustomerTags = (id: string, tags: string[]) =>
  http.post<Customer>(`/api/customers/${enc(id)}/tags`, { tags });
export const removeCustomerTag = (id: string, tag: string) =>
  http.del<Customer>(`/api/customers/${enc(id)}/tags/${enc(tag)}`);
export const mergeCustomer = (targetId: string, sourceId: string) =>
  http.post<Customer>(`/api/customers/${enc(targetId)}/merge`, { sourceId });
export const eraseCustomer = (id: string) => http.post(`/api/customers/${enc(id)}/erase`);

export const createTag = (input: { name: string; color?: string; groupId?: string | null }) =>
  http.post<Tag>("/api/tags", input);
export const updateTag = (id: string, input: { name?: string; color?: string; groupId?: string | null }) =>
  http.patch<Tag>(`/api/tags/${enc(id)}`, input);
export const deleteTag = (id: string) => http.del(`/api/tags/${enc(id)}`);
export const createTagGroup = (name: string) => http.post<TagGroup>("/api/tag-groups", { name });
export const updateTagGroup = (id: string, name: string) =>
  http.patch<TagGroup>(`/api/tag-groups/${enc(id)}`, { name });
export const deleteTagGroup = (id: string) => http.del(`/api/tag-groups/${enc(id)}`);

export type TagRuleInput = Omit<TagRule, "id" | "lastRunAt">;
export const createTagRule = (input: TagRuleInput) => http.post<TagRule>("/api/tag-rules", input);
export const updateTagRule = (id: string, input: Partial<TagRuleInput>) =>
  http.patch<TagRule>(`/api/tag-rules/${enc(id)}`, input);
export const deleteTagRule = (id: string) => http.del(`/api/tag-rules/${enc(id)}`);
export const runTagRule = (id: string) =>
  http.post<{ added: number; removed: number }>(`/api/tag-rules/${enc(id)}/run`);

export const createCustomField = (input: CustomField) => http.post<CustomField>("/api/custom-fields", input);

export const acceptMergeCandidate = (id: string) => http.post(`/api/merge-candidates/${enc(id)}/accept`);
export const rejectMergeCandidate = (id: string) => http.post(`/api/merge-candidates/${enc(id)}/reject`);
export const undoMerge = (id: string) => http.post(`/api/merges/${enc(id)}/undo`);

/** The customer list, a page at a time; its `tag` filter repeats in the query string (`customersUrl`). */
export function useCustomerPage(filters: CustomerFilters, limit = 20) {
  return useCursorQuery<Customer>({
    key: ["customers", "list"],
    filters,
    fetchPage: (page) => http.get<Page<Customer>>(customersUrl("/api/customers", filters, page)),
    limit,
  });
}

export function useCustomer(id: string) {
  return useQuery({ queryKey: ["customers", "one", id], queryFn: () => getCustomer(id) });
}

export function useTags() {
  return useQuery({
    queryKey: ["tags"],
    queryFn: () => http.get<Page<Tag>>("/api/tags", { limit: 500 }),
    staleTime: 30_000,
  });
}

export function useTagGroups() {
  return useQuery({
    queryKey: ["tag-groups"],
    queryFn: () => http.get<Page<TagGroup>>("/api/tag-groups", { limit: 500 }),
    staleTime: 30_000,
  });
}

export function useCustomFields() {
  return useQuery({
    queryKey: ["custom-fields"],
    queryFn: () => http.get<Page<CustomField>>("/api/custom-fields", { limit: 500 }),
    staleTime: 60_000,
  });
}

export function useCustomerStats() {
  return useQuery({
    queryKey: ["customers", "stats"],
    queryFn: () => http.get<CustomerStats>("/api/customers/stats"),
  });
}

/**
 * Downloads an authenticated file: a plain link cannot carry the bearer header, so the file is fetched
 * as a blob and handed to the browser through an object URL.
 */
export async function downloadFile(url: string, filename: string): Promise<void> {
  const token = getToken();
  const response = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!response.ok) {
    let message = response.statusText || `HTTP ${response.status}`;
    try {
      const body = (await response.json()) as { error?: { message?: string } };
      if (body.error?.message) message = body.error.message;
    } catch {
      // not JSON
    }
    throw new Error(message);
  }
  const blob = await response.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = href;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

/** Tag colours the API stores as names or hex; antd's `Tag` takes both. */
export const tagColors = [
  "green",
  "blue",
  "orange",
  "red",
  "purple",
  "cyan",
  "magenta",
  "gold",
  "geekblue",
  "volcano",
  "lime",
] as const;
