import { startSiyu } from "./boot.ts";

/** Process entry: `npm start` (role all), `SIYU_ROLE=api|worker`, `npm run worker`. */
async function main() {
  const siyu = await startSiyu({ listen: true });
  const { config } = siyu.platform;
  // One plain line for people; the structured logs are for machines.
  process.stdout.write(
    siyu.url
      ? `\nSiyu (${config.mode}, role ${config.role}) is ready: ${config.publicUrl}  ·  API docs ${config.publicUrl}/api/docs\n\n`
      : `\nSiyu worker (${config.mode}) is running\n\n`,
  );
  const shutdown = async (signal: string) => {
    siyu.platform.log.info({ signal }, "shutting down");
    const timer = setTimeout(() => process.exit(1), 15_000);
    timer.unref();
    await siyu.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `Siyu failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
