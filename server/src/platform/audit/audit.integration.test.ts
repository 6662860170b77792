import { auditEntrySchema } from "@siyu/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  openTestDatabase,
  type TestDatabase,
  dbKinds as testDatabaseKinds,
} from "../../testing/databases.ts";
import type { Database } from "../db/index.ts";
import { createAuditLog, listAudit } from "./audit.service.ts";
import { GENESIS_HASH } from "./canonical.ts";

const audit = createAuditLog();
const alice = { userId: "usr_alice", email: "alice@example.com", ip: "10.0.0.1", requestId: "req_1" };
const bob = { userId: "usr_bob", email: "bob@example.com" };

describe.each(testDatabaseKinds)("audit log on %s", (kind) => {
  let t: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    t = await openTestDatabase(kind);
    db = t.db;
    await db.system((s) =>
      s.query(
        "insert into tenants (id, name) values ('ten_a', 'A'), ('ten_b', 'B'), ('ten_c', 'C'), ('ten_d', 'D')",
      ),
    );
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("chains rows from the genesis hash and verifies", async () => {
    await db.tenant("ten_a", async (s) => {
      await audit.record(s, alice, { action: "customer.view", targetType: "customer", targetId: "cus_1" });
      await audit.record(s, alice, {
        action: "customer.export",
        data: { count: 3, filters: { z: 1, a: [1, "二"] }, skipped: undefined, at: new Date(0) },
      });
    });
    await db.tenant("ten_a", (s) =>
      audit.record(s, bob, { action: "settings.update", data: { cipher: "sm4" } }),
    );
    const rows = await db.query<{ prev_hash: string; hash: string }>(
      "select prev_hash, hash from audit_log where tenant_id = 'ten_a' order by id",
    );
    expect(rows).toHaveLength(3);
    expect(rows[0]?.prev_hash).toBe(GENESIS_HASH);
    expect(rows[1]?.prev_hash).toBe(rows[0]?.hash);
    expect(rows[2]?.prev_hash).toBe(rows[1]?.hash);
    expect(await db.tenant("ten_a", (s) => audit.verify(s))).toEqual({ ok: true, rows: 3 });
  });

  it("writes nothing when the caller's transaction rolls back", async () => {
    await expect(
      db.tenant("ten_a", async (s) => {
        await audit.record(s, alice, { action: "customer.delete", targetId: "cus_9" });
        throw new Error("action failed");
      }),
    ).rejects.toThrow("action failed");
    const page = await db.tenant("ten_a", (s) => listAudit(s, { action: "customer.delete" }));
    expect(page.items).toEqual([]);
    expect((await db.tenant("ten_a", (s) => audit.verify(s))).ok).toBe(true);
  });

  it("keeps tenants apart: separate chains, and a tenant never sees another's rows", async () => {
    await db.tenant("ten_b", (s) => audit.record(s, bob, { action: "login" }));
    const b = await db.tenant("ten_b", (s) => listAudit(s));
    expect(b.items.map((i) => i.action)).toEqual(["login"]);
    const first = await db.query<{ prev_hash: string }>(
      "select prev_hash from audit_log where tenant_id = 'ten_b'",
    );
    expect(first[0]?.prev_hash).toBe(GENESIS_HASH);
    expect(await db.tenant("ten_b", (s) => audit.verify(s))).toEqual({ ok: true, rows: 1 });
  });

  it("refuses UPDATE and DELETE by the app role and by the owner", async () => {
    await expect(db.tenant("ten_a", (s) => s.query("update audit_log set action = 'x'"))).rejects.toThrow(
      /permission denied|append-only/,
    );
    await expect(db.tenant("ten_a", (s) => s.query("delete from audit_log"))).rejects.toThrow(
      /permission denied|append-only/,
    );
    await expect(db.system((s) => s.query("update audit_log set action = 'x'"))).rejects.toThrow(
      /append-only/,
    );
    await expect(db.system((s) => s.query("delete from audit_log"))).rejects.toThrow(/append-only/);
    await expect(db.system((s) => s.query("truncate audit_log"))).rejects.toThrow(/append-only/);
    expect(await db.tenant("ten_a", (s) => audit.verify(s))).toEqual({ ok: true, rows: 3 });
  });

  it("detects a row changed behind the triggers' back, and a row deleted from the middle", async () => {
    await db.tenant("ten_c", async (s) => {
      for (let i = 0; i < 5; i++) await audit.record(s, alice, { action: `step.${i}`, data: { i } });
    });
    const ids = (
      await db.query<{ id: number }>("select id from audit_log where tenant_id = 'ten_c' order by id")
    ).map((r) => String(r.id));
    const tamper = (sql: string) =>
      db.system((s) =>
        s.exec(`alter table audit_log disable trigger audit_log_no_update; ${sql};
                alter table audit_log enable trigger audit_log_no_update;`),
      );
    await tamper(`update audit_log set data = '{"i": 99}' where id = ${ids[2]}`);
    expect(await db.tenant("ten_c", (s) => audit.verify(s))).toEqual({
      ok: false,
      rows: 3,
      brokenAt: ids[2],
    });
    // Putting the original value back makes the chain whole again: the hash covers content, not history.
    await tamper(`update audit_log set data = '{"i": 2}' where id = ${ids[2]}`);
    expect((await db.tenant("ten_c", (s) => audit.verify(s))).ok).toBe(true);
    await tamper(`delete from audit_log where id = ${ids[1]}`);
    expect(await db.tenant("ten_c", (s) => audit.verify(s))).toEqual({
      ok: false,
      rows: 2,
      brokenAt: ids[2],
    });
    await tamper(`update audit_log set at = at + interval '1 second' where id = ${ids[4]}`);
    expect((await db.tenant("ten_c", (s) => audit.verify(s))).brokenAt).toBe(ids[2]);
  });

  it("lists newest first with filters and cursor pages that match the contract", async () => {
    await db.tenant("ten_d", async (s) => {
      for (let i = 0; i < 7; i++) {
        await audit.record(s, i % 2 ? bob : alice, {
          action: i < 4 ? "customer.view" : "chat.view",
          targetType: i < 4 ? "customer" : "chat",
          targetId: `t${i % 3}`,
          data: { i },
        });
      }
      await audit.record(s, alice, { action: "customer_x.view" }); // `_` in a prefix is literal
    });
    const all = await db.tenant("ten_d", (s) => listAudit(s, { limit: 3 }));
    expect(all.items).toHaveLength(3);
    for (const item of all.items) expect(auditEntrySchema.parse(item)).toEqual(item);
    expect(all.items[0]?.action).toBe("customer_x.view");
    const ids = all.items.map((i) => Number(i.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await db.tenant("ten_d", (s) => listAudit(s, { limit: 3, cursor }));
      seen.push(...page.items.map((i) => i.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toHaveLength(8);
    expect(new Set(seen).size).toBe(8);

    const list = (f: Parameters<typeof listAudit>[1]) => db.tenant("ten_d", (s) => listAudit(s, f));
    expect((await list({ action: "customer." })).items.map((i) => (i.data as { i: number }).i)).toEqual([
      3, 2, 1, 0,
    ]);
    expect((await list({ action: "customer_" })).items).toHaveLength(1);
    expect((await list({ actorId: "usr_bob" })).items).toHaveLength(3);
    expect(
      (await list({ targetType: "chat", targetId: "t1" })).items.map((i) => (i.data as { i: number }).i),
    ).toEqual([4]);
    const first = all.items.at(-1);
    expect((await list({ from: "2999-01-01T00:00:00Z" })).items).toEqual([]);
    expect((await list({ to: "2000-01-01T00:00:00Z" })).items).toEqual([]);
    expect((await list({ from: first?.at })).items.length).toBeGreaterThanOrEqual(3);
    expect(all.items[0]).toMatchObject({
      actorId: "usr_alice",
      actorEmail: "alice@example.com",
      ip: "10.0.0.1",
    });
    await expect(list({ cursor: "1; drop" })).rejects.toThrow(/invalid audit cursor/);
  });

  it.skipIf(kind !== "postgres")("20 concurrent writers of one tenant keep one unbroken chain", async () => {
    await db.system((s) => s.query("insert into tenants (id, name) values ('ten_conc', 'Concurrent')"));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.tenant("ten_conc", async (s) => {
          await audit.record(s, alice, { action: "concurrent", data: { i } });
          // Hold the transaction a little so writers really overlap.
          await s.query("select pg_sleep(0.01)");
        }),
      ),
    );
    const result = await db.tenant("ten_conc", (s) => audit.verify(s));
    expect(result).toEqual({ ok: true, rows: 20 });
    const forks = await db.query<{ n: number }>(
      "select count(*)::int as n from (select prev_hash from audit_log where tenant_id = 'ten_conc' group by prev_hash having count(*) > 1) x",
    );
    expect(forks[0]?.n).toBe(0);
  });
});
