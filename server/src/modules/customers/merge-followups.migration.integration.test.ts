import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKinds } from "../../testing/databases.ts";
import { type MigratedDatabase, migrateOverOldRows } from "../../testing/migration-harness.ts";

// 0043 on rows written before merges were followed: rows naming a merged-away profile name its
// surviving profile (a chain followed to its end); rows of live profiles and of other tenants stay.
describe.each(dbKinds)("migration 0043 merge follow-ups (%s)", (kind) => {
  let m: MigratedDatabase;

  beforeAll(async () => {
    m = await migrateOverOldRows(kind, "0043_merge_followups.sql", async (s) => {
      await s.query("insert into tenants (id, name) values ('ten_a', 'A'), ('ten_b', 'B')");
      // A → B → C (a chain), D alone; E of tenant B merged into F.
      await s.query(
        `insert into customers (id, tenant_id, merged_into) values
           ('cus_c', 'ten_a', null), ('cus_b', 'ten_a', 'cus_c'), ('cus_a', 'ten_a', 'cus_b'),
           ('cus_d', 'ten_a', null), ('cus_f', 'ten_b', null), ('cus_e', 'ten_b', 'cus_f')`,
      );
      await s.query(
        `insert into oa_followers (tenant_id, app_id, openid, customer_id) values
           ('ten_a', 'wx1', 'o_a', 'cus_a'), ('ten_a', 'wx1', 'o_d', 'cus_d'), ('ten_b', 'wx2', 'o_e', 'cus_e')`,
      );
      await s.query(
        `insert into wecom_contacts (tenant_id, external_userid, customer_id) values
           ('ten_a', 'wm_b', 'cus_b'), ('ten_a', 'wm_c', 'cus_c')`,
      );
      await s.query(
        `insert into wecom_group_members (tenant_id, chat_id, member_id, type, customer_id) values
           ('ten_a', 'wr_1', 'wm_b', 2, 'cus_b'), ('ten_a', 'wr_1', 'zhangsan', 1, null)`,
      );
      await s.query(
        `insert into channel_adds (id, tenant_id, inbox_id, kind, userid, external_userid, added_at, customer_id) values
           ('cad_1', 'ten_a', 1, 'add', 'zhangsan', 'wm_b', now(), 'cus_a'),
           ('cad_2', 'ten_a', 2, 'add', 'zhangsan', 'wm_d', now(), 'cus_d')`,
      );
    });
  }, 120_000);
  afterAll(async () => {
    await m?.close();
  });

  it("moves rows of merged profiles to their survivors", async () => {
    const q = (sql: string) => m.db.system((s) => s.query<Record<string, unknown>>(sql));
    expect(await q("select openid, customer_id from oa_followers order by openid")).toEqual([
      { openid: "o_a", customer_id: "cus_c" },
      { openid: "o_d", customer_id: "cus_d" },
      { openid: "o_e", customer_id: "cus_f" },
    ]);
    expect(await q("select external_userid, customer_id from wecom_contacts order by 1")).toEqual([
      { external_userid: "wm_b", customer_id: "cus_c" },
      { external_userid: "wm_c", customer_id: "cus_c" },
    ]);
    expect(await q("select member_id, customer_id from wecom_group_members order by 1")).toEqual([
      { member_id: "wm_b", customer_id: "cus_c" },
      { member_id: "zhangsan", customer_id: null },
    ]);
    expect(await q("select id, customer_id from channel_adds order by id")).toEqual([
      { id: "cad_1", customer_id: "cus_c" },
      { id: "cad_2", customer_id: "cus_d" },
    ]);
  });
});
