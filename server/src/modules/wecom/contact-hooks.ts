import type { Scope } from "../../platform/db/index.ts";
import type { JobToSend } from "../../platform/jobs/index.ts";
import type { Platform } from "../../platform/platform.ts";

/**
 * The extension point other modules use to react to WeCom contact events without the WeCom module
 * knowing them (channels depends on wecom, never the reverse).
 *
 * Why hooks and not an outbox event: the welcome_code of an add lives 20 s. An outbox event costs a
 * dispatch round and a delivery job on priority 0 behind every other delivery; a hook runs inside the
 * inbox transaction that records the event (once per event: the inbox is unique per WeCom event and
 * marks it processed in the same transaction), so the listener can enqueue its own high-priority job
 * on commit, before WeCom is even read.
 */
export type ContactEventKind = "added" | "half_added" | "deleted_by_staff" | "deleted_by_customer";

export interface ContactEvent {
  /** The inbox row: the event's identity, stable across WeCom's retries. */
  inboxId: number;
  kind: ContactEventKind;
  corpId: string;
  userid: string;
  externalUserid: string;
  /** The contact way's `state` (adds only; "" when none). */
  state: string;
  /** Valid 20 s from `at`, single use (adds only; "" when WeCom gave none). */
  welcomeCode: string;
  /** WeCom's CreateTime. */
  at: Date;
}

export interface ContactAppliedEvent {
  inboxId: number;
  kind: "added" | "half_added";
  userid: string;
  externalUserid: string;
  state: string;
  /** The Siyu customer the contact is; null when it was gone before WeCom could be read. */
  customerId: string | null;
}

/** A customer group's members changed (WeCom's change_external_chat, after the group was applied). */
export interface GroupChangedEvent {
  inboxId: number;
  chatId: string;
  /** Members now (WeCom's member list length). */
  memberCount: number;
  joined: string[];
  left: string[];
  dismissed: boolean;
}

export interface ContactHooks {
  /** In the event job's transaction, after a group's create/update/dismiss event was applied. */
  onGroupChanged: Array<(scope: Scope, event: GroupChangedEvent) => Promise<void>>;
  /**
   * In the callback's own transaction (the inbox's group commit, `Inbox.onStored`), with the fresh
   * contact events of the batch, before WeCom hears its 200: the listener records what it must and
   * returns the jobs to enqueue with the batch. It runs in a savepoint, so when it throws nothing of
   * it stays, and `onEvent` (which runs later for every event) must do the work itself: listeners
   * keep `onEvent` idempotent with what they did here.
   */
  onStored: Array<(scope: Scope, events: ContactEvent[]) => Promise<JobToSend[]>>;
  /** In the inbox transaction, once per event. Keep it short: it is on the callback's path. */
  onEvent: Array<(scope: Scope, event: ContactEvent) => Promise<void>>;
  /**
   * The `source` a new customer gets from an add's state (first non-null answer wins); "wecom"
   * otherwise. Runs in the event job's transaction before the customer is written.
   */
  sourceOf: Array<(scope: Scope, state: string) => Promise<string | null>>;
  /** In the event job's transaction, after the contact became a customer (adds only). */
  onApplied: Array<(scope: Scope, event: ContactAppliedEvent) => Promise<void>>;
}

const registry = new WeakMap<Platform, ContactHooks>();

/** The hooks of one running platform (tests boot several apps in one process). */
export function contactHooks(platform: Platform): ContactHooks {
  let hooks = registry.get(platform);
  if (!hooks) {
    hooks = { onStored: [], onEvent: [], sourceOf: [], onApplied: [], onGroupChanged: [] };
    registry.set(platform, hooks);
  }
  return hooks;
}

const kindOf: Record<string, ContactEventKind> = {
  "change_external_contact.add_external_contact": "added",
  "change_external_contact.add_half_external_contact": "half_added",
  "change_external_contact.del_external_contact": "deleted_by_staff",
  "change_external_contact.del_follow_user": "deleted_by_customer",
};

export function contactEventKind(kind: string): ContactEventKind | undefined {
  return kindOf[kind];
}

/** Member counts of customer groups as the wecom module last synced them (absent: never seen). */
export async function groupMemberCounts(
  scope: Scope,
  chatIds: string[],
): Promise<Map<string, { name: string; memberCount: number; dismissed: boolean }>> {
  if (!chatIds.length) return new Map();
  const rows = await scope.query<{
    chat_id: string;
    name: string;
    member_count: number;
    dismissed_at: Date | null;
  }>("select chat_id, name, member_count, dismissed_at from wecom_groups where chat_id = any($1::text[])", [
    chatIds,
  ]);
  return new Map(
    rows.map((r) => [
      r.chat_id,
      { name: r.name, memberCount: r.member_count, dismissed: r.dismissed_at !== null },
    ]),
  );
}
