import type {
  ContactPolicyDto,
  ContactPolicyUpdate,
  ContactPreferencesDto,
  ContactPreferencesUpdate,
  ContactStatsDto,
} from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http } from "../../api/client.ts";

const enc = encodeURIComponent;

export const policyKey = ["contact-policy"];
export const preferencesKey = (customerId: string) => ["contact-preferences", customerId];

export function useContactPolicy() {
  return useQuery({
    queryKey: policyKey,
    queryFn: () => http.get<ContactPolicyDto>("/api/settings/contact-policy"),
  });
}

export const saveContactPolicy = (input: ContactPolicyUpdate) =>
  http.put<ContactPolicyDto>("/api/settings/contact-policy", input);

export function useContactPreferences(customerId: string) {
  return useQuery({
    queryKey: preferencesKey(customerId),
    queryFn: () => http.get<ContactPreferencesDto>(`/api/customers/${enc(customerId)}/contact-preferences`),
  });
}

export const saveContactPreferences = (customerId: string, input: ContactPreferencesUpdate) =>
  http.put<ContactPreferencesDto>(`/api/customers/${enc(customerId)}/contact-preferences`, input);

export function useContactStats(days = 14) {
  return useQuery({
    queryKey: ["contact-policy-stats", days],
    queryFn: () => http.get<ContactStatsDto>("/api/contact-policy/stats", { days }),
    refetchInterval: 60_000,
  });
}
