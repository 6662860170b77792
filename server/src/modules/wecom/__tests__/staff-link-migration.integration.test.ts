import { mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../../platform/db/index.ts";
import { migrationsDir } from "../../../platform/db/migrate.ts";
import { dbKinds, freshDatabase, type TestDatabase } from "../../../testing/databases.ts";

// 0041 on data of the old shape: e-mail links become `email`, and one login linked to several
// members (older syncs allowed it) keeps only the active member linked first.
describe.each(dbKinds)("migration 0041 wecom_staff user_link (%s)", (kind) => {
  let t: TestDatabase;
  let before: string;

  beforeAll(async () => {
    t = await freshDatabase(kind);
    before = mkdtempSync(join(tmpdir(), "siyu-mig-"));
    for (const f of readdirSync(migrationsDir).filter((f) => /^\d{4}_/.test(f) && f < "0041"))
      symlinkSync(join(migrationsDir, f), join(before, f));
    await migrate(t.db, before);
    await t.db.system(async (s) => {
      await s.query("insert into tenants (id, name) values ('ten_a', 'A'), ('ten_b', 'B')");
      await s.query(
        `insert into wecom_staff (tenant_id, userid, status, user_id, created_at) values
           ('ten_a', 'old_resigned', 'resigned', 'usr_1', now() - interval '3 days'),
           ('ten_a', 'active_first', 'active', 'usr_1', now() - interval '2 days'),
           ('ten_a', 'active_later', 'active', 'usr_1', now() - interval '1 day'),
           ('ten_a', 'alone', 'active', 'usr_2', now()),
           ('ten_a', 'unlinked', 'active', null, now()),
           ('ten_b', 'other_tenant', 'active', 'usr_1', now())`,
      );
    });
  });
  afterAll(async () => {
    await t?.drop();
    if (before) rmSync(before, { recursive: true, force: true });
  });

  it("marks e-mail links and leaves one member per login", async () => {
    expect(await migrate(t.db)).toContain("0041_wecom_staff_link.sql");
    const rows = await t.db.query<{
      tenant_id: string;
      userid: string;
      user_id: string | null;
      user_link: string | null;
    }>("select tenant_id, userid, user_id, user_link from wecom_staff order by tenant_id, userid");
    expect(rows).toEqual([
      { tenant_id: "ten_a", userid: "active_first", user_id: "usr_1", user_link: "email" },
      { tenant_id: "ten_a", userid: "active_later", user_id: null, user_link: null },
      { tenant_id: "ten_a", userid: "alone", user_id: "usr_2", user_link: "email" },
      { tenant_id: "ten_a", userid: "old_resigned", user_id: null, user_link: null },
      { tenant_id: "ten_a", userid: "unlinked", user_id: null, user_link: null },
      { tenant_id: "ten_b", userid: "other_tenant", user_id: "usr_1", user_link: "email" },
    ]);
    await expect(
      t.db.system((s) => s.query("update wecom_staff set user_id = 'usr_2' where userid = 'active_first'")),
    ).rejects.toThrow(/wecom_staff_user|unique/);
  });
});
