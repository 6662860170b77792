// Worker child process of `flows.bench.ts` (PostgreSQL + BullMQ case): Siyu with the role and settings
// of its environment (SIYU_ROLE=worker), plus the bare-queue baseline job, so the engine and the
// baseline run on the same worker processes. Prints `flows bench worker ready` once it consumes jobs;
// SIGTERM stops it gracefully (the bench kills it with SIGKILL for the restart case).
import { pathToFileURL } from "node:url";
import { startSiyu } from "../server/src/boot.ts";
import { modules } from "../server/src/modules.ts";
import type { Module } from "../server/src/platform/platform.ts";

export const baselineJob = "bench.flows-baseline";
export const baselineTable = "bench_flow_baseline";

/**
 * The bare-queue baseline: one job per item whose handler makes the same single-row write the flow's
 * action makes. Every process defines it (the sender needs the queue); only workers run it.
 */
export const baselineModule: Module = {
  name: "bench-flows-baseline",
  setup(platform) {
    platform.jobs.define<{ i: number }>({
      name: baselineJob,
      queue: "automation",
      handler: async ({ i }) => {
        await platform.db.query(
          `insert into ${baselineTable} (id, done) values ($1, $1 + 1) on conflict do nothing`,
          [i],
        );
      },
    });
  },
};

async function main(): Promise<void> {
  const siyu = await startSiyu({ modules: [...modules, baselineModule] });
  process.stdout.write(`flows bench worker ready (role ${siyu.platform.config.role}, pid ${process.pid})\n`);
  process.once("SIGTERM", () => {
    void siyu.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`flows bench worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
