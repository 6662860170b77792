import { Redis } from "ioredis";
import { createAuthenticator } from "./modules/iam/index.ts";
import { modules as allModules } from "./modules.ts";
import { createAuditLog } from "./platform/audit/index.ts";
import { type Config, loadConfig } from "./platform/config/config.ts";
import { createCrypto, loadMasterKey } from "./platform/crypto/index.ts";
import { type Database, migrate, openDatabase } from "./platform/db/index.ts";
import { createEventBus, createInbox } from "./platform/events/index.ts";
import { buildApp } from "./platform/http/app.ts";
import { createJobQueue } from "./platform/jobs/index.ts";
import { createLogger } from "./platform/logger.ts";
import type { Api, Module, Platform } from "./platform/platform.ts";
import { createRateLimiter } from "./platform/ratelimit/index.ts";

export interface Siyu {
  platform: Platform;
  /** The HTTP app (API processes only). */
  app: Api | undefined;
  /** Listening address when `listen` was asked for. */
  url: string | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  config?: Config;
  env?: Record<string, string | undefined>;
  /** Open an existing database instead of the configured one (tests). */
  db?: Database;
  listen?: boolean;
  modules?: Module[];
}

/**
 * Composes one process: database (migrated), crypto, audit, jobs, events, modules; then the HTTP
 * app when the role includes `api`, and the workers when it includes `worker`.
 */
export async function startSiyu(options: StartOptions = {}): Promise<Siyu> {
  const config = options.config ?? loadConfig(options.env ?? process.env);
  const log = createLogger(config.logLevel);
  const db = options.db ?? (await openDatabase(config));
  await migrate(db);
  const masterKey = loadMasterKey({ config, log });
  const crypto = await createCrypto({ db, masterKey });
  const audit = createAuditLog();
  const jobs = createJobQueue({ config, db, log });
  const events = createEventBus({ db, jobs, log });
  const inbox = createInbox({ db, jobs, log });
  const limits = createRateLimiter(config);
  const platform: Platform = { config, log, db, jobs, events, inbox, crypto, audit, limits };
  const modules = options.modules ?? allModules;

  for (const m of modules) await m.setup?.(platform);
  await jobs.start();
  const api = config.role !== "worker";
  const worker = config.role !== "api";
  if (worker) await jobs.work({ concurrency: { realtime: config.realtimeConcurrency } });
  // Every process dispatches its own commits at once; SKIP LOCKED keeps many dispatchers apart.
  await events.start();
  await inbox.start();

  // Readiness asks Redis itself, not the queue driver, so a stalled driver cannot hide an outage.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false })
    : undefined;
  await redis?.connect().catch((err: unknown) => log.warn({ err }, "Redis is not reachable yet"));
  let app: Api | undefined;
  let url: string | undefined;
  if (api) {
    app = await buildApp({
      platform,
      modules,
      authenticate: createAuthenticator(db),
      readiness: redis ? [async () => void (await redis.ping())] : [],
    });
    await app.ready();
  }
  for (const m of modules) await m.started?.(platform);
  if (app && options.listen) {
    url = await app.listen({ port: config.port, host: config.host });
    log.info({ url, mode: config.mode, role: config.role, jobs: jobs.driver }, "Siyu is listening");
  }

  // Another node may have rotated the data keys: pick up new versions within a minute.
  const reload =
    config.mode === "cluster"
      ? setInterval(
          () => void crypto.reload().catch((err: unknown) => log.warn({ err }, "key reload failed")),
          60_000,
        )
      : undefined;
  reload?.unref();

  let stopped = false;
  return {
    platform,
    app,
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (reload) clearInterval(reload);
      await app?.close();
      await inbox.stop();
      await events.stop();
      await jobs.stop(5000);
      await limits.close();
      redis?.disconnect();
      if (!options.db) await db.close();
    },
  };
}
