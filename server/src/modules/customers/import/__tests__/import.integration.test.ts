import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Siyu, startSiyu } from "../../../../boot.ts";
import { startTestApp, type TestApp } from "../../../../testing/app-harness.ts";
import { dbKinds } from "../../../../testing/databases.ts";
import { importTuning, processImport } from "../process.ts";

type Inject = TestApp["app"]["inject"];

async function upload(inject: Inject, token: string, body: string | Buffer) {
  return inject({
    method: "POST",
    url: "/api/imports",
    headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
    payload: body,
  });
}

async function waitDone(inject: Inject, token: string, id: string, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await inject({
      method: "GET",
      url: `/api/imports/${id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    const body = res.json();
    if (body.status === "completed" || body.status === "failed") return body;
    if (Date.now() > until) throw new Error(`import still ${body.status}: ${res.body}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(dbKinds)("customer CSV import and export (%s)", (kind) => {
  let t: TestApp;
  let token: string;

  async function runImport(body: string | Buffer, mapping: Record<string, string>) {
    const up = await upload(t.app.inject.bind(t.app), token, body);
    expect(up.statusCode, up.body).toBe(201);
    const id = up.json().id as string;
    const put = await t.call("PUT", `/api/imports/${id}`, { token, body: { mapping } });
    expect(put.statusCode, put.body).toBe(200);
    const start = await t.call("POST", `/api/imports/${id}/start`, { token });
    expect(start.statusCode, start.body).toBe(202);
    return { upload: up.json(), done: await waitDone(t.app.inject.bind(t.app), token, id) };
  }
  async function find(q: string) {
    const res = await t.call("GET", `/api/customers?q=${encodeURIComponent(q)}`, { token });
    return res.json().items as Array<Record<string, unknown> & { tags: Array<{ name: string }> }>;
  }

  beforeAll(async () => {
    t = await startTestApp(kind);
    token = await t.login();
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    importTuning.batchSize = 1000;
    importTuning.afterBatch = undefined;
  });

  it("imports a UTF-8 file with a BOM, with tags split on Chinese commas", async () => {
    const csv =
      "\uFEFF姓名,手机,邮箱,标签\n王五,13811110001,WW@Example.com,VIP，新客\n赵六,13811110002,,VIP\n";
    const { upload: up, done } = await runImport(csv, {
      姓名: "name",
      手机: "phone",
      邮箱: "email",
      标签: "tags",
    });
    expect(up).toMatchObject({
      encoding: "utf-8-bom",
      columns: ["姓名", "手机", "邮箱", "标签"],
      rowsTotal: 2,
    });
    expect(up.sample[0]).toEqual(["王五", "13811110001", "WW@Example.com", "VIP，新客"]);
    expect(up.suggestedMapping).toEqual({ 姓名: "name", 手机: "phone", 邮箱: "email", 标签: "tags" });
    expect(done).toMatchObject({
      status: "completed",
      rowsTotal: 2,
      rowsDone: 2,
      created: 2,
      updated: 0,
      failed: 0,
    });
    const [w] = await find("王五");
    expect(w).toMatchObject({ name: "王五", email: "ww@example.com", source: "import" });
    expect(w!.tags.map((x) => x.name).sort()).toEqual(["VIP", "新客"]);
    const timeline = await t.call("GET", `/api/customers/${w!.id}/timeline`, { token });
    expect(timeline.json().items.map((e: { type: string }) => e.type)).toContain("customer.created");
  });

  it("detects GBK (what Excel writes on Chinese Windows) and imports correct Chinese names", async () => {
    // 张三 in GBK is D5 C5 C8 FD; 李四 is C0 EE CB C4.
    const csv = Buffer.concat([
      Buffer.from("name,phone\n"),
      Buffer.from([0xd5, 0xc5, 0xc8, 0xfd]),
      Buffer.from(",13822220001\n"),
      Buffer.from([0xc0, 0xee, 0xcb, 0xc4]),
      Buffer.from(",13822220002\n"),
    ]);
    const { upload: up, done } = await runImport(csv, { name: "name", phone: "phone" });
    expect(up.encoding).toBe("gb18030");
    expect(up.sample[0]).toEqual(["张三", "13822220001"]);
    expect(done).toMatchObject({ status: "completed", created: 2 });
    expect((await find("13822220001"))[0]?.name).toBe("张三");
    expect((await find("13822220002"))[0]?.name).toBe("李四");
  });

  it("parses quoted fields with commas and newlines", async () => {
    const csv = 'name,phone,remark\n"Li, Si",13833330001,"line one\nline two, with ""quotes"""\n';
    const { done } = await runImport(csv, { name: "name", phone: "phone", remark: "attr.remark" });
    expect(done).toMatchObject({ status: "completed", rowsTotal: 1, created: 1 });
    const [c] = await find("13833330001");
    expect(c).toMatchObject({ name: "Li, Si", attributes: { remark: 'line one\nline two, with "quotes"' } });
  });

  it("makes one customer of duplicate rows, updates a customer matched by phone in another form, and reports bad rows", async () => {
    const existing = await t.call("POST", "/api/customers", {
      token,
      body: { name: "Old name", phone: "13844440009", tags: ["old"] },
    });
    expect(existing.statusCode).toBe(201);
    const csv = [
      "name,phone,tags",
      "Dup,138 4444 0001,a",
      "Dup again,+86 138-4444-0001,b",
      "New name,+86 13844440009,imported",
      "Bad phone,12345,x",
      "Good,13844440002,",
      ",,onlytag",
    ].join("\r\n");
    const { done } = await runImport(csv, { name: "name", phone: "phone", tags: "tags" });
    expect(done).toMatchObject({
      status: "completed",
      rowsTotal: 6,
      rowsDone: 6,
      created: 2,
      updated: 2,
      failed: 2,
    });
    const dup = await find("13844440001");
    expect(dup).toHaveLength(1);
    expect(dup[0]).toMatchObject({ name: "Dup again" });
    expect(dup[0]!.tags.map((x) => x.name).sort()).toEqual(["a", "b"]);
    const old = await find("13844440009");
    expect(old).toHaveLength(1);
    expect(old[0]).toMatchObject({ id: existing.json().id, name: "New name" });
    expect(old[0]!.tags.map((x) => x.name).sort()).toEqual(["imported", "old"]);

    const errors = await t.call("GET", `/api/imports/${done.id}/errors.csv`, { token });
    expect(errors.statusCode).toBe(200);
    expect(errors.headers["content-type"]).toContain("text/csv");
    const lines = errors.body
      .replace(/^\uFEFF/, "")
      .trim()
      .split("\r\n");
    expect(lines[0]).toBe("line,message,name,phone,tags");
    expect(lines[1]).toMatch(/^5,not a valid phone number: 12345,Bad phone,12345,x$/);
    expect(lines[2]).toMatch(/^7,"nothing to import/);
  });

  it("refuses whole-file problems with 400 and clear messages", async () => {
    const inject = t.app.inject.bind(t.app);
    const cases: Array<[string | Buffer, RegExp]> = [
      [randomBytes(4096), /not a CSV text file|neither UTF-8 nor GBK/],
      ["", /empty/],
      ["name,phone\n", /no data rows/],
      ["name,phone,name\nA,13800000000,B\n", /repeats column names: name/],
      ["13800000000,Zhang\n13800000001,Li\n", /must be a header row/],
      ['name,phone\n"open quote,13800000000\n', /quoted field is never closed/],
      [Buffer.from([0xff, 0xfe, 0x41, 0x00]), /UTF-16/],
    ];
    for (const [body, message] of cases) {
      const res = await upload(inject, token, body);
      expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 400 });
      expect(res.json().error.message).toMatch(message);
    }
    // Nothing was left behind by the refused uploads.
    const list = await t.call("GET", "/api/imports", { token });
    expect(list.json().items.every((i: { status: string }) => i.status !== "uploading")).toBe(true);
    // The CSV parser exists only for the upload route.
    const other = await t.call("POST", "/api/customers", {
      token,
      headers: { "content-type": "text/csv" },
      body: "name\nx\n",
    });
    expect(other.statusCode).toBe(415);
  });

  it("validates the mapping", async () => {
    const up = await upload(t.app.inject.bind(t.app), token, "name,phone,x\nA,13855550001,1\n");
    const id = up.json().id;
    const none = await t.call("PUT", `/api/imports/${id}`, { token, body: { mapping: { x: "tags" } } });
    expect(none.statusCode).toBe(400);
    const unknownAttr = await t.call("PUT", `/api/imports/${id}`, {
      token,
      body: { mapping: { name: "name", x: "attr.nope" } },
    });
    expect(unknownAttr.statusCode).toBe(400);
    expect(unknownAttr.json().error.message).toMatch(/attr.nope/);
    const start = await t.call("POST", `/api/imports/${id}/start`, { token });
    expect(start.statusCode).toBe(409);
  });

  it("applies every batch exactly once when workers race on one import", async () => {
    const rows = ["name,phone"];
    for (let i = 0; i < 40; i++) rows.push(`W${i},1386868${String(i).padStart(4, "0")}`);
    rows.push("W0 again,13868680000"); // a duplicate of the first row, in a later batch
    const up = await upload(t.app.inject.bind(t.app), token, rows.join("\n"));
    const id = up.json().id as string;
    await t.call("PUT", `/api/imports/${id}`, { token, body: { mapping: { name: "name", phone: "phone" } } });
    importTuning.batchSize = 3;
    // The job worker plus two more workers, each preparing batches ahead of its writes.
    expect((await t.call("POST", `/api/imports/${id}/start`, { token })).statusCode).toBe(202);
    const { platform } = t.siyu;
    const [imp] = await platform.db.query<{ tenant_id: string }>(
      "select tenant_id from imports where id = $1",
      [id],
    );
    await Promise.all([
      processImport(platform, imp!.tenant_id, id),
      processImport(platform, imp!.tenant_id, id),
    ]);
    const done = await waitDone(t.app.inject.bind(t.app), token, id);
    expect(done).toMatchObject({
      status: "completed",
      rowsTotal: 41,
      rowsDone: 41,
      created: 40,
      updated: 1,
      failed: 0,
    });
    const [counts] = await platform.db.query<{ customers: number; created: number }>(
      `select (select count(*)::int from customers where name ~ '^W[0-9]') as customers,
              (select count(*)::int from customer_events e join customers c on c.id = e.customer_id
                where c.name ~ '^W[0-9]' and e.type = 'customer.created') as created`,
    );
    expect(counts).toEqual({ customers: 40, created: 40 });
  });

  it("resumes after a crash from its checkpoint, without duplicates", async () => {
    const rows = ["name,phone"];
    for (let i = 0; i < 10; i++) rows.push(`R${i},1386666${String(i).padStart(4, "0")}`);
    rows.push("R0 again,13866660000"); // a duplicate of row 2, in a later batch
    const up = await upload(t.app.inject.bind(t.app), token, rows.join("\n"));
    const id = up.json().id;
    await t.call("PUT", `/api/imports/${id}`, { token, body: { mapping: { name: "name", phone: "phone" } } });
    importTuning.batchSize = 4;
    let crashed!: () => void;
    const crash = new Promise<void>((r) => {
      crashed = r;
    });
    importTuning.afterBatch = (_id, n) => {
      if (n === 1) {
        importTuning.afterBatch = undefined;
        crashed();
        throw new Error("simulated crash after the first batch");
      }
    };
    expect((await t.call("POST", `/api/imports/${id}/start`, { token })).statusCode).toBe(202);
    await crash;
    const mid = (await t.call("GET", `/api/imports/${id}`, { token })).json();
    expect(mid).toMatchObject({ status: "running", rowsDone: 4, created: 4 });

    // The process dies; a new one on the same database finishes the job.
    await t.siyu.stop();
    let again: Siyu | undefined;
    try {
      again = await startSiyu({ db: t.siyu.platform.db, config: t.siyu.platform.config });
      const inject = again.app!.inject.bind(again.app!);
      const login = await inject({
        method: "POST",
        url: "/api/auth/login",
        payload: { email: "admin@example.com", password: "Adm1n-Passw0rd!" },
      });
      const tok = login.json().token as string;
      const done = await waitDone(inject, tok, id);
      expect(done).toMatchObject({
        status: "completed",
        rowsTotal: 11,
        rowsDone: 11,
        created: 10,
        updated: 1,
        failed: 0,
      });
      const list = await inject({
        method: "GET",
        url: "/api/customers?q=R&limit=100",
        headers: { authorization: `Bearer ${tok}` },
      });
      const names = (list.json().items as Array<{ name: string }>)
        .map((c) => c.name)
        .filter((n) => /^R\d/.test(n));
      expect(names.sort()).toEqual(["R0 again", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9"]);
      // Staged rows are cleaned up once done (right after the status turns completed, so wait for it).
      const db = again.platform.db;
      const stagedCount = async () =>
        (
          await db.query<{ n: number }>("select count(*)::int as n from import_rows where import_id = $1", [
            id,
          ])
        )[0]!.n;
      for (const until = Date.now() + 15_000; (await stagedCount()) > 0 && Date.now() < until; )
        await new Promise((r) => setTimeout(r, 100));
      expect(await stagedCount()).toBe(0);
    } finally {
      await again?.stop();
      // Let afterAll's close find a stopped app; it drops the database.
    }
  });
});

describe.each(dbKinds)("customer CSV export (%s)", (kind) => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    token = await t.login();
    for (const [name, phone, tags] of [
      ["导出一", "13877770001", ["VIP"]],
      ["导出二", "13877770002", ["VIP", "广州"]],
      ["Other", "13877770003", []],
    ] as const) {
      const res = await t.call("POST", "/api/customers", { token, body: { name, phone, tags } });
      expect(res.statusCode).toBe(201);
    }
    const user = await t.call("POST", "/api/users", {
      token,
      body: { email: "mgr@example.com", password: "Manager-Passw0rd", name: "Mgr", roles: ["manager"] },
    });
    expect(user.statusCode, user.body).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("exports with full phones for the owner and masked for a manager, and audits each export", async () => {
    const full = await t.call("GET", "/api/customers/export.csv?tag=VIP", { token });
    expect(full.statusCode).toBe(200);
    expect(full.headers["content-type"]).toContain("text/csv");
    expect(full.body.startsWith("\uFEFFid,name,phone,email,tags")).toBe(true);
    const lines = full.body.trim().split("\r\n");
    expect(lines).toHaveLength(3);
    expect(full.body).toContain("13877770002");
    expect(full.body).toMatch(/"(VIP,广州|广州,VIP)"/);
    expect(full.body).not.toContain("Other");

    const mgr = await t.login("mgr@example.com", "Manager-Passw0rd");
    const masked = await t.call("GET", "/api/customers/export.csv?q=导出", { token: mgr });
    expect(masked.statusCode).toBe(200);
    expect(masked.body).toContain("138****0001");
    expect(masked.body).not.toContain("13877770001");

    const agentUser = await t.call("POST", "/api/users", {
      token,
      body: { email: "agent@example.com", password: "Agent-Passw0rd1", name: "Ag", roles: ["agent"] },
    });
    expect(agentUser.statusCode).toBe(201);
    const agent = await t.login("agent@example.com", "Agent-Passw0rd1");
    expect((await t.call("GET", "/api/customers/export.csv", { token: agent })).statusCode).toBe(403);

    const audit = await t.siyu.platform.db.query<{ action: string; data: Record<string, unknown> }>(
      "select action, data from audit_log where action = 'customers.exported' order by id",
    );
    expect(audit).toHaveLength(2);
    expect(audit[0]!.data).toMatchObject({ rows: 2, phones: "full", filter: { tags: ["VIP"] } });
    expect(audit[1]!.data).toMatchObject({ rows: 2, phones: "masked", filter: { q: "导出" } });
  });
});
