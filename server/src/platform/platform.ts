import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { AuditLog } from "./audit/audit.ts";
import type { Config } from "./config/config.ts";
import type { CryptoRuntime } from "./crypto/index.ts";
import type { Database } from "./db/index.ts";
import type { EventBus, Inbox } from "./events/events.ts";
import type { JobQueue } from "./jobs/jobs.ts";
import type { Logger } from "./logger.ts";
import type { RateLimiter } from "./ratelimit/index.ts";

/** The kernel every module is given. Modules never construct infrastructure themselves. */
export interface Platform {
  config: Config;
  log: Logger;
  db: Database;
  jobs: JobQueue;
  events: EventBus;
  inbox: Inbox;
  crypto: CryptoRuntime;
  audit: AuditLog;
  /** Rate limits shared by every process (Redis in cluster mode), e.g. outside platforms' API budgets. */
  limits: RateLimiter;
}

/** The `/api` Fastify scope with zod typing. */
export type Api = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/**
 * A product area. `setup` defines its jobs and subscribers (every process); `routes` registers its
 * `/api` routes (API processes); `callbacks` registers unauthenticated platform callbacks.
 */
export interface Module {
  name: string;
  setup?(platform: Platform): Promise<void> | void;
  routes?(api: Api, platform: Platform): Promise<void> | void;
  callbacks?(app: Api, platform: Platform): Promise<void> | void;
  /** Runs once the whole process is up (seeding, schedules). */
  started?(platform: Platform): Promise<void> | void;
}
