import { keepPreviousData, type QueryKey, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { http, type Page, type Query } from "./client.ts";

/** What a cursor list gives its page: the query, the rows, and previous / next (see `CursorPager`). */
export type CursorPage<T> = ReturnType<typeof useCursorQuery<T>>;

/**
 * One page of a cursor list. The API gives only "next", so the cursors of the pages already seen are
 * kept on a stack to go back. Changing the filters starts again at page one. `fetchPage` asks for one
 * page; the query key is `[...key, filters, cursor, limit]`.
 */
export function useCursorQuery<T>(options: {
  key: QueryKey;
  filters: unknown;
  fetchPage: (page: { limit: number; cursor: string | undefined }) => Promise<Page<T>>;
  limit?: number;
  enabled?: boolean;
}) {
  const { key, filters, fetchPage, limit = 20, enabled = true } = options;
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  const filterKey = JSON.stringify(filters);
  const [lastFilterKey, setLastFilterKey] = useState(filterKey);
  if (filterKey !== lastFilterKey) {
    setLastFilterKey(filterKey);
    setStack([undefined]);
  }
  const cursor = stack[stack.length - 1];
  const query = useQuery({
    queryKey: [...key, filters, cursor, limit],
    queryFn: () => fetchPage({ limit, cursor }),
    placeholderData: keepPreviousData,
    enabled,
  });
  const nextCursor = query.data?.nextCursor ?? null;
  return {
    query,
    items: query.data?.items ?? [],
    page: stack.length,
    hasPrev: stack.length > 1,
    hasNext: nextCursor !== null,
    prev: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    next: () => {
      if (nextCursor) setStack((s) => [...s, nextCursor]);
    },
  };
}

/** `useCursorQuery` for a plain list endpoint whose filters are simple query parameters. */
export function useCursorPage<T>(key: string, path: string, filters: Query, limit = 20, enabled = true) {
  return useCursorQuery<T>({
    key: [key],
    filters,
    fetchPage: (page) => http.get<Page<T>>(path, { ...filters, ...page }),
    limit,
    enabled,
  });
}
