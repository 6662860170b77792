import type { Actor, AuditLog } from "../../platform/audit/audit.ts";
import type { Config } from "../../platform/config/config.ts";
import { type Database, enterTenant, type Scope } from "../../platform/db/index.ts";
import { AppError } from "../../platform/errors.ts";
import { newId } from "../../platform/ids/ids.ts";
import type { Logger } from "../../platform/logger.ts";
import { checkPasswordPolicy, hashPassword, randomPassword, verifyPassword } from "./password.ts";

export interface CreateTenantInput {
  name: string;
  admin: { email: string; password: string; name?: string };
  platformAdmin?: boolean;
  demo?: boolean;
}

/** Creates a tenant and its first owner in one transaction. */
export async function createTenant(db: Database, audit: AuditLog, actor: Actor, input: CreateTenantInput) {
  checkPasswordPolicy(input.admin.password, input.admin.email);
  const hash = await hashPassword(input.admin.password);
  return db.system((sys) => insertTenant(sys, audit, actor, input, hash));
}

async function insertTenant(
  sys: Scope,
  audit: AuditLog,
  actor: Actor,
  input: CreateTenantInput,
  hash: string,
) {
  const email = input.admin.email.trim().toLowerCase();
  const taken = await sys.query("select 1 from users where lower(email) = $1 and deleted_at is null", [
    email,
  ]);
  if (taken.length) throw new AppError("email_taken", "a user with this e-mail already exists");
  const tenantId = newId("ten");
  const userId = newId("usr");
  await sys.query("insert into tenants (id, name, demo) values ($1, $2, $3)", [
    tenantId,
    input.name,
    input.demo ?? false,
  ]);
  const s = await enterTenant(sys, tenantId);
  await s.query(
    `insert into users (id, tenant_id, email, name, password_hash, roles, platform_admin)
     values ($1, $2, $3, $4, $5, '{owner}', $6)`,
    [userId, tenantId, email, input.admin.name ?? email.split("@")[0], hash, input.platformAdmin ?? false],
  );
  await audit.record(s, actor, {
    action: "tenant.created",
    targetType: "tenant",
    targetId: tenantId,
    data: { name: input.name, owner: email },
  });
  await audit.record(s, actor, {
    action: "user.created",
    targetType: "user",
    targetId: userId,
    data: { email, roles: ["owner"], platformAdmin: input.platformAdmin ?? false },
  });
  return { id: tenantId, name: input.name, ownerId: userId };
}

export async function listTenants(db: Database, q: { limit: number; cursor?: string }) {
  const rows = await db.query<{ id: string; name: string; created_at: Date; status: string; demo: boolean }>(
    `select id, name, created_at, status, demo from tenants where ($2::text is null or id > $2) order by id limit $1`,
    [q.limit + 1, q.cursor ?? null],
  );
  const items = rows.slice(0, q.limit).map((r) => ({
    id: r.id,
    name: r.name,
    status: r.status,
    demo: r.demo,
    createdAt: r.created_at.toISOString(),
  }));
  return { items, nextCursor: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null };
}

const system: Actor = { email: "system" };

/**
 * First boot: with SIYU_ADMIN_EMAIL/PASSWORD, ensure that platform admin (owner of the default
 * tenant); with neither, on an empty database, create an owner and print a one-time login.
 * With demo on and an empty database the default tenant is the demo tenant.
 */
export async function bootstrap(deps: { db: Database; audit: AuditLog; config: Config; log: Logger }) {
  const { db, audit, config, log } = deps;
  const adminHash = config.admin ? await hashPassword(config.admin.password) : undefined;
  const oneTime = config.admin ? undefined : randomPassword();
  const oneTimeHash = oneTime ? await hashPassword(oneTime) : undefined;
  const name = config.demo ? "演示商户 Demo Shop" : "默认租户 Default";
  const ownerEmail = "owner@siyu.local";

  // One transaction under a lock: several processes booting at once create one tenant, not many.
  const outcome = await db.system(async (sys) => {
    await sys.query("select pg_advisory_xact_lock(7261002)");
    const [{ n: tenants } = { n: 0 }] = await sys.query<{ n: number }>(
      "select count(*)::int as n from tenants",
    );
    const empty = tenants === 0;
    let printed = false;
    if (config.admin && adminHash) {
      const email = config.admin.email.toLowerCase();
      const [user] = await sys.query<{
        id: string;
        tenant_id: string;
        password_hash: string;
        platform_admin: boolean;
      }>(
        "select id, tenant_id, password_hash, platform_admin from users where lower(email) = $1 and deleted_at is null",
        [email],
      );
      const [first] = await sys.query<{ id: string }>(
        "select id from tenants order by created_at, id limit 1",
      );
      if (!user && !first) {
        await insertTenant(
          sys,
          audit,
          system,
          { name, admin: { email, password: "", name: "Admin" }, platformAdmin: true, demo: config.demo },
          adminHash,
        );
        log.info({ email }, "platform admin created from SIYU_ADMIN_EMAIL");
      } else if (!user && first) {
        const id = newId("usr");
        await sys.query(
          `insert into users (id, tenant_id, email, name, password_hash, roles, platform_admin)
           values ($1, $2, $3, 'Admin', $4, '{owner}', true)`,
          [id, first.id, email, adminHash],
        );
        const s = await enterTenant(sys, first.id);
        await audit.record(s, system, {
          action: "user.created",
          targetType: "user",
          targetId: id,
          data: { email, roles: ["owner"], platformAdmin: true },
        });
        log.info({ email }, "platform admin created from SIYU_ADMIN_EMAIL");
      } else if (
        user &&
        (!user.platform_admin || !(await verifyPassword(config.admin.password, user.password_hash)))
      ) {
        await sys.query(
          "update users set platform_admin = true, password_hash = $2, status = 'active' where id = $1",
          [user.id, adminHash],
        );
        const s = await enterTenant(sys, user.tenant_id);
        await audit.record(s, system, {
          action: "user.admin_ensured",
          targetType: "user",
          targetId: user.id,
        });
      }
    } else if (empty && oneTimeHash) {
      await insertTenant(
        sys,
        audit,
        system,
        {
          name,
          admin: { email: ownerEmail, password: "", name: "Owner" },
          platformAdmin: true,
          demo: config.demo,
        },
        oneTimeHash,
      );
      printed = true;
    }
    return { empty, printed };
  });

  if (outcome.printed && oneTime) {
    const banner = [
      "",
      "┌──────────────────────────────────────────────────────────┐",
      "│ Siyu first start — one-time owner login (change it now): │",
      `│   URL:      ${config.publicUrl.padEnd(45)}│`,
      `│   e-mail:   ${ownerEmail.padEnd(45)}│`,
      `│   password: ${oneTime.padEnd(45)}│`,
      "└──────────────────────────────────────────────────────────┘",
      "",
    ].join("\n");
    process.stdout.write(`${banner}\n`);
  }
  if (config.demo && outcome.empty) await seedDemo(db, audit);
}

/** Demo tenant content: departments and staff so every page has something to show. */
async function seedDemo(db: Database, audit: AuditLog) {
  const [tenant] = await db.query<{ id: string }>(
    "select id from tenants where demo order by created_at limit 1",
  );
  if (!tenant) return;
  await db.tenant(tenant.id, async (s) => {
    const hq = newId("dep");
    const east = newId("dep");
    await s.query(
      "insert into departments (id, tenant_id, name, parent_id) values ($1, $3, '总部', null), ($2, $3, '华东大区', $1)",
      [hq, east, tenant.id],
    );
    const staff: Array<[string, string, string, string]> = [
      ["manager.demo@siyu.local", "王店长", "manager", east],
      ["agent.demo@siyu.local", "李导购", "agent", east],
      ["tech.demo@siyu.local", "张师傅", "technician", east],
      ["finance.demo@siyu.local", "陈会计", "finance", hq],
    ];
    for (const [email, name, role, dep] of staff) {
      const id = newId("usr");
      // Demo staff get unguessable passwords; an owner can set one from the Users page.
      await s.query(
        `insert into users (id, tenant_id, email, name, password_hash, roles, department_id)
         values ($1, $2, $3, $4, $5, $6, $7)`,
        [id, tenant.id, email, name, await hashPassword(randomPassword()), [role], dep],
      );
    }
    await audit.record(s, system, {
      action: "tenant.demo_seeded",
      targetType: "tenant",
      targetId: tenant.id,
    });
  });
}

/** The demo tenant (the first one marked `demo`), or null when this database has none. */
export async function demoTenantId(db: Database): Promise<string | null> {
  const [tenant] = await db.system((s) =>
    s.query<{ id: string }>("select id from tenants where demo order by created_at, id limit 1"),
  );
  return tenant?.id ?? null;
}
