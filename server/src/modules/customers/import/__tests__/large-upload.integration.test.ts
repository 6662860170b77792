import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../../testing/app-harness.ts";
import { dbKinds } from "../../../../testing/databases.ts";

/** A ~100 MB CSV (what a chain exports from its old CRM): uploaded, decoded and staged in full. */
function bigCsv(targetBytes: number): { body: Buffer; rows: number } {
  const parts: string[] = ["姓名,手机,邮箱,备注\n"];
  let size = Buffer.byteLength(parts[0]!);
  let rows = 0;
  const remark = "老客户，多次到店；偏好周末来访，关注新品与会员活动。".repeat(3);
  while (size < targetBytes) {
    const line = `客户${rows},139${String(rows % 100_000_000).padStart(8, "0")},c${rows}@example.com,"${remark}"\n`;
    parts.push(line);
    size += Buffer.byteLength(line);
    rows++;
  }
  return { body: Buffer.from(parts.join("")), rows };
}

// One database is enough for the size test: PostgreSQL when configured (as deployed at scale), else
// PGlite (about a minute there: staging runs on PGlite's single connection).
describe.each(dbKinds.slice(-1))("a 100 MB CSV upload (%s)", (kind) => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    token = await t.login();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("is accepted, streamed and staged row by row", async () => {
    const { body, rows } = bigCsv(100 * 1024 * 1024);
    expect(body.length).toBeGreaterThanOrEqual(100 * 1024 * 1024);
    const res = await t.app.inject({
      method: "POST",
      url: "/api/imports",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
      payload: body,
    });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(201);
    expect(res.json()).toMatchObject({ rowsTotal: rows, columns: ["姓名", "手机", "邮箱", "备注"] });
    const [staged] = await t.siyu.platform.db.query<{ n: number }>(
      "select count(*)::int as n from import_rows where import_id = $1",
      [res.json().id],
    );
    expect(staged?.n).toBe(rows);
  }, 240_000);
});
