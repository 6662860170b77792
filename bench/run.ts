// `npm run bench [name...]`: runs every bench/*.bench.ts (or those named), prints each one's figures and
// ratios, and writes the results as JSON into bench/results/ so runs can be compared over time.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BenchResult, round } from "./lib.ts";

const benchDir = import.meta.dirname;
const resultsDir = join(benchDir, "results");

function pickBenches(wanted: string[]): string[] {
  const all = readdirSync(benchDir)
    .filter((f) => f.endsWith(".bench.ts"))
    .sort();
  if (wanted.length === 0) return all;
  const names = wanted.map((w) => w.replace(/(\.bench)?(\.ts)?$/, ""));
  const missing = names.filter((n) => !all.includes(`${n}.bench.ts`));
  if (missing.length > 0) {
    throw new Error(`unknown bench: ${missing.join(", ")} (have: ${all.join(", ") || "none"})`);
  }
  return names.map((n) => `${n}.bench.ts`);
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows)
    console.log(`  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ")}`.trimEnd());
}

function printResult(result: BenchResult, seconds: number): void {
  console.log(`\n== ${result.name} (${seconds.toFixed(1)} s)`);
  if (result.figures.length > 0) {
    printTable([
      ["figure", "value", "unit"],
      ...result.figures.map((f) => [f.label, String(round(f.value, 4)), f.unit]),
    ]);
  }
  if (result.ratios.length > 0) {
    console.log("");
    printTable([
      ["ratio", "value", "baseline"],
      ...result.ratios.map((r) => [r.label, `${round(r.value)}×`, r.baseline]),
    ]);
  }
  if (result.notes) console.log(`\n  ${result.notes}`);
}

async function main(): Promise<number> {
  const files = pickBenches(process.argv.slice(2));
  if (files.length === 0) {
    console.log("no bench/*.bench.ts found");
    return 0;
  }
  mkdirSync(resultsDir, { recursive: true });
  console.log(`benchmarks: ${files.join(", ")}`);
  console.log(`database: ${process.env.DATABASE_URL ? "PostgreSQL (DATABASE_URL)" : "PGlite only"}`);
  let failed = 0;
  for (const file of files) {
    const started = performance.now();
    try {
      const mod = (await import(pathToFileURL(join(benchDir, file)).href)) as {
        run?: () => Promise<BenchResult>;
      };
      if (typeof mod.run !== "function") throw new Error(`${file} does not export run()`);
      const result = await mod.run();
      const seconds = (performance.now() - started) / 1000;
      printResult(result, seconds);
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const record = { ...result, file, seconds, at: new Date().toISOString(), node: process.version };
      const body = `${JSON.stringify(record, null, 2)}\n`;
      writeFileSync(join(resultsDir, `${file.replace(/\.bench\.ts$/, "")}-${stamp}.json`), body);
      writeFileSync(join(resultsDir, `${file.replace(/\.bench\.ts$/, "")}-latest.json`), body);
    } catch (err) {
      failed++;
      console.error(`\n== ${file} FAILED`);
      console.error(err);
    }
  }
  console.log(`\n${files.length - failed} benches ran, ${failed} failed; JSON in bench/results/`);
  return failed > 0 ? 1 : 0;
}

// Benches may leave pools or timers behind; exit explicitly once everything is printed.
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
