import type { WecomStaffDto } from "@siyu/contracts";
import type { Actor } from "../../../platform/audit/audit.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { AppError, notFound } from "../../../platform/errors.ts";
import type { Platform } from "../../../platform/platform.ts";
import { customerFacts, updateCustomer, type Writer } from "../../customers/index.ts";
import { getUser } from "../../iam/index.ts";
import { lockStaffLinks } from "./staff-links.ts";

interface StaffRow {
  userid: string;
  name: string;
  department_ids: Array<string | number>;
  has_contact_permission: boolean;
  status: "active" | "resigned";
  user_id: string | null;
  user_link: "email" | "manual" | null;
  contacts: number;
}

const staffColumns = `s.userid, s.name, s.department_ids, s.has_contact_permission, s.status, s.user_id, s.user_link,
  (select count(*)::int from wecom_follows f where f.userid = s.userid and f.deleted_at is null) as contacts`;

export function toStaffDto(r: StaffRow): WecomStaffDto {
  return {
    userid: r.userid,
    name: r.name,
    departmentIds: r.department_ids.map(Number),
    hasContactPermission: r.has_contact_permission,
    status: r.status,
    userId: r.user_id,
    userLink: r.user_link,
    contacts: r.contacts,
  };
}

/** A page of members by userid (keyset), one more than `limit` when there is a next page. */
export async function listStaff(scope: Scope, limit: number, after: string | null): Promise<StaffRow[]> {
  return scope.query<StaffRow>(
    `select ${staffColumns} from wecom_staff s where ($2::text is null or s.userid > $2) order by s.userid limit $1`,
    [limit, after],
  );
}

export interface LinkStaffInput {
  /** The WeCom member. */
  userid: string;
  /** The Siyu login to link, or null to unlink. */
  userId: string | null;
}

/**
 * Links a WeCom member to a Siyu login by hand, or unlinks it. The link is marked `manual`, so org
 * syncs never overwrite it (nor re-link an unlinked member by e-mail). One login ↔ at most one
 * member: a login linked elsewhere is refused (409), never taken over silently. Who sees whose
 * customers follows the link, so each change is audited, and the customers the member follows now
 * are re-owned in the same transaction (the old login out, the new one in).
 */
export async function linkStaff(
  scope: Scope,
  c: { platform: Platform; actor: Actor },
  input: LinkStaffInput,
): Promise<WecomStaffDto> {
  await lockStaffLinks(scope);
  const [member] = await scope.query<{ user_id: string | null; user_link: StaffRow["user_link"] }>(
    "select user_id, user_link from wecom_staff where userid = $1 for update",
    [input.userid],
  );
  if (!member) throw notFound("WeCom member");
  if (input.userId !== null) {
    const user = await getUser(scope, input.userId).catch((err: unknown) => {
      if (err instanceof AppError && err.code === "not_found") return null;
      throw err;
    });
    if (user?.status !== "active")
      throw new AppError("unknown_user", "no active user with this id in the tenant", {
        userId: input.userId,
      });
    const [other] = await scope.query<{ userid: string; name: string }>(
      "select userid, name from wecom_staff where user_id = $1 and userid <> $2",
      [input.userId, input.userid],
    );
    if (other)
      throw new AppError(
        "staff_link_conflict",
        "this user is linked to another WeCom member; unlink it there first",
        {
          userId: input.userId,
          linkedUserid: other.userid,
          linkedName: other.name,
        },
      );
  }
  if (member.user_id !== input.userId || member.user_link !== "manual") {
    await scope.query(
      "update wecom_staff set user_id = $2, user_link = 'manual', updated_at = now() where userid = $1",
      [input.userid, input.userId],
    );
    await c.platform.audit.record(scope, c.actor, {
      action: input.userId ? "wecom.staff_linked" : "wecom.staff_unlinked",
      targetType: "wecom_staff",
      targetId: input.userid,
      data: { userId: input.userId, previousUserId: member.user_id, previousLink: member.user_link },
    });
    if (member.user_id !== input.userId)
      await reownCustomers(
        scope,
        { platform: c.platform, actor: c.actor, cause: "manual" },
        input.userid,
        member.user_id,
      );
  }
  const [row] = await scope.query<StaffRow>(`select ${staffColumns} from wecom_staff s where s.userid = $1`, [
    input.userid,
  ]);
  return toStaffDto(row!);
}

/**
 * The customers `userid` follows now get as owners their current owners without the member's former
 * login, plus the logins of all their active follow staff (as a contact sync would set them).
 */
async function reownCustomers(scope: Scope, w: Writer, userid: string, formerLogin: string | null) {
  const rows = await scope.query<{ customer_id: string; logins: string[] }>(
    `with mine as (
       select distinct coalesce(cu.merged_into, c.customer_id) as customer_id
         from wecom_follows f join wecom_contacts c on c.external_userid = f.external_userid
         left join customers cu on cu.id = c.customer_id
        where f.userid = $1 and f.deleted_at is null)
     select m.customer_id,
            coalesce(array_agg(distinct s.user_id) filter (where s.user_id is not null), '{}') as logins
       from mine m
       join wecom_contacts c on c.customer_id = m.customer_id
         or c.customer_id in (select id from customers where merged_into = m.customer_id)
       join wecom_follows f on f.external_userid = c.external_userid and f.deleted_at is null
       left join wecom_staff s on s.userid = f.userid
      group by m.customer_id
      order by m.customer_id`,
    [userid],
  );
  for (const r of rows) {
    const facts = await customerFacts(scope, r.customer_id);
    if (!facts) continue;
    const next = [...new Set([...facts.ownerUserIds.filter((u) => u !== formerLogin), ...r.logins])].sort();
    if (next.join() === [...facts.ownerUserIds].sort().join()) continue;
    await updateCustomer(scope, w, r.customer_id, { ownerUserIds: next });
  }
}

/**
 * A login disabled or deleted in Siyu loses its WeCom member (the iam module's `user.deactivated`):
 * the member is unlinked, audited with the reason, and the customers it follows lose the login as an
 * owner. A manual link stays `manual` (an org sync does not re-link the member by e-mail; an admin
 * links it again by hand); an e-mail link goes back to never-linked, so once the login is active again
 * the next org sync links it by e-mail as before. Idempotent: a login without a member changes nothing.
 * Returns the member that was unlinked.
 */
export async function unlinkLogin(
  scope: Scope,
  c: { platform: Platform; actor: Actor },
  input: { userId: string; reason: "user_disabled" | "user_deleted" },
): Promise<string | null> {
  await lockStaffLinks(scope);
  const [member] = await scope.query<{ userid: string; user_link: StaffRow["user_link"] }>(
    "select userid, user_link from wecom_staff where user_id = $1 for update",
    [input.userId],
  );
  if (!member) return null;
  await scope.query(
    `update wecom_staff set user_id = null, user_link = case when user_link = 'manual' then 'manual' end,
       updated_at = now() where userid = $1`,
    [member.userid],
  );
  await c.platform.audit.record(scope, c.actor, {
    action: "wecom.staff_unlinked",
    targetType: "wecom_staff",
    targetId: member.userid,
    data: {
      userId: null,
      previousUserId: input.userId,
      previousLink: member.user_link,
      reason: input.reason,
    },
  });
  await reownCustomers(
    scope,
    { platform: c.platform, actor: c.actor, cause: "manual" },
    member.userid,
    input.userId,
  );
  return member.userid;
}
