/**
 * Marketing guardrails: the one surface other modules (the flow engine's actions, WeCom mass
 * messages, OA template sends) call before an outbound marketing touch.
 *
 * - `reserve(scopeOrDb, {tenantId, customerIds, channel, purpose, at?, ref})` — decide and count in one
 *   atomic step; send only to `allowed`, retry `defer`red ones at `notBefore`. Idempotent per `ref`.
 * - `decide(scopeOrDb, {tenantId, customerIds, channel, purpose, at?})` — the same answer, nothing recorded.
 * - `record(scopeOrDb, {…, ref})` — count touches sent without reserve() (idempotent per ref).
 * - `recheckReservation(scopeOrDb, {tenantId, customerIds, channel, purpose, ref})` — just before a send
 *   reserved earlier (a batch created, sent later): opt-outs asked again; the refused get their touch
 *   released. `releaseReservation` releases touches of customers not sent after all.
 * - `quietHoursEnd(scopeOrDb, {tenantId, channel, purpose, at?})` — when a batch should wait as a whole.
 * - `optOut` / `optIn` / `optOutFromKeyword` — opt-outs from imports, staff, and inbound-message handlers.
 */
export { contactPolicyModule } from "./contact-policy.module.ts";
export {
  type CheckInput,
  type ContactDecision,
  type ContactDecisions,
  decide,
  quietHoursEnd,
  record,
  reserve,
  type ScopeOrDb,
  type TouchInput,
} from "./ops/decide.ts";
export {
  type RecheckInput,
  type RecheckResult,
  recheckReservation,
  releaseReservation,
} from "./ops/recheck-reservation.ts";
export {
  type OptOutInput,
  optedInEvent,
  optedOutEvent,
  optIn,
  optOut,
  optOutFromKeyword,
  optOutKeyword,
  optOutKeywords,
} from "./opt-outs.service.ts";
export { defaultPolicies, getContactPolicy } from "./policy.service.ts";
