import { createHash } from "node:crypto";
import type { JobDefinition, QueueName, SendOptions, WorkOptions } from "./jobs.ts";
import { queueNames, RetryLater } from "./jobs.ts";

/** Settings both drivers resolve the same way from a definition and send options. */
export const defaultAttempts = 5;
export const defaultBackoffMs = 1000;

export const defaultMaxDeferrals = 50;
/** The longest delay a `RetryLater` gets: it is for short waits, not for scheduling. */
export const maxDeferralMs = 60_000;

/**
 * What a driver does with a handler's error: a number is "run again in this many ms, no attempt
 * used" (a `RetryLater` within the job's deferral budget); null is the ordinary failing path.
 */
export function deferralOf(
  err: unknown,
  def: JobDefinition<never> | undefined,
  deferrals: number,
): number | null {
  if (!(err instanceof RetryLater)) return null;
  if (deferrals >= Math.max(0, def?.maxDeferrals ?? defaultMaxDeferrals)) return null;
  const ms = Number.isFinite(err.delayMs) ? err.delayMs : 0;
  return Math.round(Math.max(0, Math.min(maxDeferralMs, ms)));
}

/**
 * How long a finished job (completed or failed) is kept, and so how long an idempotency key keeps
 * refusing duplicates after its job ended: 7 days for both drivers.
 */
export const keepFinishedSeconds = 7 * 24 * 3600;

export function concurrencyFor(queue: QueueName, options: WorkOptions | undefined): number {
  const n = options?.concurrency?.[queue] ?? (queue === "reports" ? 1 : 4);
  return Math.max(1, Math.floor(n));
}

export function workedQueues(options: WorkOptions | undefined): QueueName[] {
  return options?.queues ? queueNames.filter((q) => options.queues?.includes(q)) : [...queueNames];
}

/** Milliseconds from now until the job may run (0 = now). `runAt` wins over `delayMs`. */
export function delayOf(options: SendOptions | undefined): number {
  if (options?.runAt) return Math.max(0, options.runAt.getTime() - Date.now());
  return Math.max(0, options?.delayMs ?? 0);
}

export function attemptsOf(def: JobDefinition<never>, options: SendOptions | undefined): number {
  return Math.max(1, Math.floor(options?.attempts ?? def.attempts ?? defaultAttempts));
}

export function priorityOf(options: SendOptions | undefined): number {
  return Math.max(-100, Math.min(100, Math.round(options?.priority ?? 0)));
}

/** RFC 4122 version-5 UUID (SHA-1, URL namespace): the same name+key always gives the same id. */
export function uuidV5(text: string): string {
  const namespace = Buffer.from("6ba7b8119dad11d180b400c04fd430c8", "hex");
  const hash = createHash("sha1").update(namespace).update(text, "utf8").digest();
  hash.writeUInt8((hash.readUInt8(6) & 0x0f) | 0x50, 6);
  hash.writeUInt8((hash.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The identity of an idempotency key: per job name, as the interface says. */
export function keyId(name: string, key: string): string {
  return uuidV5(`siyu-job\n${name}\n${key}`);
}

export function emptyCounts() {
  return { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, dead: 0 };
}
