import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../platform/db/index.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { type MigratedDatabase, migrateOverOldRows } from "../../../testing/migration-harness.ts";

const T = "ten_oaacct";
const U = "ten_oaacct_none";
const file = "0039_oa_account_scoped.sql";

/** 0039_oa_account_scoped.sql over rows written when they were the tenant's rather than an account's. */
describe.each(dbKinds)("0039_oa_account_scoped on %s", (kind) => {
  let migrated: MigratedDatabase;
  let db: Database;

  beforeAll(async () => {
    migrated = await migrateOverOldRows(kind, file, async (s) => {
      await s.query("insert into tenants (id, name) values ($1, 'T'), ($2, 'U')", [T, U]);
      // T switched from wxOLD to wxNEW before the migration; U never connected an account.
      await s.query(
        `insert into oa_settings (tenant_id, app_id, secret_enc, token_enc, mode, api_base)
         values ($1, 'wxNEW', 'x', 'x', 'safe', 'http://sim')`,
        [T],
      );
      await s.query(
        `insert into oa_followers (tenant_id, app_id, openid, customer_id) values
           ($1, 'wxOLD', 'o_old', 'c_old'), ($1, 'wxNEW', 'o_new', 'c_new'),
           ($1, 'wxOLD', 'o_both', 'c_b1'), ($1, 'wxNEW', 'o_both', 'c_b2')`,
        [T],
      );
      await s.query(
        `insert into oa_tag_map (tenant_id, tag_name, oa_tag_id, oa_tag_name) values ($1, 'VIP', 100, 'VIP')`,
        [T],
      );
      await s.query(
        `insert into oa_menus (id, tenant_id, name, tag_name, buttons, status, menuid, published_at) values
           ('omn_main', $1, 'main', null, '[]', 'published', null, now()),
           ('omn_u', $2, 'draft', null, '[]', 'draft', null, null)`,
        [T, U],
      );
      // A code followed through by wxOLD's follower only (created while wxOLD was connected), one by nobody.
      await s.query(
        `insert into oa_qr_codes (id, tenant_id, name, scene, ticket, url, image_url) values
           ('oqr_old', $1, 'old', 'poster', 't1', 'u', 'i'), ('oqr_quiet', $1, 'quiet', 'quiet', 't2', 'u', 'i')`,
        [T],
      );
      await s.query(
        `insert into oa_qr_events (id, tenant_id, inbox_id, qr_code_id, kind, openid, at) values
           ('oqe_1', $1, 1, 'oqr_old', 'subscribe', 'o_old', now())`,
        [T],
      );
      await s.query(
        `insert into content_recipients (token, tenant_id, customer_id, openid) values
           ('tok_old', $1, null, 'o_old'), ('tok_both', $1, null, 'o_both'), ('tok_cust', $1, 'c_new', null)`,
        [T],
      );
      await s.query(
        `insert into oa_templates (id, tenant_id, template_id, title) values ('otp_1', $1, 'tpl', 'T'),
           ('otp_u', $2, 'tpl', 'U')`,
        [T, U],
      );
      await s.query(
        `insert into oa_template_batches (id, tenant_id, template_id, audience) values ('otb_old', $1, 'tpl', '{}')`,
        [T],
      );
      await s.query(
        `insert into oa_template_sends (id, tenant_id, openid, template_id, client_msg_id, msgid, batch_id) values
           ('ots_1', $1, 'o_old', 'tpl', 'ots_1', 'm1', 'otb_old')`,
        [T],
      );
      await s.query("insert into oa_sync_runs (id, tenant_id, kind) values ('osr_1', $1, 'followers')", [T]);
    });
    db = migrated.db;
  });
  afterAll(() => migrated?.close());

  it("gives each row the account its followers name, else the tenant's account, else none ('')", async () => {
    await db.system(async (s) => {
      const col = (table: string, key: string) =>
        s.query<{ k: string; app_id: string | null }>(
          `select ${key} as k, app_id from ${table} order by ${key}`,
        );
      expect(await col("oa_tag_map", "tag_name")).toEqual([{ k: "VIP", app_id: "wxNEW" }]);
      expect(await col("oa_menus", "id")).toEqual([
        { k: "omn_main", app_id: "wxNEW" },
        { k: "omn_u", app_id: "" },
      ]);
      expect(await col("oa_qr_codes", "id")).toEqual([
        { k: "oqr_old", app_id: "wxOLD" },
        { k: "oqr_quiet", app_id: "wxNEW" },
      ]);
      expect(await col("oa_qr_events", "id")).toEqual([{ k: "oqe_1", app_id: "wxOLD" }]);
      expect(await col("content_recipients", "token")).toEqual([
        { k: "tok_both", app_id: "wxNEW" },
        { k: "tok_cust", app_id: null },
        { k: "tok_old", app_id: "wxOLD" },
      ]);
      expect(await col("oa_templates", "id")).toEqual([
        { k: "otp_1", app_id: "wxNEW" },
        { k: "otp_u", app_id: "" },
      ]);
      expect(await col("oa_template_sends", "id")).toEqual([{ k: "ots_1", app_id: "wxOLD" }]);
      expect(await col("oa_template_batches", "id")).toEqual([{ k: "otb_old", app_id: "wxOLD" }]);
      expect(await col("oa_sync_runs", "id")).toEqual([{ k: "osr_1", app_id: "wxNEW" }]);
      const [edited] = await s.query<{ same: boolean }>(
        "select edited_at = updated_at as same from oa_menus where id = 'omn_main'",
      );
      expect(edited?.same).toBe(true);
    });
    // The keys include the account: another account may have the same tag, scene, template and msgid.
    await db.tenant(T, async (s) => {
      await s.query(
        `insert into oa_tag_map (tenant_id, app_id, tag_name, oa_tag_id, oa_tag_name) values ($1, 'wxOLD', 'VIP', 100, 'VIP')`,
        [T],
      );
      await s.query(
        `insert into oa_qr_codes (id, tenant_id, app_id, name, scene, ticket, url, image_url)
         values ('oqr_new', $1, 'wxNEW', 'new', 'poster', 't3', 'u', 'i')`,
        [T],
      );
      await s.query(
        `insert into oa_templates (id, tenant_id, app_id, template_id, title) values ('otp_2', $1, 'wxOLD', 'tpl', 'T')`,
        [T],
      );
      await s.query(
        `insert into oa_template_sends (id, tenant_id, app_id, openid, template_id, client_msg_id, msgid)
         values ('ots_2', $1, 'wxNEW', 'o_new', 'tpl', 'ots_2', 'm1')`,
        [T],
      );
      await s.query(
        `insert into content_recipients (token, tenant_id, openid, app_id) values ('tok_old2', $1, 'o_old', 'wxNEW')`,
        [T],
      );
    });
    // A follower's token names its account.
    await expect(
      db.tenant(T, (s) =>
        s.query(`insert into content_recipients (token, tenant_id, openid) values ('tok_bad', $1, 'o_x')`, [
          T,
        ]),
      ),
    ).rejects.toThrow();
  });
});
