import type { AuditVerify } from "@siyu/contracts";
import { http } from "../../api/client.ts";

export interface AuditFilters {
  action?: string;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  from?: string;
  to?: string;
}

export const verifyAuditChain = () => http.get<AuditVerify>("/api/audit/verify");
