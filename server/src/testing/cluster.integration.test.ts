import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "./databases.ts";
import { dropRedisKeys } from "./redis.ts";

const enabled = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
const main = join(import.meta.dirname, "../main.ts");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

async function waitFor(url: string, ms: number) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Cluster mode as an operator runs it: PostgreSQL + Redis, two stateless API processes and a
// separate worker process, all started with `node server/src/main.ts` and SIYU_ROLE.
describe.skipIf(!enabled)("cluster mode: API and worker processes on PostgreSQL + Redis", () => {
  const children: ChildProcess[] = [];
  const logs: string[] = [];
  let drop: () => Promise<void> = async () => undefined;
  const redisPrefix = `siyu-test-${randomBytes(4).toString("hex")}`;
  let api1 = "";
  let api2 = "";

  beforeAll(async () => {
    const fresh = await freshDatabase("postgres");
    await fresh.db.close();
    drop = fresh.drop;
    const env = {
      ...process.env,
      DATABASE_URL: fresh.url,
      REDIS_URL: process.env.REDIS_URL,
      SIYU_REDIS_PREFIX: redisPrefix,
      SIYU_ADMIN_EMAIL: "ops@example.com",
      SIYU_ADMIN_PASSWORD: "Cluster-Passw0rd",
      SIYU_MASTER_KEY: randomBytes(32).toString("base64"),
      SIYU_DEMO: "0",
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
    };
    const start = (role: string, port: number) => {
      const child = spawn(process.execPath, ["--import", "tsx", main], {
        env: { ...env, SIYU_ROLE: role, PORT: String(port) },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout?.on("data", (d: Buffer) => logs.push(`[${role}:${port}] ${d}`));
      child.stderr?.on("data", (d: Buffer) => logs.push(`[${role}:${port}] ${d}`));
      children.push(child);
    };
    const [p1, p2, pw] = [await freePort(), await freePort(), await freePort()];
    // Two API processes boot at once against an empty database: migrations and the admin run once.
    start("api", p1);
    start("api", p2);
    start("worker", pw);
    api1 = `http://127.0.0.1:${p1}`;
    api2 = `http://127.0.0.1:${p2}`;
    await waitFor(`${api1}/readyz`, 60_000);
    await waitFor(`${api2}/readyz`, 60_000);
  }, 90_000);

  afterAll(async () => {
    for (const c of children) c.kill("SIGTERM");
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)))),
    );
    await drop();
    await dropRedisKeys(process.env.REDIS_URL ?? "", redisPrefix);
  }, 30_000);

  it("a token from one API process works on the other (stateless API)", async () => {
    const login = await fetch(`${api1}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "ops@example.com", password: "Cluster-Passw0rd" }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const me = await fetch(`${api2}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    const overview = (await (
      await fetch(`${api2}/api/system/overview`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      mode: string;
      jobsDriver: string;
      users: number;
    };
    expect(overview).toMatchObject({ mode: "cluster", jobsDriver: "bullmq", users: 1 });
  });

  it("work sent by an API process is done by the worker process (key rotation job)", async () => {
    const login = await fetch(`${api2}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "ops@example.com", password: "Cluster-Passw0rd" }),
    });
    const { token } = (await login.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    const started = await fetch(`${api1}/api/settings/encryption/rotate`, { method: "POST", headers: auth });
    expect(started.status).toBe(202);
    const { rotationId } = (await started.json()) as { rotationId: string };
    const end = Date.now() + 30_000;
    let status = "running";
    while (status === "running" && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 300));
      const enc = (await (await fetch(`${api2}/api/settings/encryption`, { headers: auth })).json()) as {
        rotations: Array<{ id: string; status: string }>;
      };
      status = enc.rotations.find((r) => r.id === rotationId)?.status ?? "missing";
    }
    expect(status, logs.join("")).toBe("completed");
  });

  it("only one tenant and one admin exist after concurrent boots", async () => {
    const login = await fetch(`${api1}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "ops@example.com", password: "Cluster-Passw0rd" }),
    });
    const { token } = (await login.json()) as { token: string };
    const tenants = (await (
      await fetch(`${api1}/api/tenants`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      items: unknown[];
    };
    expect(tenants.items).toHaveLength(1);
  });
});
