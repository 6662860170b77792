import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminEmail, startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { maxFailuresPerEmail } from "../ops/login.ts";
import { hashToken } from "../tokens.ts";

describe.each(dbKinds)("auth, users, roles, API keys (%s)", (kind) => {
  let t: TestApp;
  let owner: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    owner = await t.login();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("login answers token and user as CONTRACT.md says; bad credentials → 401", async () => {
    const res = await t.call("POST", "/api/auth/login", {
      body: { email: adminEmail.toUpperCase(), password: "Adm1n-Passw0rd!" },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.token).toMatch(/^sys_/);
    expect(body.user).toMatchObject({
      id: expect.stringMatching(/^usr_/),
      email: adminEmail,
      tenantId: expect.stringMatching(/^ten_/),
      roles: ["owner"],
    });
    const bad = await t.call("POST", "/api/auth/login", {
      body: { email: adminEmail, password: "wrong-password" },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error.code).toBe("invalid_credentials");
    const nobody = await t.call("POST", "/api/auth/login", {
      body: { email: "nobody@example.com", password: "wrong-password" },
    });
    expect(nobody.statusCode).toBe(401);
    expect(nobody.json().error.message).toBe(bad.json().error.message);
  });

  it("passwords are stored as scrypt hashes, never in clear", async () => {
    const rows = await t.siyu.platform.db.query<{ password_hash: string }>(
      "select password_hash from users where email = $1",
      [adminEmail],
    );
    expect(rows[0]?.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(rows[0]?.password_hash).not.toContain("Adm1n");
  });

  it("logout revokes the token", async () => {
    const token = await t.login();
    expect((await t.call("GET", "/api/auth/me", { token })).statusCode).toBe(200);
    expect((await t.call("POST", "/api/auth/logout", { token })).statusCode).toBe(200);
    const after = await t.call("GET", "/api/auth/me", { token });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe("token_revoked");
  });

  it("an expired token → 401 token_expired", async () => {
    const token = await t.login();
    await t.siyu.platform.db.query(
      "update sessions set expires_at = now() - interval '1 minute' where token_hash = $1",
      [hashToken(token)],
    );
    const res = await t.call("GET", "/api/auth/me", { token });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe("token_expired");
  });

  it(`locks an account after ${maxFailuresPerEmail} failed logins, even for the right password`, async () => {
    const email = "lockme@example.com";
    const create = await t.call("POST", "/api/users", {
      token: owner,
      body: { email, password: "Right-Passw0rd", name: "Lock", roles: ["agent"] },
    });
    expect(create.statusCode).toBe(201);
    for (let i = 0; i < maxFailuresPerEmail; i++) {
      const res = await t.call("POST", "/api/auth/login", {
        body: { email, password: `wrong-${i}-password` },
      });
      expect(res.statusCode).toBe(401);
    }
    const locked = await t.call("POST", "/api/auth/login", { body: { email, password: "Right-Passw0rd" } });
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe("account_locked");
    const audit = await t.call("GET", "/api/audit?action=auth.locked", { token: owner });
    if (audit.statusCode === 200) expect(audit.json().items.length).toBeGreaterThanOrEqual(1);
  });

  it("agents cannot manage users (403) and see no user admin", async () => {
    const email = "agent1@example.com";
    await t.call("POST", "/api/users", {
      token: owner,
      body: { email, password: "Agent-Passw0rd", name: "Agent", roles: ["agent"] },
    });
    const agent = await t.login(email, "Agent-Passw0rd");
    const res = await t.call("POST", "/api/users", {
      token: agent,
      body: { email: "x@example.com", password: "Xxxx-Passw0rd", name: "X", roles: ["owner"] },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("forbidden");
    expect((await t.call("GET", "/api/users", { token: agent })).statusCode).toBe(403);
    expect(
      (
        await t.call("POST", "/api/tenants", {
          token: agent,
          body: { name: "T", admin: { email: "t@example.com", password: "Tttt-Passw0rd" } },
        })
      ).statusCode,
    ).toBe(403);
  });

  it("an admin cannot create an owner; the last owner cannot be demoted", async () => {
    await t.call("POST", "/api/users", {
      token: owner,
      body: { email: "admin2@example.com", password: "Admin2-Passw0rd", name: "Admin 2", roles: ["admin"] },
    });
    const admin = await t.login("admin2@example.com", "Admin2-Passw0rd");
    const res = await t.call("POST", "/api/users", {
      token: admin,
      body: { email: "o2@example.com", password: "Owner2-Passw0rd", name: "O", roles: ["owner"] },
    });
    expect(res.statusCode).toBe(403);
    const me = (await t.call("GET", "/api/auth/me", { token: owner })).json();
    const demote = await t.call("PATCH", `/api/users/${me.user.id}`, {
      token: owner,
      body: { roles: ["admin"] },
    });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().error.code).toBe("last_owner");
  });

  it("role changes take effect at once and are audited with before and after", async () => {
    await t.call("POST", "/api/users", {
      token: owner,
      body: { email: "fin@example.com", password: "Finance-Passw0rd", name: "Fin", roles: ["finance"] },
    });
    const fin = await t.login("fin@example.com", "Finance-Passw0rd");
    expect((await t.call("GET", "/api/users", { token: fin })).statusCode).toBe(403);
    const put = await t.call("PUT", "/api/roles/finance", {
      token: owner,
      body: { permissions: ["users.read", "customers.read"], dataScope: "all" },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json().permissions).toEqual(["customers.read", "users.read"]);
    expect((await t.call("GET", "/api/users", { token: fin })).statusCode).toBe(200);
    const ownerRole = await t.call("PUT", "/api/roles/owner", {
      token: owner,
      body: { permissions: [], dataScope: "own" },
    });
    expect(ownerRole.statusCode).toBe(403);
    const rows = await t.siyu.platform.db.query<{
      action: string;
      data: { before: unknown; after: unknown };
    }>(
      "select action, data from audit_log where action = 'role.permissions_changed' and target_id = 'finance'",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.data.after).toEqual({ permissions: ["customers.read", "users.read"], dataScope: "all" });
  });

  it("user role changes are audited; disabling a user ends their sessions", async () => {
    const created = await t.call("POST", "/api/users", {
      token: owner,
      body: { email: "temp@example.com", password: "Temp-Passw0rd", name: "Temp", roles: ["agent"] },
    });
    const id = created.json().id;
    const temp = await t.login("temp@example.com", "Temp-Passw0rd");
    const patch = await t.call("PATCH", `/api/users/${id}`, {
      token: owner,
      body: { roles: ["manager"], status: "disabled" },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json()).toMatchObject({ roles: ["manager"], status: "disabled" });
    expect((await t.call("GET", "/api/auth/me", { token: temp })).statusCode).toBe(401);
    const rows = await t.siyu.platform.db.query<{ data: { before: string[]; after: string[] } }>(
      "select data from audit_log where action = 'user.roles_changed' and target_id = $1",
      [id],
    );
    expect(rows[0]?.data).toMatchObject({ before: ["agent"], after: ["manager"] });
  });

  it("API keys authenticate with their scopes only, and can be revoked", async () => {
    const created = await t.call("POST", "/api/api-keys", {
      token: owner,
      body: { name: "ERP", scopes: ["users.read"] },
    });
    expect(created.statusCode).toBe(201);
    const { key, id } = created.json();
    expect(key).toMatch(/^sk_/);
    expect((await t.call("GET", "/api/users", { token: key })).statusCode).toBe(200);
    expect(
      (
        await t.call("POST", "/api/users", {
          token: key,
          body: { email: "k@example.com", password: "Key-Passw0rd", name: "K", roles: ["agent"] },
        })
      ).statusCode,
    ).toBe(403);
    const list = await t.call("GET", "/api/api-keys", { token: owner });
    expect(JSON.stringify(list.json())).not.toContain(key);
    expect((await t.call("DELETE", `/api/api-keys/${id}`, { token: owner })).statusCode).toBe(200);
    const after = await t.call("GET", "/api/users", { token: key });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe("token_revoked");
  });

  it("a key cannot carry permissions its creator lacks", async () => {
    await t.call("POST", "/api/users", {
      token: owner,
      body: { email: "mgr@example.com", password: "Manager-Passw0rd", name: "Mgr", roles: ["manager"] },
    });
    await t.call("PUT", "/api/roles/manager", {
      token: owner,
      body: { permissions: ["users.read", "apikeys.manage"], dataScope: "department" },
    });
    const mgr = await t.login("mgr@example.com", "Manager-Passw0rd");
    const res = await t.call("POST", "/api/api-keys", {
      token: mgr,
      body: { name: "X", scopes: ["users.manage"] },
    });
    expect(res.statusCode).toBe(403);
  });

  it("platform admin creates a tenant whose owner can log in; weak passwords are refused", async () => {
    const weak = await t.call("POST", "/api/tenants", {
      token: owner,
      body: { name: "Weak", admin: { email: "w@example.com", password: "short" } },
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error.code).toBe("weak_password");
    const res = await t.call("POST", "/api/tenants", {
      token: owner,
      body: { name: "连锁门店", admin: { email: "chain@example.com", password: "Chain-Passw0rd" } },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ id: expect.stringMatching(/^ten_/), name: "连锁门店" });
    const token = await t.login("chain@example.com", "Chain-Passw0rd");
    const me = (await t.call("GET", "/api/auth/me", { token })).json();
    expect(me.tenant.name).toBe("连锁门店");
    expect(me.user.roles).toEqual(["owner"]);
    const dup = await t.call("POST", "/api/tenants", {
      token: owner,
      body: { name: "Dup", admin: { email: "chain@example.com", password: "Chain-Passw0rd" } },
    });
    expect(dup.statusCode).toBe(409);
  });
});
