import type { ContactChannel, ContactPurpose } from "@siyu/contracts";
import type { z } from "zod";
import type { Scope } from "../../../platform/db/index.ts";
import type { Platform } from "../../../platform/platform.ts";

/**
 * Actions a flow's `action` node can run (`{"action":"customer.add_tag","tag":"VIP"}`), registered
 * by the modules that own the effect, each with its own params schema (checked at publish and shown
 * to the designer as JSON Schema).
 *
 * - `transactional`: `run` gets `ctx.scope`, the instance's own transaction; its database effects
 *   commit together with the token's move to the next node, so they happen exactly once.
 * - `external`: `run` is called outside any transaction (an HTTP call, a WeCom message); its result
 *   is stored under `ctx.stepKey` right after (runStep), so a retried job replays it instead of
 *   calling again. Pass `ctx.stepKey` to outside systems that take an idempotency key.
 *
 * Throw `FlowActionError` with `permanent: true` for failures no retry can fix (the node's `error`
 * edge is taken at once); anything else is retried with backoff, then takes the `error` edge.
 *
 * Marketing guardrails: an action that touches a customer on a marketing channel declares `guard`.
 * Before it runs, the engine reserves the touch with the contact policy (ref = the step key, so a
 * retry never counts twice; inside the instance's transaction, so a rollback releases it):
 * `deny` → the node's `blocked`/`error` edge or, per its `onBlocked` param, on without the touch
 * (the reason stays in the node's history); `defer` (quiet hours) → the token waits on a durable
 * timer until `notBefore`, then the node runs again and reserves again. Hook for the Official Account
 * module: its `oa.send_template` action declares `guard: () => ({ channel: "oa_template", purpose })`.
 */
export interface FlowActionDefinition<P = Record<string, unknown>> {
  action: string;
  title: string;
  params: z.ZodType<P>;
  kind: "transactional" | "external";
  /**
   * Transactional and pure: reads at most customer facts (through `evaluate`), writes nothing, its
   * effect is only `setVars`. The engine runs it inline without a savepoint or flushing its writes.
   */
  pure?: boolean;
  run(ctx: FlowActionContext, params: P): Promise<FlowActionResult | undefined>;
  /** The contact-policy channel and purpose of the touch this action makes (null: none this time). */
  guard?(params: P): { channel: ContactChannel; purpose: ContactPurpose } | null;
  /** Outcome edges (`when`) the node may have besides the unlabelled one and `error` (and `blocked`). */
  outcomes?(params: P): string[];
  /** Expressions inside params, checked at publish (syntax and identifiers). */
  expressions?(params: P): string[];
  /** One line for dry runs: what it would do. */
  describe?(params: P): string;
}

export interface FlowActionResult {
  /** Stored in the node's history (and as the step result). */
  result?: unknown;
  /** Merged into the instance's variables. */
  setVars?: Record<string, unknown>;
  /**
   * Transactional actions with a guard: the action did nothing after all (no channel to the
   * customer), so the engine releases the contact-policy reservation. Only with no other effect.
   */
  untouched?: boolean;
  /**
   * Transactional actions: the token waits (durably) until this flow instance, started by the action
   * in the same transaction, ends; then the node is left by the edge named after the child's end
   * (`completed`/`failed`/`cancelled`, or `timeout` after `timeoutMs`) with `vars.subflow` set.
   */
  awaitInstance?: { instanceId: string; timeoutMs?: number | undefined };
}

export interface FlowActionContext {
  platform: Platform;
  tenantId: string;
  flowId: string;
  version: number;
  instanceId: string;
  nodeId: string;
  tokenId: string;
  step: number;
  /** Unique per visit of this node; stable across retries. */
  stepKey: string;
  customerId: string | null;
  vars: Record<string, unknown>;
  event: { type: string; payload: Record<string, unknown> } | null;
  /** The instance's transaction (transactional actions only). */
  scope?: Scope;
  /** Evaluates an expression over customer/event/vars/instance. */
  evaluate(expression: string): Promise<unknown>;
}

export class FlowActionError extends Error {
  readonly permanent: boolean;
  constructor(message: string, options: { permanent?: boolean } = {}) {
    super(message);
    this.name = "FlowActionError";
    this.permanent = options.permanent ?? false;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: registry of heterogeneous params types
type AnyAction = FlowActionDefinition<any>;
const registries = new WeakMap<Platform, Map<string, AnyAction>>();

/** The actions of one running platform (tests boot several apps in one process). */
export function flowActions(platform: Platform): Map<string, AnyAction> {
  let r = registries.get(platform);
  if (!r) {
    r = new Map();
    registries.set(platform, r);
  }
  return r;
}

/** Registers an action for flows (call from a module's `setup`). */
export function registerAction<P>(platform: Platform, def: FlowActionDefinition<P>): void {
  const r = flowActions(platform);
  if (r.has(def.action)) throw new Error(`flow action ${def.action} registered twice`);
  r.set(def.action, def as AnyAction);
}

/** Event types that can start flows or end an event wait; modules add theirs in `setup`. */
const triggerEventLists = new WeakMap<Platform, string[]>();
export function flowTriggerEvents(platform: Platform): string[] {
  let l = triggerEventLists.get(platform);
  if (!l) {
    l = [
      "customer.created",
      "customer.updated",
      "customer.tag_added",
      "customer.tag_removed",
      "customer.identity_added",
      "customer.merged",
      "customers.upserted",
      "customers.imported",
      "form.submitted",
      "quick_reply.sent",
    ];
    triggerEventLists.set(platform, l);
  }
  return l;
}

/** Lets flows start on (and wait for) another domain event type. Call in `setup`, before start. */
export function registerTriggerEvent(platform: Platform, type: string): void {
  const l = flowTriggerEvents(platform);
  if (!l.includes(type)) l.push(type);
}
