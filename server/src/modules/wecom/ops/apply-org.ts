import type { WecomDepartment, WecomUser } from "../../../connectors/wecom/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { userIdsByEmail } from "../../iam/index.ts";
import { lockStaffLinks } from "./staff-links.ts";

export async function applyDepartments(scope: Scope, departments: WecomDepartment[]): Promise<void> {
  for (const d of departments) {
    await scope.query(
      `insert into wecom_departments (tenant_id, dept_id, name, parent_id, sort_order) values ($1, $2, $3, $4, $5)
       on conflict (tenant_id, dept_id) do update set name = excluded.name, parent_id = excluded.parent_id,
         sort_order = excluded.sort_order, synced_at = now()`,
      [scope.tenantId, d.id, d.name ?? "", d.parentid ?? null, d.order ?? 0],
    );
  }
}

/**
 * Upserts members. A member never linked is linked to the Siyu login with the same e-mail
 * (`user_link = 'email'`), unless that login is linked to another member already (one login ↔ one
 * member). A link once made is never changed here: not an e-mail link, and not an admin's choice
 * (`manual`, which includes having unlinked the member on purpose). WeCom status 5 (left the corp)
 * marks the member resigned.
 */
export async function applyStaff(
  scope: Scope,
  users: WecomUser[],
  contactPermission: ReadonlySet<string>,
): Promise<void> {
  await lockStaffLinks(scope);
  const links = await userIdsByEmail(
    scope,
    users.flatMap((u) => [u.email ?? "", u.biz_mail ?? ""]),
  );
  // Which members may still take an e-mail link, and which logins are taken already.
  const settled = new Set(
    (
      await scope.query<{ userid: string }>(
        "select userid from wecom_staff where userid = any($1::text[]) and (user_id is not null or user_link is not null)",
        [users.map((u) => u.userid)],
      )
    ).map((r) => r.userid),
  );
  const taken = new Set(
    (
      await scope.query<{ user_id: string }>(
        "select user_id from wecom_staff where user_id = any($1::text[])",
        [[...new Set(links.values())]],
      )
    ).map((r) => r.user_id),
  );
  for (const u of users) {
    let linked =
      links.get((u.email ?? "").toLowerCase()) ?? links.get((u.biz_mail ?? "").toLowerCase()) ?? null;
    if (settled.has(u.userid) || (linked && taken.has(linked))) linked = null;
    if (linked) taken.add(linked);
    await scope.query(
      `insert into wecom_staff (tenant_id, userid, name, email, department_ids, leader_userids, has_contact_permission, status, user_id, user_link)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, case when $9::text is null then null else 'email' end)
       on conflict (tenant_id, userid) do update set name = excluded.name, email = excluded.email,
         department_ids = excluded.department_ids, leader_userids = excluded.leader_userids,
         has_contact_permission = excluded.has_contact_permission, status = excluded.status,
         user_id = coalesce(wecom_staff.user_id, excluded.user_id),
         user_link = coalesce(wecom_staff.user_link, excluded.user_link), updated_at = now()`,
      [
        scope.tenantId,
        u.userid,
        u.name ?? u.userid,
        u.email ?? null,
        u.department ?? [],
        u.direct_leader ?? [],
        contactPermission.has(u.userid),
        u.status === 5 ? "resigned" : "active",
        linked,
      ],
    );
  }
  // Members WeCom lists with 客户联系 but that the department walk did not return still count.
  const missing = [...contactPermission].filter((id) => !users.some((u) => u.userid === id));
  for (const userid of missing) {
    await scope.query(
      `insert into wecom_staff (tenant_id, userid, name, has_contact_permission) values ($1, $2, $2, true)
       on conflict (tenant_id, userid) do update set has_contact_permission = true, updated_at = now()`,
      [scope.tenantId, userid],
    );
  }
}

/** Ensures a member row exists for a userid seen in an event before any org sync. */
export async function ensureStaff(scope: Scope, userid: string): Promise<void> {
  await scope.query(
    `insert into wecom_staff (tenant_id, userid, name, has_contact_permission) values ($1, $2, $2, true)
     on conflict (tenant_id, userid) do nothing`,
    [scope.tenantId, userid],
  );
}
