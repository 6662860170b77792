import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { getCustomer } from "./customers.api.ts";

/** A customer id as the customer's name, linking to the 360 page. */
export function CustomerLink({ id }: { id: string | null }) {
  const one = useQuery({
    queryKey: ["customers", "one", id],
    queryFn: () => getCustomer(id as string),
    enabled: Boolean(id),
    retry: false,
    staleTime: 60_000,
  });
  if (!id) return <>—</>;
  return (
    <Link to={`/customers/${encodeURIComponent(id)}`} data-testid="customer-link">
      {one.data?.name || one.data?.phone || id}
    </Link>
  );
}
