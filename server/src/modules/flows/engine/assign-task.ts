import type { AssigneeRule } from "@siyu/contracts";
import type { Scope } from "../../../platform/db/index.ts";
import { type Assignees, resolveAssignees } from "../../tasks/index.ts";
import { ownerStaffLogins, staffOfLogins } from "../../wecom/index.ts";

const usesOwners = (rule: AssigneeRule | undefined) =>
  rule !== undefined && ("owner" in rule || ("managerOf" in rule && rule.managerOf === "owner"));

/**
 * The customer's owner logins for an assignee rule: its owner users plus the logins linked to its
 * owner staff (WeCom members who have it as a contact) now — a link an admin set since the last
 * contact sync counts at once. Read only when the rule needs owners.
 */
export async function customerOwners(
  scope: Scope,
  rule: AssigneeRule | undefined,
  customerId: string | null,
  ownerUserIds: string[],
): Promise<{ logins: string[]; staff: string[] }> {
  if (!customerId || !usesOwners(rule)) return { logins: ownerUserIds, staff: [] };
  const staff = await ownerStaffLogins(scope, customerId);
  return { logins: [...new Set([...ownerUserIds, ...staff.logins])], staff: staff.userids };
}

/**
 * Who a flow's staff task goes to, and the WeCom member it is for (`staffUserid`, through the
 * user ↔ member map) when that is one member: the customer's sole owner staff member for an owner
 * rule, or the member linked to the assigned login(s). Several members (or none) → null.
 */
export async function assignTask(
  scope: Scope,
  rule: AssigneeRule,
  customerId: string | null,
  ownerUserIds: string[],
): Promise<{ assignees: Assignees; staffUserid: string | null }> {
  const owners = await customerOwners(scope, rule, customerId, ownerUserIds);
  const assignees = await resolveAssignees(scope, rule, owners.logins);
  const members = new Set("owner" in rule ? owners.staff : []);
  for (const userid of (await staffOfLogins(scope, assignees.userIds)).values()) members.add(userid);
  return { assignees, staffUserid: members.size === 1 ? ([...members][0] ?? null) : null };
}
