import type { Scope } from "../../../platform/db/index.ts";
import { ownerStaffOf } from "./owner-staff.ts";

/**
 * Serialises writers of the user ↔ member map in a tenant (an admin's link and an org sync's e-mail
 * match), so the one-login-one-member check they make before writing still holds when they commit.
 */
export async function lockStaffLinks(scope: Scope): Promise<void> {
  await scope.query("select pg_advisory_xact_lock(hashtext($1))", [`wecom-staff-link:${scope.tenantId}`]);
}

/** The linked Siyu login of each of these WeCom members (members without a link are absent). */
export async function loginsOfStaff(scope: Scope, userids: string[]): Promise<Map<string, string>> {
  if (!userids.length) return new Map();
  const rows = await scope.query<{ userid: string; user_id: string }>(
    "select userid, user_id from wecom_staff where userid = any($1::text[]) and user_id is not null",
    [[...new Set(userids)]],
  );
  return new Map(rows.map((r) => [r.userid, r.user_id]));
}

/** The WeCom member linked to each of these Siyu logins (logins without a member are absent). */
export async function staffOfLogins(scope: Scope, userIds: string[]): Promise<Map<string, string>> {
  if (!userIds.length) return new Map();
  const rows = await scope.query<{ userid: string; user_id: string }>(
    "select userid, user_id from wecom_staff where user_id = any($1::text[])",
    [[...new Set(userIds)]],
  );
  return new Map(rows.map((r) => [r.user_id, r.userid]));
}

/**
 * A customer's owner staff (WeCom members who have it as a contact now) and their linked logins.
 * Read at the time of asking, so a link an admin set since the last contact sync counts at once.
 */
export async function ownerStaffLogins(
  scope: Scope,
  customerId: string,
): Promise<{ userids: string[]; logins: string[] }> {
  const userids = await ownerStaffOf(scope, customerId);
  const logins = await loginsOfStaff(scope, userids);
  return { userids, logins: [...new Set(userids.map((u) => logins.get(u)).filter((u) => u !== undefined))] };
}
