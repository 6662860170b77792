import { storedStepRunner } from "../../engine-commons/index.ts";

/**
 * Runs an Official Account call that must not repeat (a template send, a menu removal), stored in
 * `oa_action_steps` (see `storedStepRunner`). Final refusals are results too (the step function returns
 * them instead of throwing), so a 43004 is recorded once and never retried; only transient failures
 * throw and leave the step open. Template sends also carry `client_msg_id` (the send's id), which
 * WeChat dedups: the window between WeChat's answer and the insert is closed on the platform's side
 * as well.
 */
export const runOaStep = storedStepRunner("oa_action_steps");
