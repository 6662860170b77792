import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { Database } from "../platform/db/index.ts";
import { openPglite } from "../platform/db/pglite.ts";
import { openPostgres } from "../platform/db/postgres.ts";
import { freshPostgresDatabase } from "./databases.ts";
import { dropRedisKeys } from "./redis.ts";

// Siyu as a child process (`node server/src/main.ts`) on a data directory or database that outlives
// it: what the kill -9 tests (WeCom and Official Account crash tests) start, kill and start again.

const main = join(import.meta.dirname, "../main.ts");
export const processAdminEmail = "crash@siyu.local";
export const processAdminPassword = "Crash-Passw0rd-2026";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export interface SiyuProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** The exit code; null when a signal ended it (kill -9). */
  exited: Promise<number | null>;
  log: string[];
}

/**
 * Starts `main.ts` with `env` on `port` (a free one by default; a restart passes the same port when
 * a platform's callback URL names it) and waits for `/readyz`. An empty value in `env` removes the
 * variable (PGlite: no DATABASE_URL / REDIS_URL at all).
 */
export async function startSiyuProcess(
  env: Record<string, string>,
  options: { port?: number } = {},
): Promise<SiyuProcess> {
  const port = options.port ?? (await freePort());
  const merged: Record<string, string | undefined> = {
    ...process.env,
    LOG_LEVEL: "warn",
    HOST: "127.0.0.1",
    PORT: String(port),
    SIYU_DEMO: "0",
    SIYU_SANDBOX: "0",
    SIYU_ADMIN_EMAIL: processAdminEmail,
    SIYU_ADMIN_PASSWORD: processAdminPassword,
    ...env,
  };
  for (const [k, v] of Object.entries(merged)) if (v === "") delete merged[k];
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    env: merged,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: string[] = [];
  child.stdout?.on("data", (d: Buffer) => log.push(d.toString()));
  child.stderr?.on("data", (d: Buffer) => log.push(d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  // A first start migrates a fresh database: minutes on a loaded machine.
  const end = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Siyu exited with ${child.exitCode}: ${log.join("")}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, url, port, exited, log };
    if (Date.now() > end) {
      child.kill("SIGKILL");
      throw new Error(`Siyu did not come up: ${log.join("")}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Ends whichever of `processes` still runs (kill -9) and waits for each to exit. */
export async function killAll(processes: Array<SiyuProcess | undefined>): Promise<void> {
  for (const p of processes) {
    if (p && p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill("SIGKILL");
      await p.exited;
    }
  }
}

/** One JSON call over HTTP; `token` adds the bearer header. */
export async function httpCall(
  url: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Logs in as the process's admin: its token and tenant. */
export async function loginProcess(url: string): Promise<{ token: string; tenantId: string }> {
  const res = await httpCall(url, "POST", "/api/auth/login", {
    body: { email: processAdminEmail, password: processAdminPassword },
  });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  const user = res.json.user as { tenantId: string };
  return { token: String(res.json.token), tenantId: user.tenantId };
}

/** Where the processes keep their data, and a way to look at it between them. */
export interface ProcessTarget {
  env: Record<string, string>;
  open(): Promise<Database>;
  cleanup(): Promise<void>;
}

/** Embedded mode: a PGlite data directory (no DATABASE_URL, no REDIS_URL). */
export function pgliteProcessTarget(prefix = "siyu-crash-"): ProcessTarget {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    env: { SIYU_DATA_DIR: dir, DATABASE_URL: "", REDIS_URL: "" },
    open: () => openPglite(join(dir, "pglite")),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Cluster mode as the README defines it: a fresh PostgreSQL database + Redis (BullMQ) under a prefix. */
export async function clusterProcessTarget(): Promise<ProcessTarget> {
  const fresh = await freshPostgresDatabase(process.env.DATABASE_URL ?? "");
  const prefix = `siyu-test-${randomBytes(4).toString("hex")}`;
  return {
    env: {
      DATABASE_URL: fresh.url,
      REDIS_URL: process.env.REDIS_URL ?? "",
      SIYU_REDIS_PREFIX: prefix,
      SIYU_MASTER_KEY: randomBytes(32).toString("base64"),
    },
    open: () => openPostgres(fresh.url, 2),
    cleanup: async () => {
      await fresh.drop();
      await dropRedisKeys(process.env.REDIS_URL ?? "", prefix);
    },
  };
}

/** Cluster runs need both PostgreSQL and Redis. */
export const clusterAvailable = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

/**
 * Polls an event-task list route (`/api/wecom/events`, `/api/official-account/events`) until it
 * holds `count` tasks, all done; then waits `settleMs` so a duplicate run (a job retried after a
 * kill) has finished before the caller counts effects.
 */
export async function waitForEventTasks(
  p: SiyuProcess,
  input: {
    token: string;
    path: string;
    count: number;
    timeoutMs: number;
    context?: string;
    settleMs?: number;
  },
): Promise<void> {
  const end = Date.now() + input.timeoutMs;
  for (;;) {
    const list = await httpCall(p.url, "GET", input.path, { token: input.token });
    const items = (list.json.items ?? []) as Array<{ status: string }>;
    if (items.length === input.count && items.every((e) => e.status === "done")) break;
    if (Date.now() > end)
      throw new Error(
        `${input.context ?? ""} events not processed: ${JSON.stringify(items)} ${p.log.join("")}`.trim(),
      );
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, input.settleMs ?? 1500));
}
