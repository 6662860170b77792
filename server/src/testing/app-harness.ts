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
  const fresh = await freshDatabase(kind, { migrated: true });
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

/** A test app that platform simulators can call back, with its owner signed in. */
export interface SignedInApp {
  t: TestApp;
  /** Where the app listens (a free port on 127.0.0.1): the base of its callback URLs. */
  appUrl: string;
  /** The owner's bearer token. */
  owner: string;
  tenantId: string;
}

/** Boots the whole app on a fresh database, listening on a free local port, and signs the owner in. */
export async function startSignedInApp(kind: DbKind): Promise<SignedInApp> {
  const t = await startTestApp(kind);
  try {
    const appUrl = await t.app.listen({ port: 0, host: "127.0.0.1" });
    const owner = await t.login();
    const tenantId = (await t.call("GET", "/api/auth/me", { token: owner })).json().user.tenantId as string;
    return { t, appUrl, owner, tenantId };
  } catch (err) {
    await t.close();
    throw err;
  }
}

/**
 * What every test world has: the signed-in app. A world is made in the `describe` body, opened in
 * `beforeAll` and closed in `afterAll`; its fields are set by `open()`, and its helpers are arrow
 * functions, so tests can take them apart at once (`const { api } = w`).
 */
export class AppWorld implements SignedInApp {
  t!: TestApp;
  appUrl!: string;
  owner!: string;
  tenantId!: string;
  private started = false;

  constructor(readonly kind: DbKind) {}

  /** Boots the app (see `startSignedInApp`) and sets the fields. */
  protected async openApp(): Promise<void> {
    Object.assign(this, await startSignedInApp(this.kind));
    this.started = true;
  }

  protected async closeApp(): Promise<void> {
    if (this.started) await this.t.close();
  }

  /** A JSON call as the owner. */
  api = (method: string, url: string, body?: unknown): Promise<LightMyRequestResponse> =>
    this.t.call(method, url, { token: this.owner, ...(body !== undefined ? { body } : {}) });
}
