import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../platform/db/index.ts";
import { dbKinds } from "../../testing/databases.ts";
import { type MigratedDatabase, migrateOverOldRows } from "../../testing/migration-harness.ts";

const T = "ten_tagnum";

/** 0016_tag_numbers.sql over data written with the text[] schema before it. */
describe.each(dbKinds)("0016_tag_numbers on %s", (kind) => {
  let migrated: MigratedDatabase;
  let db: Database;

  beforeAll(async () => {
    migrated = await migrateOverOldRows(kind, "0016_tag_numbers.sql", async (s) => {
      await s.query("insert into tenants (id, name) values ($1, 'T')", [T]);
      await s.query(
        "insert into tags (id, tenant_id, name) values ('tag_a', $1, 'A'), ('tag_b', $1, 'B'), ('tag_c', $1, 'C')",
        [T],
      );
      await s.query(
        `insert into customers (id, tenant_id, name, tag_ids) values
           ('c1', $1, 'one', '{tag_b,tag_a}'), ('c2', $1, 'two', '{}'), ('c3', $1, 'three', '{tag_c}')`,
        [T],
      );
      await s.query(
        `insert into customer_merges (id, tenant_id, target_id, source_id, reason, target_before, source_before)
         values ('mrg_1', $1, 'c1', 'c3', 'test', $2, $3)`,
        [T, JSON.stringify({ id: "c1", tag_ids: ["tag_a"] }), JSON.stringify({ id: "c3", tag_ids: [] })],
      );
    });
    db = migrated.db;
  });
  afterAll(() => migrated?.close());

  it("numbers existing tags and converts customers' tag arrays in order", async () => {
    await db.system(async (s) => {
      const tags = await s.query<{ id: string; num: number }>("select id, num from tags order by id");
      const num = (id: string) => tags.find((t) => t.id === id)!.num;
      expect(new Set(tags.map((t) => t.num)).size).toBe(3);
      const rows = await s.query<{ id: string; tag_nums: number[] }>(
        "select id, tag_nums from customers order by id",
      );
      expect(rows).toEqual([
        { id: "c1", tag_nums: [num("tag_b"), num("tag_a")] },
        { id: "c2", tag_nums: [] },
        { id: "c3", tag_nums: [num("tag_c")] },
      ]);
      const [m] = await s.query<{
        target_before: Record<string, unknown>;
        source_before: Record<string, unknown>;
      }>("select target_before, source_before from customer_merges");
      expect(m!.target_before).toEqual({ id: "c1", tag_nums: [num("tag_a")] });
      expect(m!.source_before).toEqual({ id: "c3", tag_nums: [] });
      const cols = await s.query(
        "select 1 from information_schema.columns where table_name = 'customers' and column_name = 'tag_ids'",
      );
      expect(cols).toHaveLength(0);
    });
  });

  it("numbers new tags from the sequence, also for the app role", async () => {
    await db.tenant(T, async (s) => {
      await s.query("insert into tags (id, tenant_id, name) values ('tag_d', $1, 'D')", [T]);
      const [d] = await s.query<{ num: number }>("select num from tags where id = 'tag_d'");
      const [max] = await s.query<{ m: number }>("select max(num) as m from tags where id <> 'tag_d'");
      expect(d!.num).toBeGreaterThan(max!.m);
    });
  });
});
