import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { http, type Page, type Query } from "./client.ts";

/**
 * One page of a cursor list. The API gives only "next", so the cursors of the pages already seen are
 * kept on a stack to go back. Changing the filters starts again at page one.
 */
export function useCursorPage<T>(key: string, path: string, filters: Query, limit = 20, enabled = true) {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  const filterKey = JSON.stringify(filters);
  const [lastFilterKey, setLastFilterKey] = useState(filterKey);
  if (filterKey !== lastFilterKey) {
    setLastFilterKey(filterKey);
    setStack([undefined]);
  }
  const cursor = stack[stack.length - 1];
  const query = useQuery({
    queryKey: [key, filters, cursor, limit],
    queryFn: () => http.get<Page<T>>(path, { ...filters, limit, cursor }),
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
