// `npm run test:e2e [filter...]`: builds the web console if needed, starts Siyu in embedded mode on a free
// port with a fresh data dir, runs e2e/tests/*.e2e.ts in Chromium (e2e/runner.ts), then stops the server.
// Server output goes to e2e/artifacts/server.log; its tail is printed when something fails.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureWebBuilt, root } from "../scripts/build-web.mjs";

const artifacts = join(root, "e2e", "artifacts");
const serverLog = join(artifacts, "server.log");
const admin = { email: "admin@example.com", password: "E2e-Str0ng-Passw0rd!" };
const chromiumPath = process.env.SIYU_CHROMIUM || "/usr/bin/chromium";

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function logTail(lines = 40) {
  if (!existsSync(serverLog)) return "(no server log)";
  return readFileSync(serverLog, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

async function waitForHealth(url, server, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null)
      throw new Error(`server exited with code ${server.exitCode} before /healthz`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server not healthy after ${timeoutMs / 1000} s`);
}

function stopServer(server) {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => server.kill("SIGKILL"), 15_000);
    server.once("exit", () => {
      clearTimeout(killer);
      resolve();
    });
    server.kill("SIGTERM");
  });
}

function run(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: "inherit", env });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main() {
  if (!existsSync(chromiumPath)) {
    console.error(`browser tests: chromium not found at ${chromiumPath} (install Debian package chromium)`);
    return 1;
  }
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  if (!ensureWebBuilt()) return 1;

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "siyu-e2e-data-"));
  // Always embedded: a fresh PGlite per run, whatever DATABASE_URL/REDIS_URL the caller has set.
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...inherited } = process.env;
  const env = {
    ...inherited,
    PORT: String(port),
    HOST: "127.0.0.1",
    SIYU_DATA_DIR: dataDir,
    SIYU_ADMIN_EMAIL: admin.email,
    SIYU_ADMIN_PASSWORD: admin.password,
    SIYU_DEMO: "1",
    SIYU_PUBLIC_URL: baseUrl,
    SIYU_WEB_DIR: join(root, "web", "dist"),
  };
  const logFd = openSync(serverLog, "w");
  const server = spawn(process.execPath, ["--import", "tsx", join(root, "server", "src", "main.ts")], {
    cwd: root,
    env,
    stdio: ["ignore", logFd, logFd],
  });
  const cleanup = async () => {
    await stopServer(server);
  };
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
  process.once("SIGTERM", () => void cleanup().then(() => process.exit(143)));

  let code = 1;
  try {
    console.log(`browser tests: server on ${baseUrl} (data ${dataDir}, log e2e/artifacts/server.log)`);
    await waitForHealth(baseUrl, server, 120_000);
    code = await run(
      process.execPath,
      ["--import", "tsx", join(root, "e2e", "runner.ts"), ...process.argv.slice(2)],
      {
        ...process.env,
        SIYU_E2E_BASE_URL: baseUrl,
        SIYU_E2E_ADMIN_EMAIL: admin.email,
        SIYU_E2E_ADMIN_PASSWORD: admin.password,
        SIYU_CHROMIUM: chromiumPath,
      },
    );
  } catch (err) {
    console.error(`browser tests: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await cleanup();
  }
  if (code !== 0) {
    console.log(`\n--- last lines of e2e/artifacts/server.log ---\n${logTail()}\n---`);
    console.log(`data dir kept for inspection: ${dataDir}`);
  } else {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
