export {
  type ContactAppliedEvent,
  type ContactEvent,
  type ContactEventKind,
  type ContactHooks,
  contactHooks,
} from "./contact-hooks.ts";
/** A WeCom failure in a request: 502 with WeCom's errcode, never the token or secret. */
export { wecomRouteError } from "./ops/action-steps.ts";
export {
  type ContactWaySpec,
  type LiveCodePort,
  liveCodePort,
  type WelcomeMessage,
  wecomErrcodeOf,
} from "./ports/live-code.port.ts";
export { wecomModule } from "./wecom.module.ts";
