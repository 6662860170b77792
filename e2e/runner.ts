// Runs the registered browser tests against a server e2e/run.mjs already started. Every test gets a fresh
// Chromium profile (no shared login or language), a screenshot on failure, and its page errors printed.
// Usage (normally through e2e/run.mjs): node --import tsx e2e/runner.ts [name-filter...]
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { artifactsDir, makeE2E, registry, setCurrentFile } from "./harness.ts";

const testTimeoutMs = 90_000;
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run the browser tests through e2e/run.mjs`);
  return value;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<number> {
  const baseUrl = requireEnv("SIYU_E2E_BASE_URL");
  const admin = {
    email: requireEnv("SIYU_E2E_ADMIN_EMAIL"),
    password: requireEnv("SIYU_E2E_ADMIN_PASSWORD"),
  };
  const executablePath = process.env.SIYU_CHROMIUM || "/usr/bin/chromium";
  const filters = process.argv.slice(2);

  const testsDir = join(import.meta.dirname, "tests");
  for (const file of readdirSync(testsDir)
    .filter((f) => f.endsWith(".e2e.ts"))
    .sort()) {
    setCurrentFile(file);
    await import(pathToFileURL(join(testsDir, file)).href);
  }
  const cases = registry.filter(
    (c) => filters.length === 0 || filters.some((f) => c.file.includes(f) || c.name.includes(f)),
  );
  mkdirSync(artifactsDir, { recursive: true });

  let passed = 0;
  let failed = 0;
  for (const c of cases) {
    const label = `${c.file} › ${c.name}`;
    const started = performance.now();
    const profile = mkdtempSync(join(tmpdir(), "siyu-e2e-profile-"));
    const pageErrors: string[] = [];
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      args: chromiumArgs,
      viewport: { width: 1366, height: 860 },
      locale: "zh-CN",
      reducedMotion: "reduce",
    });
    context.setDefaultTimeout(15_000);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("console", (msg) => {
      if (msg.type() === "error") pageErrors.push(`console: ${msg.text()}`);
    });
    const t = makeE2E(page, context, baseUrl, admin);
    try {
      await withTimeout(c.fn(t), c.timeoutMs ?? testTimeoutMs, label);
      passed++;
      console.log(`  ✓ ${label} (${Math.round(performance.now() - started)} ms)`);
    } catch (err) {
      failed++;
      console.log(`  ✗ ${label}`);
      console.log(
        `    ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`.replace(/\n/g, "\n    "),
      );
      const shot = await t.screenshot(`FAILED-${c.file}-${c.name}`).catch(() => null);
      if (shot) console.log(`    screenshot: ${shot}`);
      for (const e of pageErrors.slice(0, 10)) console.log(`    page error: ${e}`);
    } finally {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    }
  }

  console.log(`\n  browser tests: ${passed} passed, ${failed} failed`);
  const resultsFile = process.env.SIYU_E2E_RESULTS;
  if (resultsFile) writeFileSync(resultsFile, JSON.stringify({ passed, failed }));
  if (cases.length === 0) {
    console.log(`  no browser test matched ${filters.join(" ")}`);
    return 1;
  }
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
