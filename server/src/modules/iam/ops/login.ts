import type { Permission, Role } from "@siyu/contracts";
import type { Actor } from "../../../platform/audit/audit.ts";
import { AppError } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { dummyVerify, verifyPassword } from "../password.ts";
import { loadRoleGrants, resolveGrants } from "../permissions.ts";
import { hashToken, newSecretToken } from "../tokens.ts";

/** Failures allowed per e-mail in the window before the account locks for the window. */
export const maxFailuresPerEmail = 5;
/** Failures allowed per client address in the window (slows password spraying across accounts). */
export const maxFailuresPerIp = 30;
export const lockWindowMinutes = 15;

export interface LoginInput {
  email: string;
  password: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface LoginOutput {
  token: string;
  expiresAt: Date;
  user: {
    id: string;
    email: string;
    name: string;
    tenantId: string;
    roles: Role[];
    permissions: Permission[];
    platformAdmin: boolean;
  };
}

interface UserRow {
  id: string;
  tenant_id: string;
  email: string;
  name: string;
  password_hash: string;
  roles: Role[];
  status: string;
  platform_admin: boolean;
  locked_until: Date | null;
  tenant_status: string;
}

export async function login(platform: Platform, input: LoginInput): Promise<LoginOutput> {
  const { db, audit } = platform;
  const email = input.email.trim().toLowerCase();
  const since = `${lockWindowMinutes} minutes`;

  const [counts] = await db.query<{ by_email: number; by_ip: number }>(
    `select
       (select count(*)::int from login_attempts where lower(email) = $1 and not success and at > now() - $3::interval) as by_email,
       (select count(*)::int from login_attempts where ip = $2 and not success and at > now() - $3::interval) as by_ip`,
    [email, input.ip, since],
  );
  if ((counts?.by_email ?? 0) >= maxFailuresPerEmail) {
    throw new AppError("account_locked", `too many failed logins; try again in ${lockWindowMinutes} minutes`);
  }
  if (input.ip && (counts?.by_ip ?? 0) >= maxFailuresPerIp) {
    throw new AppError("rate_limited", "too many failed logins from this address; try again later");
  }

  const [user] = await db.query<UserRow>(
    `select u.id, u.tenant_id, u.email, u.name, u.password_hash, u.roles, u.status, u.platform_admin,
            u.locked_until, t.status as tenant_status
       from users u join tenants t on t.id = u.tenant_id
      where lower(u.email) = $1 and u.deleted_at is null`,
    [email],
  );
  let ok = false;
  if (user) ok = await verifyPassword(input.password, user.password_hash);
  else await dummyVerify(input.password); // same time whether or not the e-mail exists

  const actor: Actor = { userId: user?.id ?? null, email, ip: input.ip, requestId: input.requestId };
  if (!ok || !user || user.status !== "active" || user.tenant_status !== "active") {
    await db.query("insert into login_attempts (email, ip, success) values ($1, $2, false)", [
      email,
      input.ip,
    ]);
    if (user) {
      await db.tenant(user.tenant_id, async (s) => {
        const failures = (counts?.by_email ?? 0) + 1;
        const locked = failures >= maxFailuresPerEmail;
        await s.query(
          `update users set failed_logins = failed_logins + 1,
             locked_until = case when $2 then now() + $3::interval else locked_until end where id = $1`,
          [user.id, locked, since],
        );
        await audit.record(s, actor, {
          action: locked ? "auth.locked" : "auth.login_failed",
          targetType: "user",
          targetId: user.id,
          data: { reason: ok ? "account disabled" : "bad password", failures },
        });
      });
    }
    throw new AppError("invalid_credentials", "wrong e-mail or password");
  }

  const token = newSecretToken("sys");
  const expiresAt = new Date(Date.now() + platform.config.sessionHours * 3600_000);
  const result = await db.tenant(user.tenant_id, async (s) => {
    await s.query(
      `insert into sessions (id, tenant_id, user_id, token_hash, ip, user_agent, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [
        newId("ses"),
        user.tenant_id,
        user.id,
        hashToken(token),
        input.ip,
        input.userAgent?.slice(0, 300) ?? null,
        expiresAt,
      ],
    );
    await s.query("update users set failed_logins = 0, locked_until = null where id = $1", [user.id]);
    await audit.record(s, actor, { action: "auth.login", targetType: "user", targetId: user.id });
    const grants = await loadRoleGrants(s);
    return resolveGrants(grants, user.roles);
  });
  await db.query("insert into login_attempts (email, ip, success) values ($1, $2, true)", [email, input.ip]);
  // A successful login clears the e-mail's failure count.
  await db.query("delete from login_attempts where lower(email) = $1 and not success", [email]);
  if (user.platform_admin) result.permissions.add("tenants.manage");
  return {
    token,
    expiresAt,
    user: {
      id: user.id,
      email: user.email,
      name: user.name,
      tenantId: user.tenant_id,
      roles: user.roles,
      permissions: [...result.permissions],
      platformAdmin: user.platform_admin,
    },
  };
}
