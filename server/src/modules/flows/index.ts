/** Flows (process engine): the public surface for other modules and the designer. */
export {
  type FlowActionContext,
  type FlowActionDefinition,
  FlowActionError,
  type FlowActionResult,
  flowActions,
  flowTriggerEvents,
  registerAction,
  registerTriggerEvent,
} from "./actions/registry.ts";
export { nodeCatalog } from "./catalog.ts";
export { validateDefinition } from "./definition.ts";
export {
  advanceTx,
  cancelInstanceTx,
  type StartInput,
  setPausedTx,
  startInstancesTx,
  startInstanceTx,
} from "./engine/engine.ts";
export { fireDue, runFlowStep, sweep } from "./engine/jobs.ts";
export { flowsModule } from "./flows.module.ts";
export { type Caller, createFlow, publishFlow, saveDraft } from "./flows.service.ts";
export { flowLifecycle, flowStages } from "./stages.ts";

import type { Platform } from "../../platform/platform.ts";
import { type StartInput, startInstancesTx, startInstanceTx } from "./engine/engine.ts";

/** Starts an instance in its own transaction (null when the re-entry rule refuses). */
export function startInstance(
  platform: Platform,
  tenantId: string,
  input: StartInput,
): Promise<string | null> {
  return platform.db.tenant(tenantId, (s) => startInstanceTx(platform, s, input));
}

/** Input of one instance of a burst start (`startInstances`). */
export type BurstInput = Omit<StartInput, "flowId">;

/**
 * Starts many instances of one flow (a burst: a segment entering a flow), 500 per transaction.
 * Returns each instance id in input order (null where the re-entry rule refused).
 */
export async function startInstances(
  platform: Platform,
  tenantId: string,
  flowId: string,
  inputs: ReadonlyArray<BurstInput>,
): Promise<Array<string | null>> {
  const ids: Array<string | null> = [];
  for (let i = 0; i < inputs.length; i += 500) {
    const chunk = inputs.slice(i, i + 500);
    ids.push(...(await platform.db.tenant(tenantId, (s) => startInstancesTx(platform, s, flowId, chunk))));
  }
  return ids;
}
