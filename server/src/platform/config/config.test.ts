import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

describe("loadConfig", () => {
  it("defaults to embedded mode on port 3000 with demo on", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: "0.0.0.0",
      role: "all",
      mode: "embedded",
      demo: true,
      publicUrl: "http://localhost:3000",
    });
    expect(c.dataDir.endsWith("/data")).toBe(true);
  });

  it("DATABASE_URL selects cluster mode, where demo is off unless asked", () => {
    const c = loadConfig({ DATABASE_URL: "postgres://u@h/db", PORT: "8080" });
    expect(c).toMatchObject({ mode: "cluster", demo: false, port: 8080, publicUrl: "http://localhost:8080" });
    expect(loadConfig({ DATABASE_URL: "postgres://u@h/db", SIYU_DEMO: "1" }).demo).toBe(true);
  });

  it("serves the sandboxes by default in embedded mode only", () => {
    expect(loadConfig({}).sandbox).toBe(true);
    expect(loadConfig({ SIYU_SANDBOX: "0" }).sandbox).toBe(false);
    expect(loadConfig({ DATABASE_URL: "postgres://u@h/db" }).sandbox).toBe(false);
    expect(loadConfig({ DATABASE_URL: "postgres://u@h/db", SIYU_SANDBOX: "1" }).sandbox).toBe(true);
    expect(() => loadConfig({ SIYU_SANDBOX: "yes" })).toThrow(/SIYU_SANDBOX/);
  });

  it("runs the realtime queue wider with PostgreSQL than on PGlite", () => {
    expect(loadConfig({}).realtimeConcurrency).toBe(4);
    expect(loadConfig({ DATABASE_URL: "postgres://u@h/db" }).realtimeConcurrency).toBe(16);
    expect(loadConfig({ SIYU_REALTIME_CONCURRENCY: "32" }).realtimeConcurrency).toBe(32);
    expect(() => loadConfig({ SIYU_REALTIME_CONCURRENCY: "0" })).toThrow(/SIYU_REALTIME_CONCURRENCY/);
  });

  it("rejects bad values with the setting's name", () => {
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(/PORT/);
    expect(() => loadConfig({ SIYU_ROLE: "boss" })).toThrow(/SIYU_ROLE/);
    expect(() => loadConfig({ SIYU_ADMIN_EMAIL: "a@b.co" })).toThrow(/go together/);
  });

  it("ignores empty strings and trims the public URL's slash", () => {
    const c = loadConfig({ REDIS_URL: "", SIYU_PUBLIC_URL: "https://crm.example.com/" });
    expect(c.redisUrl).toBeUndefined();
    expect(c.publicUrl).toBe("https://crm.example.com");
  });
});
