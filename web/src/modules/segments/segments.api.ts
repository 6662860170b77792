import { useQuery } from "@tanstack/react-query";
import { api, http, type Page } from "../../api/client.ts";

export type SegmentKind = "dynamic" | "snapshot";

export interface Segment {
  id: string;
  name: string;
  expression: string;
  kind: SegmentKind;
  /** The server sends `memberCount`; `count` is the older name in docs/customers-api.md. */
  memberCount?: number | null;
  count?: number | null;
  countedAt: string | null;
  createdAt: string;
}

export const segmentCount = (s: Segment): number | null => s.memberCount ?? s.count ?? null;

/** A member in a preview: the server sends `{id, name, tags: string[]}`; a full customer also fits. */
export interface SegmentMember {
  id: string;
  name: string;
  phone?: string | null;
  email?: string | null;
  tags: (string | { id: string; name: string; color?: string })[];
}

export interface SegmentInput {
  name: string;
  expression: string;
  kind: SegmentKind;
}

export interface SegmentPreview {
  count: number;
  sample: SegmentMember[];
}

/** `details` of a 400 `invalid_expression`: where the parser stopped and what it wanted there. */
export interface ExpressionErrorDetails {
  position?: number;
  expected?: string | string[];
}

const enc = encodeURIComponent;

export const createSegment = (input: SegmentInput) => http.post<Segment>("/api/segments", input);
export const updateSegment = (id: string, input: SegmentInput) =>
  http.put<Segment>(`/api/segments/${enc(id)}`, input);
export const deleteSegment = (id: string) => http.del(`/api/segments/${enc(id)}`);
export const refreshSegment = (id: string) => http.post<Segment>(`/api/segments/${enc(id)}/refresh`);
export const previewSegment = (expression: string, signal?: AbortSignal) =>
  api<SegmentPreview>("/api/segments/preview", { method: "POST", body: { expression }, signal });

export function useSegments() {
  return useQuery({
    queryKey: ["segments"],
    queryFn: () => http.get<Page<Segment>>("/api/segments", { limit: 500 }),
  });
}

export function useSegment(id: string) {
  return useQuery({
    queryKey: ["segments", id],
    queryFn: () => http.get<Segment>(`/api/segments/${enc(id)}`),
  });
}
