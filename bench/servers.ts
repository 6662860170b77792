// Child-process servers for benches: Siyu itself or a baseline fixture, each measured from outside
// through the same load generator.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");

/** A port free right now (the child binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((r, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => r(port));
    });
  });
}

export function spawnServer(
  script: string,
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess }> {
  // An empty value removes the variable (PGlite: no DATABASE_URL at all).
  const merged: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: "warn", ...env };
  for (const [k, v] of Object.entries(merged)) if (v === "") delete merged[k];
  // WECOM_CB_BENCH_PROFILE=dir writes a CPU profile of each server into dir (to see where time goes).
  const profile = process.env.WECOM_CB_BENCH_PROFILE;
  const flags = profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : [];
  const child = spawn(process.execPath, [...flags, "--import", "tsx", script], {
    cwd: root,
    env: merged,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolvePromise, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${out}`)), 120_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /(?:listening|ready:) (http:\/\/[^\s]+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolvePromise({ url: m[1].replace(/\/$/, ""), child });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}: ${out}`));
    });
  });
}

export function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null) return r();
    child.once("exit", () => r());
    child.kill("SIGTERM");
  });
}
