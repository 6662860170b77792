import type { FlowTemplate } from "./build.ts";
import {
  applianceAfterSales,
  complaintHandling,
  dealerJourney,
  educationJourney,
} from "./industry.templates.ts";
import { birthdaySop, dormantSop, groupSop, newCustomerSop } from "./sop.templates.ts";

export type { FlowTemplate } from "./build.ts";

/** Every template, in the order the template library shows them. */
export const flowTemplates: readonly FlowTemplate[] = [
  newCustomerSop,
  birthdaySop,
  dormantSop,
  groupSop,
  applianceAfterSales,
  educationJourney,
  complaintHandling,
  dealerJourney,
];

export function findTemplate(key: string): FlowTemplate | undefined {
  return flowTemplates.find((t) => t.key === key);
}
