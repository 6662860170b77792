import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Siyu, startSiyu } from "../../../boot.ts";
import { getWecomSandbox } from "../../../sandbox/index.ts";
import { dbKinds, freshDatabase, type TestDatabase } from "../../../testing/databases.ts";
import { waitFor } from "../../../testing/wecom-world.ts";
import { wireDemoTenant } from "../ops/wire-demo.ts";

const adminEmail = "owner@demo.example";
const adminPassword = "Demo-Owner-Passw0rd";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

describe.each(dbKinds)("demo tenant wired to the in-app WeCom sandbox (%s)", (kind) => {
  let fresh: TestDatabase;
  let dataDir: string;
  let port: number;
  let siyu: Siyu | undefined;
  const masterKey = randomBytes(32).toString("base64");

  const boot = async () => {
    const s = await startSiyu({
      db: fresh.db,
      listen: true,
      env: {
        SIYU_DATA_DIR: dataDir,
        SIYU_ADMIN_EMAIL: adminEmail,
        SIYU_ADMIN_PASSWORD: adminPassword,
        SIYU_DEMO: "1",
        SIYU_SANDBOX: "1",
        SIYU_MASTER_KEY: masterKey,
        PORT: String(port),
        HOST: "127.0.0.1",
        SIYU_PUBLIC_URL: `http://127.0.0.1:${port}`,
        LOG_LEVEL: "silent",
        ...(fresh.url ? { DATABASE_URL: fresh.url } : {}),
      },
    });
    return s;
  };
  const api = async (token: string, path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status, path).toBe(200);
    return (await res.json()) as { items: Array<Record<string, unknown>> };
  };
  const login = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: adminEmail, password: adminPassword }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  };

  beforeAll(async () => {
    fresh = await freshDatabase(kind, { migrated: true });
    dataDir = mkdtempSync(join(tmpdir(), "siyu-demo-"));
    port = await freePort();
  });
  afterAll(async () => {
    await siyu?.stop();
    await fresh?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("the first start shows WeCom staff (linked to the demo logins), ~30 customers with tags and groups", async () => {
    siyu = await boot();
    const token = await login();
    const run = await waitFor(
      "first full sync",
      async () => {
        const runs = await api(token, "/api/wecom/sync");
        const r = runs.items[0];
        return r && (r.status === "completed" || r.status === "failed") ? r : undefined;
      },
      90_000,
    );
    expect(run).toMatchObject({ kind: "all", status: "completed" });

    const staff = (await api(token, "/api/wecom/staff")).items;
    const byId = new Map(staff.map((s) => [s.userid, s]));
    for (const u of ["wangdianzhang", "lidaogou", "zhangshifu"]) {
      expect(byId.get(u)?.userId, u).toMatch(/^usr_/);
      expect(byId.get(u)?.contacts, u).toBe(10);
    }
    expect(byId.get("chenkuaiji")).toMatchObject({ hasContactPermission: false });

    // The demo tenant also has Official Account followers (some of them these same people, by unionid).
    const isWecom = (c: Record<string, unknown>) =>
      (c.identities as Array<{ type: string }>).some((i) => i.type === "wecom_external_userid");
    const customers = (await api(token, "/api/customers?limit=100")).items.filter(isWecom);
    expect(customers).toHaveLength(30);
    for (const c of customers) {
      expect(c.name).toMatch(/^[\u4e00-\u9fff]{2,3}$/);
      expect(c.tags).toHaveLength(2);
      expect(c.ownerUserIds).toHaveLength(1);
    }
    const groups = (await api(token, "/api/wecom/groups")).items;
    expect(groups.map((g) => g.name).sort()).toEqual(["华东门店VIP客户群", "新品体验官"]);
    const tags = (await api(token, "/api/tags")).items.map((t) => t.name);
    expect(tags).toEqual(expect.arrayContaining(["VIP", "护肤", "会员日"]));
  }, 120_000);

  it("a second start neither seeds, re-saves settings, nor syncs again", async () => {
    const sandboxBefore = getWecomSandbox(siyu?.platform);
    const corpBefore = [...(sandboxBefore?.corps.values() ?? [])][0];
    expect(corpBefore).toBeDefined();
    await siyu?.stop();
    siyu = await boot();
    const token = await login();
    const corp = getWecomSandbox(siyu.platform)?.corp(corpBefore?.corpId ?? "");
    // Persisted across the restart: same corp, same contacts, no second batch.
    expect(corp?.contacts.size).toBe(30);
    expect(corp?.groups.size).toBe(2);
    const audits = await siyu.platform.db.query<{ n: number }>(
      "select count(*)::int as n from audit_log where action like 'wecom.settings_%'",
    );
    expect(audits[0]?.n).toBe(1);
    // Give a (wrong) second sync time to appear.
    await new Promise((r) => setTimeout(r, 3000));
    const runs = (await api(token, "/api/wecom/sync")).items;
    expect(runs).toHaveLength(1);
    const wecomCustomers = (await api(token, "/api/customers?limit=100")).items.filter(
      (c: Record<string, unknown>) =>
        (c.identities as Array<{ type: string }>).some((i) => i.type === "wecom_external_userid"),
    );
    expect(wecomCustomers).toHaveLength(30);
  }, 60_000);

  it("a demo tenant an owner pointed at another WeCom keeps its settings", async () => {
    if (!siyu) throw new Error("not started");
    const token = await login();
    const put = await fetch(`http://127.0.0.1:${port}/api/settings/wecom`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        corpId: "wwrealcorp0001",
        agentId: "1000002",
        secret: "real-app-secret-000000000000000000000",
        contactSecret: "real-contact-secret-00000000000000000",
        callbackToken: "RealToken01",
        encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        apiBase: "https://wecom.example.invalid",
      }),
    });
    expect(put.status).toBe(200);
    const again = await wireDemoTenant(siyu.platform);
    expect(again).toMatchObject({ seeded: false, settingsSaved: false, syncStarted: false });
    const settings = (await (
      await fetch(`http://127.0.0.1:${port}/api/settings/wecom`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { corpId: string; apiBase: string };
    expect(settings).toMatchObject({ corpId: "wwrealcorp0001", apiBase: "https://wecom.example.invalid" });
  });
});
