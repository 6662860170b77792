import { describe, expect, it } from "vitest";
import { encryptedColumns, registerEncryptedColumn } from "./columns.ts";

describe("encrypted column registry", () => {
  it("keeps registered columns in order, once each", () => {
    registerEncryptedColumn({ table: "reg_a", idColumn: "id", column: "phone" });
    registerEncryptedColumn({ table: "reg_b", idColumn: "id", column: "secret" });
    registerEncryptedColumn({ table: "reg_a", idColumn: "id", column: "phone" });
    const mine = encryptedColumns().filter((c) => c.table.startsWith("reg_"));
    expect(mine).toEqual([
      { table: "reg_a", idColumn: "id", column: "phone" },
      { table: "reg_b", idColumn: "id", column: "secret" },
    ]);
  });

  it("refuses names that are not plain SQL identifiers", () => {
    for (const bad of ["users; drop table x", "Users", "a-b", ""]) {
      expect(() => registerEncryptedColumn({ table: bad, idColumn: "id", column: "c" })).toThrow(
        /invalid SQL identifier/,
      );
    }
    expect(() => registerEncryptedColumn({ table: "t", idColumn: "id", column: "c d" })).toThrow(
      /invalid SQL identifier/,
    );
  });

  it("hands out copies, so callers cannot edit the registry", () => {
    registerEncryptedColumn({ table: "reg_c", idColumn: "id", column: "x" });
    const list = encryptedColumns();
    const c = list.find((x) => x.table === "reg_c");
    if (c) c.column = "changed";
    expect(encryptedColumns().find((x) => x.table === "reg_c")?.column).toBe("x");
  });
});
