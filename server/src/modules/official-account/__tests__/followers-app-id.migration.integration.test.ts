import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../platform/db/index.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { type MigratedDatabase, migrateOverOldRows } from "../../../testing/migration-harness.ts";

const T = "ten_oaapp";
const U = "ten_oaapp_nosettings";

/** 0037_oa_per_account.sql over followers written when they were keyed by openid alone. */
describe.each(dbKinds)("0037_oa_per_account on %s", (kind) => {
  let migrated: MigratedDatabase;
  let db: Database;

  beforeAll(async () => {
    migrated = await migrateOverOldRows(kind, "0037_oa_per_account.sql", async (s) => {
      await s.query("insert into tenants (id, name) values ($1, 'T'), ($2, 'U')", [T, U]);
      // The tenant switched from wxOLD to wxNEW before the migration.
      await s.query(
        `insert into oa_settings (tenant_id, app_id, secret_enc, token_enc, mode, api_base)
         values ($1, 'wxNEW', 'x', 'x', 'safe', 'http://sim')`,
        [T],
      );
      await s.query(
        `insert into customers (id, tenant_id, name) values
           ('c_old', $1, 'old'), ('c_new', $1, 'new'), ('c_bare', $1, 'bare'), ('c_u', $2, 'u')`,
        [T, U],
      );
      await s.query(
        `insert into customer_identities (tenant_id, customer_id, type, scope, value) values
           ($1, 'c_old', 'oa_openid', 'wxOLD', 'o_old'), ($1, 'c_new', 'oa_openid', 'wxNEW', 'o_new')`,
        [T],
      );
      await s.query(
        `insert into oa_followers (tenant_id, openid, customer_id, unionid) values
           ($1, 'o_old', 'c_old', 'u1'), ($1, 'o_new', 'c_new', null), ($1, 'o_bare', 'c_bare', null),
           ($2, 'o_u', 'c_u', null)`,
        [T, U],
      );
    });
    db = migrated.db;
  });
  afterAll(() => migrated?.close());

  it("gives each follower the appid its identity names, else the tenant's account; the key includes it", async () => {
    await db.system(async (s) => {
      const rows = await s.query<{ openid: string; app_id: string; unionid: string | null }>(
        "select openid, app_id, unionid from oa_followers order by openid",
      );
      expect(rows).toEqual([
        { openid: "o_bare", app_id: "wxNEW", unionid: null },
        { openid: "o_new", app_id: "wxNEW", unionid: null },
        { openid: "o_old", app_id: "wxOLD", unionid: "u1" },
        { openid: "o_u", app_id: "", unionid: null },
      ]);
    });
    // The same openid string under another appid is another follower.
    await db.tenant(T, async (s) => {
      await s.query(
        "insert into oa_followers (tenant_id, app_id, openid, customer_id) values ($1, 'wxNEW', 'o_old', 'c_new')",
        [T],
      );
      const [n] = await s.query<{ n: number }>(
        "select count(*)::int as n from oa_followers where openid = 'o_old'",
      );
      expect(n?.n).toBe(2);
    });
  });
});
