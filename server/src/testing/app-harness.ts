import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LightMyRequestResponse } from "fastify";
import { type Siyu, startSiyu } from "../boot.ts";
import type { Api } from "../platform/platform.ts";
import { type DbKind, freshDatabase } from "./databases.ts";

export const adminEmail = "admin@example.com";
export const adminPassword = "Adm1n-Passw0rd!";

export interface TestApp {
  siyu: Siyu;
  app: Api;
  kind: DbKind;
  /** JSON request; `token` adds the bearer header. */
  call(
    method: string,
    url: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
  login(email?: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

/** Boots the whole app (all modules, role all) on a fresh database, without listening. */
export async function startTestApp(kind: DbKind, env: Record<string, string> = {}): Promise<TestApp> {
  const fresh = await freshDatabase(kind);
  const dataDir = mkdtempSync(join(tmpdir(), "siyu-test-"));
  const siyu = await startSiyu({
    db: fresh.db,
    env: {
      SIYU_DATA_DIR: dataDir,
      SIYU_ADMIN_EMAIL: adminEmail,
      SIYU_ADMIN_PASSWORD: adminPassword,
      SIYU_DEMO: "0",
      SIYU_MASTER_KEY: randomBytes(32).toString("base64"),
      LOG_LEVEL: "silent",
      ...(fresh.url ? { DATABASE_URL: fresh.url } : {}),
      ...env,
    },
  });
  const app = siyu.app;
  if (!app) throw new Error("test app has no HTTP side");
  const call: TestApp["call"] = (method, url, options = {}) =>
    app.inject({
      method: method as "GET",
      url,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined
        ? { payload: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }
        : {}),
    });
  return {
    siyu,
    app,
    kind,
    call,
    async login(email = adminEmail, password = adminPassword) {
      const res = await call("POST", "/api/auth/login", { body: { email, password } });
      if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
      return res.json().token as string;
    },
    async close() {
      await siyu.stop();
      await fresh.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
