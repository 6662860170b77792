import type { Platform } from "../../../platform/platform.ts";

export const removeOaMenuJob = "official-account.remove-menu";

/** `:r<n>` for the n-th retry an operator asked for: a fresh job and a fresh stored step. */
export const retrySuffix = (retries: number) => (retries > 0 ? `:r${retries}` : "");

/**
 * Enqueues the removal of a deleted menu from the account `appId` (after its transaction commits; the
 * sweep covers a crash). `retries` is the menu's `removal_retries`: each operator retry is its own
 * job. The appid is in the key: a menu published on two accounts is removed from each.
 */
export function enqueueMenuRemoval(
  platform: Platform,
  tenantId: string,
  menuId: string,
  appId: string,
  retries = 0,
) {
  return platform.jobs.send(
    removeOaMenuJob,
    { tenantId, menuId },
    { key: `menu-remove:${appId}:${menuId}${retrySuffix(retries)}` },
  );
}
