// `npm test`: typecheck → lint → vitest (unit + integration) → browser tests, stopping at the first
// failure. Ends with one line `N passed, N failed` counting test cases (a failed typecheck or lint step
// counts as one failed case) and exits non-zero on any failure.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const scratch = mkdtempSync(join(tmpdir(), "siyu-test-"));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const npx = process.platform === "win32" ? "npx.cmd" : "npx";
const chromiumPath = process.env.SIYU_CHROMIUM || "/usr/bin/chromium";
const totals = { passed: 0, failed: 0 };
const steps = ["typecheck", "lint", "vitest", "browser tests"];
const started = Date.now();

function banner(index, title, detail) {
  const line = "=".repeat(78);
  console.log(`\n${line}\n[${index + 1}/${steps.length}] ${title}${detail ? ` — ${detail}` : ""}\n${line}`);
}

function run(cmd, args, env = process.env) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env });
  if (result.error) console.error(`could not run ${cmd}: ${result.error.message}`);
  return result.status ?? 1;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return null;
  }
}

/** The slowest tests, so a run on a loaded machine shows which ones come near their timeout. */
function printSlowest(report) {
  const tests = [];
  for (const file of report.testResults ?? [])
    for (const t of file.assertionResults ?? [])
      tests.push({ ms: t.duration ?? 0, file: relative(root, file.name), title: t.fullName ?? t.title });
  tests.sort((a, b) => b.ms - a.ms);
  console.log("\nslowest tests:");
  for (const t of tests.slice(0, 10))
    console.log(`  ${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.file} > ${t.title.slice(0, 100)}`);
}

let browserSkipped = false;

function finish(failedStep) {
  rmSync(scratch, { recursive: true, force: true });
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log("");
  if (failedStep) console.log(`FAILED at step "${failedStep}" (${seconds} s); later steps did not run.`);
  else console.log(`all steps passed (${seconds} s)${browserSkipped ? "; browser tests were SKIPPED" : ""}`);
  console.log(`${totals.passed} passed, ${totals.failed} failed`);
  process.exit(failedStep || totals.failed > 0 ? 1 : 0);
}

// 1–2. Typecheck and lint have no test cases of their own; a failure counts as one failed case.
for (const [index, script] of [
  [0, "typecheck"],
  [1, "lint"],
]) {
  banner(index, steps[index], `npm run ${script}`);
  if (run(npm, ["run", script, "--silent"]) !== 0) {
    totals.failed++;
    finish(steps[index]);
  }
}

// 3. Vitest. The PostgreSQL/Redis integration suites switch themselves on from the environment.
const pgMode = process.env.DATABASE_URL
  ? "PostgreSQL ON (DATABASE_URL)"
  : "PostgreSQL off (set DATABASE_URL)";
const redisMode = process.env.REDIS_URL ? "Redis ON (REDIS_URL)" : "Redis off (set REDIS_URL)";
banner(2, steps[2], `unit + integration: PGlite always, ${pgMode}, ${redisMode}`);
const vitestJson = join(scratch, "vitest.json");
const vitestCode = run(npx, [
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile=${vitestJson}`,
]);
const vitest = readJson(vitestJson);
if (vitest) {
  printSlowest(vitest);
  totals.passed += vitest.numPassedTests ?? 0;
  totals.failed += vitest.numFailedTests ?? 0;
  // A suite that fails to load has no failed tests but still fails the run.
  if (vitestCode !== 0 && (vitest.numFailedTests ?? 0) === 0) totals.failed++;
} else if (vitestCode !== 0) {
  totals.failed++;
}
if (vitestCode !== 0) finish(steps[2]);

// 4. Browser tests, when Chromium is there (CI sets SIYU_REQUIRE_BROWSER=1 so a missing one fails).
if (!existsSync(chromiumPath)) {
  if (process.env.SIYU_REQUIRE_BROWSER === "1") {
    banner(3, steps[3], "REQUIRED but chromium not found");
    console.error(`chromium not found at ${chromiumPath} and SIYU_REQUIRE_BROWSER=1`);
    console.error("install the Debian package chromium (apt-get install chromium) or set SIYU_CHROMIUM");
    totals.failed++;
    finish(steps[3]);
  }
  console.log("\nbrowser tests SKIPPED: chromium not found (install Debian package chromium)");
  browserSkipped = true;
  finish(null);
}
banner(3, steps[3], `node e2e/run.mjs (chromium ${chromiumPath})`);
const e2eJson = join(scratch, "e2e.json");
const e2eCode = run(process.execPath, [join(root, "e2e", "run.mjs")], {
  ...process.env,
  SIYU_E2E_RESULTS: e2eJson,
});
const e2e = readJson(e2eJson);
if (e2e) {
  totals.passed += e2e.passed;
  totals.failed += e2e.failed;
}
if (e2eCode !== 0 && (!e2e || e2e.failed === 0)) totals.failed++;
finish(e2eCode !== 0 ? steps[3] : null);
