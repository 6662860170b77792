import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Scope } from "../../../platform/db/index.ts";
import { startTestApp, type TestApp } from "../../../testing/app-harness.ts";
import { dbKinds } from "../../../testing/databases.ts";
import { type CustomerInput, upsertCustomer, upsertCustomers, type Writer } from "../index.ts";

describe.each(dbKinds)("upsertCustomers, the bulk writer (%s)", (kind) => {
  let t: TestApp;
  let tenantId: string;
  let userId: string;
  let writer: Writer;
  const corp = "wwcorp1";

  beforeAll(async () => {
    t = await startTestApp(kind);
    const [tenant] = await t.siyu.platform.db.query<{ id: string }>(
      "select id from tenants order by created_at limit 1",
    );
    tenantId = tenant!.id;
    const [user] = await t.siyu.platform.db.query<{ id: string }>(
      "select id from users where tenant_id = $1 limit 1",
      [tenantId],
    );
    userId = user!.id;
    writer = { platform: t.siyu.platform, actor: {}, cause: "sync" };
  });
  afterAll(async () => {
    await t?.close();
  });

  const tx = <T>(fn: (s: Scope) => Promise<T>) => t.siyu.platform.db.tenant(tenantId, fn);

  async function customer(id: string) {
    const [row] = await tx((s) =>
      s.query<{
        name: string;
        owner_user_ids: string[];
        source: string | null;
        merged_into: string | null;
        tags: string[];
      }>(
        `select c.name, c.owner_user_ids, c.source, c.merged_into,
                array(select t.name from tags t where t.num = any(c.tag_nums) order by t.name) as tags
           from customers c where c.id = $1`,
        [id],
      ),
    );
    return row!;
  }
  const identities = (id: string) =>
    tx((s) =>
      s.query<{ type: string; scope: string; value: string }>(
        "select type, scope, value from customer_identities where customer_id = $1 order by type, value",
        [id],
      ),
    );
  const facts = (id: string) =>
    tx((s) =>
      s.query<{ type: string; data: Record<string, unknown> }>(
        "select type, data from customer_events where customer_id = $1 order by id",
        [id],
      ),
    );
  const published = (id: string) =>
    tx((s) =>
      s.query<{ type: string; payload: Record<string, unknown> }>(
        "select type, payload from outbox where aggregate_type = 'customer' and aggregate_id = $1 order by id",
        [id],
      ),
    );
  const contact = (ext: string, extra: Partial<CustomerInput> = {}): CustomerInput => ({
    name: `客户${ext}`,
    identities: [{ type: "wecom_external_userid", value: ext, scope: corp }],
    source: "wecom",
    ...extra,
  });

  it("writes what upsertCustomer writes: customer, identities, owners, tags, facts and domain events", async () => {
    const input = (p: string): CustomerInput =>
      contact(`${p}_1`, {
        identities: [
          { type: "wecom_external_userid", value: `${p}_1`, scope: corp },
          { type: "unionid", value: `${p}_union` },
        ],
        ownerUserIds: [userId],
        tags: ["企微", "VIP"],
        phone: p === "bulk" ? "13900000001" : "13900000002",
      });
    const [bulk] = await tx((s) => upsertCustomers(s, writer, [input("bulk")]));
    const single = await tx((s) => upsertCustomer(s, writer, input("single")));
    expect(bulk).toMatchObject({ created: true, merged: [], changed: true });
    expect(single.created).toBe(true);
    const a = await customer(bulk!.id);
    const b = await customer(single.id);
    expect({ ...a, name: "" }).toEqual({ ...b, name: "" });
    expect(a).toMatchObject({ owner_user_ids: [userId], source: "wecom", tags: ["VIP", "企微"] });
    expect((await identities(bulk!.id)).map((i) => [i.type, i.scope])).toEqual(
      (await identities(single.id)).map((i) => [i.type, i.scope]),
    );
    expect(await identities(bulk!.id)).toEqual(
      expect.arrayContaining([
        { type: "wecom_external_userid", scope: corp, value: "bulk_1" },
        { type: "unionid", scope: "", value: "bulk_union" },
      ]),
    );
    // The same facts in the same order, and each one published as a domain event.
    // Tags in any order (upsertCustomer's follow the tag table's).
    const strip = (f: Array<{ type: string; data: Record<string, unknown> }>) =>
      f
        .map((x) => ({
          type: x.type,
          // Identity facts name each input's own value.
          data: {
            ...x.data,
            tagId: x.data.tagId ? "t" : undefined,
            value: x.data.value ? "v" : undefined,
          } as Record<string, unknown>,
        }))
        .sort((x, y) =>
          x.type === "customer.tag_added" && y.type === "customer.tag_added"
            ? String(x.data.tag).localeCompare(String(y.data.tag))
            : 0,
        );
    const bulkFacts = await facts(bulk!.id);
    expect(strip(bulkFacts)).toEqual(strip(await facts(single.id)));
    expect(bulkFacts.map((f) => f.type)).toEqual([
      "customer.created",
      "customer.identity_added",
      "customer.identity_added",
      "customer.tag_added",
      "customer.tag_added",
    ]);
    expect((await published(bulk!.id)).map((e) => e.type)).toEqual(bulkFacts.map((f) => f.type));
    expect((await published(bulk!.id))[0]!.payload).toMatchObject({
      customerId: bulk!.id,
      cause: "sync",
      source: "wecom",
    });
  });

  it("makes one customer of the same person given twice in one call (later values win)", async () => {
    const results = await tx((s) =>
      upsertCustomers(s, writer, [
        contact("twice", { name: "先", tags: ["甲"] }),
        contact("other"),
        contact("twice", { name: "后", tags: ["乙"] }),
      ]),
    );
    expect(results[0]!.id).toBe(results[2]!.id);
    expect(results[1]!.id).not.toBe(results[0]!.id);
    expect(results.map((r) => r.created)).toEqual([true, true, false]);
    expect(await customer(results[0]!.id)).toMatchObject({ name: "后", tags: ["乙", "甲"] });
    const f = await facts(results[0]!.id);
    expect(f.filter((x) => x.type === "customer.created")).toHaveLength(1);
    expect(f.filter((x) => x.type === "customer.identity_added")).toHaveLength(1);
  });

  it("finds an existing customer by an identity and updates it; unionid shared by two contacts is one customer", async () => {
    const existing = await tx((s) =>
      upsertCustomer(s, { ...writer, cause: "api" }, { name: "老客户", phone: "13900000009" }),
    );
    const results = await tx((s) =>
      upsertCustomers(s, writer, [
        // Matches the existing customer by phone, brings a new identity and owners.
        contact("ext_a", { name: "新名字", phone: "+86 139 0000 0009", ownerUserIds: [userId] }),
        // Two external contacts (say, of two corps) of one WeChat user.
        contact("ext_b", {
          identities: [
            { type: "wecom_external_userid", value: "ext_b", scope: corp },
            { type: "unionid", value: "u_shared" },
          ],
        }),
        contact("ext_c", {
          name: "",
          identities: [
            { type: "wecom_external_userid", value: "ext_c", scope: "wwcorp2" },
            { type: "unionid", value: "u_shared" },
          ],
        }),
      ]),
    );
    expect(results[0]).toMatchObject({ id: existing.id, created: false, changed: true });
    expect(await customer(existing.id)).toMatchObject({
      name: "新名字",
      owner_user_ids: [userId],
      source: "wecom",
    });
    const f = await facts(existing.id);
    expect(f.slice(1).map((x) => [x.type, x.data.fields ?? x.data.type])).toEqual([
      ["customer.updated", ["name", "owners", "source"]],
      ["customer.identity_added", "wecom_external_userid"],
    ]);
    // The fact names the identity and where it is unique, so the timeline can show it.
    expect(f.at(-1)!.data).toEqual({
      type: "wecom_external_userid",
      scope: corp,
      value: "ext_a",
      cause: "sync",
    });
    expect(results[1]!.id).toBe(results[2]!.id);
    expect(results.slice(1).map((r) => r.created)).toEqual([true, false]);
    expect((await identities(results[1]!.id)).map((i) => `${i.type}/${i.scope}/${i.value}`)).toEqual([
      "unionid//u_shared",
      "wecom_external_userid/wwcorp1/ext_b",
      "wecom_external_userid/wwcorp2/ext_c",
    ]);
    expect(await customer(results[1]!.id)).toMatchObject({ name: "客户ext_b" });
  });

  it("merges two existing customers that the identities prove are one person", async () => {
    const a = await tx((s) => upsertCustomer(s, writer, contact("m_a")));
    const b = await tx((s) =>
      upsertCustomer(s, writer, { name: "m_b", identities: [{ type: "unionid", value: "u_m" }] }),
    );
    const [r] = await tx((s) =>
      upsertCustomers(s, writer, [
        contact("m_a", { identities: [...contact("m_a").identities!, { type: "unionid", value: "u_m" }] }),
      ]),
    );
    expect(r!.id).toBe(a.id);
    expect(r!.merged).toEqual([b.id]);
    expect((await customer(b.id)).merged_into).toBe(a.id);
  });

  it("changes nothing when the same inputs are applied again", async () => {
    const inputs = [
      contact("idem_1", { ownerUserIds: [userId], tags: ["企微"] }),
      contact("idem_2", { identities: [{ type: "unionid", value: "u_idem" }] }),
    ];
    const first = await tx((s) => upsertCustomers(s, writer, inputs));
    const before = await Promise.all(first.map((r) => facts(r.id)));
    const again = await tx((s) => upsertCustomers(s, writer, inputs));
    expect(again.map((r) => r.id)).toEqual(first.map((r) => r.id));
    expect(again.map((r) => [r.created, r.changed])).toEqual([
      [false, false],
      [false, false],
    ]);
    expect(await Promise.all(first.map((r) => facts(r.id)))).toEqual(before);
  });

  it('publish "batch": the facts on the timeline, one customers.upserted event naming the changed customers', async () => {
    const results = await tx((s) =>
      upsertCustomers(s, writer, [contact("batch_1", { tags: ["批"] }), contact("batch_2")], {
        publish: "batch",
      }),
    );
    const ids = results.map((r) => r.id);
    expect((await facts(ids[0]!)).map((f) => f.type)).toEqual([
      "customer.created",
      "customer.identity_added",
      "customer.tag_added",
    ]);
    expect(await published(ids[0]!)).toEqual([]);
    const [event] = await tx((s) =>
      s.query<{ payload: Record<string, unknown> }>(
        "select payload from outbox where type = 'customers.upserted' order by id desc limit 1",
      ),
    );
    expect(event!.payload).toMatchObject({ customerIds: ids, cause: "sync", created: 2, facts: 5 });
    // Nothing changed, nothing published.
    const [before] = await tx((s) => s.query<{ n: number }>("select count(*)::int as n from outbox"));
    await tx((s) =>
      upsertCustomers(s, writer, [contact("batch_1", { tags: ["批"] }), contact("batch_2")], {
        publish: "batch",
      }),
    );
    const [after] = await tx((s) => s.query<{ n: number }>("select count(*)::int as n from outbox"));
    expect(after!.n).toBe(before!.n);
  });

  it("refuses a bad identity like upsertCustomer, writing nothing", async () => {
    await expect(
      tx((s) => upsertCustomers(s, writer, [contact("ok_1"), { name: "x", phone: "not a phone" }])),
    ).rejects.toMatchObject({ code: "validation_failed" });
    const [n] = await tx((s) =>
      s.query<{ n: number }>("select count(*)::int as n from customer_identities where value = 'ok_1'"),
    );
    expect(n!.n).toBe(0);
  });
});
