import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";

/**
 * Every setting Siyu reads. Nothing else in the codebase reads `process.env`: a module that needs a
 * setting takes it from the `Config` object it is given. Defaults work with nothing else running.
 */
const schema = z.object({
  /** HTTP port. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Listen address. */
  HOST: z.string().default("0.0.0.0"),
  /** Embedded database, generated keys and local files. */
  SIYU_DATA_DIR: z.string().default("./data"),
  /** PostgreSQL URL; when set PGlite is not used. Sensitive (may carry a password). */
  DATABASE_URL: z.string().url().optional(),
  /** Redis URL; when set jobs, events and locks use BullMQ and Redis. Sensitive. */
  REDIS_URL: z.string().url().optional(),
  /** Key prefix in Redis, so several Siyu installations (or test runs) can share one Redis. */
  SIYU_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/)
    .default("siyu"),
  /** Which halves of the process run: `api` serves HTTP, `worker` runs jobs, `all` both. */
  SIYU_ROLE: z.enum(["all", "api", "worker"]).default("all"),
  /** On boot, ensure this platform admin exists (also owner of the default tenant). */
  SIYU_ADMIN_EMAIL: z.string().email().optional(),
  /** Password of SIYU_ADMIN_EMAIL. Sensitive. */
  SIYU_ADMIN_PASSWORD: z.string().min(8).optional(),
  /** `1` seeds a demo tenant on an empty database; default 1 in embedded mode, 0 with DATABASE_URL. */
  SIYU_DEMO: z.enum(["0", "1"]).optional(),
  /**
   * `1` serves the platform simulators inside the app (WeCom at `/sandbox/wecom`, unauthenticated);
   * default 1 in embedded mode, 0 with DATABASE_URL. Never enable it on an internet-facing cluster.
   */
  SIYU_SANDBOX: z.enum(["0", "1"]).optional(),
  /** base64 of 32 bytes: the master key for encryption at rest. Sensitive. Else generated into the data dir. */
  SIYU_MASTER_KEY: z.string().optional(),
  /** External base URL used in links shown to users. Default http://localhost:$PORT. */
  SIYU_PUBLIC_URL: z.string().url().optional(),
  /** Log level for pino. */
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Largest accepted request body, in bytes (413 above it). */
  SIYU_BODY_LIMIT: z.coerce.number().int().positive().default(1_048_576),
  /** Session token lifetime, in hours. */
  SIYU_SESSION_HOURS: z.coerce.number().int().positive().default(12),
  /** Directory of the built web console; served at `/` when present. */
  SIYU_WEB_DIR: z.string().optional(),
  /**
   * Platform callbacks (WeCom) whose signed timestamp is further than this from now, in seconds, are
   * refused as replays. Default 300; needs an NTP-synced clock.
   */
  SIYU_CALLBACK_TOLERANCE_S: z.coerce.number().int().positive().default(300),
  /**
   * Calls per minute Siyu allows itself per WeCom API and corp (shared by every process through the
   * rate limiter). WeCom documents 10,000; the default 5,000 leaves room for other apps of the corp.
   * Lower it when WeCom answers 45009 for a corp.
   */
  SIYU_WECOM_API_RATE: z.coerce.number().int().positive().default(5000),
  /**
   * Calls per minute accepted per flow webhook token (`POST /hooks/flows/:token`), shared by every
   * process through the rate limiter; above it 429 with Retry-After. Default 600 (10/s): well above
   * an order system's pace, low enough that a caller stuck in a retry loop cannot flood the engine.
   */
  SIYU_FLOW_WEBHOOK_RATE: z.coerce.number().int().positive().default(600),
  /**
   * Jobs of the `realtime` queue run at once per worker process. Default 16 with PostgreSQL: its jobs
   * mostly wait on WeCom (welcome messages must go out within a welcome code's 20 s), so it runs wider
   * than the other queues. Default 4 embedded: PGlite shares the one thread with the callback route,
   * and wider workers there starve the acknowledgements (bench/live-codes-burst.bench.ts).
   */
  SIYU_REALTIME_CONCURRENCY: z.coerce.number().int().min(1).max(256).optional(),
  /**
   * The query parameter of a live code's landing link that names the scan's region (province or
   * city) for the by_region strategy, e.g. `/l/abc?region=广州`. Default `region`.
   */
  SIYU_REGION_PARAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/)
    .default("region"),
  /**
   * A request header carrying the visitor's region when the link has none, set by a reverse proxy or
   * CDN from the client IP (Siyu ships no GeoIP database). Unset: only the query parameter counts.
   */
  SIYU_REGION_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,60}$/)
    .optional(),
  /**
   * Embedded mode: how many job transactions may wait for PGlite's one connection at once (the
   * rest wait their turn, handed over after pending I/O), so callbacks and requests go first.
   * 1 (default) keeps a burst of WeCom adds inside the welcome code's 20 s; 0 = no limit.
   */
  SIYU_PGLITE_JOB_SLOTS: z.coerce.number().int().min(0).max(64).default(1),
});

export type RawConfig = z.infer<typeof schema>;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  redisPrefix: string;
  role: "all" | "api" | "worker";
  admin: { email: string; password: string } | undefined;
  demo: boolean;
  /** Platform simulators mounted in the app (`SIYU_SANDBOX`). */
  sandbox: boolean;
  masterKey: string | undefined;
  publicUrl: string;
  logLevel: RawConfig["LOG_LEVEL"];
  bodyLimit: number;
  sessionHours: number;
  webDir: string | undefined;
  /** Largest accepted |now − timestamp| of a signed platform callback, in seconds. */
  callbackToleranceS: number;
  /** `SIYU_WECOM_API_RATE`: WeCom calls per minute per API and corp. */
  wecomApiRatePerMinute: number;
  /** `SIYU_FLOW_WEBHOOK_RATE`: flow webhook calls per minute per token. */
  flowWebhookRatePerMinute: number;
  /** `SIYU_REALTIME_CONCURRENCY`: realtime jobs at once per worker process. */
  realtimeConcurrency: number;
  /** `SIYU_REGION_PARAM`: the landing link's region parameter (by_region live codes). */
  regionParam: string;
  /** `SIYU_REGION_HEADER` (lower case): a proxy's region header, when set. */
  regionHeader: string | undefined;
  /** `SIYU_PGLITE_JOB_SLOTS`: job transactions waiting for PGlite at once (1); 0 = no limit. */
  pgliteJobSlots: number;
  /** `embedded` when PGlite is used. */
  mode: "embedded" | "cluster";
}

/** Names of settings whose values must never be logged. */
export const sensitiveSettings = ["DATABASE_URL", "REDIS_URL", "SIYU_ADMIN_PASSWORD", "SIYU_MASTER_KEY"];

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join("\n")}`);
  }
  const c = parsed.data;
  if ((c.SIYU_ADMIN_EMAIL === undefined) !== (c.SIYU_ADMIN_PASSWORD === undefined)) {
    throw new Error("invalid configuration: SIYU_ADMIN_EMAIL and SIYU_ADMIN_PASSWORD go together");
  }
  const mode = c.DATABASE_URL ? "cluster" : "embedded";
  const defaultWeb = resolve(import.meta.dirname, "../../../../web/dist");
  return {
    port: c.PORT,
    host: c.HOST,
    dataDir: resolve(c.SIYU_DATA_DIR),
    databaseUrl: c.DATABASE_URL,
    redisUrl: c.REDIS_URL,
    redisPrefix: c.SIYU_REDIS_PREFIX,
    role: c.SIYU_ROLE,
    admin: c.SIYU_ADMIN_EMAIL ? { email: c.SIYU_ADMIN_EMAIL, password: c.SIYU_ADMIN_PASSWORD! } : undefined,
    demo: c.SIYU_DEMO ? c.SIYU_DEMO === "1" : mode === "embedded",
    sandbox: c.SIYU_SANDBOX ? c.SIYU_SANDBOX === "1" : mode === "embedded",
    masterKey: c.SIYU_MASTER_KEY,
    publicUrl: (c.SIYU_PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/$/, ""),
    logLevel: c.LOG_LEVEL,
    bodyLimit: c.SIYU_BODY_LIMIT,
    sessionHours: c.SIYU_SESSION_HOURS,
    webDir: c.SIYU_WEB_DIR ?? (existsSync(defaultWeb) ? defaultWeb : undefined),
    callbackToleranceS: c.SIYU_CALLBACK_TOLERANCE_S,
    wecomApiRatePerMinute: c.SIYU_WECOM_API_RATE,
    flowWebhookRatePerMinute: c.SIYU_FLOW_WEBHOOK_RATE,
    realtimeConcurrency: c.SIYU_REALTIME_CONCURRENCY ?? (mode === "cluster" ? 16 : 4),
    regionParam: c.SIYU_REGION_PARAM,
    regionHeader: c.SIYU_REGION_HEADER?.toLowerCase(),
    pgliteJobSlots: c.SIYU_PGLITE_JOB_SLOTS,
    mode,
  };
}
