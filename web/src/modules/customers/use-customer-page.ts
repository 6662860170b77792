import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { http, type Page } from "../../api/client.ts";
import { type Customer, type CustomerFilters, customersUrl } from "./customers.api.ts";

/**
 * `useCursorPage` for the customer list, whose `tag` filter repeats in the query string. Same stack of
 * cursors to go back; new filters start again at page one.
 */
export function useCustomerPage(filters: CustomerFilters, limit = 20) {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  const filterKey = JSON.stringify(filters);
  const [lastFilterKey, setLastFilterKey] = useState(filterKey);
  if (filterKey !== lastFilterKey) {
    setLastFilterKey(filterKey);
    setStack([undefined]);
  }
  const cursor = stack[stack.length - 1];
  const query = useQuery({
    queryKey: ["customers", "list", filters, cursor, limit],
    queryFn: () => http.get<Page<Customer>>(customersUrl("/api/customers", filters, { limit, cursor })),
    placeholderData: keepPreviousData,
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
