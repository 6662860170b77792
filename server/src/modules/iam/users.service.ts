import type { Role, UserDto } from "@siyu/contracts";
import type { Actor, AuditLog } from "../../platform/audit/audit.ts";
import type { Scope } from "../../platform/db/index.ts";
import { AppError, notFound } from "../../platform/errors.ts";
import type { EventBus } from "../../platform/events/index.ts";
import { newId } from "../../platform/ids/ids.ts";
import { iamEvents, type UserDeactivatedPayload } from "./events.ts";
import { checkPasswordPolicy, hashPassword } from "./password.ts";

interface UserRow {
  id: string;
  tenant_id: string;
  email: string;
  name: string;
  roles: Role[];
  department_id: string | null;
  status: "active" | "disabled";
  platform_admin: boolean;
  created_at: Date;
}

const columns = "id, tenant_id, email, name, roles, department_id, status, platform_admin, created_at";

export function toUserDto(r: UserRow): UserDto {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    tenantId: r.tenant_id,
    roles: r.roles,
    departmentId: r.department_id,
    status: r.status,
    platformAdmin: r.platform_admin,
    createdAt: r.created_at.toISOString(),
  };
}

export async function listUsers(scope: Scope, q: { q?: string; limit: number; cursor?: string }) {
  const params: unknown[] = [q.limit + 1];
  const where = ["deleted_at is null"];
  if (q.cursor) {
    params.push(q.cursor);
    where.push(`id > $${params.length}`);
  }
  if (q.q) {
    params.push(`%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(email ilike $${params.length} or name ilike $${params.length})`);
  }
  const rows = await scope.query<UserRow>(
    `select ${columns} from users where ${where.join(" and ")} order by id limit $1`,
    params,
  );
  const more = rows.length > q.limit;
  const items = rows.slice(0, q.limit).map(toUserDto);
  return { items, nextCursor: more ? (items.at(-1)?.id ?? null) : null };
}

export async function getUser(scope: Scope, id: string): Promise<UserDto> {
  const [row] = await scope.query<UserRow>(
    `select ${columns} from users where id = $1 and deleted_at is null`,
    [id],
  );
  if (!row) throw notFound("user");
  return toUserDto(row);
}

export interface CreateUserInput {
  email: string;
  password: string;
  name: string;
  roles: Role[];
  departmentId?: string | null;
  platformAdmin?: boolean;
}

export async function createUser(scope: Scope, audit: AuditLog, actor: Actor, input: CreateUserInput) {
  checkPasswordPolicy(input.password, input.email);
  const email = input.email.trim().toLowerCase();
  const taken = await scope.query("select 1 from users where lower(email) = $1 and deleted_at is null", [
    email,
  ]);
  if (taken.length) throw new AppError("email_taken", "a user with this e-mail already exists");
  if (input.departmentId) await assertDepartment(scope, input.departmentId);
  const id = newId("usr");
  const hash = await hashPassword(input.password);
  try {
    await scope.query(
      `insert into users (id, tenant_id, email, name, password_hash, roles, department_id, platform_admin)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        id,
        scope.tenantId,
        email,
        input.name,
        hash,
        dedupe(input.roles),
        input.departmentId ?? null,
        input.platformAdmin ?? false,
      ],
    );
  } catch (err) {
    // The e-mail may belong to a user of another tenant, invisible here but unique platform-wide.
    if ((err as { code?: string }).code === "23505") {
      throw new AppError("email_taken", "a user with this e-mail already exists");
    }
    throw err;
  }
  await audit.record(scope, actor, {
    action: "user.created",
    targetType: "user",
    targetId: id,
    data: { email, roles: dedupe(input.roles) },
  });
  return getUser(scope, id);
}

export interface UpdateUserInput {
  name?: string;
  roles?: Role[];
  departmentId?: string | null;
  status?: "active" | "disabled";
}

/** What changing users needs besides the scope: the audit log, and the bus for `user.deactivated`. */
export interface UserWriter {
  audit: AuditLog;
  events: EventBus;
}

export async function updateUser(
  scope: Scope,
  w: UserWriter,
  actor: Actor,
  id: string,
  input: UpdateUserInput,
) {
  const { audit } = w;
  const before = await getUser(scope, id);
  if (input.departmentId) await assertDepartment(scope, input.departmentId);
  const roles = input.roles ? dedupe(input.roles) : before.roles;
  const status = input.status ?? before.status;
  if (before.roles.includes("owner") && (!roles.includes("owner") || status !== "active")) {
    await assertAnotherOwner(scope, id);
  }
  await scope.query(
    `update users set name = $2, roles = $3, department_id = $4, status = $5, updated_at = now() where id = $1`,
    [
      id,
      input.name ?? before.name,
      roles,
      input.departmentId === undefined ? before.departmentId : input.departmentId,
      status,
    ],
  );
  if (status === "disabled" && before.status !== "disabled") {
    await scope.query("update sessions set revoked_at = now() where user_id = $1 and revoked_at is null", [
      id,
    ]);
    await publishDeactivated(scope, w.events, actor, id, "disabled");
  }
  const rolesChanged = roles.join(",") !== before.roles.join(",");
  await audit.record(scope, actor, {
    action: rolesChanged ? "user.roles_changed" : "user.updated",
    targetType: "user",
    targetId: id,
    data: {
      ...(rolesChanged ? { before: before.roles, after: roles } : {}),
      ...(input.status && input.status !== before.status ? { status: input.status } : {}),
      ...(input.name && input.name !== before.name ? { name: input.name } : {}),
    },
  });
  return getUser(scope, id);
}

export async function setPassword(scope: Scope, audit: AuditLog, actor: Actor, id: string, password: string) {
  const user = await getUser(scope, id);
  checkPasswordPolicy(password, user.email);
  await scope.query(
    "update users set password_hash = $2, password_changed_at = now(), failed_logins = 0, locked_until = null, updated_at = now() where id = $1",
    [id, await hashPassword(password)],
  );
  // A new password ends every session of the account.
  await scope.query("update sessions set revoked_at = now() where user_id = $1 and revoked_at is null", [id]);
  await audit.record(scope, actor, { action: "user.password_set", targetType: "user", targetId: id });
}

/**
 * Deletes a login (soft: the row stays for the audit trail and the ids that name it; its e-mail is
 * free again). Its sessions end; a tenant keeps at least one active owner.
 */
export async function deleteUser(scope: Scope, w: UserWriter, actor: Actor, id: string): Promise<void> {
  const before = await getUser(scope, id);
  if (before.roles.includes("owner") && before.status === "active") await assertAnotherOwner(scope, id);
  await scope.query("update users set deleted_at = now(), updated_at = now() where id = $1", [id]);
  await scope.query("update sessions set revoked_at = now() where user_id = $1 and revoked_at is null", [id]);
  await w.audit.record(scope, actor, {
    action: "user.deleted",
    targetType: "user",
    targetId: id,
    data: { email: before.email },
  });
  await publishDeactivated(scope, w.events, actor, id, "deleted");
}

async function assertAnotherOwner(scope: Scope, id: string): Promise<void> {
  const [{ n } = { n: 0 }] = await scope.query<{ n: number }>(
    "select count(*)::int as n from users where 'owner' = any(roles) and status = 'active' and deleted_at is null and id <> $1",
    [id],
  );
  if (n === 0) throw new AppError("last_owner", "a tenant keeps at least one active owner");
}

function publishDeactivated(
  scope: Scope,
  events: EventBus,
  actor: Actor,
  userId: string,
  reason: UserDeactivatedPayload["reason"],
) {
  return events.publish<UserDeactivatedPayload & Record<string, unknown>>(scope, {
    type: iamEvents.userDeactivated,
    aggregateType: "user",
    aggregateId: userId,
    payload: { userId, reason, actorId: actor.userId ?? null },
  });
}

async function assertDepartment(scope: Scope, id: string) {
  const rows = await scope.query("select 1 from departments where id = $1", [id]);
  if (!rows.length) throw new AppError("validation_failed", "unknown department", { field: "departmentId" });
}

function dedupe<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Active users of the scope's tenant by lower-cased e-mail (to link outside accounts to logins). */
export async function userIdsByEmail(scope: Scope, emails: string[]): Promise<Map<string, string>> {
  const wanted = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
  if (wanted.length === 0) return new Map();
  const rows = await scope.query<{ id: string; email: string }>(
    "select id, lower(email) as email from users where lower(email) = any($1::text[]) and deleted_at is null and status = 'active'",
    [wanted],
  );
  return new Map(rows.map((r) => [r.email, r.id]));
}

/**
 * The managers of these users (for approval escalation and "manager of" assignee rules): active
 * users with the manager role in the same department; none when the users have no department.
 */
export async function managersOf(scope: Scope, userIds: string[]): Promise<string[]> {
  if (!userIds.length) return [];
  const rows = await scope.query<{ id: string }>(
    `select distinct m.id from users u join users m on m.department_id = u.department_id
      where u.id = any($1::text[]) and u.department_id is not null and m.deleted_at is null
        and m.status = 'active' and 'manager' = any(m.roles) and m.id <> u.id`,
    [userIds],
  );
  return rows.map((r) => r.id);
}
