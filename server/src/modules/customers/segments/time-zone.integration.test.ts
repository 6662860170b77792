import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../platform/db/index.ts";
import { migrate } from "../../../platform/db/index.ts";
import { dbKinds, freshDatabase } from "../../../testing/databases.ts";
import { compileCondition } from "./compile.ts";
import { parseSegment } from "./parse.ts";

const SH = "ten_tz_sh"; // no zone set: the default, Asia/Shanghai (UTC+8)
const NY = "ten_tz_ny"; // America/New_York, whose DST ends on 2026-11-01

/** Customers and the instant each was created. */
const created: Record<string, Array<[string, string]>> = {
  [SH]: [
    ["sh_before", "2026-10-31T15:59:59Z"], // 23:59:59 on 31 October in Shanghai
    ["sh_after", "2026-10-31T16:00:00Z"], // 00:00:00 on 1 November in Shanghai (still 31 October in UTC)
    ["sh_later", "2026-11-01T10:00:00Z"],
  ],
  [NY]: [
    ["ny_before", "2026-11-01T03:59:59Z"], // 23:59:59 EDT on 31 October
    ["ny_after", "2026-11-01T04:00:00Z"], // 00:00 EDT on 1 November
    ["ny_late", "2026-11-02T04:30:00Z"], // 23:30 EST on 1 November (the clocks went back an hour)
    ["ny_next", "2026-11-02T05:00:00Z"], // 00:00 EST on 2 November
  ],
};

describe.each(dbKinds)("segment dates in the tenant's time zone (%s)", (kind) => {
  let db: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await freshDatabase(kind, { migrated: true });
    db = fresh.db;
    drop = fresh.drop;
    await migrate(db);
    await db.system(async (s) => {
      await s.query("insert into tenants (id, name) values ($1, 'SH')", [SH]);
      await s.query("insert into tenants (id, name, timezone) values ($1, 'NY', 'America/New_York')", [NY]);
    });
    for (const [tenant, rows] of Object.entries(created)) {
      await db.tenant(tenant, async (s) => {
        for (const [id, at] of rows)
          await s.query("insert into customers (id, tenant_id, name, created_at) values ($1, $2, $1, $3)", [
            id,
            tenant,
            at,
          ]);
      });
    }
  });
  afterAll(async () => {
    await drop?.();
  });

  /** Members of the segment, evaluated with the database session in `sessionZone`. */
  async function members(tenant: string, text: string, sessionZone: string): Promise<string[]> {
    return db.tenant(tenant, async (s) => {
      await s.query(`set local timezone = '${sessionZone}'`);
      const cond = await compileCondition(s, parseSegment(text));
      const rows = await s.query<{ id: string }>(
        `select c.id from customers c where ${cond.sql} order by c.created_at`,
        cond.params,
      );
      return rows.map((r) => r.id);
    });
  }

  // Sessions far from both tenants: UTC, and UTC+14 (a date there is a day ahead of New York).
  for (const session of ["UTC", "Pacific/Kiritimati"]) {
    it(`a date means midnight where the tenant is, with the session in ${session}`, async () => {
      expect(await members(SH, 'created_at >= "2026-11-01"', session)).toEqual(["sh_after", "sh_later"]);
      expect(await members(SH, 'created_at < "2026-11-01"', session)).toEqual(["sh_before"]);
      expect(await members(SH, 'created_at > "2026-11-01 08:00"', session)).toEqual(["sh_later"]);
      expect(await members(NY, 'created_at >= "2026-11-01"', session)).toEqual([
        "ny_after",
        "ny_late",
        "ny_next",
      ]);
      // Across the DST change: 1 November in New York lasts 25 hours.
      expect(await members(NY, 'created_at >= "2026-11-01" AND created_at < "2026-11-02"', session)).toEqual([
        "ny_after",
        "ny_late",
      ]);
      expect(await members(NY, 'NOT created_at < "2026-11-02"', session)).toEqual(["ny_next"]);
    });

    it(`a value with an offset is an instant, with the session in ${session}`, async () => {
      expect(await members(SH, 'created_at >= "2026-11-01T00:00:00Z"', session)).toEqual(["sh_later"]);
      expect(await members(SH, 'created_at >= "2026-11-01T00:00:00+08:00"', session)).toEqual([
        "sh_after",
        "sh_later",
      ]);
      expect(await members(NY, 'created_at < "2026-11-01T04:00:00Z"', session)).toEqual(["ny_before"]);
    });
  }

  it("follows a change of the tenant's zone, and falls back to Asia/Shanghai for a zone it cannot use", async () => {
    await db.system((s) => s.query("update tenants set timezone = 'UTC' where id = $1", [SH]));
    expect(await members(SH, 'created_at >= "2026-11-01"', "Asia/Shanghai")).toEqual(["sh_later"]);
    await db.system((s) => s.query("update tenants set timezone = 'Mars/Olympus' where id = $1", [SH]));
    expect(await members(SH, 'created_at >= "2026-11-01"', "UTC")).toEqual(["sh_after", "sh_later"]);
    await db.system((s) => s.query("update tenants set timezone = 'Asia/Shanghai' where id = $1", [SH]));
  });
});
