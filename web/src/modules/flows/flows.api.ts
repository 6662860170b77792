import type {
  FlowDefinition,
  FlowDetailDto,
  FlowDto,
  FlowInstanceDetailDto,
  FlowInstanceDto,
  FlowValidationError,
  FlowVersionDto,
  FlowWebhookDto,
  flowAnalyticsSchema,
  flowCatalogSchema,
  flowDryRunResultSchema,
  flowDryRunSchema,
  flowLifecycleSchema,
  flowMigratePlanSchema,
  flowMigrateSchema,
  flowValidationSchema,
} from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import type { z } from "zod";
import { http, type Page } from "../../api/client.ts";

const enc = encodeURIComponent;

export type Flow = FlowDto;
export type FlowDetail = FlowDetailDto;
export type FlowInstance = FlowInstanceDto;
export type FlowInstanceDetail = FlowInstanceDetailDto;
export type FlowCatalog = z.infer<typeof flowCatalogSchema>;
export type FlowValidation = z.infer<typeof flowValidationSchema>;
export type FlowDryRunInput = z.input<typeof flowDryRunSchema>;
export type FlowDryRunResult = z.infer<typeof flowDryRunResultSchema>;
export type FlowAnalytics = z.infer<typeof flowAnalyticsSchema>;
export type FlowLifecycle = z.infer<typeof flowLifecycleSchema>;
export type FlowMigrateInput = z.input<typeof flowMigrateSchema>;
export type FlowMigratePlan = z.infer<typeof flowMigratePlanSchema>;
export type { FlowDefinition, FlowValidationError, FlowVersionDto };

export const flowsKey = ["flows"] as const;

export const createFlow = (input: { name: string; description?: string; definition?: FlowDefinition }) =>
  http.post<Flow>("/api/flows", input);
export const saveFlow = (
  id: string,
  input: { name?: string; description?: string; definition: FlowDefinition },
) => http.put<Flow>(`/api/flows/${enc(id)}`, input);
export const archiveFlow = (id: string) => http.del<Flow>(`/api/flows/${enc(id)}`);
export const publishFlow = (id: string) => http.post<{ version: number }>(`/api/flows/${enc(id)}/publish`);
export const validateFlow = (id: string, definition?: FlowDefinition) =>
  http.post<FlowValidation>(`/api/flows/${enc(id)}/validate`, definition ? { definition } : {});
export const dryRunFlow = (id: string, input: FlowDryRunInput) =>
  http.post<FlowDryRunResult>(`/api/flows/${enc(id)}/dry-run`, input);
export const instanceAction = (id: string, verb: "cancel" | "pause" | "resume") =>
  http.post<FlowInstanceDetail>(`/api/flow-instances/${enc(id)}/${verb}`);
export const previewMigration = (id: string, input: FlowMigrateInput) =>
  http.post<FlowMigratePlan>(`/api/flows/${enc(id)}/migrate/preview`, input);
export const migrateInstances = (id: string, input: FlowMigrateInput) =>
  http.post<FlowMigratePlan>(`/api/flows/${enc(id)}/migrate`, input);

/** The inbound URLs of a flow's webhook triggers (made at publish). */
export function useFlowWebhooks(id: string, enabled = true) {
  return useQuery({
    queryKey: [...flowsKey, id, "webhooks"],
    queryFn: () => http.get<{ items: FlowWebhookDto[] }>(`/api/flows/${enc(id)}/webhooks`),
    enabled: enabled && Boolean(id),
  });
}
export const regenerateWebhook = (id: string, nodeId: string) =>
  http.post<FlowWebhookDto>(`/api/flows/${enc(id)}/webhooks/${enc(nodeId)}/regenerate`);

export function useFlow(id: string) {
  return useQuery({
    queryKey: [...flowsKey, id],
    queryFn: () => http.get<FlowDetail>(`/api/flows/${enc(id)}`),
  });
}

export function useFlowVersion(id: string, version: number | null) {
  return useQuery({
    queryKey: [...flowsKey, id, "version", version],
    queryFn: () => http.get<FlowVersionDto>(`/api/flows/${enc(id)}/versions/${version}`),
    enabled: version !== null,
    staleTime: Number.POSITIVE_INFINITY,
  });
}

/** Node types with their params JSON Schemas, actions with theirs, and the events triggers know. */
export function useFlowCatalog() {
  return useQuery({
    queryKey: ["flow-node-types"],
    queryFn: () => http.get<FlowCatalog>("/api/flow-node-types"),
    staleTime: 10 * 60_000,
  });
}

export function useFlowAnalytics(id: string, version?: number | null, poll = false) {
  return useQuery({
    queryKey: [...flowsKey, id, "analytics", version ?? null],
    queryFn: () =>
      http.get<FlowAnalytics>(`/api/flows/${enc(id)}/analytics`, { version: version ?? undefined }),
    refetchInterval: poll ? 5000 : false,
  });
}

/** The flow's customers per lifecycle stage now, running and finished (journeys with stage actions). */
export function useFlowLifecycle(id: string, enabled: boolean) {
  return useQuery({
    queryKey: [...flowsKey, id, "lifecycle"],
    queryFn: () => http.get<FlowLifecycle>(`/api/flows/${enc(id)}/lifecycle`),
    enabled,
    refetchInterval: enabled ? 5000 : false,
  });
}

export function useFlowInstance(id: string | null) {
  return useQuery({
    queryKey: ["flow-instances", id],
    queryFn: () => http.get<FlowInstanceDetail>(`/api/flow-instances/${enc(id as string)}`),
    enabled: Boolean(id),
    refetchInterval: 5000,
  });
}

export function useFlowsForSelect() {
  return useQuery({
    queryKey: [...flowsKey, "select"],
    queryFn: () => http.get<Page<Flow>>("/api/flows", { limit: 200 }),
    staleTime: 60_000,
  });
}
