import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  openTestDatabase,
  type TestDatabase,
  dbKinds as testDatabaseKinds,
} from "../../testing/databases.ts";
import type { Database } from "../db/index.ts";
import { DecryptError } from "./ciphers.ts";
import type { EncryptedColumn } from "./columns.ts";
import { createCrypto, readTenantCipher, rewrapDataKeys } from "./crypto.service.ts";
import {
  listRotations,
  rotateKeys,
  runningRotations,
  runRotationBatch,
  startKeyRotation,
} from "./key-rotation.ts";

const columns: EncryptedColumn[] = [
  { table: "rot_contacts", idColumn: "id", column: "phone" },
  { table: "rot_secrets", idColumn: "key", column: "value" },
];

describe.each(testDatabaseKinds)("crypto on %s", (kind) => {
  let t: TestDatabase;
  let db: Database;
  const master = randomBytes(32);

  beforeAll(async () => {
    t = await openTestDatabase(kind);
    db = t.db;
    await db.system((s) =>
      s.exec(`
        create table rot_contacts (id text primary key, phone text);
        create table rot_secrets (key int primary key, value text not null);
        insert into tenants (id, name, cipher) values ('ten_sm', 'SM tenant', 'sm4'), ('ten_aes', 'AES tenant', 'aes-256-gcm');
      `),
    );
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("creates key version 1 on an empty database, once, even when two processes boot at once", async () => {
    const [a, b] = await Promise.all([
      createCrypto({ db, masterKey: master }),
      createCrypto({ db, masterKey: master }),
    ]);
    expect(a.keyVersion).toBe(1);
    const rows = await db.query<{ purpose: string; version: number }>(
      "select purpose, version from encryption_keys order by purpose",
    );
    expect(rows).toEqual([
      { purpose: "data", version: 1 },
      { purpose: "index", version: 1 },
    ]);
    // Both processes hold the same keys: each reads the other's ciphertext and blind index.
    expect(b.decrypt(a.encrypt("13800138000"))).toBe("13800138000");
    expect(a.decrypt(b.encrypt("x", { cipher: "sm4" }))).toBe("x");
    expect(a.blindIndex("phone", "13800138000")).toBe(b.blindIndex("phone", "13800138000"));
  });

  it("encrypts with either cipher, refuses tampering, and keeps wrapped keys unreadable without the master key", async () => {
    const c = await createCrypto({ db, masterKey: master });
    const text = "张三 +86 138-0013-8000 ✓";
    const aes = c.encrypt(text);
    const sm = c.encrypt(text, { cipher: "sm4" });
    expect(aes).toMatch(/^enc:v1:a:1:/);
    expect(sm).toMatch(/^enc:v1:s:1:/);
    expect(c.encrypt(text)).not.toBe(aes); // random IV
    expect(c.decrypt(aes)).toBe(text);
    expect(c.decrypt(sm)).toBe(text);
    expect(c.isEncrypted(aes) && c.isEncrypted(sm)).toBe(true);
    expect(c.isEncrypted(text)).toBe(false);
    expect(c.decrypt(c.encrypt(""))).toBe("");

    const flip = (s: string) => `${s.slice(0, -2)}${s.at(-2) === "A" ? "B" : "A"}${s.at(-1)}`;
    expect(() => c.decrypt(flip(aes))).toThrow(DecryptError);
    expect(() => c.decrypt(flip(sm))).toThrow(DecryptError);
    // Relabelling the version or alg in the header breaks authentication too.
    expect(() => c.decrypt(aes.replace("enc:v1:a:1:", "enc:v1:a:9:"))).toThrow(/unknown data-key version 9/);
    expect(() => c.decrypt(sm.replace("enc:v1:s:", "enc:v1:a:"))).toThrow(DecryptError);
    expect(() => c.decrypt(aes.replace("enc:v1:a:", "enc:v1:z:"))).toThrow(/unknown cipher alg/);
    expect(() => c.decrypt("plain text")).toThrow(/not a Siyu ciphertext/);

    const wrapped = await db.query<{ wrapped_key: string }>("select wrapped_key from encryption_keys");
    for (const w of wrapped) expect(w.wrapped_key).toMatch(/^w1:/);
    await expect(createCrypto({ db, masterKey: randomBytes(32) })).rejects.toThrow(
      /master key does not match/,
    );
  });

  it("blind index is deterministic, separated by kind, and not the plain hash", async () => {
    const c = await createCrypto({ db, masterKey: master });
    const phone = c.blindIndex("phone", "13800138000");
    expect(phone).toMatch(/^[0-9a-f]{64}$/);
    expect(c.blindIndex("phone", "13800138000")).toBe(phone);
    expect(c.blindIndex("email", "13800138000")).not.toBe(phone);
    expect(c.blindIndex("phone", "13800138001")).not.toBe(phone);
  });

  it("reads the tenant's cipher", async () => {
    expect(await db.tenant("ten_sm", (s) => readTenantCipher(s))).toBe("sm4");
    expect(await db.tenant("ten_aes", (s) => readTenantCipher(s))).toBe("aes-256-gcm");
  });

  it("rotates data keys: re-encrypts every registered column in batches, keeps alg, retires the old key", async () => {
    const c = await createCrypto({ db, masterKey: master });
    const expected = new Map<string, string>();
    const contacts: string[] = [];
    for (let i = 0; i < 730; i++) {
      const id = `c${String(i).padStart(4, "0")}`;
      const phone =
        i % 10 === 0 ? null : c.encrypt(`1380000${i}`, { cipher: i % 3 === 0 ? "sm4" : "aes-256-gcm" });
      if (phone) expected.set(id, `1380000${i}`);
      contacts.push(`('${id}', ${phone ? `'${phone}'` : "null"})`);
    }
    const secrets: string[] = [];
    for (let i = 0; i < 120; i++) secrets.push(`(${i}, '${c.encrypt(`secret-${i}`)}')`);
    secrets.push(`(9999, 'not encrypted')`);
    await db.system((s) =>
      s.exec(
        `insert into rot_contacts values ${contacts.join(",")}; insert into rot_secrets values ${secrets.join(",")};`,
      ),
    );
    const algsBefore = await db.query<{ id: string; alg: string }>(
      "select id, split_part(phone, ':', 3) as alg from rot_contacts where phone is not null order by id",
    );

    const started = Date.now();
    const id = await rotateKeys({ db, crypto: c, columns, batchSize: 200 });
    const ms = Date.now() - started;
    console.log(`[${kind}] rotated ${expected.size + 120} values in ${ms} ms`);

    expect(c.keyVersion).toBe(2);
    const contactsAfter = await db.query<{ id: string; phone: string }>(
      "select id, phone from rot_contacts where phone is not null order by id",
    );
    expect(contactsAfter).toHaveLength(expected.size);
    for (const r of contactsAfter) {
      expect(r.phone).toMatch(/^enc:v1:[as]:2:/);
      expect(c.decrypt(r.phone)).toBe(expected.get(r.id));
    }
    expect(contactsAfter.map((r) => ({ id: r.id, alg: r.phone.split(":")[2] }))).toEqual(algsBefore);
    const secretsAfter = await db.query<{ key: number; value: string }>(
      "select key, value from rot_secrets order by key",
    );
    expect(secretsAfter.at(-1)?.value).toBe("not encrypted");
    for (const r of secretsAfter.slice(0, -1)) expect(c.decrypt(r.value)).toBe(`secret-${r.key}`);

    const [info] = await listRotations(db);
    expect(info).toMatchObject({ id, status: "completed", fromVersion: 1, toVersion: 2 });
    expect(info?.rowsDone).toBe(expected.size + 120);
    expect(info?.rowsTotal).toBe(expected.size + 120);
    expect(info?.finishedAt).not.toBeNull();
    const keys = await db.query<{ version: number; status: string }>(
      "select version, status from encryption_keys where purpose = 'data' order by version",
    );
    expect(keys).toEqual([
      { version: 1, status: "retired" },
      { version: 2, status: "active" },
    ]);
    // A value written under the retired key (by a node that had not reloaded yet) still decrypts.
    const fresh = await createCrypto({ db, masterKey: master });
    expect(fresh.keyVersion).toBe(2);
    expect(fresh.versions).toEqual([1, 2]);
  });

  it("resumes a rotation after a restart and refuses a second concurrent one", async () => {
    const c = await createCrypto({ db, masterKey: master });
    const id = await startKeyRotation({ db, crypto: c, columns });
    await expect(startKeyRotation({ db, crypto: c, columns })).rejects.toMatchObject({
      code: "key_rotation_running",
    });
    const first = await runRotationBatch({ db, crypto: c, rotationId: id, columns, batchSize: 300 });
    expect(first).toEqual({ done: false, rowsDone: 300 });
    const mid = (await listRotations(db)).find((r) => r.id === id);
    expect(mid).toMatchObject({ status: "running", rowsDone: 300 });
    expect(mid?.rowsTotal).toBeGreaterThan(300);

    // "Restart": a new process with its own keyring picks the rotation up from the table.
    const after = await createCrypto({ db, masterKey: master });
    expect(after.keyVersion).toBe(3);
    expect(await runningRotations(db)).toEqual([id]);
    let result = { done: false, rowsDone: 0 };
    let batches = 0;
    while (!result.done) {
      result = await runRotationBatch({ db, crypto: after, rotationId: id, columns, batchSize: 300 });
      batches++;
    }
    expect(batches).toBeGreaterThanOrEqual(3);
    expect(await runningRotations(db)).toEqual([]);
    const stale = await db.query<{ n: number }>(
      "select count(*)::int as n from rot_contacts where phone is not null and phone not like 'enc:v1:_:3:%'",
    );
    expect(stale[0]?.n).toBe(0);
    const done = (await listRotations(db)).find((r) => r.id === id);
    expect(done).toMatchObject({ status: "completed", rowsDone: done?.rowsTotal });
  });

  it.skipIf(kind !== "postgres")(
    "two workers running batches at once share the work without double counting",
    async () => {
      const c = await createCrypto({ db, masterKey: master });
      const id = await startKeyRotation({ db, crypto: c, columns });
      const total = (await listRotations(db)).find((r) => r.id === id)?.rowsTotal ?? 0;
      expect(total).toBe(777);
      await Promise.all([rotateToEnd(db, c, id, 50), rotateToEnd(db, c, id, 50)]);
      const info = (await listRotations(db)).find((r) => r.id === id);
      expect(info).toMatchObject({ status: "completed", rowsDone: total, rowsTotal: total });
      const v = c.keyVersion;
      const stale = await db.query<{ n: number }>(
        `select count(*)::int as n from rot_contacts where phone is not null and phone not like 'enc:v1:_:${v}:%'`,
      );
      expect(stale[0]?.n).toBe(0);
    },
  );

  it("marks a rotation failed, naming the row, when a value cannot be decrypted", async () => {
    const c = await createCrypto({ db, masterKey: master });
    const broken = `${c.encrypt("x").slice(0, -4)}AAAA`;
    await db.system((s) => s.query("insert into rot_secrets values (5000, $1)", [broken]));
    const id = await startKeyRotation({ db, crypto: c, columns });
    await expect(rotateToEnd(db, c, id)).rejects.toThrow(/rot_secrets\.value of key 5000/);
    const info = (await listRotations(db)).find((r) => r.id === id);
    expect(info?.status).toBe("failed");
    expect(info?.error).toMatch(/authentication failed/);
    await db.system((s) => s.query("delete from rot_secrets where key = 5000"));
  });

  it("re-wraps the data keys under a new master key", async () => {
    const next = randomBytes(32);
    const before = await createCrypto({ db, masterKey: master });
    const sample = before.encrypt("keep me", { cipher: "sm4" });
    const index = before.blindIndex("phone", "1");
    expect(await rewrapDataKeys({ db, from: master, to: next })).toBeGreaterThanOrEqual(5);
    await expect(createCrypto({ db, masterKey: master })).rejects.toThrow(/master key does not match/);
    const after = await createCrypto({ db, masterKey: next });
    expect(after.decrypt(sample)).toBe("keep me");
    expect(after.blindIndex("phone", "1")).toBe(index);
    // Put it back for any later test.
    await rewrapDataKeys({ db, from: next, to: master });
  });
});

async function rotateToEnd(
  db: Database,
  crypto: Awaited<ReturnType<typeof createCrypto>>,
  rotationId: string,
  batchSize = 100,
) {
  for (;;) {
    const r = await runRotationBatch({ db, crypto, rotationId, columns, batchSize });
    if (r.done) return r;
  }
}
