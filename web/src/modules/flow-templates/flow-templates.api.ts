import type { FlowTemplateDto } from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { http, type Page } from "../../api/client.ts";

export type FlowTemplate = FlowTemplateDto;

export interface InstalledTemplate {
  flowId: string;
  name: string;
  status: "draft" | "active" | "archived";
  version: number;
  templateKey: string;
}

export const flowTemplatesKey = ["flow-templates"] as const;

export function useFlowTemplates() {
  return useQuery({
    queryKey: flowTemplatesKey,
    queryFn: () => http.get<Page<FlowTemplate>>("/api/flow-templates"),
  });
}

export const installFlowTemplate = (key: string, name?: string) =>
  http.post<InstalledTemplate>(
    `/api/flow-templates/${encodeURIComponent(key)}/install`,
    name ? { name } : {},
  );
