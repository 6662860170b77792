export {
  type ContactAppliedEvent,
  type ContactEvent,
  type ContactEventKind,
  type ContactHooks,
  contactHooks,
  type GroupChangedEvent,
  groupMemberCounts,
} from "./contact-hooks.ts";
/** Enqueues the send of a mass message created in a transaction (call after it commits). */
export { sendMassMessage as queueMassMessage } from "./jobs/mass-message.job.ts";
/** A WeCom failure in a request: 502 with WeCom's errcode, never the token or secret. */
export { wecomRouteError } from "./ops/action-steps.ts";
/** A one-off WeCom mass message (flows send a message to one customer through it). */
export { createMassMessage } from "./ops/mass-messages.ts";
/** The WeCom members who have the customer as a contact (owner staff). */
export { ownerStaffOf } from "./ops/owner-staff.ts";
/** The user ↔ WeCom member map (`wecom_staff.user_id`): member → login, login → member. */
export { loginsOfStaff, ownerStaffLogins, staffOfLogins } from "./ops/staff-links.ts";
export {
  type ContactWaySpec,
  type LiveCodePort,
  liveCodePort,
  type WelcomeMessage,
  wecomErrcodeOf,
} from "./ports/live-code.port.ts";
export { wecomModule } from "./wecom.module.ts";
