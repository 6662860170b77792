import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadMasterKey, parseMasterKey } from "./master-key.ts";

function capture() {
  const lines: Array<{ level: "info" | "warn"; msg: string }> = [];
  return {
    lines,
    log: {
      info: (msg: string) => lines.push({ level: "info", msg }),
      warn: (msg: string) => lines.push({ level: "warn", msg }),
    },
  };
}

const dir = () => mkdtempSync(join(tmpdir(), "siyu-mk-"));

describe("parseMasterKey", () => {
  it("accepts 32 bytes of base64 and refuses anything else without echoing the value", () => {
    const key = randomBytes(32);
    expect(parseMasterKey(key.toString("base64"), "X").equals(key)).toBe(true);
    const bad = [
      randomBytes(16).toString("base64"),
      randomBytes(33).toString("base64"),
      "not base64 at all!",
      "",
    ];
    for (const text of bad) {
      expect(() => parseMasterKey(text, "SIYU_MASTER_KEY")).toThrow(
        /SIYU_MASTER_KEY must be the base64 encoding of exactly 32 bytes/,
      );
    }
    const secret = `${randomBytes(32).toString("base64")}#`;
    expect(() => parseMasterKey(secret, "K")).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining(secret) }),
    );
  });
});

describe("loadMasterKey", () => {
  it("uses SIYU_MASTER_KEY when set and writes no file", () => {
    const d = dir();
    const key = randomBytes(32);
    const { log } = capture();
    const got = loadMasterKey({
      config: { masterKey: key.toString("base64"), dataDir: d, mode: "embedded" },
      log,
    });
    expect(got.equals(key)).toBe(true);
    expect(() => statSync(join(d, "master.key"))).toThrow();
  });

  it("generates master.key once with mode 0600 and reads the same key afterwards", () => {
    const d = join(dir(), "nested");
    const { log, lines } = capture();
    const config = { masterKey: undefined, dataDir: d, mode: "embedded" as const };
    const first = loadMasterKey({ config, log });
    expect(first).toHaveLength(32);
    expect(statSync(join(d, "master.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(d, "master.key"), "utf8").trim()).toBe(first.toString("base64"));
    expect(lines.map((l) => l.level)).toEqual(["info"]);
    expect(loadMasterKey({ config, log }).equals(first)).toBe(true);
    expect(lines).toHaveLength(1);
  });

  it("warns loudly when it has to generate a key in cluster mode", () => {
    const { log, lines } = capture();
    loadMasterKey({ config: { masterKey: undefined, dataDir: dir(), mode: "cluster" }, log });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe("warn");
    expect(lines[0]?.msg).toMatch(/SAME master key/);
  });

  it("refuses a world-readable key file and warns on a group-readable one", () => {
    const d = dir();
    const path = join(d, "master.key");
    writeFileSync(path, randomBytes(32).toString("base64"));
    const { log, lines } = capture();
    const config = { masterKey: undefined, dataDir: d, mode: "embedded" as const };
    chmodSync(path, 0o644);
    expect(() => loadMasterKey({ config, log })).toThrow(/chmod 600/);
    chmodSync(path, 0o640);
    expect(loadMasterKey({ config, log })).toHaveLength(32);
    expect(lines.some((l) => l.level === "warn" && l.msg.includes("group"))).toBe(true);
  });

  it("refuses a key file with bad content", () => {
    const d = dir();
    writeFileSync(join(d, "master.key"), "short", { mode: 0o600 });
    const { log } = capture();
    expect(() =>
      loadMasterKey({ config: { masterKey: undefined, dataDir: d, mode: "embedded" }, log }),
    ).toThrow(/master\.key must be the base64 encoding of exactly 32 bytes/);
  });
});
