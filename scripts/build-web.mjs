// Builds the web console into web/dist when it is missing or older than its sources.
// Shared by `npm start` (scripts/start.mjs) and the browser tests (e2e/run.mjs).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

export const root = resolve(import.meta.dirname, "..");
const webDir = join(root, "web");
const builtIndex = join(webDir, "dist", "index.html");

/** Newest modification time under `path` (a file or a folder, recursively). */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules") continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

export function webBuildNeeded() {
  if (!existsSync(builtIndex)) return "web/dist is missing";
  // The console also compiles the shared contracts package, so its changes count too.
  const sources = [
    join(webDir, "src"),
    join(webDir, "index.html"),
    join(webDir, "vite.config.ts"),
    join(webDir, "package.json"),
    join(root, "packages", "contracts", "src"),
  ];
  const newestSource = Math.max(...sources.map(newestMtime));
  return newestSource > statSync(builtIndex).mtimeMs ? "web/src changed since the last build" : null;
}

/** Builds if needed; returns true when web/dist is usable afterwards. */
export function ensureWebBuilt({ log = console.log } = {}) {
  const reason = webBuildNeeded();
  if (!reason) return true;
  log(`[siyu] building the web console (${reason}) ...`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = spawnSync(npm, ["run", "build", "-w", "web", "--silent", "--", "--logLevel", "warn"], {
    cwd: root,
    stdio: "inherit",
  });
  if (result.status !== 0) {
    log(`[siyu] web console build failed (exit ${result.status ?? result.signal})`);
    return false;
  }
  return true;
}
