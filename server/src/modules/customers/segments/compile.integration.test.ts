import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../platform/db/index.ts";
import { migrate } from "../../../platform/db/index.ts";
import { dbKinds, freshDatabase } from "../../../testing/databases.ts";
import { compileCondition } from "./compile.ts";
import { parseSegment } from "./parse.ts";

const A = "ten_seg_a";
const B = "ten_seg_b";

/** A dozen customers of tenant A; names are the ids' suffixes so failures read well. */
const customers: Array<{
  id: string;
  tags?: string[];
  attrs?: Record<string, unknown>;
  name?: string;
  email?: string;
  source?: string;
  stage?: string;
  ageDays?: number;
}> = [
  { id: "c01", tags: ["t_vip"], attrs: { city: "上海", age: 35 } },
  { id: "c02", tags: ["t_vip", "t_churn"], attrs: { city: "上海" } },
  { id: "c03", tags: ["t_vip"], attrs: { city: "北京", age: 25 } },
  { id: "c04", tags: ["t_vip"], attrs: { city: "北京", age: "thirty" } },
  { id: "c05", attrs: { city: "上海", age: 40 } },
  { id: "c06", tags: ["t_new"], attrs: { age: 30 }, name: "张三" },
  { id: "c07", tags: ["t_vip", "t_gold"], attrs: { age: 31.5, birthday: "1990-05-01" } },
  { id: "c08", tags: ["t_gold"], attrs: { city: "上海" }, email: "c08@example.com", source: "youzan" },
  { id: "c09", attrs: {} },
  { id: "c10", attrs: { age: null, vip: true, birthday: "2001-12-24" } },
  { id: "c11", name: "50%_off sale", attrs: { note: "100%" } },
  { id: "c12", attrs: { vip: false, age: { n: 1 } }, source: "wecom", stage: "customer", ageDays: 30 },
];

/** order.paid events: customer → days ago. */
const paid: Record<string, number[]> = { c01: [5, 20, 60], c03: [100], c07: [40], c08: [1, 2, 3, 4] };

describe.each(dbKinds)("compileCondition on %s", (kind) => {
  let db: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await freshDatabase(kind, { migrated: true });
    db = fresh.db;
    drop = fresh.drop;
    await migrate(db);
    await db.system((s) => s.query("insert into tenants (id, name) values ($1, 'A'), ($2, 'B')", [A, B]));
    await db.tenant(A, async (s) => {
      for (const [id, name] of [
        ["t_vip", "VIP"],
        ["t_churn", "流失"],
        ["t_new", "New"],
        ["t_gold", "Gold"],
        ["t_gone", "Gone"],
      ] as const) {
        await s.query(
          `insert into tags (id, tenant_id, name, deleted_at) values ($1, $2, $3, ${id === "t_gone" ? "now()" : "null"})`,
          [id, A, name],
        );
      }
      for (const c of customers) {
        await s.query(
          `insert into customers (id, tenant_id, name, email, attributes, tag_nums, source, lifecycle_stage, created_at)
           values ($1, $2, $3, $4, $5,
                   (select coalesce(array_agg(t.num), '{}') from tags t where t.id = any($6::text[])),
                   $7, $8, now() - make_interval(days => $9))`,
          [
            c.id,
            A,
            c.name ?? c.id,
            c.email ?? null,
            JSON.stringify(c.attrs ?? {}),
            c.tags ?? [],
            c.source ?? null,
            c.stage ?? null,
            c.ageDays ?? 0,
          ],
        );
      }
      for (const [id, days] of Object.entries(paid)) {
        for (const d of days) {
          await s.query(
            "insert into customer_events (tenant_id, customer_id, type, at) values ($1, $2, 'order.paid', now() - make_interval(days => $3))",
            [A, id, d],
          );
        }
      }
      await s.query(
        "insert into customer_events (tenant_id, customer_id, type) values ($1, 'c05', 'form.submitted')",
        [A],
      );
    });
    // Tenant B has its own VIP tag and a customer carrying it.
    await db.tenant(B, async (s) => {
      await s.query("insert into tags (id, tenant_id, name) values ('t_vip_b', $1, 'VIP')", [B]);
      await s.query(
        "insert into customers (id, tenant_id, name, tag_nums) values ('b01', $1, 'b', array[(select num from tags where id = 't_vip_b')])",
        [B],
      );
    });
  });
  afterAll(async () => {
    await drop?.();
  });

  async function members(text: string, tenant = A): Promise<string[]> {
    return db.tenant(tenant, async (s) => {
      const cond = await compileCondition(s, parseSegment(text), { alias: "c", firstParam: 2 });
      const rows = await s.query<{ id: string }>(
        `select c.id from customers c where c.id <> $1 and ${cond.sql} order by c.id`,
        ["nobody", ...cond.params],
      );
      return rows.map((r) => r.id);
    });
  }

  const all = customers.map((c) => c.id);
  const except = (...ids: string[]) => all.filter((id) => !ids.includes(id));

  it("tags: AND, NOT, OR, case-insensitive names", async () => {
    expect(await members('tag("VIP")')).toEqual(["c01", "c02", "c03", "c04", "c07"]);
    expect(await members('tag("vip") AND NOT tag("流失")')).toEqual(["c01", "c03", "c04", "c07"]);
    expect(await members('tag("VIP") AND tag("Gold")')).toEqual(["c07"]);
    expect(await members('tag("Gold") OR tag("New")')).toEqual(["c06", "c07", "c08"]);
    expect(await members('NOT tag("VIP")')).toEqual(except("c01", "c02", "c03", "c04", "c07"));
    expect(await members('NOT tag("VIP") OR NOT tag("Gold")')).toEqual(except("c07"));
    expect(await members('NOT (tag("VIP") OR tag("Gold"))')).toEqual(
      except("c01", "c02", "c03", "c04", "c07", "c08"),
    );
    expect(await members('tag("VIP") AND NOT tag("流失") AND NOT tag("Gold")')).toEqual([
      "c01",
      "c03",
      "c04",
    ]);
  });

  it("tenant B resolves its own tags only", async () => {
    expect(await members('tag("VIP")', B)).toEqual(["b01"]);
  });

  it("unknown and deleted tags are false, and are reported", async () => {
    expect(await members('tag("Nope")')).toEqual([]);
    expect(await members('tag("Gone")')).toEqual([]);
    expect(await members('NOT tag("Nope")')).toEqual(all);
    expect(await members('tag("Nope") OR tag("New")')).toEqual(["c06"]);
    expect(await members('tag("VIP") AND NOT tag("Nope")')).toEqual(["c01", "c02", "c03", "c04", "c07"]);
    // A pruned branch must not leave unused parameters behind.
    expect(await members('attr.city = "上海" AND (tag("Nope") OR tag("Nope2"))')).toEqual([]);
    expect(await members('attr.city = "上海" OR (tag("Nope") AND attr.age > 1)')).toEqual([
      "c01",
      "c02",
      "c05",
      "c08",
    ]);
    const warnings = await db.tenant(
      A,
      async (s) =>
        (await compileCondition(s, parseSegment('tag("Nope") OR tag("VIP") OR tag("Gone")'))).warnings,
    );
    expect(warnings.map((w) => [w.code, w.tag])).toEqual([
      ["unknown_tag", "Nope"],
      ["unknown_tag", "Gone"],
    ]);
  });

  it("compiles the tag fast path to array operators with bound tag numbers only", async () => {
    const cond = await db.tenant(A, (s) =>
      compileCondition(s, parseSegment('tag("VIP") AND tag("Gold") AND NOT tag("流失")'), {
        alias: "x",
        firstParam: 3,
      }),
    );
    const nums = await db.tenant(A, (s) => s.query<{ id: string; num: number }>("select id, num from tags"));
    const num = (id: string) => nums.find((t) => t.id === id)!.num;
    expect(cond.sql).toBe("(x.tag_nums @> $3::int4[] AND NOT (x.tag_nums && $4::int4[]))");
    expect(cond.params).toEqual([[num("t_vip"), num("t_gold")], [num("t_churn")]]);
    const or = await db.tenant(A, (s) => compileCondition(s, parseSegment('tag("VIP") OR tag("Gold")')));
    expect(or.sql).toBe("(c.tag_nums && $1::int4[])");
  });

  it("keeps every literal out of the SQL text", async () => {
    const evil = "x') or 1=1 --";
    const cond = await db.tenant(A, (s) =>
      compileCondition(
        s,
        parseSegment(
          `tag("${evil}") OR attr.city = "${evil}" OR name contains "${evil}" OR has_event("${evil}")`,
        ),
      ),
    );
    expect(cond.sql).not.toContain("1=1");
    expect(cond.sql).not.toContain("--");
    expect(cond.params).toContain(evil);
    expect(await members(`tag("${evil}") OR attr.city = "${evil}"`)).toEqual([]);
  });

  it("attributes: text, numbers, booleans, in, contains, exists", async () => {
    expect(await members('attr.city = "上海"')).toEqual(["c01", "c02", "c05", "c08"]);
    expect(await members('attr.city != "上海"')).toEqual(except("c01", "c02", "c05", "c08"));
    expect(await members('attr.city = "上海" OR attr.age >= 30')).toEqual([
      "c01",
      "c02",
      "c05",
      "c06",
      "c07",
      "c08",
    ]);
    expect(await members("attr.age >= 30")).toEqual(["c01", "c05", "c06", "c07"]);
    expect(await members("attr.age > 30.5 AND attr.age < 40")).toEqual(["c01", "c07"]);
    expect(await members("attr.age = 30")).toEqual(["c06"]);
    expect(await members("NOT attr.age >= 30")).toEqual(except("c01", "c05", "c06", "c07"));
    expect(await members("attr.age != 30")).toEqual(except("c06"));
    expect(await members("attr.age in [25, 40]")).toEqual(["c03", "c05"]);
    expect(await members('attr.city in ["北京", "广州"]')).toEqual(["c03", "c04"]);
    expect(await members("attr.vip = true")).toEqual(["c10"]);
    expect(await members("attr.vip = false")).toEqual(["c12"]);
    expect(await members("exists(attr.age)")).toEqual(["c01", "c03", "c04", "c05", "c06", "c07", "c12"]);
    expect(await members("NOT exists(attr.city)")).toEqual(["c06", "c07", "c09", "c10", "c11", "c12"]);
    expect(await members('attr.birthday >= "1995-01-01"')).toEqual(["c10"]);
    expect(await members('attr.note contains "%"')).toEqual(["c11"]);
    expect(await members('attr.note contains "1_0"')).toEqual([]);
  });

  it("a value of the wrong type never makes a numeric test throw", async () => {
    // c04 has age "thirty", c10 has null, c12 has an object: all simply do not match.
    expect(await members("attr.age > 0")).toEqual(["c01", "c03", "c05", "c06", "c07"]);
    expect(await members("attr.city > 0 OR attr.age <= 25")).toEqual(["c03"]);
    expect(await members("attr.age in [1, 2]")).toEqual([]);
  });

  it("standard fields", async () => {
    expect(await members('name contains "张"')).toEqual(["c06"]);
    expect(await members('name contains "50%_"')).toEqual(["c11"]);
    expect(await members('name contains "0%x"')).toEqual([]);
    expect(await members('email = "c08@example.com"')).toEqual(["c08"]);
    expect(await members("exists(email)")).toEqual(["c08"]);
    expect(await members('source in ["youzan", "wecom"]')).toEqual(["c08", "c12"]);
    expect(await members('source != "youzan"')).toEqual(except("c08"));
    expect(await members('lifecycle_stage = "customer"')).toEqual(["c12"]);
    expect(await members("created_at within 7d")).toEqual(except("c12"));
    expect(await members("NOT created_at within 7d")).toEqual(["c12"]);
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000).toISOString();
    expect(await members(`created_at < "${tenDaysAgo}"`)).toEqual(["c12"]);
  });

  it("events: has_event and count_event over windows", async () => {
    expect(await members('has_event("order.paid")')).toEqual(["c01", "c03", "c07", "c08"]);
    expect(await members('has_event("order.paid", 30d)')).toEqual(["c01", "c08"]);
    expect(await members('has_event("order.paid", 72h)')).toEqual(["c08"]);
    expect(await members('NOT has_event("order.paid", 50d)')).toEqual(except("c01", "c08", "c07"));
    expect(await members('count_event("order.paid", 90d) >= 3')).toEqual(["c01", "c08"]);
    expect(await members('count_event("order.paid", 90d) = 1')).toEqual(["c07"]);
    expect(await members('count_event("order.paid") = 0')).toEqual(except("c01", "c03", "c07", "c08"));
    expect(await members('count_event("order.paid", 30d) < 4 AND has_event("order.paid")')).toEqual([
      "c01",
      "c03",
      "c07",
    ]);
    expect(await members('has_event("form.submitted")')).toEqual(["c05"]);
  });

  it("the spec's example end to end", async () => {
    expect(
      await members(
        'tag("VIP") AND NOT tag("流失") AND (attr.city = "上海" OR attr.age >= 30) AND has_event("order.paid", 30d) AND count_event("order.paid", 90d) >= 3',
      ),
    ).toEqual(["c01"]);
  });
});
