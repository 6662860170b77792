// `npm start`: embedded mode from a fresh clone. Builds the web console when needed, then runs the
// server in a child process and mirrors its lifetime. `--no-web` skips the build (`npm run worker`).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ensureWebBuilt, root } from "./build-web.mjs";

const skipWeb = process.argv.includes("--no-web") || process.env.SIYU_ROLE === "worker";
if (!skipWeb && !ensureWebBuilt()) {
  // The API still works without the console; say so instead of refusing to start.
  console.error("[siyu] starting without the web console; run `npm run build` to see the error again");
}

// Own process group: Ctrl-C then reaches only this process, which forwards it exactly once. Otherwise
// the server would get SIGINT twice (from the terminal and from us) and skip its graceful shutdown.
const child = spawn(process.execPath, ["--import", "tsx", join(root, "server", "src", "main.ts")], {
  cwd: root,
  stdio: "inherit",
  detached: true,
  env: process.env,
});

const forwarded = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2"];
for (const signal of forwarded) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}

child.on("error", (err) => {
  console.error(`[siyu] could not start the server: ${err.message}`);
  process.exit(1);
});

child.on("exit", (code, signal) => {
  if (signal) {
    // Die the same way so shells and supervisors see the real cause.
    for (const s of forwarded) process.removeAllListeners(s);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});
