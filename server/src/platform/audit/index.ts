export { type AuditFilters, createAuditLog, listAudit } from "./audit.service.ts";
export type { Actor, AuditLog, AuditRecord } from "./audit.ts";
export { canonicalJson, GENESIS_HASH } from "./canonical.ts";
